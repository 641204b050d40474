//===- CudaHostSource.cpp - one C++ file: host launch code + device images ===//
//
// `vibeec compile spec.vibee --target=cuda --emit=cuda-host` (docs/gpu.md):
//   linalg -> buildGpuKernelPipeline (the GPU route up to outlined kernels)
//     ├─ per device image, on a clone: buildGpuBinaryPipeline -> cubin (ptxas,
//     │  when the toolkit has it) and PTX for the chip, PTX for sm_80
//     └─ host functions: vibee-gpu-emitc-host (gpu ops -> helper calls),
//        then the shared EmitC tail (translateFunctionsToCpp, conversion/LoopsToEmitC)
// printed as one C++17 file over <cuda.h>: the declarations, the helpers (the
// driver-API calls, every result checked), the images, the generated host
// functions and the C entries / C++ wrappers of docs/abi.md plus a stream.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/CudaHostSource.h"

#include "conversion/LoopsToEmitC/EmitCTranslation.h"
#include "backends/gpu/GpuPipeline.h"
#include "abi/CHeader.h"
#include "backends/gpu/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <sstream>

using namespace mlir;

namespace vibee {
namespace {

// Printed once per translation unit (the guard), before any spec's code.
const char *kHelpers =
R"cpp(#ifndef VIBEE_CUDA_HOST_HELPERS_V1
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
  ok = ok && check(call, "cuCtxGetDevice", cuCtxGetDevice(&device)) &&
       check(call, "cuDeviceGetAttribute",
             cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device));
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
)cpp"
;

struct DeviceImage {
  std::string name;  // "cubin-sm_90a", "ptx-sm_90a", "ptx-sm_80"
  std::string bytes; // the cubin, or PTX text
  bool text;
};

llvm::Error fail(const std::string &what, const std::string &details) {
  return llvm::createStringError("CUDA host file: " + what + "\n" + details);
}

// The device code of the outlined module `kernels` for one chip and format.
llvm::Expected<DeviceImage> deviceImage(ModuleOp kernels, const std::string &chip,
                                        const std::string &format, const std::string &toolkit) {
  MLIRContext &context = *kernels.getContext();
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(kernels->clone()));
  DiagnosticText collector(context);
  PassManager pm(&context);
  GpuOptions options = GpuOptions::forChip(chip, format);
  options.toolkit = toolkit;
  buildGpuBinaryPipeline(pm, options);
  if (failed(pm.run(*module)))
    return fail("device code for " + chip + " failed", collector.text);
  DeviceImage image{(format == "bin" ? "cubin-" : "ptx-") + chip, "", format != "bin"};
  module->walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(attr))
        image.bytes += object.getObject().str();
  });
  if (image.bytes.empty())
    return fail("no device code for " + chip, collector.text);
  while (image.text && !image.bytes.empty() && image.bytes.back() == '\0')
    image.bytes.pop_back();
  return image;
}

void printImage(std::ostream &os, const DeviceImage &image) {
  std::string symbol = image.name;
  for (char &c : symbol)
    if (c == '-')
      c = '_';
  if (image.text) { // PTX: text, readable; the literal's NUL ends it for the driver
    os << "const char " << symbol << "[] = R\"ptx(" << image.bytes << ")ptx\";\n\n";
    return;
  }
  os << "alignas(8) const unsigned char " << symbol << "[] = {";
  char hex[8];
  for (size_t i = 0; i < image.bytes.size(); ++i) {
    std::snprintf(hex, sizeof hex, "0x%02x,", (unsigned char)image.bytes[i]);
    os << (i % 20 ? "" : "\n    ") << hex;
  }
  os << "\n};\n\n";
}

// "const float *x" -> "const float *" (the declaration minus the name).
std::string typeOf(const AbiParameter &p) {
  return p.declaration.substr(0, p.declaration.size() - p.name.size());
}

std::string join(const std::vector<std::string> &items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i)
    s += (i ? ", " : "") + items[i];
  return s;
}

} // namespace

llvm::Expected<std::string> emitCudaHostSource(ModuleOp linalgModule, const ast::Spec &spec,
                                               const std::string &chip,
                                               const std::string &toolkit) {
  MLIRContext &context = *linalgModule.getContext();
  loadEmitCConversions(context);
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(linalgModule->clone()));
  DiagnosticText collector(context);

  // 1. The GPU route up to outlined kernels (host functions + one gpu.module).
  GpuOptions options = GpuOptions::forChip(chip);
  options.toolkit = toolkit;
  PassManager kernels(&context);
  buildGpuKernelPipeline(kernels, options);
  if (failed(kernels.run(*module)))
    return fail("lowering to GPU kernels failed", collector.text);

  // 2. The device images, in the order they are tried at load time: the cubin
  // (when ptxas is there), the chip's PTX, the portable sm_80 PTX.
  std::vector<std::pair<std::string, std::string>> wanted; // chip, format
  bool havePtxas = llvm::sys::fs::can_execute(toolkit + "/bin/ptxas");
  if (havePtxas)
    wanted.push_back({chip, "bin"});
  wanted.push_back({chip, "isa"});
  if (chip != "sm_80")
    wanted.push_back({"sm_80", "isa"});
  std::vector<DeviceImage> images;
  for (auto &[imageChip, format] : wanted) {
    llvm::Expected<DeviceImage> image = deviceImage(*module, imageChip, format, toolkit);
    if (!image)
      return image.takeError();
    images.push_back(std::move(*image));
  }

  // 3. The host functions through EmitC.
  PassManager host(&context);
  host.addPass(createGpuEmitCHostPass());
  host.addPass(createCanonicalizerPass());
  host.addPass(createCSEPass());
  if (failed(host.run(*module)))
    return fail("host code failed", collector.text);
  std::vector<std::string> gpuKernels;
  if (auto names = (*module)->getAttrOfType<ArrayAttr>("vibee.cuda_kernels"))
    for (Attribute name : names)
      gpuKernels.push_back(cast<StringAttr>(name).str());
  std::map<std::string, int64_t> callArg;
  for (auto func : module->getOps<func::FuncOp>())
    if (auto index = func->getAttrOfType<IntegerAttr>("vibee.cuda_call_arg"))
      callArg[func.getSymName().str()] = index.getInt();
  std::map<std::string, std::vector<size_t>> cppArgs;
  llvm::Expected<std::string> functions = translateFunctionsToCpp(*module, "static", cppArgs);
  if (!functions)
    return functions.takeError();

  // --- the file ----------------------------------------------------------
  std::string guard = "VIBEE_CUDA_" + spec.name + "_CPP";
  for (char &c : guard)
    c = (char)toupper((unsigned char)c);
  std::string ns = "vibee::cuda::" + spec.name;
  std::ostringstream os;
  os << "// " << spec.name << " " << spec.version << ": " << spec.doc << "\n"
     << "//\n"
     << "// Generated by vibeec --target=cuda --emit=cuda-host from " << spec.file << ":\n"
     << "// one C++17 file over the CUDA driver API (docs/gpu.md). Build it with\n"
     << "//   g++ -std=c++17 -c " << spec.name << "_cuda.cpp -I<cuda>/include\n"
     << "// and link -lcuda. Every tensor pointer is a DEVICE pointer; kernels run\n"
     << "// asynchronously on the given stream (CUstream / cudaStream_t; null = the\n"
     << "// legacy default stream). Each call returns nullptr or the first error's\n"
     << "// text. Device code, tried in this order at first use in a context:";
  for (const DeviceImage &image : images)
    os << " " << image.name;
  os << (havePtxas ? "" : " (no cubin: ptxas was not found at compile time)") << ".\n"
     << "// Other files declare the API with\n"
     << "//   #define VIBEE_CUDA_HOST_DECLARATIONS_ONLY\n"
     << "//   #include \"" << spec.name << "_cuda.cpp\"\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <cuda.h>\n\n#include <cstdint>\n\n"
     << "extern \"C\" {\n";
  struct Entry {
    const ast::Kernel *kernel;
    std::vector<AbiParameter> params;
    std::string symbol;
  };
  std::vector<Entry> entries;
  for (const ast::Kernel &k : spec.kernels)
    entries.push_back({&k, abiParameters(k), "vibee_" + spec.name + "_" + k.name});
  for (const Entry &e : entries) {
    std::vector<std::string> decls;
    for (const AbiParameter &p : e.params)
      decls.push_back(p.declaration);
    std::string plain = decls.empty() ? "void" : join(decls);
    decls.push_back("CUstream stream");
    os << "// " << e.kernel->name << " on the default stream; on `stream`; packed (args[i] points\n"
       << "// at the i-th argument, default stream).\n"
       << "const char *" << e.symbol << "(" << plain << ");\n"
       << "const char *" << e.symbol << "_on_stream(" << join(decls) << ");\n"
       << "const char *" << e.symbol << "_packed(void **args);\n";
  }
  os << "// The image loaded in the calling thread's context (nullptr before the first call).\n"
     << "const char *vibee_" << spec.name << "_cuda_image(void);\n"
     << "} // extern \"C\"\n\n"
     << "namespace vibee {\nnamespace cuda {\nnamespace " << spec.name << " {\n";
  for (const Entry &e : entries) {
    std::vector<std::string> decls, names;
    for (const AbiParameter &p : e.params) {
      decls.push_back(p.declaration);
      names.push_back(p.name);
    }
    decls.push_back("CUstream stream = nullptr");
    names.push_back("stream");
    os << "inline const char *" << e.kernel->name << "(" << join(decls) << ") {\n  return "
       << e.symbol << "_on_stream(" << join(names) << ");\n}\n";
  }
  os << "} // namespace " << spec.name << "\n} // namespace cuda\n} // namespace vibee\n\n"
     << "#ifndef VIBEE_CUDA_HOST_DECLARATIONS_ONLY\n"
     << "#include <algorithm>\n#include <cmath>\n#include <cstdlib>\n#include <cstring>\n#include <list>\n#include <mutex>\n"
     << "#include <string>\n#include <vector>\n\n"
     << kHelpers << "\n"
     << "namespace vibee {\nnamespace cuda {\nnamespace " << spec.name
     << " {\nnamespace detail {\nusing namespace ::vibee::cuda_host;\n\n"
     << "// The GPU kernels (gpu.module @" << spec.name << "_kernels).\nnamespace gpu {\nenum : int {";
  for (size_t i = 0; i < gpuKernels.size(); ++i)
    os << (i ? ", " : " ") << gpuKernels[i];
  os << " };\n} // namespace gpu\nconst char *const kernel_names[] = {";
  for (size_t i = 0; i < gpuKernels.size(); ++i)
    os << (i ? ", " : "") << "\"" << gpuKernels[i] << "\"";
  if (gpuKernels.empty())
    os << "nullptr";
  os << "};\n\n";
  for (const DeviceImage &image : images)
    printImage(os, image);
  os << "const Image images[] = {";
  for (size_t i = 0; i < images.size(); ++i) {
    std::string symbol = images[i].name;
    for (char &c : symbol)
      if (c == '-')
        c = '_';
    os << (i ? ", " : "") << "{\"" << images[i].name << "\", " << symbol << "}";
  }
  os << "};\nModuleCache cache;\n\n"
     << "// The host side of each kernel (generated through EmitC from the IR after\n"
     << "// kernel outlining): grid sizes, temporaries, launches.\n"
     << *functions << "} // namespace detail\n} // namespace " << spec.name
     << "\n} // namespace cuda\n} // namespace vibee\n\nextern \"C\" {\n";
  for (const Entry &e : entries) {
    const ast::Kernel &k = *e.kernel;
    auto args = cppArgs.find(k.name);
    auto call = callArg.find(k.name);
    if (args == cppArgs.end() || call == callArg.end())
      return fail("no host function for kernel " + k.name, collector.text);
    std::vector<std::string> decls, names, inner, packed;
    for (size_t i = 0; i < e.params.size(); ++i) {
      const AbiParameter &p = e.params[i];
      decls.push_back(p.declaration);
      names.push_back(p.name);
      packed.push_back("*static_cast<" + typeOf(p) + "*>(args[" + std::to_string(i) + "])");
    }
    for (size_t position : args->second) {
      if ((int64_t)position == call->second) {
        inner.push_back("&call");
        continue;
      }
      size_t abi = (int64_t)position > call->second ? position - 1 : position;
      const AbiParameter &p = e.params.at(abi);
      std::string type = typeOf(p);
      inner.push_back(type.rfind("const ", 0) == 0 && type.find('*') != std::string::npos
                          ? "const_cast<" + type.substr(6) + ">(" + p.name + ")"
                          : p.name);
    }
    std::string plain = decls.empty() ? "void" : join(decls);
    decls.push_back("CUstream stream");
    names.push_back("nullptr");
    packed.push_back("nullptr");
    os << "const char *" << e.symbol << "_on_stream(" << join(decls) << ") {\n"
       << "  ::vibee::cuda_host::Call call(\"" << spec.name << "." << k.name << "\", stream);\n"
       << "  if (::vibee::cuda_host::load(&call, " << ns << "::detail::cache, " << ns
       << "::detail::images, " << images.size() << ", " << ns << "::detail::kernel_names, "
       << gpuKernels.size() << "))\n"
       << "    " << ns << "::detail::" << k.name << "(" << join(inner) << ");\n"
       << "  return ::vibee::cuda_host::finish(call);\n}\n"
       << "const char *" << e.symbol << "(" << plain << ") {\n  return " << e.symbol
       << "_on_stream(" << join(names) << ");\n}\n"
       << "const char *" << e.symbol << "_packed(void **args) {\n  return " << e.symbol
       << "_on_stream(" << join(packed) << ");\n}\n";
  }
  os << "const char *vibee_" << spec.name << "_cuda_image(void) {\n  return "
     << "::vibee::cuda_host::loaded_image(" << ns << "::detail::cache);\n}\n"
     << "} // extern \"C\"\n#endif // VIBEE_CUDA_HOST_DECLARATIONS_ONLY\n\n#endif // " << guard
     << "\n";
  return os.str();
}

} // namespace vibee
