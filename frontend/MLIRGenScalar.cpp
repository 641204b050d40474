// The scalar code of statement bodies (MLIRGenScalar.h): dtype conversions with the
// language's semantics, constants, integer division and the math builtins.
#include "frontend/MLIRGenScalar.h"

#include "frontend/Float8.h"
#include "frontend/MLIRGen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace vibee {

// (MLIRGen.h) Here, beside the conversions between these types.
Type toMLIRType(MLIRContext &context, ast::DType dtype) {
  Builder b(&context);
  switch (dtype) {
  case ast::DType::F64:
    return b.getF64Type();
  case ast::DType::F32:
    return b.getF32Type();
  case ast::DType::F16:
    return b.getF16Type();
  case ast::DType::BF16:
    return b.getBF16Type();
  case ast::DType::F8E4M3:
    return Float8E4M3FNType::get(&context);
  case ast::DType::F8E5M2:
    return Float8E5M2Type::get(&context);
  case ast::DType::I64:
  case ast::DType::U64:
    return b.getI64Type();
  case ast::DType::I32:
  case ast::DType::U32:
    return b.getI32Type();
  case ast::DType::U16:
    return b.getI16Type();
  case ast::DType::I8:
  case ast::DType::U8:
    return b.getI8Type();
  case ast::DType::Bool:
    return b.getI1Type();
  }
  return b.getF32Type();
}

} // namespace vibee

namespace vibee::mlirgen {

using ast::DType;

// Float -> signed integer, truncating toward zero and saturating at the integer
// type's range, NaN -> 0 (docs/language.md): a plain fptosi is poison out of range,
// and its C++ translation is UB. f16/bf16 extend to f32 first, where the bounds
// -2^(w-1) and 2^(w-1) are exact.
static Value saturatingFPToSI(OpBuilder &b, Location loc, Value v, Type target) {
  if (v.getType().getIntOrFloatBitWidth() < 32)
    v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  Type ft = v.getType();
  unsigned w = target.getIntOrFloatBitWidth();
  double bound = std::ldexp(1.0, (int)w - 1);
  auto fconst = [&](double x) -> Value {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, x));
  };
  auto iconst = [&](const APInt &x) -> Value {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(target, x));
  };
  Value tooSmall = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, fconst(-bound));
  Value tooBig = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, v, fconst(bound));
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
  Value outside =
      arith::OrIOp::create(b, loc, arith::OrIOp::create(b, loc, tooSmall, tooBig), isNaN);
  Value safe = arith::SelectOp::create(b, loc, outside, fconst(0.0), v);
  Value r = arith::FPToSIOp::create(b, loc, target, safe);
  r = arith::SelectOp::create(b, loc, tooSmall, iconst(APInt::getSignedMinValue(w)), r);
  return arith::SelectOp::create(b, loc, tooBig, iconst(APInt::getSignedMaxValue(w)), r);
}

// Float -> unsigned integer, the same way: truncation toward zero, saturation at
// [0, 2^w - 1], NaN -> 0 (arith.fptoui is poison out of range too). 2^w is exact in
// f32 for every w up to 64; a value in (-1, 0) truncates to 0 either way.
static Value saturatingFPToUI(OpBuilder &b, Location loc, Value v, Type target) {
  if (v.getType().getIntOrFloatBitWidth() < 32)
    v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  Type ft = v.getType();
  unsigned w = target.getIntOrFloatBitWidth();
  auto fconst = [&](double x) -> Value {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, x));
  };
  Value tooBig =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, v, fconst(std::ldexp(1.0, (int)w)));
  // Not (v > 0): negatives and NaN, both 0.
  Value notPositive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ULE, v, fconst(0.0));
  Value outside = arith::OrIOp::create(b, loc, tooBig, notPositive);
  Value safe = arith::SelectOp::create(b, loc, outside, fconst(0.0), v);
  Value r = arith::FPToUIOp::create(b, loc, target, safe);
  Value allOnes =
      arith::ConstantOp::create(b, loc, b.getIntegerAttr(target, APInt::getMaxValue(w)));
  return arith::SelectOp::create(b, loc, tooBig, allOnes, r);
}

// An integer (not bool) to a float type: uitofp for the unsigned dtypes.
static Value intToFloat(OpBuilder &b, Location loc, Value v, DType from, Type target) {
  return ast::isUnsigned(from) ? (Value)arith::UIToFPOp::create(b, loc, target, v)
                               : (Value)arith::SIToFPOp::create(b, loc, target, v);
}

// A cast to FP8 (frontend/Float8.h): integers, bools and the other FP8 format go
// through f32 (exact, or beyond the FP8 range either way); f8e4m3 saturates first,
// at ±448 in the source's float type (exact in all of them; maximumf and minimumf
// keep a NaN), so that the truncation itself never overflows.
static Value convertToFloat8(OpBuilder &b, Location loc, Value v, DType from, DType to) {
  Type f32 = b.getF32Type();
  if (from == DType::Bool)
    v = arith::UIToFPOp::create(b, loc, f32, v);
  else if (!ast::isFloat(from))
    v = intToFloat(b, loc, v, from, f32);
  else if (ast::isFloat8(from))
    v = arith::ExtFOp::create(b, loc, f32, v);
  if (to == DType::F8E4M3) {
    Type ft = v.getType();
    Value hi = arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, 448.0));
    Value lo = arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, -448.0));
    v = arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, v, lo), hi);
  }
  return arith::TruncFOp::create(b, loc, toMLIRType(*b.getContext(), to), v);
}

// Converts a scalar between dtypes with C-like semantics (trunc toward zero, an
// integer widens by its own signedness and narrows to its low bits, bool = value !=
// 0), except that float -> int saturates.
Value convertScalar(OpBuilder &b, Location loc, Value v, DType from, DType to) {
  if (from == to)
    return v;
  MLIRContext &ctx = *b.getContext();
  Type target = toMLIRType(ctx, to);
  if (to == DType::Bool) {
    if (ast::isFloat(from)) {
      Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(v.getType(), 0.0));
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
    }
    Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(v.getType(), 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
  }
  if (ast::isFloat8(to))
    return convertToFloat8(b, loc, v, from, to);
  if (from == DType::Bool)
    return ast::isFloat(to) ? (Value)arith::UIToFPOp::create(b, loc, target, v)
                            : (Value)arith::ExtUIOp::create(b, loc, target, v);
  if (ast::isFloat(from) && ast::isFloat(to)) {
    unsigned fromBits = v.getType().getIntOrFloatBitWidth();
    unsigned toBits = target.getIntOrFloatBitWidth();
    if (fromBits == toBits) // f16 <-> bf16: go through f32
      return arith::TruncFOp::create(b, loc, target,
                                     arith::ExtFOp::create(b, loc, b.getF32Type(), v));
    return fromBits < toBits ? (Value)arith::ExtFOp::create(b, loc, target, v)
                             : (Value)arith::TruncFOp::create(b, loc, target, v);
  }
  if (ast::isFloat(from))
    return ast::isUnsigned(to) ? saturatingFPToUI(b, loc, v, target)
                               : saturatingFPToSI(b, loc, v, target);
  if (ast::isFloat(to))
    return intToFloat(b, loc, v, from, target);
  unsigned fromBits = v.getType().getIntOrFloatBitWidth();
  unsigned toBits = target.getIntOrFloatBitWidth();
  if (fromBits == toBits) // i32 <-> u32: the same bits
    return v;
  if (fromBits > toBits)
    return arith::TruncIOp::create(b, loc, target, v);
  return ast::isUnsigned(from) ? (Value)arith::ExtUIOp::create(b, loc, target, v)
                               : (Value)arith::ExtSIOp::create(b, loc, target, v);
}

TypedAttr constantAttrOf(Builder &b, DType dtype, double value) {
  Type type = toMLIRType(*b.getContext(), dtype);
  if (ast::isFloat8(dtype)) { // rounded as a cast would (APFloat's overflow is NaN)
    auto &semantics = cast<FloatType>(type).getFloatSemantics();
    APFloat bits(semantics, APInt(8, fp8::encode(value, dtype)));
    return b.getFloatAttr(type, bits);
  }
  if (ast::isFloat(dtype))
    return b.getFloatAttr(type, value);
  if (dtype == DType::Bool)
    return b.getBoolAttr(value != 0);
  return b.getIntegerAttr(type, (int64_t)value);
}

// An integer or bool constant from its exact value (a double would round above 2^53).
TypedAttr intConstantAttrOf(Builder &b, DType dtype, int64_t value) {
  if (ast::isFloat(dtype))
    return constantAttrOf(b, dtype, (double)value);
  if (dtype == DType::Bool)
    return b.getBoolAttr(value != 0);
  return b.getIntegerAttr(toMLIRType(*b.getContext(), dtype), value);
}

Value constantOf(OpBuilder &b, Location loc, DType dtype, double value) {
  return arith::ConstantOp::create(b, loc, constantAttrOf(b, dtype, value));
}

Value intConstantOf(OpBuilder &b, Location loc, DType dtype, int64_t value) {
  return arith::ConstantOp::create(b, loc, intConstantAttrOf(b, dtype, value));
}

// Integer `/` and `%` with defined results on every target (docs/language.md):
// x / 0 = 0, x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0. The division runs on a safe
// divisor (1 where y is 0 or -1), so no target executes a trapping or UB division;
// selects then put in the stated results (x / -1 = 0 - x, wrapping). Unsigned: divui
// and remui, with only y = 0 to make safe.
Value emitIntDivRem(OpBuilder &b, bool isDiv, Value x, Value y, DType type, Location loc) {
  Value zero = constantOf(b, loc, type, 0), one = constantOf(b, loc, type, 1);
  if (ast::isUnsigned(type)) {
    Value byZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
    Value safeY = arith::SelectOp::create(b, loc, byZero, one, y);
    if (!isDiv)
      return arith::SelectOp::create(b, loc, byZero, x, arith::RemUIOp::create(b, loc, x, safeY));
    return arith::SelectOp::create(b, loc, byZero, zero, arith::DivUIOp::create(b, loc, x, safeY));
  }
  Value minusOne = constantOf(b, loc, type, -1);
  Value byZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  Value byMinusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, minusOne);
  Value unsafe = arith::OrIOp::create(b, loc, byZero, byMinusOne);
  Value safeY = arith::SelectOp::create(b, loc, unsafe, one, y);
  if (!isDiv) { // x % 1 = 0 is already right for y = -1
    Value r = arith::RemSIOp::create(b, loc, x, safeY);
    return arith::SelectOp::create(b, loc, byZero, x, r);
  }
  Value q = arith::DivSIOp::create(b, loc, x, safeY);
  Value neg = arith::SubIOp::create(b, loc, zero, x);
  q = arith::SelectOp::create(b, loc, byMinusOne, neg, q);
  return arith::SelectOp::create(b, loc, byZero, zero, q);
}

// Shifts with defined results for every count (docs/language.md): a count outside
// [0, width) (compared as unsigned, so negative ones too) gives 0 for `<<` and the
// sign fill for `>>` (0 for unsigned dtypes, whose `>>` is logical: shrui). The shift
// itself runs on an in-range count: arith.shli/shrsi/shrui are poison beyond the
// width, and so is the C++ the EmitC path prints.
Value emitShift(OpBuilder &b, bool left, Value x, Value count, DType type, Location loc) {
  unsigned w = x.getType().getIntOrFloatBitWidth();
  Value width = intConstantOf(b, loc, type, w);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, count, width);
  if (!left && ast::isUnsigned(type)) {
    Value safe = arith::SelectOp::create(b, loc, inRange, count, intConstantOf(b, loc, type, 0));
    Value shifted = arith::ShRUIOp::create(b, loc, x, safe);
    return arith::SelectOp::create(b, loc, inRange, shifted, intConstantOf(b, loc, type, 0));
  }
  if (!left) // x >> (w - 1) is the sign fill
    return arith::ShRSIOp::create(
        b, loc, x,
        arith::SelectOp::create(b, loc, inRange, count, intConstantOf(b, loc, type, w - 1)));
  Value safe = arith::SelectOp::create(b, loc, inRange, count, intConstantOf(b, loc, type, 0));
  Value shifted = arith::ShLIOp::create(b, loc, x, safe);
  return arith::SelectOp::create(b, loc, inRange, shifted, intConstantOf(b, loc, type, 0));
}

// Integer min / max as compare and select (ult for unsigned dtypes): the C++ emitter
// (EmitC) has no printer for arith.minsi / maxui & co., and LLVM forms smin / umax
// from the select anyway.
static Value intMinMax(OpBuilder &b, Location loc, Value x, Value y, bool isMin, DType type) {
  Value less = arith::CmpIOp::create(
      b, loc, ast::isUnsigned(type) ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt, x, y);
  return isMin ? arith::SelectOp::create(b, loc, less, x, y)
               : arith::SelectOp::create(b, loc, less, y, x);
}

// A math builtin on operands already converted to `type`.
Value emitMath(OpBuilder &b, ast::Builtin fn, DType type, ArrayRef<Value> v, Location loc) {
  bool isF = ast::isFloat(type);
  Value x = v[0];
  switch (fn) {
  case ast::Builtin::Exp:
    return math::ExpOp::create(b, loc, x);
  case ast::Builtin::Log:
    return math::LogOp::create(b, loc, x);
  case ast::Builtin::Sqrt:
    return math::SqrtOp::create(b, loc, x);
  case ast::Builtin::Rsqrt:
    return math::RsqrtOp::create(b, loc, x);
  case ast::Builtin::Tanh:
    return math::TanhOp::create(b, loc, x);
  case ast::Builtin::Sigmoid: {
    // 1 / (1 + exp(-x))
    Value one = constantOf(b, loc, type, 1.0);
    Value ex = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, ex));
  }
  case ast::Builtin::Abs:
    if (ast::isUnsigned(type))
      return x;
    return isF ? (Value)math::AbsFOp::create(b, loc, x) : (Value)math::AbsIOp::create(b, loc, x);
  case ast::Builtin::Sign: {
    if (ast::isUnsigned(type)) // 1 or 0
      return arith::ExtUIOp::create(
          b, loc, x.getType(),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, constantOf(b, loc, type, 0)));
    Value zero = constantOf(b, loc, type, 0), one = constantOf(b, loc, type, 1),
          minusOne = constantOf(b, loc, type, -1);
    Value pos = isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero)
                    : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, zero);
    Value neg = isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero)
                    : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
    if (isF) // x is ±0 or NaN here: x + 0 is +0 or NaN. sign(NaN) = NaN, as in the
             // reference: an optimizer such as Lion must not turn a NaN gradient into
             // a silent zero step
      zero = arith::AddFOp::create(b, loc, x, zero);
    Value negOrZero = arith::SelectOp::create(b, loc, neg, minusOne, zero);
    return arith::SelectOp::create(b, loc, pos, one, negOrZero);
  }
  case ast::Builtin::Min:
    return isF ? (Value)arith::MinimumFOp::create(b, loc, x, v[1])
               : intMinMax(b, loc, x, v[1], true, type);
  case ast::Builtin::Max:
    return isF ? (Value)arith::MaximumFOp::create(b, loc, x, v[1])
               : intMinMax(b, loc, x, v[1], false, type);
  case ast::Builtin::Pow:
    return isF ? (Value)math::PowFOp::create(b, loc, x, v[1])
               : (Value)math::IPowIOp::create(b, loc, x, v[1]);
  case ast::Builtin::Sin:
    return math::SinOp::create(b, loc, x);
  case ast::Builtin::Cos:
    return math::CosOp::create(b, loc, x);
  case ast::Builtin::Erf:
    return math::ErfOp::create(b, loc, x);
  case ast::Builtin::Log1p:
    return math::Log1pOp::create(b, loc, x);
  case ast::Builtin::Expm1:
    return math::ExpM1Op::create(b, loc, x);
  // Exact identities on integers (sema keeps their dtype).
  case ast::Builtin::Floor:
    return isF ? (Value)math::FloorOp::create(b, loc, x) : x;
  case ast::Builtin::Ceil:
    return isF ? (Value)math::CeilOp::create(b, loc, x) : x;
  case ast::Builtin::Round: // halfway cases away from zero, as C's round
    return isF ? (Value)math::RoundOp::create(b, loc, x) : x;
  case ast::Builtin::Trunc: {
    // ceil below zero, floor above: the GPU lowering has no math.trunc.
    if (!isF)
      return x;
    Value neg =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, constantOf(b, loc, type, 0.0));
    return arith::SelectOp::create(b, loc, neg, math::CeilOp::create(b, loc, x),
                                   math::FloorOp::create(b, loc, x));
  }
  // As compares, which every target lowers without a library call: x != x, and
  // |x| == inf. Integers are neither.
  case ast::Builtin::IsNan:
    return isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x)
               : (Value)arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
  case ast::Builtin::IsInf: {
    if (!isF)
      return arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
    Value inf = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(x.getType(), std::numeric_limits<double>::infinity()));
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, math::AbsFOp::create(b, loc, x),
                                 inf);
  }
  // min(max(x, lo), hi) with NaN propagation, as min and max.
  case ast::Builtin::Clamp:
    return isF ? (Value)arith::MinimumFOp::create(b, loc,
                                                  arith::MaximumFOp::create(b, loc, x, v[1]), v[2])
               : intMinMax(b, loc, intMinMax(b, loc, x, v[1], false, type), v[2], true, type);
  case ast::Builtin::Uniform:
  case ast::Builtin::Normal:
    return emitRandom(b, fn, v, loc);
  // emitCall handles these before it gets here.
  case ast::Builtin::Where:
  case ast::Builtin::CastF64:
  case ast::Builtin::CastF32:
  case ast::Builtin::CastF16:
  case ast::Builtin::CastBF16:
  case ast::Builtin::CastF8E4M3:
  case ast::Builtin::CastF8E5M2:
  case ast::Builtin::CastI64:
  case ast::Builtin::CastI32:
  case ast::Builtin::CastI8:
  case ast::Builtin::CastU64:
  case ast::Builtin::CastU32:
  case ast::Builtin::CastU16:
  case ast::Builtin::CastU8:
  case ast::Builtin::CastBool:
    break;
  }
  emitError(loc) << "unsupported builtin '" << ast::builtinInfo(fn).name << "'";
  return {};
}

Value emitComparison(OpBuilder &b, llvm::StringRef op, DType type, Value x, Value y, Location loc) {
  // Floats use ordered predicates (false on NaN) except `!=`.
  struct Pred {
    const char *op;
    arith::CmpFPredicate f;
    arith::CmpIPredicate i, u;
  };
  using F = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  static const Pred preds[] = {{"<", F::OLT, I::slt, I::ult}, {"<=", F::OLE, I::sle, I::ule},
                               {">", F::OGT, I::sgt, I::ugt}, {">=", F::OGE, I::sge, I::uge},
                               {"==", F::OEQ, I::eq, I::eq},  {"!=", F::UNE, I::ne, I::ne}};
  for (const Pred &p : preds)
    if (op == p.op)
      return ast::isFloat(type)
                 ? (Value)arith::CmpFOp::create(b, loc, p.f, x, y)
                 : (Value)arith::CmpIOp::create(b, loc, ast::isUnsigned(type) ? p.u : p.i, x, y);
  return {};
}

Value emitBinaryOp(OpBuilder &b, llvm::StringRef op, DType type, Value x, Value y, Location loc) {
  bool isF = ast::isFloat(type);
  if (op == "&&")
    return arith::AndIOp::create(b, loc, x, y);
  if (op == "||")
    return arith::OrIOp::create(b, loc, x, y);
  if (op == "+")
    return isF ? (Value)arith::AddFOp::create(b, loc, x, y)
               : (Value)arith::AddIOp::create(b, loc, x, y);
  if (op == "-")
    return isF ? (Value)arith::SubFOp::create(b, loc, x, y)
               : (Value)arith::SubIOp::create(b, loc, x, y);
  if (op == "*")
    return isF ? (Value)arith::MulFOp::create(b, loc, x, y)
               : (Value)arith::MulIOp::create(b, loc, x, y);
  if (op == "&")
    return arith::AndIOp::create(b, loc, x, y);
  if (op == "|")
    return arith::OrIOp::create(b, loc, x, y);
  if (op == "^")
    return arith::XOrIOp::create(b, loc, x, y);
  if (op == "<<" || op == ">>")
    return emitShift(b, op == "<<", x, y, type, loc);
  if (op == "/" || op == "%") {
    if (isF)
      return op == "/" ? (Value)arith::DivFOp::create(b, loc, x, y)
                       : (Value)arith::RemFOp::create(b, loc, x, y);
    return emitIntDivRem(b, op == "/", x, y, type, loc);
  }
  return emitComparison(b, op, type, x, y, loc);
}

} // namespace vibee::mlirgen
