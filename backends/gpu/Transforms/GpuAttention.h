//===- GpuAttention.h - What the attention kernels share ------------------===//
//
// vibee.attention on memrefs becomes one kernel (GpuAttentionKernels.cpp picks
// which at run time): on the tensor cores (GpuAttentionWgmmaKernel.cpp on
// sm_90a, GpuAttentionMmaKernel.cpp otherwise and for decoding) for bf16 and
// f16 operands that fit them, on CUDA cores otherwise
// (GpuAttentionSimtKernel.cpp). Both take blocks of query rows of one batch item
// and stream the keys through shared memory with an online softmax.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backends/gpu/Transforms/GpuKernelBuilder.h"
#include "ir/VibeeOps.h"

namespace vibee {

/// The op's loops by role and their extents (read from the operands before the
/// launch). A batch item is one value of every batch loop; its rows are the
/// values of the query loops, the causal one (or else the last) fastest.
struct AttentionShape {
  mutable AttentionOp op; ///< ops are handles: their accessors are not const
  llvm::SmallVector<mlir::Value> size; ///< per loop
  llvm::SmallVector<unsigned> batchLoops, queryLoops;
  unsigned keyLoop = 0, headLoop = 0, valueLoop = 0;
  mlir::Value items, rowsPerItem;

  /// Sizes and roles at `b` (before the launch).
  static AttentionShape build(mlir::OpBuilder &b, AttentionOp op);

  /// Inside the kernel: every loop's index, the batch loops' from `item`, the
  /// others 0.
  llvm::SmallVector<mlir::Value> batchIndices(mlir::OpBuilder &b, mlir::Location loc,
                                              mlir::Value item) const;
  /// The query loops' indices of `row` (clamped to the last row: a row past the
  /// end computes on it and is not stored) put into `indices`.
  void setRow(mlir::OpBuilder &b, mlir::Location loc, mlir::Value row,
              llvm::SmallVectorImpl<mlir::Value> &indices) const;
  /// Where the key loop of the rows r0 .. r0 + rows - 1 ends: every key, or with a
  /// causal mask the largest diagonal among them (key tiles above it are skipped).
  mlir::Value keysEnd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value r0, int64_t rows) const;
  /// The keys every one of the rows r0 .. r0 + rows - 1 keeps: every key, or
  /// with a causal mask up to the smallest diagonal among them (key tiles
  /// before it need no mask).
  mlir::Value keysKept(mlir::OpBuilder &b, mlir::Location loc, mlir::Value r0, int64_t rows) const;
  /// The causal mask's test: key `j` is kept for the row with these indices.
  mlir::Value keepsKey(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<mlir::Value> indices,
                       mlir::Value j) const;
};

/// The memref indices of `map` (dims only) over the loops' indices.
llvm::SmallVector<mlir::Value> attentionIndices(mlir::AffineMap map,
                                                llvm::ArrayRef<mlir::Value> loopIndices);

/// The CUDA-core kernel: any op (GpuAttentionSimtKernel.cpp).
void buildSimtAttentionLaunch(mlir::OpBuilder &b, mlir::Location loc, const AttentionShape &shape);

/// The tensor-core kernel (GpuAttentionMmaKernel.cpp): whether it can take the
/// op at all (bf16 or f16 q, k, v and o of one type, no bias, contiguous head
/// and value dims),
/// the run-time condition (aligned pointers, head and value dims multiples of 8,
/// at most 128), and the launch.
bool isMmaAttention(const AttentionShape &shape);
mlir::Value buildMmaAttentionApplies(mlir::OpBuilder &b, mlir::Location loc,
                                     const AttentionShape &shape);
void buildMmaAttentionLaunch(mlir::OpBuilder &b, mlir::Location loc, const AttentionShape &shape);
/// i1: few query rows per batch item and many keys, which the tensor-core
/// kernel splits over blocks (flash-decoding), and that launch alone.
mlir::Value buildIsDecoding(mlir::OpBuilder &b, mlir::Location loc, const AttentionShape &shape);
void buildMmaDecodingLaunch(mlir::OpBuilder &b, mlir::Location loc, const AttentionShape &shape);

/// The sm_90a kernel (GpuAttentionWgmmaKernel.cpp), for what the tensor-core
/// kernel takes when q, k and v are laid out as TMA's 3-D tensor maps need:
/// the batch loops, then the query rows (the keys), then the head (value) dim.
/// Its launch calls `fallback` where a tensor map could not be made.
bool isWgmmaAttention(const AttentionShape &shape);
void buildWgmmaAttentionLaunch(mlir::OpBuilder &b, mlir::Location loc, const AttentionShape &shape,
                               llvm::function_ref<void()> fallback);

} // namespace vibee
