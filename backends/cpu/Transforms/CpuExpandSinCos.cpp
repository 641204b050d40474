//===- CpuExpandSinCos.cpp - vector sin/cos without libm calls ------------===//
//
// vibee-cpu-expand-sin-cos, on vectorized loops: math.sin and math.cos of f32
// vectors become arithmetic on f64 vectors, so they stay vectors instead of one
// sinf/cosf call per lane (RoPE's angles, Box-Muller's normals).
//
// MLIR's polynomial approximations reduce the argument by pi/2 in f32, which
// loses every digit at large arguments (RoPE at long positions, LoopPreparation.cpp),
// so this expansion reduces in f64 instead: k = round(x * 2/pi) and
// r = x - k * C1 - k * C2, where C1 + C2 is pi/2 and C1 has 33 significant bits,
// so k * C1 is exact and x - k * C1 too (Cody and Waite) for |k| < 2^20. Then
// sin(r) and cos(r) on [-pi/4, pi/4] are their Taylor polynomials to r^11 and r^12
// (truncation below 1e-11, far under half an f32 ulp), the quadrant (k mod 4)
// picks one and its sign, and the f64 result rounds once to f32. A lane beyond
// kReducedLimit (or inf, or NaN) takes the libm call instead: the original op,
// run only when some lane of the vector needs it. sin(+-0) keeps its sign.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_CPUEXPANDSINCOSPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

// pi/2 = kPiOver2High + kPiOver2Low, the high part with 33 significant bits.
constexpr double kPiOver2High = 1.5707963267341256141662597656250;
constexpr double kPiOver2Low = 6.0771005065061922518567e-11;
constexpr double kTwoOverPi = 0.63661977236758134307553505349006;
// |x| up to here: |k| < 2^20, so k * kPiOver2High is exact.
constexpr double kReducedLimit = 1.0e6;

// The Taylor coefficients of sin(r) / r - 1 and cos(r) - 1, in powers of r^2.
constexpr double kSinTerms[] = {-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880,
                                -1.0 / 39916800};
constexpr double kCosTerms[] = {-1.0 / 2,      1.0 / 24,         -1.0 / 720,
                                1.0 / 40320,   -1.0 / 3628800,   1.0 / 479001600};

// Expands `op` (math.sin or math.cos of a 1-D f32 vector) at the rewriter's
// insertion point; anything else stays.
void expandSinCos(RewriterBase &rw, Operation *op) {
  bool isSin = isa<math::SinOp>(op);
  auto type = dyn_cast<VectorType>(op->getResult(0).getType());
  if (!type || !type.getElementType().isF32() || type.isScalable() || type.getRank() != 1)
    return;
  Location loc = op->getLoc();
  Value x = op->getOperand(0);
  auto wide = VectorType::get(type.getShape(), rw.getF64Type());
  auto ints = VectorType::get(type.getShape(), rw.getI32Type());
  auto splat = [&](Type t, Attribute a) {
    return arith::ConstantOp::create(rw, loc, DenseElementsAttr::get(cast<ShapedType>(t), a));
  };
  auto f64 = [&](double v) { return splat(wide, rw.getF64FloatAttr(v)); };
  auto i32 = [&](int32_t v) { return splat(ints, rw.getI32IntegerAttr(v)); };

  Value xd = arith::ExtFOp::create(rw, loc, wide, x);
  Value k = math::RoundEvenOp::create(rw, loc, arith::MulFOp::create(rw, loc, xd, f64(kTwoOverPi)));
  Value minusK = arith::NegFOp::create(rw, loc, k);
  Value r = math::FmaOp::create(rw, loc, minusK, f64(kPiOver2High), xd);
  r = math::FmaOp::create(rw, loc, minusK, f64(kPiOver2Low), r);
  Value r2 = arith::MulFOp::create(rw, loc, r, r);
  auto horner = [&](ArrayRef<double> terms) {
    Value acc = f64(terms.back());
    for (double t : llvm::reverse(terms.drop_back()))
      acc = math::FmaOp::create(rw, loc, acc, r2, f64(t));
    return arith::MulFOp::create(rw, loc, acc, r2).getResult();
  };
  Value sinR = math::FmaOp::create(rw, loc, r, horner(kSinTerms), r);
  Value cosR = arith::AddFOp::create(rw, loc, horner(kCosTerms), f64(1.0));

  // Quadrant q = k mod 4: sin takes (s, c, -s, -c), cos (c, -s, -c, s).
  Value q = arith::FPToSIOp::create(rw, loc, ints, k);
  auto bitSet = [&](Value v, int32_t bit) {
    Value masked = arith::AndIOp::create(rw, loc, v, i32(bit));
    return arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::ne, masked, i32(0)).getResult();
  };
  Value odd = bitSet(q, 1);
  Value base = isSin ? arith::SelectOp::create(rw, loc, odd, cosR, sinR)
                     : arith::SelectOp::create(rw, loc, odd, sinR, cosR);
  Value negate = bitSet(isSin ? q : arith::AddIOp::create(rw, loc, q, i32(1)).getResult(), 2);
  Value signed_ =
      arith::SelectOp::create(rw, loc, negate, arith::NegFOp::create(rw, loc, base), base);
  Value result = arith::TruncFOp::create(rw, loc, type, signed_);
  if (isSin) {
    Value zero = splat(type, rw.getF32FloatAttr(0.0f));
    Value isZero = arith::CmpFOp::create(rw, loc, arith::CmpFPredicate::OEQ, x, zero);
    result = arith::SelectOp::create(rw, loc, isZero, x, result);
  }

  // Lanes beyond the exact reduction (and inf, NaN: not <=) take libm's answer.
  Value magnitude = math::AbsFOp::create(rw, loc, xd);
  Value reduced = arith::CmpFOp::create(rw, loc, arith::CmpFPredicate::OLE, magnitude,
                                        f64(kReducedLimit));
  Value far = arith::XOrIOp::create(
      rw, loc, reduced,
      splat(VectorType::get(type.getShape(), rw.getI1Type()), rw.getBoolAttr(true)));
  Value anyFar = vector::ReductionOp::create(rw, loc, vector::CombiningKind::OR, far);
  auto ifOp = scf::IfOp::create(
      rw, loc, anyFar,
      [&](OpBuilder &b, Location l) {
        Operation *libm = b.clone(*op);
        Value chosen = arith::SelectOp::create(b, l, far, libm->getResult(0), result);
        scf::YieldOp::create(b, l, chosen);
      },
      [&](OpBuilder &b, Location l) { scf::YieldOp::create(b, l, result); });
  rw.replaceOp(op, ifOp.getResults());
}

struct CpuExpandSinCosPass : vibee::impl::CpuExpandSinCosPassBase<CpuExpandSinCosPass> {
  void runOnOperation() override {
    // Collected first: the expansion keeps a copy of each op for the far lanes.
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<math::SinOp, math::CosOp>(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      rewriter.setInsertionPoint(op);
      expandSinCos(rewriter, op);
    }
  }
};

} // namespace
