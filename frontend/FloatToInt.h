// The language's float -> integer rule, shared by constant folding (SemaFold.cpp)
// and the reference interpreter (ReferenceScalar.h): truncation toward zero,
// NaN -> 0, values outside int64 (uint64 for the unsigned dtypes) saturate
// (docs/language.md).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace vibee::ast {

inline int64_t truncToInt64(double d) {
  if (std::isnan(d))
    return 0;
  if (d >= 9223372036854775808.0)
    return std::numeric_limits<int64_t>::max();
  if (d < -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d); // C++ truncates toward zero
}

inline uint64_t truncToUInt64(double d) {
  if (std::isnan(d) || d <= 0)
    return 0;
  if (d >= 18446744073709551616.0)
    return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(d);
}

// The same into an unsigned dtype of `bits` bits: saturation at 2^bits - 1.
inline uint64_t truncToUnsigned(double d, int bits) {
  uint64_t max = bits >= 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t(1) << bits) - 1;
  uint64_t v = truncToUInt64(d);
  return v > max ? max : v;
}

} // namespace vibee::ast
