//===- GpuMapKernels.cpp - linalg.generic -> shaped gpu.launch kernels ----===//
//
// Applies the kernel strategies of GpuKernelPatterns.h (docs/gpu.md, "The
// kernel shapes"): attention, few-rows contractions, matmuls, then row groups, column reductions, full reductions, elementwise ops, each set to
// completion before the next. Matmuls first: a product whose k is innermost in
// both operands (b[n, k], the nn.Linear layout; attention scores) is also a
// row reduction, and one block per output element re-reads both operands
// from global memory for every output where a tile reads them once per block. Everything else stays
// for the generic parallel-loops route.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"
#include "backends/gpu/Transforms/GpuMatmulMatch.h"
#include "backends/gpu/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace vibee {
#define GEN_PASS_DEF_GPUMAPKERNELSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct GpuMapKernelsPass : vibee::impl::GpuMapKernelsPassBase<GpuMapKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockSize % 32 != 0 || blockSize <= 0) {
      module.emitError("vibee-gpu-map-kernels: block-size must be a positive multiple of 32");
      return signalPassFailure();
    }
    vibee::GpuKernelOptions options{blockSize, blocksPerSm};
    MLIRContext *ctx = &getContext();
    RewritePatternSet attention(ctx), skinny(ctx), rowGroups(ctx), matmuls(ctx), columns(ctx), full(ctx), elementwise(ctx);
    vibee::populateGpuAttentionKernelPatterns(attention, wgmma);
    vibee::populateGpuSkinnyContractionKernelPatterns(skinny);
    vibee::populateGpuRowGroupKernelPatterns(rowGroups, options);
    vibee::populateGpuMatmulKernelPatterns(matmuls, wgmma);
    vibee::populateGpuColumnReductionKernelPatterns(columns);
    vibee::populateGpuFullReductionKernelPatterns(full, options);
    vibee::populateGpuElementwiseKernelPatterns(elementwise, options);
    vibee::populateGpuRowElementwiseKernelPatterns(elementwise, options);
    // In program order, the ops that were there when the set started only (a
    // row group erases the statements after its root), no folding: the
    // kernels come out as the strategies build them.
    GreedyRewriteConfig config;
    config.setUseTopDownTraversal()
        .setStrictness(GreedyRewriteStrictness::ExistingOps)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled)
        .enableFolding(false)
        .enableConstantCSE(false);
    for (RewritePatternSet *set : {&attention, &skinny, &matmuls, &rowGroups, &columns, &full, &elementwise})
      if (failed(applyPatternsGreedily(module, FrozenRewritePatternSet(std::move(*set)), config)))
        return signalPassFailure();
    // The few-rows dispatch's marks served the strategies only.
    module.walk([](Operation *op) {
      op->removeAttr(vibee::kSkinnyDispatchAttr);
      op->removeAttr(vibee::kSkinnyCheckedAttr);
    });
  }
};

} // namespace
