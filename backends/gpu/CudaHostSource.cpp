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

#include "abi/CHeader.h"
#include "backends/gpu/GpuPipeline.h"
#include "backends/gpu/Transforms/Passes.h"
#include "conversion/LoopsToEmitC/EmitCTranslation.h"

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

/// What the file is printed from: the device images, the host functions as C++
/// and, per host function, where its arguments come from in the ABI.
struct HostParts {
  std::vector<DeviceImage> images;
  bool havePtxas = false;
  std::vector<std::string> gpuKernels;
  std::map<std::string, int64_t> callArg;
  std::map<std::string, std::vector<size_t>> cppArgs;
  std::string functions;
};

/// One entry point of the C API: a spec kernel, its ABI parameters and symbol.
struct Entry {
  const ast::Kernel *kernel;
  std::vector<AbiParameter> params;
  std::string symbol;
};

/// The GPU route up to outlined kernels, the device images and the host
/// functions through EmitC.
llvm::Expected<HostParts> lowerHostParts(ModuleOp module, const std::string &chip,
                                         const std::string &toolkit, DiagnosticText &collector) {
  MLIRContext &context = *module.getContext();
  HostParts parts;
  // 1. The GPU route up to outlined kernels (host functions + one gpu.module).
  GpuOptions options = GpuOptions::forChip(chip);
  options.toolkit = toolkit;
  // One set of kernels for every image (sm_90a cubin and PTX, sm_80 PTX), and
  // no tensor-map helper in the host file yet: the matmuls stay on mma.sync.
  options.wgmma = false;
  // Nothing in the host file reads a flag back: its kernels clamp gathered indices.
  options.gatherFlags = false;
  PassManager kernels(&context);
  buildGpuKernelPipeline(kernels, options);
  if (failed(kernels.run(module)))
    return fail("lowering to GPU kernels failed", collector.text);

  // 2. The device images, in the order they are tried at load time: the cubin
  // (when ptxas is there), the chip's PTX, the portable sm_80 PTX.
  std::vector<std::pair<std::string, std::string>> wanted; // chip, format
  parts.havePtxas = llvm::sys::fs::can_execute(toolkit + "/bin/ptxas");
  if (parts.havePtxas)
    wanted.push_back({chip, "bin"});
  wanted.push_back({chip, "isa"});
  if (chip != "sm_80")
    wanted.push_back({"sm_80", "isa"});
  for (auto &[imageChip, format] : wanted) {
    llvm::Expected<DeviceImage> image = deviceImage(module, imageChip, format, toolkit);
    if (!image)
      return image.takeError();
    parts.images.push_back(std::move(*image));
  }

  // 3. The host functions through EmitC.
  PassManager host(&context);
  host.addPass(createGpuEmitCHostPass());
  host.addPass(createCanonicalizerPass());
  host.addPass(createCSEPass());
  if (failed(host.run(module)))
    return fail("host code failed", collector.text);
  if (auto names = module->getAttrOfType<ArrayAttr>(vibee::attr::kCudaKernels))
    for (Attribute name : names)
      parts.gpuKernels.push_back(cast<StringAttr>(name).str());
  for (auto func : module.getOps<func::FuncOp>())
    if (auto index = func->getAttrOfType<IntegerAttr>(vibee::attr::kCudaCallArg))
      parts.callArg[func.getSymName().str()] = index.getInt();
  llvm::Expected<std::string> functions = translateFunctionsToCpp(module, "static", parts.cppArgs);
  if (!functions)
    return functions.takeError();
  parts.functions = std::move(*functions);
  return parts;
}

/// The file's comment, guard, and the C and C++ declarations of the API.
void printDeclarations(std::ostream &os, const ast::Spec &spec, const HostParts &parts,
                       const std::vector<Entry> &entries, const std::string &guard) {
  os << "// " << spec.name << " " << spec.version << ": " << ast::commentText(spec.doc) << "\n"
     << "//\n"
     << "// Generated by vibeec --target=cuda --emit=cuda-host from " << ast::commentText(spec.file)
     << ":\n"
     << "// one C++17 file over the CUDA driver API (docs/gpu.md). Build it with\n"
     << "//   g++ -std=c++17 -c " << spec.name << "_cuda.cpp -I<cuda>/include\n"
     << "// and link -lcuda. Every tensor pointer is a DEVICE pointer; kernels run\n"
     << "// asynchronously on the given stream (CUstream / cudaStream_t; null = the\n"
     << "// legacy default stream). Each call returns nullptr or the first error's\n"
     << "// text. Device code, tried in this order at first use in a context:";
  for (const DeviceImage &image : parts.images)
    os << " " << image.name;
  os << (parts.havePtxas ? "" : " (no cubin: ptxas was not found at compile time)") << ".\n"
     << "// Other files declare the API with\n"
     << "//   #define VIBEE_CUDA_HOST_DECLARATIONS_ONLY\n"
     << "//   #include \"" << spec.name << "_cuda.cpp\"\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <cuda.h>\n\n#include <cstdint>\n\n"
     << "extern \"C\" {\n";
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
  os << "} // namespace " << spec.name << "\n} // namespace cuda\n} // namespace vibee\n\n";
}

/// The helpers, the device images, the module cache and the host functions.
void printDetail(std::ostream &os, const ast::Spec &spec, const HostParts &parts) {
  os << "#ifndef VIBEE_CUDA_HOST_DECLARATIONS_ONLY\n"
     << kCudaHostHelpersHeader << "\n"
     << "namespace vibee {\nnamespace cuda {\nnamespace " << spec.name
     << " {\nnamespace detail {\nusing namespace ::vibee::cuda_host;\n\n"
     << "// The GPU kernels (gpu.module @" << spec.name
     << "_kernels).\nnamespace gpu {\nenum : int {";
  for (size_t i = 0; i < parts.gpuKernels.size(); ++i)
    os << (i ? ", " : " ") << parts.gpuKernels[i];
  os << " };\n} // namespace gpu\nconst char *const kernel_names[] = {";
  for (size_t i = 0; i < parts.gpuKernels.size(); ++i)
    os << (i ? ", " : "") << "\"" << parts.gpuKernels[i] << "\"";
  if (parts.gpuKernels.empty())
    os << "nullptr";
  os << "};\n\n";
  for (const DeviceImage &image : parts.images)
    printImage(os, image);
  os << "const Image images[] = {";
  for (size_t i = 0; i < parts.images.size(); ++i) {
    std::string symbol = parts.images[i].name;
    for (char &c : symbol)
      if (c == '-')
        c = '_';
    os << (i ? ", " : "") << "{\"" << parts.images[i].name << "\", " << symbol << "}";
  }
  os << "};\nModuleCache cache;\n\n"
     << "// The host side of each kernel (generated through EmitC from the IR after\n"
     << "// kernel outlining): grid sizes, temporaries, launches.\n"
     << parts.functions << "} // namespace detail\n} // namespace " << spec.name
     << "\n} // namespace cuda\n} // namespace vibee\n\nextern \"C\" {\n";
}

/// The extern "C" entry points: plain, on a stream, packed, and the loaded image.
llvm::Error printEntryPoints(std::ostream &os, const ast::Spec &spec, const HostParts &parts,
                             const std::vector<Entry> &entries, const std::string &guard,
                             const std::string &collected) {
  std::string ns = "vibee::cuda::" + spec.name;
  for (const Entry &e : entries) {
    const ast::Kernel &k = *e.kernel;
    auto args = parts.cppArgs.find(k.name);
    auto call = parts.callArg.find(k.name);
    if (args == parts.cppArgs.end() || call == parts.callArg.end())
      return fail("no host function for kernel " + k.name, collected);
    std::vector<std::string> decls, names, inner, packed;
    std::vector<bool> forwarded(e.params.size(), false);
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
      forwarded.at(abi) = true;
      std::string type = typeOf(p);
      std::string pointer = type.rfind("const ", 0) == 0 && type.find('*') != std::string::npos
                                ? "const_cast<" + type.substr(6) + ">(" + p.name + ")"
                                : p.name;
      if (!p.emittedPointer.empty()) // uint32_t * -> int32_t * (same bits)
        pointer = "reinterpret_cast<" + p.emittedPointer + ">(" + pointer + ")";
      inner.push_back(pointer);
    }
    std::string plain = decls.empty() ? "void" : join(decls);
    decls.push_back("CUstream stream");
    names.push_back("nullptr");
    packed.push_back("nullptr");
    // A parameter the kernel never reads (one that only gives sizes) is in the ABI
    // all the same; a host built with -Wextra -Werror must accept it.
    std::string unused;
    for (size_t i = 0; i < e.params.size(); ++i)
      if (!forwarded[i])
        unused += "  (void)" + e.params[i].name + ";\n";
    os << "const char *" << e.symbol << "_on_stream(" << join(decls) << ") {\n"
       << unused << "  ::vibee::cuda_host::Call call(\"" << spec.name << "." << k.name
       << "\", stream);\n"
       << "  if (::vibee::cuda_host::load(&call, " << ns << "::detail::cache, " << ns
       << "::detail::images, " << parts.images.size() << ", " << ns << "::detail::kernel_names, "
       << parts.gpuKernels.size() << "))\n"
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
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::string> emitCudaHostSource(ModuleOp linalgModule, const ast::Spec &spec,
                                               const std::string &chip,
                                               const std::string &toolkit) {
  MLIRContext &context = *linalgModule.getContext();
  loadEmitCConversions(context);
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(linalgModule->clone()));
  DiagnosticText collector(context);
  llvm::Expected<HostParts> parts = lowerHostParts(*module, chip, toolkit, collector);
  if (!parts)
    return parts.takeError();

  std::string guard = "VIBEE_CUDA_" + spec.name + "_CPP";
  for (char &c : guard)
    c = (char)toupper((unsigned char)c);
  std::vector<Entry> entries;
  for (const ast::Kernel &k : spec.kernels)
    entries.push_back({&k, abiParameters(k), "vibee_" + spec.name + "_" + k.name});
  std::ostringstream os;
  printDeclarations(os, spec, *parts, entries, guard);
  printDetail(os, spec, *parts);
  if (llvm::Error error = printEntryPoints(os, spec, *parts, entries, guard, collector.text))
    return std::move(error);
  return os.str();
}

} // namespace vibee
