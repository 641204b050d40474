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
#include "ir/VibeeDialect.h"

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

// The driver-API helpers the host functions call and the standard headers they
// need (backends/gpu/runtime/vibee_cuda_host_helpers.h, embedded at build time: the
// output needs only <cuda.h>, which the file includes before it). Its guard keeps
// one copy per translation unit, shared by the specs' host files.
#include "vibee_cuda_host_helpers.h.inc"

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
  if (auto names = (*module)->getAttrOfType<ArrayAttr>(vibee::attr::kCudaKernels))
    for (Attribute name : names)
      gpuKernels.push_back(cast<StringAttr>(name).str());
  std::map<std::string, int64_t> callArg;
  for (auto func : module->getOps<func::FuncOp>())
    if (auto index = func->getAttrOfType<IntegerAttr>(vibee::attr::kCudaCallArg))
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
  os << "// " << spec.name << " " << spec.version << ": " << ast::commentText(spec.doc) << "\n"
     << "//\n"
     << "// Generated by vibeec --target=cuda --emit=cuda-host from "
     << ast::commentText(spec.file) << ":\n"
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
     << kCudaHostHelpersHeader << "\n"
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
