//===- FuseElementwise.cpp - statement fusion on linalg tensors -----------===//
//
// Every vibee statement lowers to its own linalg.generic: without fusion each
// statement is a pass over memory and each local a buffer. This pass merges
// them with upstream linalg machinery plus one small op-level rewrite:
//
//  1. Producer-consumer fusion (linalg elementwise fusion patterns): an
//     all-parallel producer is inlined into a consumer that reads each of its
//     elements once per iteration (the consumer's map is a permutation: no
//     recomputation under a broadcast, but for a small static one where the
//     target asks: the GPU, where recomputing beats a round trip through
//     memory). Producer results with other uses stay
//     results of the fused op, so an inout (AdamW's m, v) is written by the
//     same loop nest that reads it. A producer whose every use is such a
//     consumer is first duplicated per use, so that fusing into one consumer
//     does not keep its whole result alive for the others (softmax's exp).
//  2. Horizontal (sibling) fusion: two independent all-parallel generics over
//     the same iteration domain become one multi-result generic (Lion's
//     param and m updates, which share m and grad).
//
// Locals that fusion inlines lose their tensor.empty and never get a buffer.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace vibee {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

static bool isAllParallel(linalg::GenericOp op) {
  return op.getNumLoops() == op.getNumParallelLoops();
}

/// The most ops a fused body may have. Each fusion clones both bodies, so an
/// unbounded chain of N statements costs O(N^2) (5,000 statements: minutes,
/// docs/performance.md); a bounded one costs O(N). A loop body of this size
/// already amortizes its loads and stores over plenty of arithmetic.
static constexpr unsigned kMaxFusedBodyOps = 256;

/// Ops in `op`'s body, counted up to `limit` + 1 (block sizes are not cached).
static unsigned bodySize(Operation *op, unsigned limit) {
  unsigned n = 0;
  Block &body = op->getRegion(0).front();
  for (auto it = body.begin(); it != body.end() && n <= limit; ++it)
    ++n;
  return n;
}

/// Whether `use` may take its producer inlined: the consumer reads each
/// element once per iteration (a permutation), or under a broadcast over loops
/// of static extents whose product is at most `maxRecompute`, each element
/// computed that many times (a projected permutation).
static bool isFusableUse(OpOperand &use, int64_t maxRecompute) {
  auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!consumer || !consumer.isDpsInput(&use))
    return false;
  AffineMap map = consumer.getMatchingIndexingMap(&use);
  if (map.isPermutation())
    return true;
  if (maxRecompute <= 1 || !map.isProjectedPermutation(/*allowZeroInResults=*/false))
    return false;
  SmallVector<int64_t> extents = consumer.getStaticLoopRanges();
  int64_t recompute = 1;
  for (unsigned d = 0; d < map.getNumDims(); ++d) {
    if (map.isFunctionOfDim(d))
      continue;
    if (ShapedType::isDynamic(extents[d]) || extents[d] > maxRecompute)
      return false;
    recompute *= extents[d];
    if (recompute > maxRecompute)
      return false;
  }
  return true;
}

/// The greedy fusion's control: isFusableUse, within kMaxFusedBodyOps, and
/// only when the fused op replaces the producer everywhere. Upstream fusion
/// keeps the producer for its other users unless the fused op can yield the
/// value for them: that needs an all-parallel consumer (a reduction yields its
/// reduced value only) placed before them. Otherwise the producer's body (with
/// everything fused into it upstream) is computed once more per such user, and
/// down a chain of statements that is quadratic code and compile time.
static bool shouldFuse(OpOperand &use, int64_t maxRecompute) {
  if (!isFusableUse(use, maxRecompute))
    return false;
  Operation *producer = use.get().getDefiningOp(), *consumer = use.getOwner();
  if (!producer || producer->getBlock() != consumer->getBlock())
    return false;
  bool parallel = isAllParallel(cast<linalg::GenericOp>(consumer));
  for (Operation *user : producer->getUsers())
    if (user != consumer &&
        (!parallel || user->getBlock() != consumer->getBlock() || user->isBeforeInBlock(consumer)))
      return false;
  unsigned np = bodySize(producer, kMaxFusedBodyOps);
  return np + bodySize(consumer, kMaxFusedBodyOps) <= kMaxFusedBodyOps;
}

/// Clones all-parallel producers whose every use is a fusable consumer once
/// per use (step 1 above).
static void duplicateMultiUseProducers(Operation *root, int64_t maxRecompute) {
  SmallVector<linalg::GenericOp> producers;
  root->walk([&](linalg::GenericOp op) {
    if (!isAllParallel(op) || op->getNumResults() != 1 || op.hasIndexSemantics())
      return;
    if (!op.getIndexingMapsArray().back().isPermutation())
      return;
    Value result = op->getResult(0);
    if (result.hasOneUse() || result.use_empty())
      return;
    // Only producers that read no other all-parallel generic: a copy of one
    // that does would pull the upstream chain into every consumer, recomputing
    // all of it per consumer (quadratic code and compile time on long chains).
    if (llvm::any_of(op.getDpsInputs(), [](Value in) {
          auto def = in.getDefiningOp<linalg::GenericOp>();
          return def && isAllParallel(def);
        }))
      return;
    if (llvm::all_of(result.getUses(),
                     [&](OpOperand &use) { return isFusableUse(use, maxRecompute); }))
      producers.push_back(op);
  });
  OpBuilder builder(root->getContext());
  for (linalg::GenericOp op : producers) {
    SmallVector<OpOperand *> uses =
        llvm::map_to_vector(op->getResult(0).getUses(), [](OpOperand &u) { return &u; });
    builder.setInsertionPoint(op);
    for (OpOperand *use : llvm::drop_begin(uses))
      use->set(builder.clone(*op)->getResult(0));
  }
}

/// The extents of `op`'s loops as comparable keys: static sizes, or for
/// dynamic ones the SSA value that sizes the tensor.empty of its init.
static std::optional<SmallVector<OpFoldResult>> getLoopExtents(linalg::GenericOp op) {
  Value init = op.getDpsInits().front();
  if (!op.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  auto type = cast<RankedTensorType>(init.getType());
  if (type.hasStaticShape())
    return getAsIndexOpFoldResult(op.getContext(), type.getShape());
  auto empty = init.getDefiningOp<tensor::EmptyOp>();
  if (!empty)
    return std::nullopt;
  return empty.getMixedSizes();
}

/// Whether `a` (before `b` in the same block) and `b` can become one op at
/// the position of `b`: same domain, and neither depends on the other.
static bool canMergeSiblings(linalg::GenericOp a, linalg::GenericOp b) {
  if (a->getBlock() != b->getBlock() || !isAllParallel(a) || !isAllParallel(b))
    return false;
  if (a.getNumLoops() != b.getNumLoops() || !a.hasPureTensorSemantics() ||
      !b.hasPureTensorSemantics())
    return false;
  auto ea = getLoopExtents(a), eb = getLoopExtents(b);
  if (!ea || !eb || *ea != *eb)
    return false;
  // No use of a's results before b (the merged op sits where b is).
  for (Operation *user : a->getUsers()) {
    Operation *inBlock = a->getBlock()->findAncestorOpInBlock(*user);
    if (!inBlock || inBlock == b || inBlock->isBeforeInBlock(b))
      return false;
  }
  // b does not depend on a, even transitively.
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.filter = [&](Operation *op) {
    return op->getBlock() == a->getBlock() && !op->isBeforeInBlock(a);
  };
  for (Value operand : b->getOperands())
    if (Operation *def = operand.getDefiningOp(); def && options.filter(def))
      (void)getBackwardSlice(def, &slice, options);
  return !slice.contains(a);
}

static linalg::GenericOp mergeSiblings(RewriterBase &rewriter, linalg::GenericOp a,
                                       linalg::GenericOp b) {
  rewriter.setInsertionPoint(b);
  SmallVector<Value> ins(a.getDpsInputs()), outs(a.getDpsInits());
  llvm::append_range(ins, b.getDpsInputs());
  llvm::append_range(outs, b.getDpsInits());
  SmallVector<AffineMap> aMaps = a.getIndexingMapsArray(), bMaps = b.getIndexingMapsArray();
  unsigned aIns = a.getNumDpsInputs(), bIns = b.getNumDpsInputs();
  SmallVector<AffineMap> maps(aMaps.begin(), aMaps.begin() + aIns);
  maps.append(bMaps.begin(), bMaps.begin() + bIns);
  maps.append(aMaps.begin() + aIns, aMaps.end());
  maps.append(bMaps.begin() + bIns, bMaps.end());
  SmallVector<Type> resultTypes(a->getResultTypes());
  llvm::append_range(resultTypes, b->getResultTypes());

  auto merged = linalg::GenericOp::create(rewriter, b.getLoc(), resultTypes, ins, outs, maps,
                                          a.getIteratorTypesArray());
  Block *block = rewriter.createBlock(&merged.getRegion());
  Block &aBody = *a.getBlock(), &bBody = *b.getBlock();
  auto addArgs = [&](Block &body, unsigned from, unsigned to) {
    for (unsigned i = from; i < to; ++i)
      block->addArgument(body.getArgument(i).getType(), body.getArgument(i).getLoc());
  };
  addArgs(aBody, 0, aIns);
  addArgs(bBody, 0, bIns);
  addArgs(aBody, aIns, aBody.getNumArguments());
  addArgs(bBody, bIns, bBody.getNumArguments());
  unsigned aOuts = aBody.getNumArguments() - aIns;
  IRMapping mapping;
  for (unsigned i = 0; i < aIns; ++i)
    mapping.map(aBody.getArgument(i), block->getArgument(i));
  for (unsigned i = 0; i < bIns; ++i)
    mapping.map(bBody.getArgument(i), block->getArgument(aIns + i));
  for (unsigned i = 0; i < aOuts; ++i)
    mapping.map(aBody.getArgument(aIns + i), block->getArgument(aIns + bIns + i));
  for (unsigned i = 0; i + bIns < bBody.getNumArguments(); ++i)
    mapping.map(bBody.getArgument(bIns + i), block->getArgument(aIns + bIns + aOuts + i));
  rewriter.setInsertionPointToStart(block);
  SmallVector<Value> yielded;
  for (Block *body : {&aBody, &bBody}) {
    for (Operation &op : body->without_terminator())
      rewriter.clone(op, mapping);
    for (Value v : body->getTerminator()->getOperands())
      yielded.push_back(mapping.lookupOrDefault(v));
  }
  linalg::YieldOp::create(rewriter, b.getLoc(), yielded);
  // Read a's result count before replaceOp erases a.
  unsigned aResults = a->getNumResults();
  rewriter.replaceOp(a, merged->getResults().take_front(aResults));
  rewriter.replaceOp(b, merged->getResults().drop_front(aResults));
  return merged;
}

/// Merges sibling generics block by block until nothing changes.
static bool mergeAllSiblings(Operation *root) {
  IRRewriter rewriter(root->getContext());
  bool changed = false, again = true;
  while (again) {
    again = false;
    SmallVector<Block *> blocks;
    root->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks) {
      SmallVector<linalg::GenericOp> generics;
      for (Operation &op : *block)
        if (auto g = dyn_cast<linalg::GenericOp>(op))
          generics.push_back(g);
      for (unsigned i = 0; i < generics.size() && !again; ++i)
        for (unsigned j = i + 1; j < generics.size() && !again; ++j)
          if (canMergeSiblings(generics[i], generics[j])) {
            mergeSiblings(rewriter, generics[i], generics[j]);
            again = changed = true;
          }
    }
  }
  return changed;
}

struct FuseElementwisePass : vibee::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using FuseElementwisePassBase::FuseElementwisePassBase;

  LogicalResult runPatterns() {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    int64_t limit = maxBroadcastRecompute;
    linalg::ControlFusionFn control = [limit](OpOperand *use) { return shouldFuse(*use, limit); };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
    return applyPatternsGreedily(getOperation(), std::move(patterns));
  }

  void runOnOperation() override {
    duplicateMultiUseProducers(getOperation(), maxBroadcastRecompute);
    if (failed(runPatterns()))
      return signalPassFailure();
    if (horizontal && mergeAllSiblings(getOperation()))
      if (failed(runPatterns()))
        return signalPassFailure();
  }
};

} // namespace
