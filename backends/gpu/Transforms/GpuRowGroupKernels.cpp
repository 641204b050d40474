//===- GpuRowGroupKernels.cpp - Row groups as one-block-per-row kernels ---===//
//
// A row group (RowGroupAnalysis.h: softmax's max, exp-sum and output;
// RMSNorm's sum of squares, inverse RMS and output) becomes one kernel, one
// block per row. Here the plan, the launch and the erasure; the loads and
// the statements are in GpuRowGroupStatements.cpp.
//
// * plan: threads per row, the host sizes, the launch (one shared-memory slot
//   array per reduction result) and the row indices from the block id;
// * loads: when every statement takes the vector path and a thread's share of
//   the row is at most kCachedElements, each operand row is loaded once, in
//   unrolled predicated 16-byte steps, and kept in registers for the later
//   statements (softmax: one read of the row instead of three); operands no
//   statement writes that only later statements read (RMSNorm's w) are loaded
//   up front with the first statement's, before the first reduction's barrier;
//   otherwise every statement is a block-strided pass over the row (vectorized
//   when the row is aligned) that re-reads it;
// * members: each statement in turn; a reduction ends in warp shuffles and one
//   shared-memory exchange that leave its result in every thread's registers,
//   where later statements read it;
// * erase: the statements, then the per-row temporaries only they used.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"
#include "backends/gpu/Transforms/GpuRowGroupKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace vibee {

//===----------------------------------------------------------------------===//
// Plan
//===----------------------------------------------------------------------===//

/// With two or more reductions kept in registers, kCachedSteps steps of the
/// widest-V statement cover the cached row length (bf16: 128, f32: 256 at
/// block-size 256); otherwise block-size.
int64_t RowGroupKernelBuilder::planThreadsPerRow() const {
  auto isReduce = [](const RowStatement &s) { return s.kind == Kind::Reduce; };
  if (!info.cacheable || llvm::count_if(statements(), isReduce) < 2)
    return blockSize;
  int64_t maxV = 1;
  for (auto [i, s] : llvm::enumerate(statements()))
    if (s.kind != Kind::RowScalar)
      maxV = std::max(maxV, info.lanes[i].vectorWidth);
  int64_t rb = kCachedElements * blockSize / (kCachedSteps * maxV);
  return std::min<int64_t>(blockSize, std::max<int64_t>(32, rb / 32 * 32));
}

/// Host: the sizes of the row dims, their product, each statement's inner
/// trip count.
void RowGroupKernelBuilder::buildHostSizes(OpBuilder &b) {
  SmallVector<Value> firstSizes = buildLoopSizes(b, loc, statements().front().op);
  rowSizes.assign(firstSizes.begin(), firstSizes.end() - 1);
  rows = buildProduct(b, loc, rowSizes);
  for (RowStatement s : statements())
    innerSizes.push_back(s.kind == Kind::RowScalar ? Value() : buildLoopSizes(b, loc, s.op).back());
}

/// Host: every statement's row fits kWarpRowSteps 16-byte steps per lane of a
/// warp (its vector width V: 512 f32 elements).
Value RowGroupKernelBuilder::buildRowsAreShort(OpBuilder &b) {
  Value shortRows = arith::ConstantIntOp::create(b, loc, 1, 1);
  for (auto [i, s] : llvm::enumerate(statements())) {
    if (s.kind == Kind::RowScalar)
      continue;
    Value cap = constantIndex(b, loc, kWarpRowSteps * 32 * info.lanes[i].vectorWidth);
    shortRows = arith::AndIOp::create(
        b, loc, shortRows,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, innerSizes[i], cap));
  }
  return shortRows;
}

/// `if (rows > 0) gpu.launch` with threadsPerRow threads per row, rowsPerBlock
/// rows per block (threads (threadsPerRow, rowsPerBlock)) and one shared-memory
/// slot array per reduction result; `b` ends inside the `if`.
gpu::LaunchOp RowGroupKernelBuilder::buildLaunch(OpBuilder &b) {
  MLIRContext *ctx = b.getContext();
  Value one = constantIndex(b, loc, 1);
  threads = constantIndex(b, loc, threadsPerRow);
  Value any =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, rows, constantIndex(b, loc, 0));
  auto guard = scf::IfOp::create(b, loc, any, /*withElse=*/false);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  SmallVector<Type> slotTypes;
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  for (RowStatement s : statements())
    if (s.kind == Kind::Reduce)
      for (Value init : s.op.getDpsInits())
        slotTypes.push_back(MemRefType::get({std::max<int64_t>(1, threadsPerRow / 32)},
                                            cast<MemRefType>(init.getType()).getElementType(),
                                            MemRefLayoutAttrInterface(), workgroup));
  Value blocks = rows, rowThreads = one;
  if (rowsPerBlock > 1) {
    Value perBlock = constantIndex(b, loc, rowsPerBlock);
    blocks = arith::CeilDivUIOp::create(b, loc, rows, perBlock);
    rowThreads = perBlock;
  }
  return gpu::LaunchOp::create(b, loc, blocks, one, one, threads, rowThreads, one, nullptr,
                               nullptr, {}, slotTypes);
}

/// Row indices from the block id (row-major over the row dims).
void RowGroupKernelBuilder::buildRowIndices(OpBuilder &k) {
  tid = launch.getThreadIds().x;
  Value rest = launch.getBlockIds().x;
  if (rowsPerBlock > 1) {
    // No block-wide barrier follows (buildRowBarrier), so the rows past the end
    // may skip the body.
    rest = arith::AddIOp::create(
        k, loc, arith::MulIOp::create(k, loc, rest, constantIndex(k, loc, rowsPerBlock)),
        launch.getThreadIds().y);
    auto inRange = scf::IfOp::create(
        k, loc, arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, rest, rows),
        /*withElse=*/false);
    k.setInsertionPointToStart(&inRange.getThenRegion().front());
  }
  rowIvs.assign(rowSizes.size(), Value());
  for (int64_t d = rowSizes.size() - 1; d >= 0; --d) {
    if (d == 0) {
      rowIvs[d] = rest;
      break;
    }
    rowIvs[d] = arith::RemUIOp::create(k, loc, rest, rowSizes[d]);
    rest = arith::DivUIOp::create(k, loc, rest, rowSizes[d]);
  }
  isFirstThread =
      arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq, tid, constantIndex(k, loc, 0));
}

/// The vector path of one statement: C % V == 0, every varying operand's base
/// 16-byte aligned and its rows a multiple of V long.
Value RowGroupKernelBuilder::buildVectorPathOk(OpBuilder &b, size_t index) {
  const RowStatementLanes &lanes = info.lanes[index];
  Value ok = buildAllAligned(b, loc, lanes.alignedMemRefs);
  ok = arith::AndIOp::create(b, loc, ok,
                             buildIsMultipleOf(b, loc, innerSizes[index], lanes.vectorWidth));
  for (Value memref : lanes.alignedMemRefs) {
    auto memrefType = cast<MemRefType>(memref.getType());
    Value lastDim = memref::DimOp::create(b, loc, memref, memrefType.getRank() - 1);
    ok = arith::AndIOp::create(b, loc, ok, buildIsMultipleOf(b, loc, lastDim, lanes.vectorWidth));
  }
  return ok;
}

/// Every statement takes the vector path and its row fits in cachedSteps(V)
/// steps of the block.
Value RowGroupKernelBuilder::buildRowFitsInRegisters(OpBuilder &k) {
  Value fits = arith::ConstantIntOp::create(k, loc, 1, 1);
  for (auto [i, s] : llvm::enumerate(statements())) {
    if (s.kind == Kind::RowScalar)
      continue;
    int64_t V = info.lanes[i].vectorWidth;
    Value cap = constantIndex(k, loc, cachedSteps(V) * threadsPerRow * V);
    Value within = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ule, innerSizes[i], cap);
    fits = arith::AndIOp::create(k, loc, fits, buildVectorPathOk(k, i));
    fits = arith::AndIOp::create(k, loc, fits, within);
  }
  return fits;
}

void RowGroupKernelBuilder::buildRowBarrier(OpBuilder &k) {
  if (warpRows)
    NVVM::SyncWarpOp::create(k, loc, arith::ConstantIntOp::create(k, loc, k.getI32Type(), -1));
  else
    gpu::BarrierOp::create(k, loc);
}

void RowGroupKernelBuilder::build(RewriterBase &rewriter) {
  OpBuilder &b = rewriter;
  b.setInsertionPoint(statements().back().op);
  buildHostSizes(b);
  scf::IfOp::create(
      b, loc, buildRowsAreShort(b),
      [&](OpBuilder &nb, Location l) {
        buildKernel(nb, /*warpPerRow=*/true);
        scf::YieldOp::create(nb, l);
      },
      [&](OpBuilder &nb, Location l) {
        buildKernel(nb, /*warpPerRow=*/false);
        scf::YieldOp::create(nb, l);
      });
  eraseGroup(rewriter);
}

/// One version of the kernel: a warp per row (short rows) or a block per row.
void RowGroupKernelBuilder::buildKernel(OpBuilder &b, bool warpPerRow) {
  OpBuilder::InsertionGuard restore(b);
  warpRows = warpPerRow;
  threadsPerRow = warpRows ? 32 : planThreadsPerRow();
  rowsPerBlock = warpRows ? std::max<int64_t>(1, blockSize / 32) : 1;
  launch = buildLaunch(b);
  OpBuilder k = OpBuilder::atBlockBegin(&launch.getBody().front());
  buildRowIndices(k);
  if (info.cacheable) {
    scf::IfOp::create(
        k, loc, buildRowFitsInRegisters(k),
        [&](OpBuilder &nb, Location l) {
          buildStatements(nb, /*cached=*/true);
          scf::YieldOp::create(nb, l);
        },
        [&](OpBuilder &nb, Location l) {
          buildStatements(nb, /*cached=*/false);
          scf::YieldOp::create(nb, l);
        });
  } else {
    buildStatements(k, /*cached=*/false);
  }
  k.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(k, loc);
}

//===----------------------------------------------------------------------===//
// Erase
//===----------------------------------------------------------------------===//

/// The statements, then the temporaries only they used (with their fills and
/// deallocs).
void RowGroupKernelBuilder::eraseGroup(RewriterBase &rewriter) {
  for (const RowStatement &s : llvm::reverse(statements()))
    rewriter.eraseOp(s.op);
  for (auto [buffer, mustStore] : info.rowBuffers) {
    if (mustStore)
      continue;
    for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
      rewriter.eraseOp(user);
    rewriter.eraseOp(buffer.getDefiningOp());
  }
}

namespace {

struct RowGroupKernelPattern : OpRewritePattern<linalg::GenericOp> {
  RowGroupKernelPattern(MLIRContext *ctx, const GpuKernelOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    // Groups are statements of a function body, in order.
    if (!isa<func::FuncOp>(op->getParentOp()))
      return failure();
    std::optional<RowGroup> group = matchRowGroup(op);
    if (!group)
      return failure();
    RowGroupInfo info = analyzeRowGroup(*group, kVectorBytes);
    RowGroupKernelBuilder(*group, info, options).build(rewriter);
    return success();
  }

  GpuKernelOptions options;
};

} // namespace

void populateGpuRowGroupKernelPatterns(RewritePatternSet &patterns,
                                       const GpuKernelOptions &options) {
  patterns.add<RowGroupKernelPattern>(patterns.getContext(), options);
}

} // namespace vibee
