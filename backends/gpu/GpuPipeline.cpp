//===- GpuPipeline.cpp - vibee -> gpu/NVVM -> PTX, host -> LLVM -----------===//
//
// The route (docs/gpu.md): the shared vibee -> linalg, optimization and
// bufferization stages (transforms/Pipelines.h), then linalg -> scf.parallel -> tiled for blocks of
// threads -> gpu.launch
// -> outlined gpu.module (one per spec) -> NVVM -> PTX (or cubin through ptxas).
// Host functions keep the vibee C ABI (device pointers) and go through
// gpu-to-llvm: kernel launches, module loads and device allocations become calls
// of the mgpu* functions that runtime/cuda implements over libcuda (dlopen).
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/GpuPipeline.h"

#include "backends/gpu/Transforms/Passes.h"
#include "transforms/Passes.h"
#include "transforms/Pipelines.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace vibee {

std::string GpuOptions::key() const {
  return "chip=" + chip + ";features=" + features + ";format=" + format +
         ";block=" + std::to_string(blockSize) + ";blocks-per-sm=" + std::to_string(blocksPerSm) +
         ";wgmma=" + std::to_string(wgmma) + ";gather-flags=" + std::to_string(gatherFlags) +
         ";float-atomics=" + std::to_string(floatAtomics);
}

GpuOptions GpuOptions::forChip(const std::string &chip, const std::string &format) {
  GpuOptions gpu;
  gpu.chip = chip;
  gpu.format = format;
  if (chip == "sm_80" || chip == "sm_86" || chip == "sm_89")
    gpu.features = "+ptx70";
  gpu.wgmma = chip == "sm_90a";
  return gpu;
}

void buildGpuKernelPipeline(OpPassManager &pm, const GpuOptions &options) {
  // The shared fusion stage: Lion and AdamW become one generic, softmax and
  // RMSNorm one per reduction plus one for the output, which
  // vibee-gpu-map-kernels then puts in one kernel (its row-group strategy).
  // A statement read under a small static broadcast (RoPE's cos/sin tables, read
  // by both halves of each pair) is recomputed in its consumer: a few more
  // instructions cost less than writing the table and reading it back.
  // Table lookups as trees of selects (no memory), before any kernel is shaped.
  pm.addPass(createExpandLookupsPass());
  buildLinalgOptimizationPipeline(pm, /*maxBroadcastRecompute=*/4);
  addLateDecomposition(pm, /*keepContractions=*/false, /*keepAttention=*/true, ScanRows::Warps,
                       /*keepGatherIndices=*/true, /*keepIntegerSums=*/true,
                       /*keepFloatSums=*/options.floatAtomics);
  buildBufferizationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(createGpuPreparePass());
  // Integer scatter-adds (and float ones with floatAtomics): one thread per point,
  // added atomically.
  pm.addPass(createGpuAtomicScattersPass());
  // Scans kept for warps (vibee-lower-scans warp-rows): a row per warp.
  GpuScanKernelsPassOptions scanKernels;
  scanKernels.blockSize = options.blockSize;
  pm.addPass(createGpuScanKernelsPass(scanKernels));
  GpuMapKernelsPassOptions mapKernels;
  mapKernels.blockSize = options.blockSize;
  mapKernels.blocksPerSm = options.blocksPerSm;
  mapKernels.wgmma = options.wgmma && options.chip == "sm_90a";
  pm.addPass(createGpuMapKernelsPass(mapKernels));
  // What no kernel strategy took: parallel loops, tiled for blocks of threads.
  OpPassManager &loops = pm.nest<func::FuncOp>();
  // Scans (vibee-lower-scans): one GPU thread per row or chunk, the views folded
  // into the loads and stores (kernels take whole memrefs).
  loops.addPass(createForallToParallelLoopPass());
  loops.addPass(memref::createFoldMemRefAliasOpsPass());
  // The row's copy onto itself (its parallel_insert_slice) folds once both views are one.
  loops.addPass(createCSEPass());
  loops.addPass(createCanonicalizerPass());
  loops.addPass(createConvertLinalgToParallelLoopsPass());
  loops.addPass(createCanonicalizerPass());
  GpuTileLoopsPassOptions tile;
  tile.blockSize = options.blockSize;
  loops.addPass(createGpuTileLoopsPass(tile));
  loops.addPass(createGpuMapParallelLoopsPass());
  loops.addPass(createConvertParallelLoopToGpuPass());
  loops.addPass(createGpuSerialLeftoversPass());
  if (options.gatherFlags)
    pm.addPass(createGpuGatherChecksPass());
  pm.addPass(createLowerGatherIndicesPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createGpuDeviceMemoryPass());
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGpuMergeModulesPass());
  pm.addPass(createGpuNoAliasKernelArgsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildGpuBinaryPipeline(OpPassManager &pm, const GpuOptions &options) {
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16", "f16", "f8E4M3FN", "f8E5M2"};
  emulate.targetTypeStr = "f32";
  // FP8 conversions as integer ops (transforms/ExpandF8Conversions.cpp), f64
  // sources first rounded to odd f32 so that they round once.
  device.addPass(createExpandF64TruncationPass());
  device.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  device.addPass(createExpandF8ConversionsPass());
  device.addPass(createSCFToControlFlowPass());
  // The tensor-core kernels' nvgpu.ldmatrix / nvgpu.mma.sync -> nvvm.
  device.addPass(createConvertNVGPUToNVVMPass());
  NoAliasPointersPassOptions record, apply;
  apply.stage = "apply";
  device.addPass(createNoAliasPointersPass(record));
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createNoAliasPointersPass(apply));
  // NVVM ops without an LLVM intrinsic (wgmma.mma_async,
  // mbarrier.try_wait.parity: the wgmma kernel) -> inline PTX.
  device.addPass(createConvertNVVMToLLVMPass());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // The toolkit also for PTX: libdevice (__nv_expf, __nv_rsqrtf, ...) is linked
  // from <toolkit>/nvvm/libdevice, which MLIR otherwise only finds through
  // CUDA_HOME/CUDA_PATH in the environment (unresolved __nv_* calls without it).
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void buildGpuHostToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createExposeCAbiPass());
  pm.addPass(createGpuPackedEntriesPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
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
  registerVibeeGpuTransformsPasses();
  static GpuOptions defaults;
  PassPipelineRegistration<>("vibee-gpu-kernels",
                             "linalg kernels -> outlined gpu kernels (sm_90a defaults)",
                             [](OpPassManager &pm) { buildGpuKernelPipeline(pm, defaults); });
  PassPipelineRegistration<>("vibee-gpu-to-llvm",
                             "linalg kernels -> PTX + LLVM host code (sm_90a defaults)",
                             [](OpPassManager &pm) { buildGpuLinalgToLLVMPipeline(pm, defaults); });
}

} // namespace vibee
