//===- ExpandF64Truncation.cpp - f64 -> bf16/f16 through f32 rounded to odd -===//
//
// A spec may compute in f64 and store bf16 or f16 (`c = bf16(acc)` with an f64
// `acc`). The narrow-float emulation (Pipelines.cpp) and the CPU's bf16 expansion
// only rewrite truncations from f32, and LLVM lowers the direct one to a libcall
// (`__truncdfbf2`) that Debian 12's libgcc does not have: the JIT failed to
// link. Truncating to f32 first and then to the narrow type would round twice
// (a value just above a narrow tie, rounded to the tie in f32, then rounded to
// even, lands one narrow ulp off). Rounding the f32 step to odd avoids that: with
// at least two spare bits (f32 has 16 more than bf16, 13 more than f16, and an
// exponent range that covers both; 20 or 21 more than FP8), nearest-even of the odd-rounded value
// is nearest-even of the original.
//
//===----------------------------------------------------------------------===//
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "transforms/Passes.h"

namespace vibee {
#define GEN_PASS_DEF_EXPANDF64TRUNCATIONPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

// A scalar type or the same shape of vector with `element` as its element type.
Type withElement(Type like, Type element) {
  if (auto vec = dyn_cast<VectorType>(like))
    return vec.clone(element);
  return element;
}

Value splatInt(PatternRewriter &rewriter, Location loc, Type type, int32_t value) {
  Type element = getElementTypeOrSelf(type);
  TypedAttr scalar = rewriter.getIntegerAttr(element, value);
  if (auto vec = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(rewriter, loc, DenseElementsAttr::get(vec, scalar));
  return arith::ConstantOp::create(rewriter, loc, scalar);
}

struct TruncF64ThroughOddF32 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op, PatternRewriter &rewriter) const override {
    Type source = getElementTypeOrSelf(op.getIn().getType());
    Type target = getElementTypeOrSelf(op.getType());
    bool narrow =
        target.isBF16() || target.isF16() || isa<Float8E4M3FNType, Float8E5M2Type>(target);
    if (!source.isF64() || !narrow)
      return rewriter.notifyMatchFailure(op, "not an f64 -> bf16/f16/FP8 truncation");
    Location loc = op.getLoc();
    Value wide = op.getIn();
    Type f32Type = withElement(wide.getType(), rewriter.getF32Type());
    Type i32Type = withElement(wide.getType(), rewriter.getI32Type());

    Value nearest = arith::TruncFOp::create(rewriter, loc, f32Type, wide);
    Value back = arith::ExtFOp::create(rewriter, loc, wide.getType(), nearest);
    // Ordered: a NaN is never inexact (it passes through unchanged).
    Value inexact = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::ONE, back, wide);
    Value roundedAway = arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OGT,
                                              math::AbsFOp::create(rewriter, loc, back),
                                              math::AbsFOp::create(rewriter, loc, wide));
    // Sign-magnitude: one less in the bits is one step toward zero, whatever the
    // sign (an overflow to inf steps back to the largest finite f32).
    Value bits = arith::BitcastOp::create(rewriter, loc, i32Type, nearest);
    Value one = splatInt(rewriter, loc, i32Type, 1);
    Value truncated = arith::SelectOp::create(
        rewriter, loc, roundedAway, arith::SubIOp::create(rewriter, loc, bits, one), bits);
    Value odd = arith::SelectOp::create(rewriter, loc, inexact,
                                        arith::OrIOp::create(rewriter, loc, truncated, one), bits);
    Value f32Odd = arith::BitcastOp::create(rewriter, loc, f32Type, odd);
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, op.getType(), f32Odd);
    return success();
  }
};

struct ExpandF64TruncationPass : vibee::impl::ExpandF64TruncationPassBase<ExpandF64TruncationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TruncF64ThroughOddF32>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
