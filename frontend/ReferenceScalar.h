// The scalar semantics of the reference interpreter (ReferenceInterpreter.h,
// "Numerics"): values, conversions between dtypes, wrapping integer arithmetic, NaN-
// propagating min/max and the unary math builtins. Internal to the interpreter.
#pragma once

#include "frontend/AST.h"
#include "frontend/Float8.h"
#include "frontend/FloatToInt.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace vibee::ref::scalar {

using ast::DType;
using ast::truncToInt64;

// A scalar during evaluation: `f` for float dtypes, `i` for integers and bool. Which one
// is live follows from the dtype of the expression that produced it. `m` is a float's
// condition magnitude (ReferenceInterpreter.h, "Condition"): >= |f|, and a first-order
// bound, in units of the roundoff, on what rounding every operation can change in f.
struct Val {
  double f = 0;
  int64_t i = 0;
  double m = 0;
};

// Integers are held in `i` as their value, except u64, held as its bit pattern (a
// value above INT64_MAX reads negative: asUnsigned and the unsigned operations below
// read it right). u8, u16 and u32 values are zero-extended, so non-negative.
inline uint64_t asUnsigned(int64_t v) { return static_cast<uint64_t>(v); }

inline int64_t wrapInt(int64_t v, DType t) {
  switch (t) {
  case DType::U8:
    return static_cast<uint8_t>(asUnsigned(v));
  case DType::U16:
    return static_cast<uint16_t>(asUnsigned(v));
  case DType::U32:
    return static_cast<uint32_t>(asUnsigned(v));
  case DType::I8:
    return static_cast<int8_t>(static_cast<uint8_t>(static_cast<uint64_t>(v)));
  case DType::I32:
    return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
  case DType::Bool:
    return v != 0 ? 1 : 0;
  default:
    return v;
  }
}

// Float -> integer saturates at the target dtype's range (not int64's), NaN -> 0.
inline Val fromDouble(double d, DType t) {
  Val v;
  if (ast::isFloat8(t)) { // FP8 values round where they are made (a literal, a store)
    v.f = fp8::round(d, t);
    v.m = std::fabs(v.f);
  } else if (ast::isFloat(t)) {
    v.f = d;
    v.m = std::fabs(d);
  } else if (t == DType::Bool)
    v.i = d != 0 ? 1 : 0;
  else if (t == DType::I8)
    v.i = std::isnan(d) ? 0 : d <= INT8_MIN ? INT8_MIN : d >= INT8_MAX ? INT8_MAX : truncToInt64(d);
  else if (t == DType::I32)
    v.i = std::isnan(d)    ? 0
          : d <= INT32_MIN ? INT32_MIN
          : d >= INT32_MAX ? INT32_MAX
                           : truncToInt64(d);
  else if (ast::isUnsigned(t)) // saturating at [0, 2^w - 1], as the signed ones
    v.i = static_cast<int64_t>(ast::truncToUnsigned(d, 8 * ast::dtypeBytes(t)));
  else
    v.i = truncToInt64(d);
  return v;
}

inline double toDouble(Val v, DType t) {
  if (ast::isFloat(t))
    return v.f;
  return t == DType::U64 ? static_cast<double>(asUnsigned(v.i)) : static_cast<double>(v.i);
}

// a < b for integers of dtype t (unsigned ones compare as unsigned).
inline bool intLess(int64_t a, int64_t b, DType t) {
  return ast::isUnsigned(t) ? asUnsigned(a) < asUnsigned(b) : a < b;
}

inline Val convert(Val v, DType from, DType to) {
  if (ast::isFloat(from) && ast::isFloat(to)) {
    // The values are not rounded (the magnitude stays), but for a cast to FP8, whose
    // rounding (3 or 2 mantissa bits, saturation) no tolerance could absorb: it
    // rounds exactly as the compiled code does.
    if (ast::isFloat8(to) && from != to)
      v.f = fp8::round(v.f, to);
    v.m = std::fmax(v.m, std::fabs(v.f));
    return v;
  }
  if (ast::isFloat(from))
    return fromDouble(v.f, to);
  Val r;
  if (ast::isFloat(to))
    r = fromDouble(toDouble(v, from), to);
  else
    r.i = wrapInt(v.i, to);
  return r;
}

// `x` as the compiled code holds a value of float dtype `t`: f16 and bf16 computed in
// f32 and rounded once more when stored, FP8 by its cast. The interpreter itself does
// not round (its results are the float64 oracle); a top-k ranks the rounded values, so
// that two elements the kernel sees as equal are a tie in the reference too.
inline double roundToDtype(double x, DType t) {
  switch (t) {
  case DType::F64:
    return x;
  case DType::F16:
    return roundToFormat(static_cast<float>(x), FloatFormat{10, -14, 65504.0}, false);
  case DType::BF16:
    return roundToFormat(static_cast<float>(x), FloatFormat{7, -126, 0x1.fep127}, false);
  default:
    return ast::isFloat8(t) ? fp8::round(x, t) : static_cast<float>(x);
  }
}

inline bool truthy(Val v, DType t) { return ast::isFloat(t) ? v.f != 0 : v.i != 0; }

inline Val boolVal(bool b) {
  Val v;
  v.i = b ? 1 : 0;
  return v;
}

// Two's complement arithmetic without signed-overflow UB.
inline int64_t addWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t subWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t mulWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// Shifts with defined results for every count (docs/language.md): the count is read
// as unsigned, so a negative one is out of range too; out of range, `<<` gives 0 and
// `>>` gives the sign fill, 0 or -1 (arithmetic, signed dtypes) or 0 (logical,
// unsigned ones). A signed `x` is sign-extended in int64.
inline int64_t shift(bool left, int64_t x, int64_t count, DType t) {
  const uint64_t width = static_cast<uint64_t>(ast::dtypeBytes(t)) * 8;
  const uint64_t c = static_cast<uint64_t>(count) & (width == 64 ? ~0ull : (1ull << width) - 1);
  if (left)
    return c >= width ? 0 : wrapInt(static_cast<int64_t>(static_cast<uint64_t>(x) << c), t);
  if (ast::isUnsigned(t))
    return c >= width ? 0 : static_cast<int64_t>(asUnsigned(x) >> c);
  return c >= width ? (x < 0 ? -1 : 0) : x >> c;
}

// Integer `/` and `%` with the language's defined results (docs/language.md): x / 0 =
// 0, x % 0 = x; signed: MIN / -1 = MIN (wraps), MIN % -1 = 0, otherwise C's truncating
// division with the remainder's sign the dividend's; unsigned: C's unsigned division.
inline int64_t divRem(bool isDiv, int64_t a, int64_t b, DType t) {
  if (b == 0)
    return isDiv ? 0 : a;
  if (ast::isUnsigned(t))
    return static_cast<int64_t>(isDiv ? asUnsigned(a) / asUnsigned(b)
                                      : asUnsigned(a) % asUnsigned(b));
  if (b == -1)
    return isDiv ? subWrap(0, a) : 0;
  return isDiv ? a / b : a % b;
}

inline double minProp(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a < b ? a : b;
}
inline double maxProp(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}

// A unary math builtin on a double; false for the builtins that are not unary math.
inline bool math1(ast::Builtin fn, double x, double &y) {
  switch (fn) {
  case ast::Builtin::Exp:
    y = std::exp(x);
    return true;
  case ast::Builtin::Log:
    y = std::log(x);
    return true;
  case ast::Builtin::Sqrt:
    y = std::sqrt(x);
    return true;
  case ast::Builtin::Rsqrt:
    y = 1.0 / std::sqrt(x);
    return true;
  case ast::Builtin::Tanh:
    y = std::tanh(x);
    return true;
  case ast::Builtin::Sigmoid:
    y = 1.0 / (1.0 + std::exp(-x));
    return true;
  case ast::Builtin::Abs:
    y = std::fabs(x);
    return true;
  case ast::Builtin::Sign:
    y = std::isnan(x) ? x : (x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0);
    return true;
  case ast::Builtin::Sin:
    y = std::sin(x);
    return true;
  case ast::Builtin::Cos:
    y = std::cos(x);
    return true;
  case ast::Builtin::Erf:
    y = std::erf(x);
    return true;
  case ast::Builtin::Log1p:
    y = std::log1p(x);
    return true;
  case ast::Builtin::Expm1:
    y = std::expm1(x);
    return true;
  case ast::Builtin::Floor:
  case ast::Builtin::Ceil:
  case ast::Builtin::Round:
  case ast::Builtin::Trunc:
    y = ast::roundAs(fn, x);
    return true;
  case ast::Builtin::IsNan:
  case ast::Builtin::IsInf:
  case ast::Builtin::Clamp:
  case ast::Builtin::Min:
  case ast::Builtin::Max:
  case ast::Builtin::Pow:
  case ast::Builtin::Where:
  case ast::Builtin::Uniform:
  case ast::Builtin::Normal:
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
    return false;
  }
  return false;
}

// |deriv| * m, the first-order change of a function's value when its operand moves by
// m; 0 for an exact operand (m == 0), even where the derivative is infinite (sqrt(0)).
inline double propagated(double deriv, double m) { return m == 0 ? 0 : std::fabs(deriv) * m; }

// The condition magnitude of y = fn(x) for a unary math builtin, x's magnitude being
// xm: y's own rounding (|y|) plus x's propagated through the derivative. sign() and
// floor/ceil/round/trunc are taken as exact: an operand within rounding of a step is
// not covered.
inline double mathCondition(ast::Builtin fn, double x, double xm, double y) {
  switch (fn) {
  case ast::Builtin::Exp:
    return std::fabs(y) + propagated(y, xm);
  case ast::Builtin::Log:
    return std::fabs(y) + propagated(1 / x, xm);
  case ast::Builtin::Sqrt:
    return std::fabs(y) + propagated(0.5 / y, xm);
  case ast::Builtin::Rsqrt:
    return std::fabs(y) + propagated(0.5 * y / x, xm);
  case ast::Builtin::Tanh:
    return std::fabs(y) + propagated(1 - y * y, xm);
  case ast::Builtin::Sigmoid:
    return std::fabs(y) + propagated(y * (1 - y), xm);
  case ast::Builtin::Abs:
    return xm;
  case ast::Builtin::Sin:
    return std::fabs(y) + propagated(std::cos(x), xm);
  case ast::Builtin::Cos:
    return std::fabs(y) + propagated(std::sin(x), xm);
  case ast::Builtin::Erf: // erf'(x) = 2 / sqrt(pi) exp(-x^2)
    return std::fabs(y) + propagated(1.1283791670955126 * std::exp(-x * x), xm);
  case ast::Builtin::Log1p:
    return std::fabs(y) + propagated(1 / (1 + x), xm);
  case ast::Builtin::Expm1:
    return std::fabs(y) + propagated(y + 1, xm);
  default: // sign and the roundings: steps, taken as exact
    return std::fabs(y);
  }
}

// The condition magnitudes of a + b (or a - b), a * b and a / b.
inline double sumCondition(Val a, Val b) { return a.m + b.m; }
inline double productCondition(Val a, Val b) { return propagated(b.f, a.m) + propagated(a.f, b.m); }
inline double quotientCondition(Val a, Val b, double q) {
  return propagated(1 / b.f, a.m) + propagated(q / b.f, b.m);
}

// The condition magnitude of max(a, b) or min(a, b) = `result`: the larger m of
// the operands that rounding could make the result, that is the one equal to it
// and the other if the two lie within 16 roundoffs of bf16 (the coarsest dtype a
// kernel compares in) of their magnitudes. An operand farther away never is the
// result: a masked score of -1e30 lends its magnitude to no row max.
inline double extremumCondition(Val a, Val b, double result) {
  if (!std::isfinite(a.f) || !std::isfinite(b.f) || !std::isfinite(a.m) || !std::isfinite(b.m))
    return std::fmax(a.m, b.m);
  if (std::fabs(a.f - b.f) <= 16 * 0x1p-8 * (a.m + b.m))
    return std::fmax(a.m, b.m);
  return a.f == result ? a.m : b.m;
}

} // namespace vibee::ref::scalar
