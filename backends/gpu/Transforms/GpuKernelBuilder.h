//===- GpuKernelBuilder.h - Building blocks of the shaped GPU kernels -----===//
//
// What the kernel strategies of vibee-gpu-map-kernels (elementwise, row
// groups, matmuls) share: loops and branches that yield values, a generic's
// payload cloned per element with its loop-invariant part hoisted, V-element
// lane loads and stores (one 16-byte vector access when aligned), the
// alignment check, block-wide reductions and the run-time SM count.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "transforms/RowGroupAnalysis.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

namespace vibee {

/// The widest global-memory access of one thread (ld/st.global.v4).
constexpr int64_t kVectorBytes = 16;

/// Options shared by the kernel strategies (vibee-gpu-map-kernels' options).
struct GpuKernelOptions {
  int64_t blockSize = 256; ///< threads per block, a multiple of 32
  int64_t blocksPerSm = 4; ///< elementwise grid cap: blocks per multiprocessor
};

mlir::Value constantIndex(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// `op` is in a function and not yet inside a gpu.launch: a kernel strategy may map it.
bool isOutsideKernels(mlir::Operation *op);

/// The payload of a generic, cloned per element; `hoist` clones the ops that
/// depend only on uniform block arguments once, before the loops.
class PayloadCloner {
public:
  explicit PayloadCloner(mlir::linalg::GenericOp op) : op(op) {}

  /// `uniformArgs[i]` set: block argument i is this loop-invariant value;
  /// `uniformIndices[d]` set: `linalg.index d` is this value. The payload ops
  /// that depend on nothing else are cloned at `b`.
  void hoist(mlir::OpBuilder &b, llvm::ArrayRef<mlir::Value> uniformArgs,
             llvm::ArrayRef<mlir::Value> uniformIndices = {});

  /// Payload value `v` before the per-element ops: its hoisted clone, `v`
  /// itself when defined outside the payload, null when it is per element.
  mlir::Value lookupHoisted(mlir::Value v);

  /// One element: `args[i]` for the block arguments that are not uniform,
  /// `loopIndices[d]` for `linalg.index d` (payloads with index semantics),
  /// and, for each pair of `given`, the second value as the payload's first
  /// (the ops only it needs are not cloned: a matmul's B staged already).
  /// Returns the yielded values.
  llvm::SmallVector<mlir::Value>
  apply(mlir::OpBuilder &b, llvm::ArrayRef<mlir::Value> args,
        llvm::ArrayRef<mlir::Value> loopIndices = {},
        llvm::ArrayRef<std::pair<mlir::Value, mlir::Value>> given = {});

  /// The payload value `target` alone for one element (args and loopIndices
  /// as for apply), cloning only the ops it depends on.
  mlir::Value applyTo(mlir::OpBuilder &b, mlir::Value target, llvm::ArrayRef<mlir::Value> args,
                      llvm::ArrayRef<mlir::Value> loopIndices = {});

private:
  mlir::Block &body() { return op.getRegion().front(); }

  /// `uniform` plus `args[i]` for block argument i.
  mlir::IRMapping mappingFor(llvm::ArrayRef<mlir::Value> args);

  /// The body ops that `roots` depend on, not looking behind `stops`.
  llvm::DenseSet<mlir::Operation *> slice(llvm::ArrayRef<mlir::Value> roots,
                                          const llvm::DenseSet<mlir::Value> &stops);

  /// Clones the body ops of `ops` (all when null) but the hoisted ones.
  void cloneOps(mlir::OpBuilder &b, mlir::IRMapping &mapping,
                llvm::ArrayRef<mlir::Value> loopIndices,
                const llvm::DenseSet<mlir::Operation *> *ops);

  mlir::linalg::GenericOp op;
  mlir::IRMapping uniform;
  llvm::DenseSet<mlir::Operation *> hoisted;
};

using LoopBodyBuilder = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Value iv, mlir::ValueRange iterArgs)>;
using BranchBuilder = llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::OpBuilder &)>;

/// For a reduction's operands (inputs, then its one output): the payload of the
/// scalar operands hoisted at `b`; returns the input memrefs.
llvm::SmallVector<mlir::Value> hoistScalarOperands(mlir::OpBuilder &b, PayloadCloner &payload,
                                                   llvm::ArrayRef<mlir::Value> operands);

/// `for (iv = lb; iv < ub; iv += step)` with iter_args; the body returns the
/// next ones. Returns the loop's results.
llvm::SmallVector<mlir::Value> buildForLoop(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lb,
                                            mlir::Value ub, mlir::Value step,
                                            mlir::ValueRange inits, LoopBodyBuilder body);

/// `if (cond) thenBranch() else elseBranch()`, both yielding the same types.
llvm::SmallVector<mlir::Value> buildIfElse(mlir::OpBuilder &b, mlir::Location loc, mlir::Value cond,
                                           BranchBuilder thenBranch, BranchBuilder elseBranch);

/// `x % multiple == 0` on indices.
mlir::Value buildIsMultipleOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                              int64_t multiple);

/// i1: the aligned pointer of every memref is kVectorBytes-aligned.
mlir::Value buildAllAligned(mlir::OpBuilder &b, mlir::Location loc,
                            llvm::ArrayRef<mlir::Value> memrefs);

/// `count` consecutive elements of `memref` along its last dim from `indices`:
/// scalar loads, or one aligned vector.load split into lanes (`vector`).
llvm::SmallVector<mlir::Value> buildLoadLanes(mlir::OpBuilder &b, mlir::Location loc,
                                              mlir::Value memref, mlir::ValueRange indices,
                                              int64_t count, bool vector);

/// The inverse of buildLoadLanes: stores `lanes` from `indices` on.
void buildStoreLanes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value memref,
                     mlir::ValueRange indices, llvm::ArrayRef<mlir::Value> lanes, bool vector);

/// The product of index values (1 for none).
mlir::Value buildProduct(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<mlir::Value> values);

/// The row-major coordinates of `flat` in a space of extents `sizes`.
llvm::SmallVector<mlir::Value> buildDelinearize(mlir::OpBuilder &b, mlir::Location loc,
                                                mlir::Value flat, llvm::ArrayRef<mlir::Value> sizes);

/// The trip counts of the loops of `op`, as index values at `b`.
llvm::SmallVector<mlir::Value> buildLoopSizes(mlir::OpBuilder &b, mlir::Location loc,
                                              mlir::linalg::GenericOp op);

/// `vibee_cuda_sm_count() -> i32` (runtime: the current device's
/// multiprocessors), declared in `module` once.
mlir::func::FuncOp getOrInsertSmCountDecl(mlir::OpBuilder &b, mlir::ModuleOp module);

/// The current device's multiprocessors at run time, as an index (a call of
/// vibee_cuda_sm_count, declared in `op`'s module once).
mlir::Value buildSmCount(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *op);

/// The blocks of a grid-stride kernel: max(1, min(`need`, blocksPerSm * the
/// SMs at run time)).
mlir::Value buildCappedGrid(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *op,
                            mlir::Value need, const GpuKernelOptions &options);

/// A gpu.launch of grid (gridX, gridY, 1) and blocks of `threads` threads with
/// the given workgroup buffers; `body` fills it (the terminator is added).
mlir::gpu::LaunchOp buildLaunch(mlir::OpBuilder &b, mlir::Location loc, mlir::Value gridX,
                                mlir::Value gridY, int64_t threads,
                                llvm::ArrayRef<mlir::Type> workgroup,
                                llvm::function_ref<void(mlir::OpBuilder &, mlir::gpu::LaunchOp)> body);

/// `value` summed (or its maximum, `isMax`) over each group of `lanes`
/// consecutive lanes of a warp (a power of two up to 32) by xor shuffles; every
/// lane of the group holds the result.
mlir::Value buildLaneReduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                            int32_t lanes, bool isMax);

/// Combines two partial results (each one value per reduced quantity).
using BlockCombine = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::ValueRange, mlir::ValueRange)>;

/// Block-wide reduction of several values that combine together (`combine`)
/// over `threads` threads: warp butterfly shuffles of each, then one
/// shared-memory exchange (`slots`: an array per value, one slot per warp)
/// after which every thread holds the results.
llvm::SmallVector<mlir::Value> buildBlockReduceAll(mlir::OpBuilder &b, mlir::Location loc,
                                                   mlir::ValueRange values,
                                                   llvm::ArrayRef<mlir::Value> slots,
                                                   mlir::Value tid, int64_t threads,
                                                   BlockCombine combine);

/// Block-wide reduction of `value` over `threads` threads: warp butterfly
/// shuffles, then one shared-memory exchange (`slots`: one per warp) after
/// which every thread holds the result.
mlir::Value buildBlockReduce(mlir::OpBuilder &b, mlir::Location loc,
                             const ReductionCombiner &combiner, mlir::Value value,
                             mlir::Value slots, mlir::Value tid, int64_t threads);

} // namespace vibee
