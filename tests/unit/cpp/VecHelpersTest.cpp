// The vectorizable replacements of std::floor, std::fma, std::fmax and std::fmin
// in the C++ output's preamble (docs/abi.md) against <cmath>.
#include "backends/cpp/runtime/vibee_cpp_helpers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

namespace {

using namespace vibee::cpp;

template <typename T> bool sameFloat(T a, T b) {
  if (a != a || b != b)
    return a != a && b != b;
  return std::memcmp(&a, &b, sizeof a) == 0; // -0 and +0 told apart
}

template <typename T> std::vector<T> edgeValues() {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0),       -T(0),      T(0.5),      T(-0.5),       T(1),  T(-1),
                      T(2.5),     T(-2.5),    T(3.5),      T(-3.5),       L::infinity(),
                      -L::infinity(), L::quiet_NaN(), L::denorm_min(), -L::denorm_min(),
                      L::min(),   -L::min(),  L::max(),    L::lowest(),   T(1) / L::epsilon(),
                      T(1) / L::epsilon() - T(0.5), -(T(1) / L::epsilon() - T(0.5)),
                      T(2) / L::epsilon() - T(1), T(1e30),  T(-1e30), T(0.9999999), T(-0.9999999)};
  return v;
}

TEST(VecFloor, FloatEdgesAndASpreadOfEveryExponent) {
  for (float x : edgeValues<float>())
    EXPECT_TRUE(sameFloat(vec_floor(x), std::floor(x))) << x;
  // Every 251st bit pattern: all exponents, both signs, NaN payloads.
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 251) {
    uint32_t bits = uint32_t(u);
    float x;
    std::memcpy(&x, &bits, sizeof x);
    ASSERT_TRUE(sameFloat(vec_floor(x), std::floor(x))) << std::hexfloat << x;
  }
}

TEST(VecFloor, DoubleEdgesAndRandomMagnitudes) {
  for (double x : edgeValues<double>())
    EXPECT_TRUE(sameFloat(vec_floor(x), std::floor(x))) << x;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-60.0, 60.0), mantissa(-1.0, 1.0);
  for (int i = 0; i < 1000000; ++i) {
    double x = mantissa(rng) * std::exp2(exponent(rng));
    ASSERT_TRUE(sameFloat(vec_floor(x), std::floor(x))) << std::hexfloat << x;
  }
}

TEST(VecFma, OneRoundingWhereTheTargetHasFma) {
  float a = 1.0f + 0x1p-23f, b = 1.0f - 0x1p-23f, c = -1.0f;
#ifdef FP_FAST_FMAF
  EXPECT_EQ(vec_fma(a, b, c), std::fma(a, b, c));
#else
  EXPECT_EQ(vec_fma(a, b, c), a * b + c);
#endif
  EXPECT_EQ(vec_fma(2.0, 3.0, 1.0), 7.0);
}

TEST(VecFmaxFmin, NaNIgnoredAsFmax) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(vec_fmax(1.0f, 2.0f), 2.0f);
  EXPECT_EQ(vec_fmax(2.0f, 1.0f), 2.0f);
  EXPECT_EQ(vec_fmax(nan, 1.0f), 1.0f);
  EXPECT_EQ(vec_fmax(1.0f, nan), 1.0f);
  EXPECT_TRUE(std::isnan(vec_fmax(nan, nan)));
  EXPECT_EQ(vec_fmin(1.0f, 2.0f), 1.0f);
  EXPECT_EQ(vec_fmin(nan, -3.0f), -3.0f);
  EXPECT_EQ(vec_fmin(-3.0f, nan), -3.0f);
  EXPECT_EQ(vec_fmax(-std::numeric_limits<double>::infinity(), -1e300), -1e300);
}

} // namespace
