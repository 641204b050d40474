//===- GpuRowGroupKernelBuilder.h - Building one row group's kernel -------===//
//
// The builder behind the row-group kernel pattern (GpuRowGroupKernels.cpp:
// plan, launch, erase; GpuRowGroupStatements.cpp: loads and the statements).
// Private to those two files.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

#include <map>
#include <tuple>

namespace vibee {

/// The row length kept in registers is kCachedElements * block-size (4096 at
/// 256 threads) for every element type.
constexpr int64_t kCachedElements = 16;
/// Groups kept in registers with two or more reductions (softmax): 16-byte
/// steps per thread and operand of the widest-V statement. Narrow types use
/// fewer threads per row instead of fewer steps (bf16 softmax: 128 threads x 4
/// steps, f32: 256 x 4): fewer threads per row make the block reductions
/// (warps, barrier, shared-memory combine) cheaper. One reduction (RMSNorm)
/// keeps block-size threads, measured faster (docs/gpu.md).
constexpr int64_t kCachedSteps = 4;
/// Short rows take a warp each (blockSize / 32 rows per block) instead of a
/// block: rows of at most kWarpRowSteps 16-byte steps per lane (512 f32, 1024
/// bf16 elements), where a block per row left most of its threads idle
/// (MinHash's rows of 256: 64 of 256 threads loaded, the rest waited at the
/// barrier). Chosen on the host from the row length.
constexpr int64_t kWarpRowSteps = 4;

/// One statement being built: its payload and where its row ends.
struct RowStatementBuild {
  const RowStatement &statement;
  const RowStatementLanes &lanes;
  PayloadCloner payload;
  mlir::Value rowLength;                          ///< the statement's inner trip count
  llvm::SmallVector<ReductionCombiner> combiners; ///< Reduce: one per output
  llvm::SmallVector<mlir::Value> accInit;         ///< Reduce: the identities

  mlir::linalg::GenericOp op() const { return statement.op; }
  RowStatementKind kind() const { return statement.kind; }
};

/// What one version of the kernel (rows in registers, or strided passes) knows
/// while it builds the statements in order.
struct RowPassState {
  bool cached = false;
  llvm::DenseMap<mlir::Value, mlir::Value> rowValue; ///< per-row buffer -> this row's value
  llvm::DenseSet<mlir::Value> writtenFull, readFull;
  unsigned slotIndex = 0;
  /// (memref, indexing map, V, step) -> the step's elements, in registers.
  std::map<std::tuple<const void *, const void *, int64_t, int64_t>, llvm::SmallVector<mlir::Value>>
      steps;
};

class RowGroupKernelBuilder {
public:
  using Kind = RowStatementKind;

  RowGroupKernelBuilder(const RowGroup &group, const RowGroupInfo &info,
                        const GpuKernelOptions &options)
      : group(group), info(info), blockSize(options.blockSize),
        loc(group.statements.front().op->getLoc()) {}

  void build(mlir::RewriterBase &rewriter);

private:
  llvm::ArrayRef<RowStatement> statements() const { return group.statements; }

  // Plan.
  int64_t planThreadsPerRow() const;
  int64_t cachedSteps(int64_t V) const {
    if (warpRows)
      return kWarpRowSteps;
    return std::max<int64_t>(1, kCachedElements * blockSize / (threadsPerRow * V));
  }
  void buildHostSizes(mlir::OpBuilder &b);
  mlir::Value buildRowsAreShort(mlir::OpBuilder &b);
  void buildKernel(mlir::OpBuilder &b, bool warpPerRow);
  mlir::gpu::LaunchOp buildLaunch(mlir::OpBuilder &b);
  /// Row indices; with a warp per row, `k` moves into `if (row < rows)`.
  void buildRowIndices(mlir::OpBuilder &k);
  /// Waits for the other threads of the row: the block's, or the warp's.
  void buildRowBarrier(mlir::OpBuilder &k);
  mlir::Value buildVectorPathOk(mlir::OpBuilder &b, size_t index);
  mlir::Value buildRowFitsInRegisters(mlir::OpBuilder &k);

  // Loads.
  llvm::SmallVector<mlir::Value> loadStep(mlir::OpBuilder &k, RowPassState &state,
                                          mlir::linalg::GenericOp op, mlir::OpOperand &o, int64_t V,
                                          int64_t j, mlir::Value rowLength);
  void loadUpFront(mlir::OpBuilder &k, RowPassState &state);
  llvm::SmallVector<mlir::Value> indicesAt(mlir::linalg::GenericOp op, mlir::OpOperand &o,
                                           mlir::Value c) const;

  // Members.
  void buildStatements(mlir::OpBuilder &k, bool cached);
  void buildStatement(mlir::OpBuilder &k, RowPassState &state, size_t index);
  void buildBarrierIfNeeded(mlir::OpBuilder &k, const RowPassState &state, const RowStatement &s);
  llvm::SmallVector<mlir::Value> buildUniformValues(mlir::OpBuilder &k, const RowPassState &state,
                                                    const RowStatement &s);
  llvm::SmallVector<mlir::Value>
  computeLanes(mlir::OpBuilder &b, RowStatementBuild &sb, mlir::Value c,
               llvm::ArrayRef<llvm::SmallVector<mlir::Value>> lanes, int64_t width,
               mlir::ValueRange accs, llvm::SmallVector<llvm::SmallVector<mlir::Value>> &results);
  llvm::SmallVector<mlir::Value> buildChunk(mlir::OpBuilder &b, RowStatementBuild &sb,
                                            mlir::Value c, int64_t width, bool vector,
                                            mlir::ValueRange accs);
  llvm::SmallVector<mlir::Value> buildScalarPass(mlir::OpBuilder &b, RowStatementBuild &sb,
                                                 mlir::ValueRange accs);
  llvm::SmallVector<mlir::Value> buildCachedSteps(mlir::OpBuilder &k, RowPassState &state,
                                                  RowStatementBuild &sb);
  llvm::SmallVector<mlir::Value> buildStridedPasses(mlir::OpBuilder &k, RowStatementBuild &sb,
                                                    size_t index);
  void finishReductions(mlir::OpBuilder &k, RowPassState &state, RowStatementBuild &sb,
                        llvm::ArrayRef<mlir::Value> accs);
  /// A per-row buffer's value before the statement that reduces into it: an
  /// earlier statement's, the fill's, or memory.
  mlir::Value valueBefore(mlir::OpBuilder &k, const RowPassState &state, mlir::Value buffer);

  // Max and exp-sum in one pass (GpuRowGroupOnlineMaxSum.cpp).
  bool isOnlineMaxSum(size_t index) const;
  void buildOnlineMaxSum(mlir::OpBuilder &k, RowPassState &state, size_t index);
  void storeRowValue(mlir::OpBuilder &k, mlir::Value buffer, mlir::Value v);

  // Erase.
  void eraseGroup(mlir::RewriterBase &rewriter);

  const RowGroup &group;
  const RowGroupInfo &info;
  int64_t blockSize;
  mlir::Location loc;
  int64_t threadsPerRow = 0;
  bool warpRows = false;      ///< this kernel takes a warp per row
  int64_t rowsPerBlock = 1;   ///< blockSize / 32 with a warp per row
  llvm::SmallVector<mlir::Value> rowSizes, innerSizes; ///< host values
  mlir::Value rows, threads;
  mlir::gpu::LaunchOp launch;
  mlir::Value tid, isFirstThread;
  llvm::SmallVector<mlir::Value> rowIvs;
};

} // namespace vibee
