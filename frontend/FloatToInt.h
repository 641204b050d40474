// The language's float -> integer rule, shared by constant folding (SemaFold.cpp)
// and the reference interpreter (ReferenceScalar.h): truncation toward zero,
// NaN -> 0, values outside int64 saturate (docs/language.md).
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

} // namespace vibee::ast
