//===- FormSoftmax.cpp - recognise softmax statement chains ---------------===//
//
// A softmax spelled in index notation is four statements:
//   mx = max(c) x;  e = exp(x - mx);  s = sum(c) e;  y = e / s
// Matching it here, at the vibee level, lets later passes treat it as one op
// (online softmax in attention, one block per row on GPUs) instead of
// rediscovering it among generics.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace vibee {
#define GEN_PASS_DEF_FORMSOFTMAXPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

/// The access map of a rank-`rank` tensor read by a compute whose parallel loops
/// are the other axes (in order) and whose last loop is `axis`:
/// (d0, ..., d{rank-1}) -> (d0, .., d{rank-1} at `axis`, ..).
static AffineMap reducedAxisAccess(unsigned rank, unsigned axis, MLIRContext *ctx) {
  SmallVector<AffineExpr> results;
  for (unsigned k = 0, p = 0; k < rank; ++k)
    results.push_back(getAffineDimExpr(k == axis ? rank - 1 : p++, ctx));
  return AffineMap::get(rank, 0, results, ctx);
}

/// The access map of the row tensor (axis dropped) from a rank-`rank` loop nest
/// that is all parallel: (d0, ..., d{rank-1}) -> (all but d`axis`).
static AffineMap rowAccess(unsigned rank, unsigned axis, MLIRContext *ctx) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(axis);
}

static AffineMap mapOf(ComputeOp op, unsigned input) {
  return cast<AffineMapAttr>(op.getIndexingMaps()[input]).getValue();
}

/// The single non-terminator op of the body, if it is `OpTy` applied to the block
/// arguments in order, and yielded.
template <typename OpTy> static OpTy getSoleBinaryOp(ComputeOp op) {
  Block &body = op.getBody().front();
  if (body.getOperations().size() != 2 || body.getNumArguments() != 2)
    return nullptr;
  auto bin = dyn_cast<OpTy>(body.front());
  if (!bin || bin.getLhs() != body.getArgument(0) || bin.getRhs() != body.getArgument(1))
    return nullptr;
  auto yield = cast<YieldOp>(body.getTerminator());
  return yield.getValue() == bin.getResult() ? bin : nullptr;
}

/// A compute of `kind` that reduces its single input along `axis` (the last
/// loop) and yields the element unchanged.
static bool isPlainReduction(ComputeOp op, ReduceKind kind, unsigned axis) {
  if (!op || op.getKind() != kind || op.getInputs().size() != 1)
    return false;
  auto input = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  if (!input || op.getNumLoops() != input.getRank() ||
      op.getNumParallelLoops() + 1 != input.getRank())
    return false;
  Block &body = op.getBody().front();
  if (cast<YieldOp>(body.getTerminator()).getValue() != body.getArgument(0))
    return false;
  return mapOf(op, 0) == reducedAxisAccess(input.getRank(), axis, op.getContext());
}

/// Rooted at the final division `y = e / s`.
struct FormSoftmaxPattern : OpRewritePattern<ComputeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ComputeOp y, PatternRewriter &rewriter) const override {
    MLIRContext *ctx = getContext();
    auto type = y.getResult().getType();
    unsigned rank = type.getRank();
    if (y.getKind() != ReduceKind::none || !isa<FloatType>(type.getElementType()) ||
        !getSoleBinaryOp<arith::DivFOp>(y))
      return rewriter.notifyMatchFailure(y, "not an elementwise division");
    auto e = y.getInputs()[0].getDefiningOp<ComputeOp>();
    auto s = y.getInputs()[1].getDefiningOp<ComputeOp>();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    if (!e || !s || y.getInputs()[0].getType() != type || mapOf(y, 0) != identity)
      return rewriter.notifyMatchFailure(y, "numerator is not a full tensor");

    // The reduced axis is the one the denominator's map drops.
    std::optional<unsigned> axis;
    for (unsigned a = 0; a < rank && !axis; ++a)
      if (mapOf(y, 1) == rowAccess(rank, a, ctx))
        axis = a;
    if (!axis || !isPlainReduction(s, ReduceKind::sum, *axis) || s.getInputs()[0] != e.getResult())
      return rewriter.notifyMatchFailure(y, "denominator is not a sum of e");

    // e = exp(x - mx), with mx = max of x along the same axis.
    Block &eBody = e.getBody().front();
    if (e.getKind() != ReduceKind::none || e.getInputs().size() != 2 ||
        eBody.getOperations().size() != 3 || mapOf(e, 0) != identity ||
        mapOf(e, 1) != rowAccess(rank, *axis, ctx))
      return rewriter.notifyMatchFailure(y, "e is not exp(x - mx)");
    auto sub = dyn_cast<arith::SubFOp>(eBody.front());
    auto exp = dyn_cast<math::ExpOp>(*std::next(eBody.begin()));
    if (!sub || !exp || sub.getLhs() != eBody.getArgument(0) ||
        sub.getRhs() != eBody.getArgument(1) || exp.getOperand() != sub.getResult() ||
        cast<YieldOp>(eBody.getTerminator()).getValue() != exp.getResult())
      return rewriter.notifyMatchFailure(y, "e is not exp(x - mx)");
    Value x = e.getInputs()[0];
    auto mx = e.getInputs()[1].getDefiningOp<ComputeOp>();
    if (x.getType() != type || !isPlainReduction(mx, ReduceKind::max, *axis) ||
        mx.getInputs()[0] != x)
      return rewriter.notifyMatchFailure(y, "e does not subtract the row max of x");

    // The intermediates must die with the chain, or we would compute them twice.
    if (!mx->hasOneUse() || !s->hasOneUse() ||
        !llvm::all_of(e->getUsers(), [&](Operation *user) { return user == s || user == y; }))
      return rewriter.notifyMatchFailure(y, "an intermediate has other uses");

    rewriter.replaceOpWithNewOp<SoftmaxOp>(y, type, x, rewriter.getI64IntegerAttr(*axis));
    rewriter.eraseOp(s);
    rewriter.eraseOp(e);
    rewriter.eraseOp(mx);
    return success();
  }
};

struct FormSoftmaxPass : vibee::impl::FormSoftmaxPassBase<FormSoftmaxPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FormSoftmaxPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
