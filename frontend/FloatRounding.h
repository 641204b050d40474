// Rounding a double to a narrower binary float format in plain C++: the one routine
// behind the FP8 casts (Float8.h) and the reference interpreter's rounding of values
// the compiled code stores in f16/bf16 (ReferenceScalar.h's roundToDtype).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

namespace vibee {

struct FloatFormat {
  int mantissaBits;    // stored fraction bits
  int minExponent;     // of the smallest normal value, 2^minExponent
  double largest;      // largest finite value
};

// `x` rounded to nearest even in `f`; beyond f.largest after rounding it saturates to
// ±largest when `saturate`, else it is ±inf (as IEEE); NaN stays NaN, subnormals are
// kept (spacing 2^(minExponent - mantissaBits)).
inline double roundToFormat(double x, FloatFormat f, bool saturate) {
  if (std::isnan(x))
    return x;
  double a = std::fabs(x);
  if (std::isinf(a))
    return saturate ? std::copysign(f.largest, x) : x;
  // The spacing of representable values at a: 2^(e - m) in the binade [2^e, 2^(e+1)),
  // the subnormal spacing below the smallest normal value.
  int e = 0;
  std::frexp(a, &e); // a = r * 2^e, r in [0.5, 1): the binade is 2^(e - 1)
  int binade = a == 0 ? f.minExponent : std::max(e - 1, f.minExponent);
  double quantum = std::ldexp(1.0, binade - f.mantissaBits);
  double r = std::nearbyint(a / quantum) * quantum; // ties to even (default rounding)
  if (r > f.largest)
    r = saturate ? f.largest : std::numeric_limits<double>::infinity();
  return std::copysign(r, x);
}

} // namespace vibee
