//===- GpuPipeline.cpp - vibee -> gpu/NVVM -> PTX, host -> LLVM -----------===//
//
// The route (docs/gpu.md): the CPU pipeline's vibee -> linalg and bufferization
// stages, then linalg -> scf.parallel -> tiled for blocks of threads -> gpu.launch
// -> outlined gpu.module (one per spec) -> NVVM -> PTX (or cubin through ptxas).
// Host functions keep the vibee C ABI (device pointers) and go through
// gpu-to-llvm: kernel launches, module loads and device allocations become calls
// of the mgpu* functions that runtime/cuda implements over libcuda (dlopen).
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/GpuPipeline.h"

#include "backends/cpu/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

namespace vibee {

std::string GpuOptions::key() const {
  return "chip=" + chip + ";features=" + features + ";format=" + format +
         ";block=" + std::to_string(blockSize) + ";blocks-per-sm=" +
         std::to_string(blocksPerSm);
}

GpuOptions GpuOptions::forChip(const std::string &chip, const std::string &format) {
  GpuOptions gpu;
  gpu.chip = chip;
  gpu.format = format;
  if (chip == "sm_80" || chip == "sm_86" || chip == "sm_89")
    gpu.features = "+ptx70";
  return gpu;
}

// Upstream passes are added by name: parsePassPipeline needs them registered.
static void ensurePassesRegistered() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    registerVibeePasses();
  });
}

static void addPipeline(OpPassManager &pm, const std::string &text) {
  ensurePassesRegistered();
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine("vibee: bad GPU pass pipeline: ") + text);
}

void buildGpuKernelPipeline(OpPassManager &pm, const GpuOptions &options) {
  // The CPU pipeline's fusion stage (decompose-aggregates + vibee-fuse-elementwise):
  // Lion and AdamW become one generic, softmax and RMSNorm one per reduction plus
  // one for the output, which vibee-gpu-map-kernels then puts in one kernel.
  buildLinalgOptimizationPipeline(pm);
  buildBufferizationPipeline(pm);
  std::string block = std::to_string(options.blockSize);
  addPipeline(pm,
              "func.func(vibee-gpu-prepare),vibee-gpu-map-kernels{block-size=" + block +
                  " blocks-per-sm=" + std::to_string(options.blocksPerSm) +
                  "},func.func(convert-linalg-to-parallel-loops,canonicalize,"
                  "vibee-gpu-tile-loops{block-size=" + block +
                  "},gpu-map-parallel-loops,convert-parallel-loops-to-gpu),"
                  "lower-affine,canonicalize,cse,vibee-gpu-device-memory,"
                  "gpu-launch-sink-index-computations,gpu-kernel-outlining,vibee-gpu-merge-modules,"
                  "canonicalize,cse");
}

void buildGpuBinaryPipeline(OpPassManager &pm, const GpuOptions &options) {
  // The toolkit also for PTX: libdevice (__nv_expf, __nv_rsqrtf, ...) is linked
  // from <toolkit>/nvvm/libdevice, which MLIR otherwise only finds through
  // CUDA_HOME/CUDA_PATH in the environment (unresolved __nv_* calls without it).
  std::string binary =
      "gpu-module-to-binary{format=" + options.format + " toolkit=" + options.toolkit + "}";
  addPipeline(pm, "nvvm-attach-target{chip=" + options.chip + " features=" +
                      options.features + " O=3},"
                      "gpu.module(arith-emulate-unsupported-floats{source-types=bf16,f16 "
                      "target-type=f32},convert-scf-to-cf,convert-gpu-to-nvvm,canonicalize,cse),"
                      "reconcile-unrealized-casts," + binary);
}

void buildGpuHostToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createExposeCAbiPass());
  addPipeline(pm, "vibee-gpu-packed-entries,expand-strided-metadata,lower-affine,"
                  "convert-scf-to-cf,gpu-to-llvm,finalize-memref-to-llvm,"
                  "convert-arith-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
                  "reconcile-unrealized-casts,canonicalize");
}

void buildGpuLinalgToLLVMPipeline(OpPassManager &pm, const GpuOptions &options) {
  buildGpuKernelPipeline(pm, options);
  buildGpuBinaryPipeline(pm, options);
  buildGpuHostToLLVMPipeline(pm);
}

void registerGpuDialectExtensions(DialectRegistry &registry) {
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
}

void registerGpuPipelines() {
  static GpuOptions defaults;
  PassPipelineRegistration<>("vibee-gpu-kernels",
                             "linalg kernels -> outlined gpu kernels (sm_90a defaults)",
                             [](OpPassManager &pm) { buildGpuKernelPipeline(pm, defaults); });
  PassPipelineRegistration<>("vibee-gpu-to-llvm",
                             "linalg kernels -> PTX + LLVM host code (sm_90a defaults)",
                             [](OpPassManager &pm) {
                               buildGpuLinalgToLLVMPipeline(pm, defaults);
                             });
}

} // namespace vibee
