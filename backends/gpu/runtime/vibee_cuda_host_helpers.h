#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <vector>

#ifndef VIBEE_CUDA_HOST_HELPERS_V1
#define VIBEE_CUDA_HOST_HELPERS_V1
namespace vibee {
namespace cuda_host {

// One embedded device image: a cubin, or PTX text that the driver JIT-compiles.
struct Image {
  const char *name; // "cubin-sm_90a", "ptx-sm_90a", "ptx-sm_80" (VIBEE_CUDA_IMAGE)
  const void *data;
};

// A spec's module loaded in one CUDA context: its functions and the SM count.
struct LoadedModule {
  CUcontext context;
  CUmodule module;
  const char *image;
  std::vector<CUfunction> functions;
  int64_t sm_count;
};

// A spec's modules, one per context, loaded at first use and kept (the context
// owns them). std::list: entries stay where they are while others are added.
struct ModuleCache {
  std::mutex mutex;
  std::list<LoadedModule> modules;
};

// One call of a kernel: its stream, the loaded module and the first error. After
// an error the remaining launches and allocations are skipped; frees still run.
struct Call {
  Call(const char *spec_kernel, CUstream on) : kernel(spec_kernel), stream(on) {}
  const char *kernel; // "<spec>.<kernel>", for messages
  CUstream stream;
  const char *const *names = nullptr; // the GPU kernels' names, by gpu:: enumerator
  const LoadedModule *module = nullptr;
  std::string error;
};

inline std::string result_text(CUresult result) {
  const char *name = nullptr, *text = nullptr;
  std::string s = cuGetErrorName(result, &name) == CUDA_SUCCESS && name
                      ? std::string(name)
                      : "CUresult " + std::to_string(int(result));
  if (cuGetErrorString(result, &text) == CUDA_SUCCESS && text)
    s += std::string(": ") + text;
  return s;
}

// Records the first failure, naming the spec's kernel and the GPU kernel:
// "vibee softmax.softmax: GPU kernel 'softmax_kernel': cuLaunchKernel: CUDA_ERROR_X: text".
inline bool check(Call *call, const char *what, CUresult result, int kernel = -1) {
  if (result == CUDA_SUCCESS)
    return true;
  if (call->error.empty()) {
    call->error = std::string("vibee ") + call->kernel + ": ";
    if (kernel >= 0)
      call->error += std::string("GPU kernel '") + call->names[kernel] + "': ";
    call->error += std::string(what) + ": " + result_text(result);
  }
  return false;
}

// The calling thread's context (device 0's primary context when there is none,
// as the CUDA runtime does), then this spec's module in it: the first image that
// loads (VIBEE_CUDA_IMAGE=<name> allows only that one).
inline bool load(Call *call, ModuleCache &cache, const Image *images, size_t image_count,
                 const char *const *names, size_t name_count) {
  call->names = names;
  CUcontext context = nullptr;
  if (!check(call, "cuInit", cuInit(0)) ||
      !check(call, "cuCtxGetCurrent", cuCtxGetCurrent(&context)))
    return false;
  if (!context) {
    CUdevice device;
    if (!check(call, "cuDeviceGet", cuDeviceGet(&device, 0)) ||
        !check(call, "cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(&context, device)) ||
        !check(call, "cuCtxSetCurrent", cuCtxSetCurrent(context)))
      return false;
  }
  std::lock_guard<std::mutex> lock(cache.mutex);
  for (const LoadedModule &m : cache.modules)
    if (m.context == context) {
      call->module = &m;
      return true;
    }
  LoadedModule m{context, nullptr, nullptr, std::vector<CUfunction>(name_count), 0};
  const char *only = std::getenv("VIBEE_CUDA_IMAGE");
  std::string tried;
  for (size_t i = 0; i < image_count && !m.module; ++i) {
    if (only && std::strcmp(only, images[i].name) != 0)
      continue;
    CUresult result = cuModuleLoadData(&m.module, images[i].data);
    if (result == CUDA_SUCCESS) {
      m.image = images[i].name;
    } else {
      m.module = nullptr;
      tried += std::string(tried.empty() ? "" : "; ") + images[i].name + ": " +
               result_text(result);
    }
  }
  if (!m.module) {
    call->error = std::string("vibee ") + call->kernel + ": no GPU code loads: " +
                  (tried.empty() ? std::string("no image named ") + only : tried);
    return false;
  }
  bool ok = true;
  for (size_t k = 0; k < name_count && ok; ++k)
    ok = check(call, "cuModuleGetFunction", cuModuleGetFunction(&m.functions[k], m.module, names[k]),
               int(k));
  CUdevice device;
  int sms = 0;
  // Temporaries come from the default pool (cuMemAllocAsync): it keeps its
  // memory across synchronizations instead of mapping it again every call.
  CUmemoryPool pool;
  cuuint64_t keep_all = ~cuuint64_t(0);
  ok = ok && check(call, "cuCtxGetDevice", cuCtxGetDevice(&device)) &&
       check(call, "cuDeviceGetAttribute",
             cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device)) &&
       check(call, "cuDeviceGetDefaultMemPool", cuDeviceGetDefaultMemPool(&pool, device)) &&
       check(call, "cuMemPoolSetAttribute",
             cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep_all));
  if (!ok) {
    check(call, "cuModuleUnload", cuModuleUnload(m.module)); // the first error stays
    return false;
  }
  m.sm_count = sms;
  cache.modules.push_back(std::move(m));
  call->module = &cache.modules.back();
  return true;
}

// The image loaded in the calling thread's context, or nullptr.
inline const char *loaded_image(ModuleCache &cache) {
  CUcontext context = nullptr;
  if (cuCtxGetCurrent(&context) != CUDA_SUCCESS || !context)
    return nullptr;
  std::lock_guard<std::mutex> lock(cache.mutex);
  for (const LoadedModule &m : cache.modules)
    if (m.context == context)
      return m.image;
  return nullptr;
}

// nullptr, or the error's text (valid until the thread's next call).
inline const char *finish(Call &call) {
  static thread_local std::string last;
  if (call.error.empty())
    return nullptr;
  last = std::move(call.error);
  return last.c_str();
}

// What the generated host functions call.
template <typename... Args>
inline void launch(Call *call, int kernel, int64_t gx, int64_t gy, int64_t gz, int64_t bx,
                   int64_t by, int64_t bz, int32_t shared_bytes, Args... args) {
  if (!call->error.empty() || gx <= 0 || gy <= 0 || gz <= 0) // empty grid: no work
    return;
  if (gx > 0x7fffffff || gy > 0xffff || gz > 0xffff || bx > 1024 || by > 1024 || bz > 64) {
    call->error = std::string("vibee ") + call->kernel + ": GPU kernel '" + call->names[kernel] +
                  "': grid (" + std::to_string(gx) + ", " + std::to_string(gy) + ", " +
                  std::to_string(gz) + ") or block out of range";
    return;
  }
  void *params[] = {static_cast<void *>(&args)..., nullptr};
  check(call, "cuLaunchKernel",
        cuLaunchKernel(call->module->functions[kernel], unsigned(gx), unsigned(gy), unsigned(gz),
                       unsigned(bx), unsigned(by), unsigned(bz), unsigned(shared_bytes),
                       call->stream, params, nullptr),
        kernel);
}

inline int64_t sm_count(Call *call) { return call->module->sm_count; }

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Scalar math computed on the host (of scalar parameters) that <cmath> does not
// name as conversion/LoopsToEmitC/MathCallees.h does: rsqrt, and max/min with the
// kernels' semantics (NaN propagates, -0 < +0).
template <typename T> inline T rsqrt(T x) { return T(1) / std::sqrt(x); }
template <typename T> inline T maximum(T a, T b) {
  if (a != a || b != b)
    return a + b;
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
template <typename T> inline T minimum(T a, T b) {
  if (a != a || b != b)
    return a + b;
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// Temporaries: stream-ordered device memory, freed at the end of the call.
template <typename T> inline T *device_alloc(Call *call, int64_t n) {
  CUdeviceptr p = 0;
  if (call->error.empty())
    check(call, "cuMemAllocAsync",
          cuMemAllocAsync(&p, size_t(n > 0 ? n : 1) * sizeof(T), call->stream));
  return reinterpret_cast<T *>(p);
}
inline void device_free(Call *call, void *p) {
  if (p)
    check(call, "cuMemFreeAsync", cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(p), call->stream));
}

// A kernel's by-value vector argument (vector<N x T>, e.g. a fill value).
template <typename T, int N> struct alignas(sizeof(T) * N) vec {
  T v[N];
};
template <typename T, int N> inline vec<T, N> splat(T x) {
  vec<T, N> r;
  for (int i = 0; i < N; ++i)
    r.v[i] = x;
  return r;
}

} // namespace cuda_host
} // namespace vibee
#endif // VIBEE_CUDA_HOST_HELPERS_V1
