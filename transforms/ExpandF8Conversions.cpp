//===- ExpandF8Conversions.cpp - FP8 extf/truncf/constants as integer ops -===//
//
// LLVM has no FP8 type: the LLVM type converters turn f8E4M3FN and f8E5M2 into
// i8, but an `arith.extf` / `arith.truncf` on them has no lowering on the CPU, in
// the C++ output or through NVVM's generic path. This pass writes both as integer
// operations on the bits, scalar or vector alike, so every target runs the same
// code (and the C++ output prints it), matching frontend/Float8.h bit for bit:
//
//  - extf: the sign moves to bit 31; a normal code rebiases its exponent and shifts
//    its mantissa into place; a subnormal code is its mantissa times the spacing
//    (an exact uitofp and multiply); S.1111.111 of e4m3 is NaN, exponent 31 of
//    e5m2 is inf or NaN.
//  - truncf from f32 (f16/bf16 are extended first, exactly): round to nearest even
//    on the magnitude's bits (add half an ulp minus one plus the kept lowest bit,
//    shift), rebias; below the smallest normal, the value scaled to units of the
//    subnormal spacing is rounded by adding 2^23 in f32, whose addition rounds to
//    nearest even, and read back from the bits; then the largest code clamps:
//    f8E4M3FN overflows to NaN (0x7F, as APFloat converts it; MLIRGen saturates
//    f8e4m3 casts before they get here), f8E5M2 to infinity (0x7C).
//
//===----------------------------------------------------------------------===//
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "transforms/Passes.h"

#include <cmath>
#include <optional>

namespace vibee {
#define GEN_PASS_DEF_EXPANDF8CONVERSIONSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct F8Format {
  int mantissaBits;
  int bias;
  bool ieee;   // f8E5M2: infinities, exponent all ones is inf/NaN
  int maxCode; // the clamp of the magnitude's code: NaN (e4m3) or inf (e5m2)
};

std::optional<F8Format> formatOf(Type t) {
  if (isa<Float8E4M3FNType>(t))
    return F8Format{3, 7, false, 0x7F};
  if (isa<Float8E5M2Type>(t))
    return F8Format{2, 15, true, 0x7C};
  return std::nullopt;
}

Type withElement(Type like, Type element) {
  if (auto vec = dyn_cast<VectorType>(like))
    return vec.clone(element);
  return element;
}

// Builds integer and float ops of one shape (a scalar or a vector).
struct Ops {
  PatternRewriter &r;
  Location loc;
  Type like;

  Type i32() const { return withElement(like, r.getI32Type()); }
  Type f32() const { return withElement(like, r.getF32Type()); }
  Value constant(Type type, Attribute scalar) const {
    if (auto vec = dyn_cast<VectorType>(type))
      return arith::ConstantOp::create(r, loc, DenseElementsAttr::get(vec, scalar));
    return arith::ConstantOp::create(r, loc, cast<TypedAttr>(scalar));
  }
  Value i(int64_t v) const { return constant(i32(), r.getI32IntegerAttr((int32_t)v)); }
  Value f(double v) const { return constant(f32(), r.getF32FloatAttr((float)v)); }
  Value andI(Value a, int64_t m) const { return arith::AndIOp::create(r, loc, a, i(m)); }
  Value orI(Value a, Value b) const { return arith::OrIOp::create(r, loc, a, b); }
  Value shl(Value a, int64_t n) const { return arith::ShLIOp::create(r, loc, a, i(n)); }
  Value shr(Value a, int64_t n) const { return arith::ShRUIOp::create(r, loc, a, i(n)); }
  Value add(Value a, Value b) const { return arith::AddIOp::create(r, loc, a, b); }
  Value cmp(arith::CmpIPredicate p, Value a, int64_t b) const {
    return arith::CmpIOp::create(r, loc, p, a, i(b));
  }
  Value select(Value c, Value a, Value b) const { return arith::SelectOp::create(r, loc, c, a, b); }
  Value bitcast(Type to, Value v) const { return arith::BitcastOp::create(r, loc, to, v); }
};

struct ExtFFromF8 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ExtFOp op, PatternRewriter &rewriter) const override {
    Type from = op.getIn().getType();
    std::optional<F8Format> fmt = formatOf(getElementTypeOrSelf(from));
    if (!fmt)
      return rewriter.notifyMatchFailure(op, "not an FP8 extension");
    Ops o{rewriter, op.getLoc(), from};
    const int m = fmt->mantissaBits;
    Value code = arith::ExtUIOp::create(
        rewriter, o.loc, o.i32(), o.bitcast(withElement(from, rewriter.getI8Type()), op.getIn()));
    Value sign = o.shl(o.andI(code, 0x80), 24);
    Value magnitude = o.andI(code, 0x7F);
    Value exponent = o.shr(magnitude, m);
    Value mantissa = o.andI(magnitude, (1 << m) - 1);
    // Normal: the exponent rebiased to f32's, the mantissa at the top of f32's.
    Value normal = o.add(o.shl(magnitude, 23 - m), o.i((127 - fmt->bias) << 23));
    // Subnormal (and zero): mantissa * 2^(1 - bias - m), exact in f32.
    Value scaled = arith::MulFOp::create(
        rewriter, o.loc, arith::UIToFPOp::create(rewriter, o.loc, o.f32(), mantissa),
        o.f(std::ldexp(1.0, 1 - fmt->bias - m)));
    Value subnormal = o.bitcast(o.i32(), scaled);
    Value bits = o.select(o.cmp(arith::CmpIPredicate::eq, exponent, 0), subnormal, normal);
    if (fmt->ieee) { // exponent all ones: inf (mantissa 0) or NaN (its bits kept)
      Value special = o.orI(o.i(0x7F800000), o.shl(mantissa, 23 - m));
      bits = o.select(o.cmp(arith::CmpIPredicate::eq, exponent, (1 << (7 - m)) - 1), special, bits);
    } else { // S.1111.111: NaN
      bits = o.select(o.cmp(arith::CmpIPredicate::eq, magnitude, 0x7F), o.i(0x7FC00000), bits);
    }
    Value value = o.bitcast(o.f32(), o.orI(sign, bits));
    Type to = getElementTypeOrSelf(op.getType());
    if (to.isF32())
      rewriter.replaceOp(op, value);
    else if (to.getIntOrFloatBitWidth() > 32)
      rewriter.replaceOpWithNewOp<arith::ExtFOp>(op, op.getType(), value);
    else // f16, bf16: every FP8 value is exact in them
      rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, op.getType(), value);
    return success();
  }
};

struct TruncFToF8 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op, PatternRewriter &rewriter) const override {
    Type to = op.getType();
    std::optional<F8Format> fmt = formatOf(getElementTypeOrSelf(to));
    if (!fmt)
      return rewriter.notifyMatchFailure(op, "not an FP8 truncation");
    Type source = getElementTypeOrSelf(op.getIn().getType());
    if (source.getIntOrFloatBitWidth() > 32) // vibee-expand-f64-truncation first
      return rewriter.notifyMatchFailure(op, "f64 source: round it to odd f32 first");
    Ops o{rewriter, op.getLoc(), to};
    const int m = fmt->mantissaBits, drop = 23 - m;
    Value in = op.getIn();
    if (!source.isF32())
      in = arith::ExtFOp::create(rewriter, o.loc, o.f32(), in);
    Value bits = o.bitcast(o.i32(), in);
    Value sign = o.andI(o.shr(bits, 24), 0x80);
    Value magnitude = o.andI(bits, 0x7FFFFFFF);
    // Normal: nearest even on the dropped bits, then the exponent rebiased (a carry
    // out of the mantissa moves to the next binade, or past the largest code).
    Value lowestKept = o.andI(o.shr(magnitude, drop), 1);
    Value rounded = o.add(o.add(magnitude, o.i((1 << (drop - 1)) - 1)), lowestKept);
    Value normal =
        arith::SubIOp::create(rewriter, o.loc, o.shr(rounded, drop), o.i((127 - fmt->bias) << m));
    // Below the smallest normal: the count of subnormal spacings, rounded by f32.
    Value units = arith::MulFOp::create(rewriter, o.loc, o.bitcast(o.f32(), magnitude),
                                        o.f(std::ldexp(1.0, fmt->bias - 1 + m)));
    Value sum = arith::AddFOp::create(rewriter, o.loc, units, o.f(0x1p23));
    Value subnormal =
        arith::SubIOp::create(rewriter, o.loc, o.bitcast(o.i32(), sum), o.i(0x4B000000));
    Value small = o.cmp(arith::CmpIPredicate::ult, magnitude, (127 + 1 - fmt->bias) << 23);
    Value code = o.select(small, subnormal, normal);
    code = arith::MinUIOp::create(rewriter, o.loc, code, o.i(fmt->maxCode));
    Value isNaN = o.cmp(arith::CmpIPredicate::ugt, magnitude, 0x7F800000);
    code = o.select(isNaN, o.i(fmt->ieee ? 0x7E : 0x7F), code);
    Value byte = arith::TruncIOp::create(rewriter, o.loc, withElement(to, rewriter.getI8Type()),
                                         o.orI(sign, code));
    rewriter.replaceOp(op, o.bitcast(to, byte));
    return success();
  }
};

struct F8Constant : OpRewritePattern<arith::ConstantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ConstantOp op, PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!formatOf(getElementTypeOrSelf(type)))
      return rewriter.notifyMatchFailure(op, "not an FP8 constant");
    Type i8 = withElement(type, rewriter.getI8Type());
    TypedAttr bits;
    if (auto scalar = dyn_cast<FloatAttr>(op.getValue()))
      bits = rewriter.getIntegerAttr(i8, scalar.getValue().bitcastToAPInt());
    else if (auto dense = dyn_cast<DenseElementsAttr>(op.getValue()))
      bits = dense.bitcast(rewriter.getI8Type());
    else
      return rewriter.notifyMatchFailure(op, "an FP8 constant of an unknown attribute");
    Value v = arith::ConstantOp::create(rewriter, op.getLoc(), bits);
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, type, v);
    return success();
  }
};

struct ExpandF8ConversionsPass : vibee::impl::ExpandF8ConversionsPassBase<ExpandF8ConversionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExtFFromF8, TruncFToF8, F8Constant>(&getContext());
    // The constants this pass makes must not fold back into FP8 ones.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
