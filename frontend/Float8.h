// OCP FP8 (E4M3 "FN" and E5M2) in plain C++: the one definition of the language's
// conversions (docs/language.md, "FP8") that the reference interpreter, constant
// folding in MLIRGen and the runtime's tensors share. The compiled code does the
// same with integer operations (transforms/ExpandF8Conversions.cpp); both round to
// nearest even directly from the source value.
//
//  - f8e4m3: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinity, S.1111.111 is
//    NaN; largest finite 448. A cast saturates: a finite value beyond ±448 after
//    rounding and ±inf become ±448 (Micikevicius et al. 2022, OCP 8-bit FP spec's
//    saturating mode, CUDA's __NV_SATFINITE); NaN stays NaN.
//  - f8e5m2: 1 sign, 5 exponent (bias 15), 2 mantissa bits, IEEE-like: ±inf and NaN;
//    largest finite 57344; rounding beyond it gives ±inf, as in IEEE (no saturation).
#pragma once

#include "frontend/AST.h"
#include "frontend/FloatRounding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace vibee::fp8 {

struct Format {
  int mantissaBits;
  int bias;
  double largest;
};

inline Format formatOf(ast::DType t) {
  return t == ast::DType::F8E4M3 ? Format{3, 7, 448.0} : Format{2, 15, 57344.0};
}

// The value of `x` cast to the FP8 dtype `t` (rounded to nearest even; saturated for
// f8e4m3, overflowing to infinity for f8e5m2), as a double.
inline double round(double x, ast::DType t) {
  const Format f = formatOf(t);
  return roundToFormat(x, FloatFormat{f.mantissaBits, 1 - f.bias, f.largest},
                       /*saturate=*/t == ast::DType::F8E4M3);
}

// The bit pattern of `x` cast to `t` (as round()).
inline uint8_t encode(double x, ast::DType t) {
  const Format f = formatOf(t);
  double r = round(x, t);
  uint8_t sign = std::signbit(r) ? 0x80 : 0;
  if (std::isnan(r))
    return sign | (t == ast::DType::F8E4M3 ? 0x7F : 0x7E);
  double a = std::fabs(r);
  if (std::isinf(a))
    return sign | 0x7C;
  double smallestNormal = std::ldexp(1.0, 1 - f.bias);
  if (a < smallestNormal) // subnormal or zero: the multiple of the spacing
    return sign | (uint8_t)std::ldexp(a, f.bias - 1 + f.mantissaBits);
  int e = 0;
  double m = std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1)
  int exponent = e - 1 + f.bias;
  int mantissa = (int)std::ldexp(m * 2 - 1, f.mantissaBits);
  return sign | (uint8_t)((exponent << f.mantissaBits) | mantissa);
}

// The value of the FP8 bit pattern `bits` of dtype `t`.
inline double decode(uint8_t bits, ast::DType t) {
  const Format f = formatOf(t);
  double sign = bits & 0x80 ? -1.0 : 1.0;
  int exponent = (bits & 0x7F) >> f.mantissaBits;
  int mantissa = bits & ((1 << f.mantissaBits) - 1);
  int allOnes = (1 << (7 - f.mantissaBits)) - 1;
  if (t == ast::DType::F8E4M3 && (bits & 0x7F) == 0x7F)
    return std::numeric_limits<double>::quiet_NaN();
  if (t == ast::DType::F8E5M2 && exponent == allOnes)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  if (exponent == 0)
    return sign * std::ldexp(mantissa, 1 - f.bias - f.mantissaBits);
  return sign * std::ldexp(1.0 + std::ldexp(mantissa, -f.mantissaBits), exponent - f.bias);
}

} // namespace vibee::fp8
