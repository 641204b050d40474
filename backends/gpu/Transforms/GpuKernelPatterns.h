//===- GpuKernelPatterns.h - The kernel strategies as rewrite patterns ----===//
//
// Each strategy of vibee-gpu-map-kernels (docs/gpu.md, "The kernel shapes")
// rewrites bufferized linalg ops outside gpu.launch into one gpu.launch:
//
// * attention (GpuAttentionKernels.cpp): a vibee.attention op, one
//   online-softmax kernel with K and V tiles shared by a block of query rows;
// * few-rows contractions (GpuSkinnyContractionKernels.cpp): a warp per
//   output column streams the weight once when m has at most 16 values at run
//   time; the op goes on to the next strategies otherwise;
// * matmuls (GpuMatmulKernels.cpp, layouts of GpuMatmulMatch.h);
// * row groups (GpuRowGroupKernels.cpp): rooted at a row reduction, they take
//   the statements after it that read its per-row result (RowGroupAnalysis.h);
// * column reductions (GpuColumnReductionKernels.cpp): reductions over dims
//   outer in memory, coalesced along the contiguous dims, in two stages;
// * full reductions (GpuFullReductionKernels.cpp): every loop reduced into a
//   rank-0 output, a grid of blocks then one block, in two stages;
// * elementwise (GpuElementwiseKernels.cpp): all-parallel generics over
//   contiguous memrefs; linalg.fill and linalg.copy are generalized first;
//   those with broadcast operands, gathers or index reads row by row
//   (GpuRowElementwiseKernels.cpp).
//
// Apply them in that order, each set to completion: a row group takes fills
// and elementwise statements that the elementwise patterns would otherwise map
// on their own.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "mlir/IR/PatternMatch.h"

namespace vibee {

/// vibee.attention on memrefs (GpuAttentionKernels.cpp); `wgmma`: the sm_90a
/// tensor-core kernel.
void populateGpuAttentionKernelPatterns(mlir::RewritePatternSet &patterns, bool wgmma);

/// Contractions of at most 16 rows of m at run time (GpuSkinnyContractionKernels.cpp).
void populateGpuSkinnyContractionKernelPatterns(mlir::RewritePatternSet &patterns);

void populateGpuRowGroupKernelPatterns(mlir::RewritePatternSet &patterns,
                                       const GpuKernelOptions &options);

/// `wgmma`: bf16/f16 matmuls on sm_90a's wgmma kernel instead of mma.sync.
void populateGpuMatmulKernelPatterns(mlir::RewritePatternSet &patterns, bool wgmma);

void populateGpuColumnReductionKernelPatterns(mlir::RewritePatternSet &patterns);

void populateGpuFullReductionKernelPatterns(mlir::RewritePatternSet &patterns,
                                            const GpuKernelOptions &options);

void populateGpuElementwiseKernelPatterns(mlir::RewritePatternSet &patterns,
                                          const GpuKernelOptions &options);

/// All-parallel generics with broadcast operands, gathers or index reads, row
/// by row along their contiguous innermost loop (GpuRowElementwiseKernels.cpp).
void populateGpuRowElementwiseKernelPatterns(mlir::RewritePatternSet &patterns,
                                             const GpuKernelOptions &options);

} // namespace vibee
