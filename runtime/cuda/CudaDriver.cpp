//===- CudaDriver.cpp - libcuda through dlopen, and the mgpu* functions ----===//
//
// The mgpu* functions are what MLIR's gpu-to-llvm lowering calls from the host
// code of a `--target=cuda` kernel (module loads in global constructors, kernel
// launches, device temporaries). MLIR ships them in libmlir_cuda_runtime, which
// links libcuda; these are ours, over the dlopen'ed driver, with vibee's stream
// and error conventions (docs/gpu.md):
//  - every launch and allocation goes to the thread's current stream
//    (vibee_cuda_set_stream), stream-ordered: nothing synchronizes the host
//    unless vibee_cuda_set_sync(1);
//  - a failing call records "<GPU kernel>: <cuCall>: CUDA_ERROR_X: text" as the
//    thread's first error (vibee_cuda_last_error) and prints it to stderr; the
//    JIT's Kernel call turns it into an exception naming the vibee kernel.
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaDriver.h"

#include <atomic>

#include <dlfcn.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace vibee::cuda {

namespace {

struct Loaded {
  Driver driver{};
  std::string error; // empty when usable
};

template <typename F> bool load(void *lib, F &fn, const char *name) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  return fn != nullptr;
}

Loaded &loaded() {
  static Loaded *instance = [] {
    auto *l = new Loaded();
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!lib)
      lib = dlopen("libcuda.so", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
      const char *e = dlerror();
      l->error =
          std::string("cannot load the CUDA driver (libcuda.so.1): ") + (e ? e : "not found");
      return l;
    }
    Driver &d = l->driver;
    bool ok = true;
#define VIBEE_LOAD(field, symbol)                                                                  \
  if (!load(lib, d.field, symbol)) {                                                               \
    ok = false;                                                                                    \
    l->error += std::string(l->error.empty() ? "" : ", ") + symbol;                                \
  }
    VIBEE_LOAD(cuInit, "cuInit")
    VIBEE_LOAD(cuDeviceGet, "cuDeviceGet")
    VIBEE_LOAD(cuDeviceGetCount, "cuDeviceGetCount")
    VIBEE_LOAD(cuDeviceGetName, "cuDeviceGetName")
    VIBEE_LOAD(cuDeviceGetAttribute, "cuDeviceGetAttribute")
    VIBEE_LOAD(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
    VIBEE_LOAD(cuCtxGetCurrent, "cuCtxGetCurrent")
    VIBEE_LOAD(cuCtxSetCurrent, "cuCtxSetCurrent")
    VIBEE_LOAD(cuCtxSynchronize, "cuCtxSynchronize")
    VIBEE_LOAD(cuModuleLoadData, "cuModuleLoadData")
    VIBEE_LOAD(cuModuleLoadDataEx, "cuModuleLoadDataEx")
    VIBEE_LOAD(cuModuleUnload, "cuModuleUnload")
    VIBEE_LOAD(cuModuleGetFunction, "cuModuleGetFunction")
    VIBEE_LOAD(cuLaunchKernel, "cuLaunchKernel")
    VIBEE_LOAD(cuMemAlloc, "cuMemAlloc_v2")
    VIBEE_LOAD(cuMemFree, "cuMemFree_v2")
    VIBEE_LOAD(cuMemAllocAsync, "cuMemAllocAsync")
    VIBEE_LOAD(cuMemFreeAsync, "cuMemFreeAsync")
    VIBEE_LOAD(cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool")
    VIBEE_LOAD(cuMemPoolSetAttribute, "cuMemPoolSetAttribute")
    VIBEE_LOAD(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
    VIBEE_LOAD(cuMemcpyDtoH, "cuMemcpyDtoH_v2")
    VIBEE_LOAD(cuMemsetD8, "cuMemsetD8_v2")
    VIBEE_LOAD(cuMemsetD8Async, "cuMemsetD8Async")
    VIBEE_LOAD(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2")
    VIBEE_LOAD(cuStreamSynchronize, "cuStreamSynchronize")
    VIBEE_LOAD(cuGetErrorName, "cuGetErrorName")
    VIBEE_LOAD(cuGetErrorString, "cuGetErrorString")
    VIBEE_LOAD(cuFuncSetAttribute, "cuFuncSetAttribute")
    VIBEE_LOAD(cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled")
#undef VIBEE_LOAD
    if (!ok) {
      l->error = "the CUDA driver lacks " + l->error;
      return l;
    }
    CUresult r = d.cuInit(0);
    int count = 0;
    if (r == 0)
      r = d.cuDeviceGetCount(&count);
    if (r == 0 && count == 0)
      l->error = "no CUDA device";
    if (r == 0 && count > 0)
      r = d.cuDeviceGet(&d.device, 0);
    if (r == 0 && count > 0)
      r = d.cuDevicePrimaryCtxRetain(&d.context, d.device);
    // Kernel temporaries come from the device's default pool (cuMemAllocAsync);
    // with its release threshold at 0 the pool hands its memory back to the
    // driver at every synchronization, and the next call's temporaries are
    // mapped again (tens of microseconds per call: a GEMV of 35 us took 105).
    // The pool keeps what it has instead, as PyTorch's caching allocator does.
    CUmemoryPool pool = nullptr;
    if (r == 0 && count > 0)
      r = d.cuDeviceGetDefaultMemPool(&pool, d.device);
    if (r == 0 && count > 0) {
      uint64_t keepAll = UINT64_MAX;
      r = d.cuMemPoolSetAttribute(pool, /*CU_MEMPOOL_ATTR_RELEASE_THRESHOLD=*/4, &keepAll);
    }
    if (r != 0)
      l->error = "CUDA initialization failed: " + errorText(r);
    return l;
  }();
  return *instance;
}

} // namespace

std::string errorText(CUresult result) {
  const Driver &d = loaded().driver;
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorName)
    d.cuGetErrorName(result, &name);
  if (d.cuGetErrorString)
    d.cuGetErrorString(result, &text);
  return std::string(name ? name : "CUDA error " + std::to_string(result)) + ": " +
         (text ? text : "(no description)");
}

bool available(std::string *why) {
  Loaded &l = loaded();
  if (why)
    *why = l.error;
  return l.error.empty();
}

const Driver &driver() {
  Loaded &l = loaded();
  if (!l.error.empty())
    throw CudaError(l.error);
  CUcontext current = nullptr;
  l.driver.cuCtxGetCurrent(&current);
  if (!current)
    l.driver.cuCtxSetCurrent(l.driver.context);
  return l.driver;
}

void check(CUresult result, const char *call, const std::string &where) {
  if (result != 0)
    throw CudaError(where + ": " + call + ": " + errorText(result));
}

std::string deviceName() {
  const Driver &d = driver();
  char name[256] = {0};
  d.cuDeviceGetName(name, sizeof name, d.device);
  return name;
}

int multiprocessorCount() {
  const Driver &d = driver();
  int count = 0;
  d.cuDeviceGetAttribute(&count, /*CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT=*/16, d.device);
  return count;
}

} // namespace vibee::cuda

//===----------------------------------------------------------------------===//
// Thread state and the C interface
//===----------------------------------------------------------------------===//

using namespace vibee::cuda;

namespace {
thread_local CUstream currentStream = nullptr;
thread_local bool syncAfterLaunch = false;
thread_local std::string firstError;
thread_local bool haveError = false;
thread_local bool gatherFailed = false;
thread_local int64_t gatherIndex = 0;

std::mutex namesMutex;
std::map<CUfunction, std::string> &functionNames() {
  static auto *names = new std::map<CUfunction, std::string>();
  return *names;
}
std::string nameOf(CUfunction f) {
  std::lock_guard<std::mutex> lock(namesMutex);
  auto it = functionNames().find(f);
  return it == functionNames().end() ? "GPU kernel" : "GPU kernel '" + it->second + "'";
}

void record(const std::string &message) {
  if (!haveError) {
    haveError = true;
    firstError = message;
  }
  std::fprintf(stderr, "vibee: CUDA error: %s\n", message.c_str());
}

// Runs `call` on the loaded driver; records failures with `where()`, which is
// only evaluated on failure (launches are on the hot path: no strings built there).
template <typename W, typename F> bool guardedLazy(W where, const char *what, F call) {
  try {
    const Driver &d = driver();
    CUresult r = call(d);
    if (r != 0) {
      record(where() + ": " + what + ": " + errorText(r));
      return false;
    }
    return true;
  } catch (const std::exception &e) {
    record(where() + ": " + what + ": " + e.what());
    return false;
  }
}

template <typename F> bool guarded(const std::string &where, const char *what, F call) {
  return guardedLazy([&] { return where; }, what, call);
}
} // namespace

extern "C" {

void vibee_cuda_set_stream(void *stream) { currentStream = static_cast<CUstream>(stream); }
void *vibee_cuda_get_stream(void) { return currentStream; }
void vibee_cuda_set_sync(int sync) { syncAfterLaunch = sync != 0; }
const char *vibee_cuda_last_error(void) { return haveError ? firstError.c_str() : nullptr; }
void vibee_cuda_clear_error(void) {
  haveError = false;
  firstError.clear();
  gatherFailed = false;
}

void vibee_cuda_gather_flags_clear(int64_t flags) {
  guarded("gather check", "cuMemsetD8Async", [&](const Driver &d) {
    return d.cuMemsetD8Async(static_cast<CUdeviceptr>(flags), 0, 2 * sizeof(int64_t),
                             currentStream);
  });
}

void vibee_cuda_gather_flags_check(int64_t flags) {
  int64_t host[2] = {0, 0};
  bool copied = guarded("gather check", "cuMemcpyDtoHAsync", [&](const Driver &d) {
    CUresult r =
        d.cuMemcpyDtoHAsync(host, static_cast<CUdeviceptr>(flags), sizeof(host), currentStream);
    return r != 0 ? r : d.cuStreamSynchronize(currentStream);
  });
  if (!copied || host[0] == 0)
    return;
  gatherFailed = true;
  gatherIndex = host[1];
  record("a gathered index is outside its axis (index " + std::to_string(host[1]) + ")");
}

int vibee_cuda_gather_failed(int64_t *index) {
  if (gatherFailed && index)
    *index = gatherIndex;
  return gatherFailed ? 1 : 0;
}
int vibee_cuda_synchronize(void) {
  int result = 0;
  guarded("synchronize", "cuCtxSynchronize", [&](const Driver &d) {
    result = d.cuCtxSynchronize();
    return result;
  });
  return result;
}

// Multiprocessors of the device (cached; generated host code sizes the grids of
// elementwise kernels with it). 128 when the driver cannot say: launches report
// that failure themselves.
int32_t vibee_cuda_sm_count(void) {
  static std::atomic<int32_t> cached{0};
  int32_t n = cached.load(std::memory_order_relaxed);
  if (n > 0)
    return n;
  try {
    n = multiprocessorCount();
  } catch (const std::exception &) {
    n = 0;
  }
  if (n <= 0)
    return 128;
  cached.store(n, std::memory_order_relaxed);
  return n;
}

// The device copies of tensor maps, per context and content (vibee_cuda_tensor_map).
struct TensorMapCache {
  std::mutex mutex;
  std::map<std::pair<CUcontext, std::array<unsigned long long, 16>>, CUdeviceptr> maps;

  // Synchronizes the current context, so that no launch still reads its maps,
  // and frees them.
  void releaseCurrent(const Driver &d, CUcontext context) {
    d.cuCtxSynchronize();
    for (auto it = maps.begin(); it != maps.end();)
      if (it->first.first == context) {
        d.cuMemFree(it->second);
        it = maps.erase(it);
      } else {
        ++it;
      }
  }
};

static TensorMapCache &tensorMapCache() {
  static auto *cache = new TensorMapCache(); // never destroyed: callers may run at exit
  return *cache;
}

intptr_t vibee_cuda_tensor_map(intptr_t base, int64_t dtype, int64_t inner, int64_t rows,
                               int64_t batch, int64_t rowStride, int64_t batchStride,
                               int64_t boxInner, int64_t boxRows) {
  if (inner <= 0 || rows <= 0 || batch <= 0)
    return 0;
  alignas(64) std::array<unsigned long long, 16> map{}; // a CUtensorMap
  unsigned long long dims[3] = {static_cast<unsigned long long>(inner),
                                static_cast<unsigned long long>(rows),
                                static_cast<unsigned long long>(batch)};
  unsigned long long strides[2] = {static_cast<unsigned long long>(rowStride),
                                   static_cast<unsigned long long>(batchStride)};
  unsigned box[3] = {static_cast<unsigned>(boxInner), static_cast<unsigned>(boxRows), 1};
  unsigned elementStrides[3] = {1, 1, 1};
  auto where = [] { return std::string("tensor map"); };
  if (!guardedLazy(where, "cuTensorMapEncodeTiled", [&](const Driver &d) {
        return d.cuTensorMapEncodeTiled(map.data(), static_cast<int>(dtype), 3,
                                        reinterpret_cast<void *>(base), dims, strides, box,
                                        elementStrides, /*INTERLEAVE_NONE*/ 0,
                                        /*SWIZZLE_128B*/ 3, /*L2_PROMOTION_128B*/ 2,
                                        /*FLOAT_OOB_FILL_NONE: zeros*/ 0);
      }))
    return 0;
  // The kernels read the map from global memory. One copy per context and
  // content, kept (a call with the same tensors finds it); past 4096 maps the
  // context is synchronized, so that no launch still reads them, and all are
  // freed.
  TensorMapCache &cache = tensorMapCache();
  CUcontext context = nullptr;
  CUdeviceptr device = 0;
  std::lock_guard<std::mutex> lock(cache.mutex);
  bool ok = guardedLazy(where, "cuMemAlloc", [&](const Driver &d) {
    d.cuCtxGetCurrent(&context);
    auto it = cache.maps.find({context, map});
    if (it != cache.maps.end()) {
      device = it->second;
      return CUresult(0);
    }
    if (cache.maps.size() >= 4096)
      cache.releaseCurrent(d, context);
    CUresult r = d.cuMemAlloc(&device, sizeof map);
    if (r == 0)
      r = d.cuMemcpyHtoD(device, map.data(), sizeof map);
    if (r == 0)
      cache.maps.emplace(std::make_pair(context, map), device);
    return r;
  });
  return ok ? static_cast<intptr_t>(device) : 0;
}

void vibee_cuda_release_tensor_maps(void) {
  TensorMapCache &cache = tensorMapCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (cache.maps.empty())
    return;
  guardedLazy([] { return std::string("tensor maps"); }, "cuMemFree",
              [&](const Driver &d) {
                CUcontext context = nullptr;
                d.cuCtxGetCurrent(&context);
                cache.releaseCurrent(d, context);
                return CUresult(0);
              });
}

// --- The mgpu* functions called by gpu-to-llvm's host code ---------------------

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  CUmodule module = nullptr;
  guarded("module load", "cuModuleLoadData",
          [&](const Driver &d) { return d.cuModuleLoadData(&module, data); });
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  CUmodule module = nullptr;
  char errorLog[8192] = {0};
  int options[3] = {/*CU_JIT_ERROR_LOG_BUFFER=*/5, /*..._SIZE_BYTES=*/6,
                    /*CU_JIT_OPTIMIZATION_LEVEL=*/7};
  void *values[3] = {errorLog, reinterpret_cast<void *>(sizeof errorLog - 1),
                     reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  bool ok = guarded("module load (PTX JIT)", "cuModuleLoadDataEx", [&](const Driver &d) {
    return d.cuModuleLoadDataEx(&module, data, 3, options, values);
  });
  if (!ok && errorLog[0])
    std::fprintf(stderr, "vibee: PTX JIT log:\n%s\n", errorLog);
  return module;
}

void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  // At process exit the driver may be gone already; errors are not recorded.
  try {
    driver().cuModuleUnload(static_cast<CUmodule>(module));
  } catch (...) {
  }
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = nullptr;
  auto where = [&] { return std::string("GPU kernel '") + name + "'"; };
  if (!module) {
    record(where() + ": its module did not load");
    return nullptr;
  }
  // The host code asks on every call; the name is recorded once per function.
  if (guardedLazy(where, "cuModuleGetFunction", [&](const Driver &d) {
        return d.cuModuleGetFunction(&function, static_cast<CUmodule>(module), name);
      })) {
    std::lock_guard<std::mutex> lock(namesMutex);
    functionNames().try_emplace(function, name);
  }
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  auto f = static_cast<CUfunction>(function);
  auto where = [&] { return nameOf(f); };
  if (!f) {
    record(where() + ": no function to launch");
    return;
  }
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0)
    return; // an empty problem: nothing to do
  auto shape = [&] {
    return "grid " + std::to_string(gridX) + "x" + std::to_string(gridY) + "x" +
           std::to_string(gridZ) + ", block " + std::to_string(blockX) + "x" +
           std::to_string(blockY) + "x" + std::to_string(blockZ);
  };
  if (gridY > 65535 || gridZ > 65535 || gridX > 0x7fffffff) {
    record(where() + ": " + shape() + " exceeds the device limits");
    return;
  }
  // The driver takes 32-bit sizes: a block or a total thread count that does
  // not fit (or wraps) would launch a different problem than the one asked for.
  intptr_t threads = 0, total = 0;
  bool overflow = blockX <= 0 || blockY <= 0 || blockZ <= 0 ||
                  __builtin_mul_overflow(blockX, blockY, &threads) ||
                  __builtin_mul_overflow(threads, blockZ, &threads) ||
                  __builtin_mul_overflow(threads, gridX, &total) ||
                  __builtin_mul_overflow(total, gridY, &total) ||
                  __builtin_mul_overflow(total, gridZ, &total);
  if (overflow || threads > 1024) {
    record(where() + ": " + shape() +
           (overflow ? ": the thread count overflows" : ": more than 1024 threads a block"));
    return;
  }
  auto s = static_cast<CUstream>(stream ? stream : currentStream);
  // Beyond 48 KB a block's dynamic shared memory must be allowed per function
  // (the wgmma kernels take ~130 KB).
  if (smem > 48 * 1024 && !guardedLazy(where, "cuFuncSetAttribute", [&](const Driver &d) {
        return d.cuFuncSetAttribute(f, /*CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES=*/8, smem);
      }))
    return;
  bool ok = guardedLazy(where, "cuLaunchKernel", [&](const Driver &d) {
    return d.cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, blockZ, smem, s, params, extra);
  });
  if (ok && syncAfterLaunch)
    guardedLazy(where, "cuStreamSynchronize (after launch)",
                [&](const Driver &d) { return d.cuStreamSynchronize(s); });
}

// Launches use the caller's stream: "creating" a stream hands it out, and the
// synchronization the lowering adds after a synchronous launch is left to the
// caller (stream order keeps every use correct).
void *mgpuStreamCreate() { return currentStream; }
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *stream) {
  if (syncAfterLaunch)
    guarded("stream", "cuStreamSynchronize",
            [&](const Driver &d) { return d.cuStreamSynchronize(static_cast<CUstream>(stream)); });
}

void *mgpuMemAlloc(uint64_t size, void *stream, bool /*isHostShared*/) {
  if (size == 0)
    size = 1;
  CUdeviceptr ptr = 0;
  auto s = static_cast<CUstream>(stream ? stream : currentStream);
  guardedLazy([&] { return "temporary of " + std::to_string(size) + " bytes"; }, "cuMemAllocAsync",
              [&](const Driver &d) { return d.cuMemAllocAsync(&ptr, size, s); });
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  auto s = static_cast<CUstream>(stream ? stream : currentStream);
  guarded("temporary", "cuMemFreeAsync",
          [&](const Driver &d) { return d.cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(ptr), s); });
}

void mgpuSetDefaultDevice(int32_t) {}

} // extern "C"
