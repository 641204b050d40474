//===- Pipelines.cpp - the stages every target shares ----------------------===//
#include "transforms/Pipelines.h"

#include "conversion/VibeeToLinalg/Passes.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

// Canonicalization and CSE one function at a time: over the whole module, a
// rewrite in any function made the greedy driver simplify every function's
// regions again, so a spec of many kernels paid for them over and over
// (docs/performance.md, "Compile time of large specs"). Same result.
void vibee::addFunctionCleanup(OpPassManager &pm) {
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createCanonicalizerPass());
  fpm.addPass(createCSEPass());
}

void vibee::buildVibeeToLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createFormSoftmaxPass());
  pm.addPass(createFormAttentionPass());
  pm.addPass(createLowerToLinalgPass());
  addFunctionCleanup(pm);
}

// Linalg on tensors -> linalg on tensors. Named ops that carry structure
// (linalg.softmax) pass through untouched: a target rewrites them its own way,
// then decomposes what is left (addLateDecomposition).
void vibee::buildLinalgOptimizationPipeline(OpPassManager &pm, int64_t maxBroadcastRecompute) {
  // One loop nest per group of statements that can share one (docs/performance.md):
  // Lion and AdamW become a single generic.
  FuseElementwisePassOptions fusion;
  fusion.maxBroadcastRecompute = maxBroadcastRecompute;
  pm.addPass(createFuseElementwisePass(fusion));
  addFunctionCleanup(pm);
}

void vibee::addLateDecomposition(OpPassManager &pm, bool keepContractions, bool keepAttention,
                                 ScanRows scanRows, bool keepGatherIndices, bool keepIntegerSums,
                                 bool keepFloatSums) {
  // Scans: rows and chunks of rows in parallel (scf.forall: GPU threads), or rows
  // as a loop nest (the CPU, whose threads take the row loop through its own
  // runtime, and the C++ output, in order).
  LowerScansPassOptions scans;
  scans.parallel = scanRows == ScanRows::Chunked || scanRows == ScanRows::Warps;
  scans.chunked = scans.parallel;
  scans.warpRows = scanRows == ScanRows::Warps;
  scans.accInTensor = scanRows == ScanRows::SerialEmitC;
  pm.addPass(createLowerScansPass(scans));
  // Top-k: rows the same way (vibee.topk carries only its destinations).
  LowerTopKPassOptions topk;
  topk.parallel = scans.parallel;
  // (The CPU's threads split what is marked; the C++ output runs it in order.)
  topk.markRows = scanRows == ScanRows::Serial;
  pm.addPass(createLowerTopKPass(topk));
  // Scatter-adds: in order, parallel over directly indexed axes on the GPU (the
  // CPU's threads take ranges of the innermost such axis).
  LowerScattersPassOptions scatters;
  scatters.parallel = scans.parallel;
  scatters.keepIntegerSums = keepIntegerSums;
  scatters.keepFloatSums = keepFloatSums;
  scatters.markColumns = scanRows == ScanRows::Serial;
  pm.addPass(createLowerScattersPass(scatters));
  if (!keepGatherIndices)
    pm.addPass(createLowerGatherIndicesPass());
  DecomposeAggregatesPassOptions options;
  options.keepContractions = keepContractions;
  options.keepAttention = keepAttention;
  pm.addPass(createDecomposeAggregatesPass(options));
  if (!keepContractions)
    pm.addNestedPass<func::FuncOp>(createInlineComputedOperandsPass());
  // The pieces fuse like statements: softmax and RMSNorm one loop nest per
  // reduction plus one for the output.
  pm.addPass(createFuseElementwisePass());
  addFunctionCleanup(pm);
}

void vibee::addNarrowFloatEmulation(OpPassManager &pm) {
  // f64 -> bf16/f16 in two steps that round like one, before the emulation,
  // which only knows f32 sources.
  pm.addPass(createExpandF64TruncationPass());
  // bf16/f16 (and whatever FP8 op remains: sema computes FP8 values in f32):
  // compute in f32, store in the narrow type.
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16", "f16", "f8E4M3FN", "f8E5M2"};
  emulate.targetTypeStr = "f32";
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  pm.addPass(math::createMathExtendToSupportedTypes());
  // FP8 <-> f32 as integer ops: no target lowers them otherwise.
  pm.addPass(createExpandF8ConversionsPass());
}

void vibee::buildBufferizationPipeline(OpPassManager &pm) {
  pm.addPass(createUnshareDestinationsPass());
  // Kernel functions already take memrefs: their tensors come from
  // to_tensor restrict and go out through materialize_in_destination, so no
  // function-boundary bufferization is needed. Empty-tensor elimination first
  // lets the last statement for each output compute straight into the caller's
  // buffer instead of into a temporary that is then copied.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass());
  addFunctionCleanup(pm);
  // Inout parameters: the last statement writes the caller's buffer instead
  // of a temporary that is then copied back.
  pm.addPass(createForwardInOutCopiesPass());
  // Frees the temporaries (locals, reduction accumulators): MLIR's
  // buffer-deallocation-pipeline, whose passes it runs over the module in
  // LLVM 22 (later versions nest them too), nested per function but for the
  // lowering of bufferization.dealloc, which may add a helper function.
  OpPassManager &dealloc = pm.nest<func::FuncOp>();
  memref::ExpandReallocPassOptions realloc;
  realloc.emitDeallocs = false;
  dealloc.addPass(memref::createExpandReallocPass(realloc));
  dealloc.addPass(createCanonicalizerPass());
  dealloc.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  dealloc.addPass(createCanonicalizerPass());
  dealloc.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  OpPassManager &cleanup = pm.nest<func::FuncOp>();
  cleanup.addPass(createCSEPass());
  cleanup.addPass(createCanonicalizerPass());
}

void vibee::registerSharedPipelines() {
  PassPipelineRegistration<>("vibee-to-linalg",
                             "vibee kernels to destination-passing func + linalg",
                             buildVibeeToLinalgPipeline);
}
