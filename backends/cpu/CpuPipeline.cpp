//===- CpuPipeline.cpp - vibee -> LLVM dialect on CPUs --------------------===//
#include "backends/cpu/CpuPipeline.h"
#include "backends/cpu/Transforms/Passes.h"
#include "transforms/Passes.h"
#include "transforms/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/DynamicLibrary.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;

void vibee::buildBuffersToLLVMPipeline(OpPassManager &pm, const CpuTarget &target) {
  // The C wrappers go in after bufferization: their descriptor-building casts
  // are then no business of the bufferization and deallocation analyses.
  pm.addPass(createExposeCAbiPass());

  // Threads (OpenMP) unless libomp is missing or they are off (vibeec --no-threads).
  bool threads = target.threads && loadOpenMPRuntime();
  // Contractions of every layout and dtype as f32 matmuls on packed operands;
  // matmul: packed panels and a vectorized register micro-kernel (vector dialect).
  CpuPackContractionsPassOptions pack;
  pack.bf16Dot = target.bf16Dot;
  pack.vnni = target.vnni;
  pack.threads = threads;
  pm.addPass(createCpuPackContractionsPass(pack));
  pm.addPass(createCpuTileMatmulPass(target, threads));
  // Attention as FlashAttention's blocked loops (before the math polynomials).
  CpuAttentionPassOptions attention;
  attention.threads = threads;
  attention.vectorBits = target.vectorBits;
  pm.addPass(createCpuAttentionPass(attention));
  if (threads)
    pm.addPass(createCpuParallelizePass());
  // Math as polynomials, reassociable reductions, noalias arguments, i-k-j order.
  OpPassManager &prepare = pm.nest<func::FuncOp>();
  prepare.addPass(createCpuPrepareVectorizationPass());
  // Long f32 sums in blocks added up in f64: their error grows with a block,
  // not with the axis (clipping's 2^24 squares were 8e-5 off).
  prepare.addPass(createCpuBlockReductionsPass());
  // Elementwise and row loops to the vector dialect at the target's width; the
  // scalar remainders (and whatever it leaves) go to LLVM's vectorizers.
  pm.addPass(createCpuVectorizePass(target));
  // From here on every pass that works within one function runs nested, one
  // function at a time: a greedy rewrite over the whole module simplifies every
  // function's regions again after each round, and a spec of many kernels, or a
  // kernel of many chunk functions, needs more rounds (docs/performance.md,
  // "Compile time of large specs"). Only passes that add module-level symbols
  // (declarations) or change function signatures see the module.
  OpPassManager *fpm = &pm.nest<func::FuncOp>();
  // Table lookups (NF4 codes): vector ones as AVX2 lane permutes where they fit,
  // the rest as trees of selects.
  if (target.vectorBits >= 256)
    fpm->addPass(createCpuLookupPermutesPass());
  fpm->addPass(createExpandLookupsPass());
  fpm->addPass(createCanonicalizerPass());
  fpm->addPass(createForallToParallelLoopPass());
  fpm->addPass(createConvertLinalgToLoopsPass());
  // Threads are runtime calls by now (ThreadRuntime.h): no OpenMP dialect here;
  // a parallel loop left over runs in order (scf-to-cf).
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll();
  fpm->addPass(createConvertVectorToSCFPass(vectorToSCF));
  fpm->addPass(memref::createExpandStridedMetadataPass());
  fpm->addPass(createLowerAffinePass());
  addNarrowFloatEmulation(*fpm);
  // After the emulation, which adds the bf16 <-> f32 casts: expanding them to
  // integer ops keeps objects free of the __truncsfbf2 libcall that CPUs
  // without native bf16 conversions would otherwise need.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  fpm->addPass(arith::createArithExpandOpsPass(expand));
  // After the emulation (bf16 sin is an f32 one by then), before scf-to-cf (its
  // libm lanes sit in an scf.if).
  fpm->addPass(createCpuExpandSinCosPass());
  fpm->addPass(createSCFToControlFlowPass());
  // Math before vectors: math-to-libm unrolls a vector op without an intrinsic (f64
  // erf) into vector.extract / insert around scalar calls, which the vector lowering
  // must still see.
  fpm->addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // x86vector: the bf16 micro-kernel's vdpbf16ps (x86vector.avx512.dot).
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.x86Vector = true;
  pm.addNestedPass<func::FuncOp>(createConvertVectorToLLVMPass(vectorToLLVM));
  // aligned_alloc, not malloc plus pointer arithmetic: LLVM's alias analysis
  // then knows each temporary as a fresh object (an int-to-pointer round trip
  // hides it), so the loops that accumulate into one keep the sum in a register
  // and vectorize.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createCpuCacheTemporariesPass());
  pm.addNestedPass<func::FuncOp>(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  NoAliasPointersPassOptions record, apply;
  apply.stage = "apply";
  pm.addPass(createNoAliasPointersPass(record));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createNoAliasPointersPass(apply));
  OpPassManager &lpm = pm.nest<LLVM::LLVMFuncOp>();
  // The poison pass-through of masked loads (vibee-cpu-vectorize's remainders).
  lpm.addPass(createUBToLLVMConversionPass());
  lpm.addPass(createReconcileUnrealizedCastsPass());
  lpm.addPass(createCanonicalizerPass());
}

void vibee::buildLinalgToLLVMPipeline(OpPassManager &pm, const CpuTarget &target) {
  buildLinalgOptimizationPipeline(pm);
  addLateDecomposition(pm, /*keepContractions=*/true, /*keepAttention=*/true, ScanRows::Serial);
  // CPU only (the GPU and C++ backends keep the three softmax generics): the
  // row max and the exp-sum in one vectorizable online pass.
  pm.addPass(createCpuOnlineSoftmaxPass());
  addFunctionCleanup(pm);
  buildBufferizationPipeline(pm);
  buildBuffersToLLVMPipeline(pm, target);
}

void vibee::buildVibeeToLLVMPipeline(OpPassManager &pm, const CpuTarget &target) {
  buildVibeeToLinalgPipeline(pm);
  buildLinalgToLLVMPipeline(pm, target);
}

bool vibee::loadOpenMPRuntime() {
#ifdef VIBEE_LIBOMP_PATH
  static bool loaded = [] {
    if (const char *env = std::getenv("VIBEE_NO_OPENMP"); env && *env && *env != '0')
      return false;
    std::string error;
    return !llvm::sys::DynamicLibrary::LoadLibraryPermanently(VIBEE_LIBOMP_PATH, &error);
  }();
  return loaded;
#else
  return false;
#endif
}

void vibee::registerCpuPipelines() {
  registerVibeeCpuTransformsPasses();
  PassPipelineRegistration<>("vibee-linalg-to-llvm",
                             "func + linalg kernels to the LLVM dialect with C wrappers",
                             [](OpPassManager &pm) { buildLinalgToLLVMPipeline(pm); });
  PassPipelineRegistration<>("vibee-to-llvm", "vibee kernels to the LLVM dialect",
                             [](OpPassManager &pm) { buildVibeeToLLVMPipeline(pm); });
}
