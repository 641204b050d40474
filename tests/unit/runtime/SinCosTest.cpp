// sin and cos of f32 on the CPU JIT (vectorized by vibee-cpu-expand-sin-cos, the
// far lanes by libm) against the f64 functions: within one ulp of the f32-rounded
// f64 value over a sweep of magnitudes, at multiples of pi/2 and RoPE's angles,
// with lanes past the reduced range (|x| > 1e6), infinities and NaN mixed into the
// same vectors as ordinary ones, and sin(-0) = -0.
#include "runtime/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace vibee;

namespace {

const char *kSinCos = R"(spec sincos 1.0.0 "sin and cos";
kernel sincos(x: f32[N]) -> (s: f32[N], c: f32[N]) {
  s[i] = sin(x[i]);
  c[i] = cos(x[i]);
}
)";

std::vector<float> arguments() {
  std::vector<float> x;
  std::mt19937 gen(21);
  auto uniform = [&](double lo, double hi, int n) {
    std::uniform_real_distribution<double> dist(lo, hi);
    for (int i = 0; i < n; ++i)
      x.push_back((float)dist(gen));
  };
  uniform(-4, 4, 20000);
  uniform(-1e4, 1e4, 20000);
  uniform(-1.2e6, 1.2e6, 20000); // both sides of the reduced range
  std::uniform_real_distribution<double> exponent(-100, 60);
  for (int i = 0; i < 20000; ++i)
    x.push_back((float)((i % 2 ? -1 : 1) * std::exp(exponent(gen))));
  for (int k = -3000; k <= 3000; ++k) // next to the quadrant boundaries
    x.push_back((float)(k * (M_PI / 2)));
  for (int s = 0; s < 8192; s += 7) // RoPE: position x inverse frequency
    for (int j = 0; j < 64; ++j)
      x.push_back((float)s * (float)std::pow(10000.0, -2.0 * j / 128));
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1e-45f,
                  -1e-45f, 3.4e38f, 1e6f, -1e6f, 1.0000001e6f, 7e5f})
    x.push_back(v);
  return x;
}

void expectWithinOneUlp(const std::vector<float> &x, const std::vector<float> &got,
                        double (*f)(double), const char *name) {
  for (size_t i = 0; i < x.size(); ++i) {
    double ref = f((double)x[i]);
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(got[i])) << name << "(" << x[i] << ") = " << got[i];
      continue;
    }
    float rounded = (float)ref;
    float ulp = std::nextafter(std::fabs(rounded), INFINITY) - std::fabs(rounded);
    ASSERT_LE(std::fabs((double)got[i] - ref), ulp)
        << name << "(" << x[i] << ") = " << got[i] << ", expected " << rounded;
  }
}

TEST(SinCos, WithinOneUlpOfFloat64) {
  Compiler compiler;
  auto module = compiler.compileString(kSinCos);
  std::vector<float> x = arguments();
  const int64_t n = (int64_t)x.size();
  std::vector<float> s(n, NAN), c(n, NAN);
  module->kernel("sincos")(
      {TensorView(x.data(), {n}), TensorView(s.data(), {n}), TensorView(c.data(), {n})});
  expectWithinOneUlp(x, s, [](double v) { return std::sin(v); }, "sin");
  expectWithinOneUlp(x, c, [](double v) { return std::cos(v); }, "cos");
  for (int64_t i = 0; i < n; ++i)
    if (x[i] == 0.0f)
      EXPECT_EQ(std::signbit(s[i]), std::signbit(x[i])) << "sin(" << x[i] << ")";
}

} // namespace
