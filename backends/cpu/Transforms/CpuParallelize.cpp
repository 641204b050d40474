//===- CpuParallelize.cpp - linalg ops over the runtime's threads ----------===//
//
// vibee-cpu-parallelize, on bufferized linalg after vibee-cpu-tile-matmul:
// every other top-level linalg op whose first loop is parallel is split into
// `nt` ranges of that loop, nt from the runtime (ThreadRuntime.h). The op
// exists once, in a chunk function on a range of the split loop
// (ChunkFunctions.h), that the threads and the serial branch both call.
//
// The ops of a row-block group (RowGroupAnalysis.h) rooted at a row reduction
// split into lanes (vibee-cpu-online-softmax's form) instead run in one thread
// region: each thread walks its rows in blocks of 8 through every op of the
// group, so that later ops find the rows in the cache, and the group's
// temporaries shrink to one block of rows per thread. Plain row reductions
// (RMSNorm's) stay op by op: no measurement has asked for their grouping.
//
// Besides the top-level ops, those vibee-cpu-pack-contractions marked
// vibee.threads_in_branch inside a run-time branch (the dot products of a
// contraction with few rows) are split the same way.
//
// Schedule hints (ScheduleHints.h) pick the split loop (parallel(...)), its
// chunk (tile(...)) and the thread cap (threads(n)) in chooseSplit.
//
// Independent rows (the scf.for that vibee-lower-scans and vibee-lower-topk mark
// vibee.independent_rows) are split the same way: ranges of rows per thread, each
// row's steps in order. A scatter-add's innermost loop over a directly indexed
// axis (vibee.independent_columns, vibee-lower-scatters) is split into ranges too,
// each thread running the loops around it in full.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"
#include "backends/cpu/Transforms/ScheduleHints.h"
#include "backends/cpu/Transforms/ThreadRuntime.h"
#include "transforms/RowGroupAnalysis.h"

#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace vibee {
#define GEN_PASS_DEF_CPUPARALLELIZEPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// Whether every memref operand of `op` is indexed by loop 0 in its dim 0,
/// loop 0 being parallel (rows), so that a block of rows of the op reads and
/// writes only that block of rows of its operands.
static bool isRowWise(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      op.getIteratorTypesArray()[0] != utils::IteratorType::parallel)
    return false;
  AffineExpr d0 = getAffineDimExpr(0, op.getContext());
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (type.getRank() == 0 || map.getNumResults() == 0 || map.getResult(0) != d0)
      return false;
    for (AffineExpr e : map.getResults().drop_front())
      if (e.isFunctionOfDim(0))
        return false;
  }
  return true;
}

/// Whether every use of `v` (through views) is an op of `group` or a dealloc.
static bool onlyGroupUses(Value v, ArrayRef<linalg::LinalgOp> group) {
  for (Operation *user : v.getUsers()) {
    if (isa<memref::DeallocOp>(user) ||
        llvm::any_of(group, [&](linalg::LinalgOp g) { return g == user; }))
      continue;
    auto view = dyn_cast<ViewLikeOpInterface>(user);
    if (!view || view.getViewSource() != v ||
        !llvm::all_of(user->getResults(), [&](Value r) { return onlyGroupUses(r, group); }))
      return false;
  }
  return true;
}

/// The temporaries of a row group (allocations with a dynamic row count that
/// only the group uses): each block of rows produces and consumes its rows of
/// them, so one block-sized buffer serves every block and stays in the cache
/// (softmax_bf16's exp, 8 x C f32, would otherwise be R x C written to DRAM).
static SmallVector<memref::AllocOp> groupTemporaries(ArrayRef<linalg::LinalgOp> group) {
  llvm::SetVector<memref::AllocOp> temps;
  for (linalg::LinalgOp op : group)
    for (Value v : op->getOperands()) {
      auto buffer = dyn_cast<MemrefValue>(v);
      auto alloc = buffer ? memref::skipViewLikeOps(buffer).getDefiningOp<memref::AllocOp>()
                          : memref::AllocOp();
      if (alloc && alloc.getType().getRank() > 0 && alloc.getType().isDynamicDim(0) &&
          onlyGroupUses(alloc, group))
        temps.insert(alloc);
    }
  return temps.takeVector();
}

/// Erases the users of `op`'s results depth first, then `op`. Users are taken
/// one at a time from the live use lists (never from a snapshot), so an op that
/// uses several erased values is erased once.
static void eraseWithUsers(IRRewriter &rw, Operation *op) {
  for (Value r : op->getResults())
    while (!r.use_empty())
      eraseWithUsers(rw, *r.user_begin());
  rw.eraseOp(op);
}

/// Erases `v`'s views and deallocs (no other uses left), then its op.
static void eraseBuffer(IRRewriter &rw, Value v) {
  while (!v.use_empty())
    eraseWithUsers(rw, *v.user_begin());
  if (Operation *def = v.getDefiningOp(); def && def->use_empty())
    rw.eraseOp(def);
}

/// Clones `op` for rows [row, row + count) of every memref operand, reading the
/// values it uses from outside through `outside`.
static void cloneForRows(OpBuilder &b, Location loc, Operation *op, Value row, Value count,
                         const IRMapping &outside, ArrayRef<Value> blockBuffers = {}) {
  IRMapping map = outside;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type)
      continue;
    Value buffer = outside.lookupOrDefault(v);
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
        sizes = memref::getMixedSizes(b, loc, buffer), strides(type.getRank(), b.getIndexAttr(1));
    // A block buffer holds the current block of rows from its row 0.
    if (!llvm::is_contained(blockBuffers, memref::skipViewLikeOps(cast<MemrefValue>(v))))
      offsets[0] = row;
    sizes[0] = count;
    map.map(v, memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides).getResult());
  }
  b.clone(*op, map);
}

/// The loop of `op` to split over threads under `hints` (the first parallel loop
/// whose size symbol a parallel(...) hint lists; loop 0 without the hint), with
/// its tile(...) chunk if any. Nullopt: `op` stays serial.
struct Split {
  unsigned loop = 0;
  std::optional<int64_t> chunk; // rows per chunk; none: one chunk per thread
};
static std::optional<Split> chooseSplit(linalg::LinalgOp op, const vibee::ScheduleHints &hints,
                                        bool rowsOnly) {
  if (!hints.allowsThreads())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned loop = 0, e = rowsOnly ? 1 : iterators.size(); loop < e; ++loop) {
    if (iterators[loop] != utils::IteratorType::parallel)
      continue;
    std::optional<std::string> symbol = vibee::loopSymbol(op, loop);
    if (hints.allowsParallel(symbol))
      return Split{loop, hints.tile(symbol)};
    if (!hints.parallel)
      break;
  }
  mlir::emitRemark(op.getLoc(), "schedule hint parallel(...) names no loop this op can split over "
                                "threads: it runs serially");
  return std::nullopt;
}

/// Whether the ops of a row group can run block of rows by block of rows at the
/// place of its last op: all row-wise, in one block, their operands available
/// there, nothing between them that touches memory.
static bool canRunAsRowGroup(ArrayRef<linalg::LinalgOp> group) {
  for (linalg::LinalgOp op : group)
    if (!isRowWise(op) || op->getBlock() != group.front()->getBlock())
      return false;
  // cloneForRows offsets the operands to the block's rows, not what a body computes
  // from linalg.index or reads itself (a gather, an affine read with a symbolic dim:
  // frontend/MLIRGenSubscripts.h): such an op would read the rows of block 0.
  for (linalg::LinalgOp op : group) {
    WalkResult found = op->walk([](Operation *inner) {
      return isa<linalg::IndexOp, memref::LoadOp, tensor::ExtractOp>(inner)
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (found.wasInterrupted()) {
      mlir::emitRemark(op->getLoc(),
                       "not run as a row-block group: its body reads by loop index (a gather or "
                       "a computed subscript); the ops run one after the other");
      return false;
    }
  }
  Operation *last = group.back();
  // Every operand must be available at the last op (where the group goes).
  DominanceInfo dom(last->getParentOp());
  for (linalg::LinalgOp op : group)
    for (Value v : op->getOperands())
      if (!dom.properlyDominates(v, last) &&
          !llvm::any_of(group, [&](linalg::LinalgOp g) { return v.getDefiningOp() == g; }))
        return false;
  // Nothing between the first and the last op of the group may touch memory
  // (a dealloc of a group temporary, a write the group would reorder).
  for (Operation *op = group.front()->getNextNode(); op && op != last; op = op->getNextNode())
    if (!llvm::is_contained(group, op) && !isMemoryEffectFree(op) && !isa<memref::AllocOp>(op))
      return false;
  return true;
}

/// Ops of one row-block group (vibee-cpu-online-softmax's softmax: its passes
/// over each row): one thread region, each thread a chunk of the rows, walked in
/// blocks of kRowBlock rows through all the ops, so that later ops find the
/// rows in the cache (serially, blocks still, when the hints allow no threads).
/// False when the group cannot be run that way.
static bool parallelizeRowGroup(IRRewriter &rw, SymbolTable &symbols,
                                ArrayRef<linalg::LinalgOp> group) {
  constexpr int64_t kRowBlock = 8;
  if (!canRunAsRowGroup(group))
    return false;
  Operation *last = group.back();
  Location loc = last->getLoc();
  rw.setInsertionPoint(last);
  linalg::LinalgOp outputOp = group.back();
  SmallVector<OpFoldResult> sizes;
  for (Range r : outputOp.createLoopRanges(rw, loc))
    sizes.push_back(r.size);
  Value rows = getValueOrCreateConstantIndexOp(rw, loc, sizes[0]);
  Value work = vibee::emitIterationCount(rw, loc, sizes);
  // Group temporaries shrink to one block of rows (made per chunk call when
  // threaded: one per thread); after the sizes above, which may read them.
  SmallVector<memref::AllocOp> temps = groupTemporaries(group);
  SmallVector<Value> blockBuffers;
  SmallVector<Operation *> privatized;
  for (memref::AllocOp alloc : temps) {
    rw.setInsertionPoint(alloc);
    Value rowsOfBlock = arith::ConstantIndexOp::create(rw, alloc.getLoc(), kRowBlock);
    rw.modifyOpInPlace(alloc, [&] { alloc.getDynamicSizesMutable()[0].assign(rowsOfBlock); });
    blockBuffers.push_back(alloc);
    privatized.push_back(alloc);
  }
  rw.setInsertionPoint(last);
  // for row in [lo, hi) step block: every op on rows [row, min(row + block, hi)).
  auto emitBlocks = [&](OpBuilder &b, Value lo, Value hi, const IRMapping &outside) {
    Value block = arith::ConstantIndexOp::create(b, loc, kRowBlock);
    auto loop = scf::ForOp::create(b, loc, lo, hi, block);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    Value row = loop.getInductionVar();
    Value count = arith::MinSIOp::create(b, loc, block, arith::SubIOp::create(b, loc, hi, row));
    for (linalg::LinalgOp op : group)
      cloneForRows(b, loc, op, row, count, outside, blockBuffers);
  };
  vibee::ScheduleHints hints = vibee::ScheduleHints::of(outputOp);
  // Thread t: rows [t * R / nt, (t + 1) * R / nt); or tile(R = n): chunks of n rows.
  std::optional<Split> split = chooseSplit(outputOp, hints, /*rowsOnly=*/true);
  if (split) {
    SmallVector<Operation *> ops(group.begin(), group.end());
    vibee::ChunkFunction chunk =
        vibee::createChunkFunction(rw, last->getParentOfType<func::FuncOp>(),
                                   vibee::capturedValues(ops), emitBlocks, privatized, &symbols);
    vibee::emitChunkCalls(rw, loc, work, hints.maxThreads(), chunk, rows, split->chunk, &symbols);
  } else {
    emitBlocks(rw, arith::ConstantIndexOp::create(rw, loc, 0), rows, IRMapping());
  }
  for (linalg::LinalgOp op : llvm::reverse(group))
    rw.eraseOp(op);
  // Threaded, each chunk call allocates its own block buffers.
  if (split)
    for (Value buffer : blockBuffers)
      eraseBuffer(rw, buffer);
  return true;
}

/// Independent rows (vibee-lower-scans and vibee-lower-topk mark their outermost
/// loop, from 0 step 1, no results): ranges of rows over the threads, each row's
/// steps in order. The work is the rows times the steps of the row's loops whose
/// bounds are known outside (a scan's length), else the rows.
static void parallelizeIndependentRows(IRRewriter &rw, SymbolTable &symbols, scf::ForOp rows) {
  Location loc = rows.getLoc();
  vibee::ScheduleHints hints = vibee::ScheduleHints::of(rows);
  if (!hints.allowsThreads() || rows.getNumResults() != 0 ||
      !matchPattern(rows.getLowerBound(), m_Zero()) || !matchPattern(rows.getStep(), m_One()))
    return;
  // The row's loop bounds, when computed in the row from values outside (a
  // top-k's row length), move out first so that the work can count them.
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(rows.getOperation()));
  rw.setInsertionPoint(rows);
  // A row's steps: the upper bounds of its loops known outside, summed (a top-k
  // row runs its first k elements, its blocks and its tail as three loops).
  DominanceInfo dom(rows->getParentOp());
  Value steps;
  for (auto loop : rows.getBody()->getOps<scf::ForOp>())
    if (Value bound = loop.getUpperBound(); dom.properlyDominates(bound, rows))
      steps = steps ? arith::AddIOp::create(rw, loc, steps, bound).getResult() : bound;
  SmallVector<OpFoldResult> sizes{rows.getUpperBound()};
  if (steps)
    sizes.push_back(steps);
  Value work = vibee::emitIterationCount(rw, loc, sizes);
  vibee::emitLoopOverThreads(rw, rows, work, hints.maxThreads(), vibee::ThreadAdmission::Any,
                             &symbols);
}

/// A scatter-add's innermost loop over a directly indexed destination axis
/// (vibee-lower-scatters marks it, from 0 step 1): each thread runs the whole nest
/// around it (the top-level scf.for holding it, no results) on a range of it, so
/// every destination element still takes its updates in order. Its bound must be
/// known before the nest; the work is the product of the bounds known there.
static void parallelizeIndependentColumns(IRRewriter &rw, SymbolTable &symbols,
                                          scf::ForOp columns) {
  auto func = columns->getParentOfType<func::FuncOp>();
  Operation *nest = columns;
  while (nest->getParentOp() != func)
    nest = nest->getParentOp();
  auto outer = dyn_cast<scf::ForOp>(nest);
  vibee::ScheduleHints hints = vibee::ScheduleHints::of(columns);
  DominanceInfo dom(func);
  if (!outer || !hints.allowsThreads() || !matchPattern(columns.getLowerBound(), m_Zero()) ||
      !matchPattern(columns.getStep(), m_One()) ||
      !dom.properlyDominates(columns.getUpperBound(), outer))
    return;
  for (Operation *loop = columns; loop != func; loop = loop->getParentOp())
    if (!isa<scf::ForOp>(loop) || loop->getNumResults() != 0)
      return;
  Location loc = columns.getLoc();
  SmallVector<OpFoldResult> sizes;
  for (Operation *loop = columns; loop != func; loop = loop->getParentOp())
    if (Value bound = cast<scf::ForOp>(loop).getUpperBound(); dom.properlyDominates(bound, outer))
      sizes.push_back(bound);
  rw.setInsertionPoint(outer);
  Value work = vibee::emitIterationCount(rw, loc, sizes);
  // The chunk: the whole nest, its columns loop on [lo, hi).
  auto build = [&](OpBuilder &b, Value lo, Value hi, const IRMapping &outside) {
    IRMapping map = outside;
    b.clone(*outer, map);
    auto part = cast<scf::ForOp>(map.lookup(columns.getOperation()));
    part.setLowerBound(lo);
    part.setUpperBound(hi);
    part->removeAttr(vibee::attr::kIndependentColumns);
  };
  vibee::ChunkFunction chunk = vibee::createChunkFunction(
      rw, func, vibee::capturedValues({outer.getOperation()}), build, {}, &symbols);
  rw.setInsertionPoint(outer);
  vibee::emitChunkCalls(rw, loc, work, hints.maxThreads(), chunk, columns.getUpperBound(),
                        std::nullopt, &symbols);
  rw.eraseOp(outer);
}

struct CpuParallelizePass : vibee::impl::CpuParallelizePassBase<CpuParallelizePass> {
  using CpuParallelizePassBase::CpuParallelizePassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    CpuParallelizePassBase::getDependentDialects(registry);
    linalg::registerTilingInterfaceExternalModels(registry);
    registerOpenMPDialectTranslation(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Row groups first, in the order of their first ops.
    SmallVector<SmallVector<linalg::LinalgOp>> groups;
    llvm::DenseSet<Operation *> grouped;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (auto root : func.getBody().getOps<linalg::GenericOp>())
        if (!grouped.contains(root) && vibee::isLaneRowReduction(root)) {
          groups.push_back(vibee::matchRowBlockGroup(root));
          for (linalg::LinalgOp op : groups.back())
            grouped.insert(op);
        }
    SmallVector<linalg::LinalgOp> ops;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (auto linalgOp : func.getBody().getOps<linalg::LinalgOp>())
        if (!grouped.contains(linalgOp) && linalgOp.hasPureBufferSemantics() &&
            linalgOp.getNumLoops() > 0 &&
            linalgOp.getIteratorTypesArray()[0] == utils::IteratorType::parallel)
          ops.push_back(linalgOp);
    // Ops that vibee-cpu-pack-contractions placed in a run-time branch and
    // marked: the branch is a choice of algorithm, not a loop, so the op is
    // split as if it were at the top level.
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      func.walk([&](linalg::LinalgOp op) {
        if (op->getParentOp() != func && op->hasAttr(vibee::attr::kThreadsInBranch) &&
            op.hasPureBufferSemantics() && op.getNumLoops() > 0 &&
            op.getIteratorTypesArray()[0] == utils::IteratorType::parallel)
          ops.push_back(op);
      });
    IRRewriter rw(&getContext());
    // Chunk functions are named through it: a module scan per name probe was
    // quadratic in kernels (ChunkFunctions.h).
    SymbolTable symbols(module);
    for (SmallVector<linalg::LinalgOp> &group : groups)
      if (!parallelizeRowGroup(rw, symbols, group))
        ops.append(group.begin(), group.end());
    for (linalg::LinalgOp op : ops) {
      vibee::ScheduleHints hints = vibee::ScheduleHints::of(op);
      std::optional<Split> split = chooseSplit(op, hints, /*rowsOnly=*/false);
      if (!split)
        continue;
      op->removeAttr(vibee::attr::kThreadsInBranch);
      vibee::emitOpOverThreads(rw, op, split->loop, hints.maxThreads(), split->chunk, &symbols);
    }
    SmallVector<scf::ForOp> rows, columns;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      for (auto loop : func.getBody().getOps<scf::ForOp>())
        if (loop->hasAttr(vibee::attr::kIndependentRows))
          rows.push_back(loop);
      func.walk([&](scf::ForOp loop) {
        if (loop->hasAttr(vibee::attr::kIndependentColumns))
          columns.push_back(loop);
      });
    }
    for (scf::ForOp loop : rows)
      parallelizeIndependentRows(rw, symbols, loop);
    // One marked loop per nest (each scatter-add has its own): a nest holding two
    // stays serial, since splitting it for one would erase the other.
    llvm::DenseMap<Operation *, int> marked;
    auto outermost = [](Operation *op) {
      while (!isa<func::FuncOp>(op->getParentOp()))
        op = op->getParentOp();
      return op;
    };
    for (scf::ForOp loop : columns)
      ++marked[outermost(loop)];
    for (scf::ForOp loop : columns)
      if (marked[outermost(loop)] == 1)
        parallelizeIndependentColumns(rw, symbols, loop);
  }
};

} // namespace
