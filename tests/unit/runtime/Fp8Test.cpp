// FP8 casts on the CPU JIT against frontend/Float8.h (the reference interpreter's
// and the runtime's conversions), exhaustively: every code of both formats back to
// f32, and to FP8 from a sweep of every representable value, every tie between
// neighbours, one f32 (or f64) step on either side of it, values beyond the range,
// infinities and NaN, in f32 and f64 sources, on enough elements that the
// vectorized loop runs as well as the scalar remainder.
#include "frontend/Float8.h"
#include "runtime/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace vibee;
using ast::DType;

namespace {

const char *kCasts = R"(spec fp8 1.0.0 "FP8 casts";
kernel to_e4m3(x: f32[N]) -> y: f8e4m3[N] { y[i] = f8e4m3(x[i]); }
kernel to_e5m2(x: f32[N]) -> y: f8e5m2[N] { y[i] = f8e5m2(x[i]); }
kernel to_e4m3_f64(x: f64[N]) -> y: f8e4m3[N] { y[i] = f8e4m3(x[i]); }
kernel to_e5m2_f64(x: f64[N]) -> y: f8e5m2[N] { y[i] = f8e5m2(x[i]); }
kernel from_e4m3(q: f8e4m3[N]) -> y: f32[N] { y[i] = f32(q[i]); }
kernel from_e5m2(q: f8e5m2[N]) -> y: f32[N] { y[i] = f32(q[i]); }
)";

// Every finite FP8 value of `t`, ties between neighbours (positive), one step of
// `Float` either side of each tie, beyond the range, infinities and NaN; negated.
template <typename Float> std::vector<Float> sweep(DType t) {
  std::vector<double> finite;
  for (int code = 0; code < 128; ++code) {
    double v = fp8::decode((uint8_t)code, t);
    if (std::isfinite(v))
      finite.push_back(v);
  }
  std::vector<Float> out;
  auto add = [&](double v) {
    out.push_back((Float)v);
    out.push_back((Float)-v);
  };
  const double largest = finite.back();
  const double next = largest + (largest - finite[finite.size() - 2]); // the code after it
  finite.push_back(next);
  for (size_t k = 0; k < finite.size(); ++k) {
    if (k + 1 < finite.size())
      add(finite[k]);
    if (k + 1 < finite.size()) {
      Float tie = (Float)((finite[k] + finite[k + 1]) / 2);
      add(tie);
      add(std::nextafter(tie, (Float)0));
      add(std::nextafter(tie, std::numeric_limits<Float>::infinity()));
    }
  }
  for (double v : {next, 2 * largest, 1e6, 3e38, (double)std::numeric_limits<Float>::max(),
                   std::numeric_limits<double>::infinity(), 1e-30, 1e-45})
    add(v);
  out.push_back(std::numeric_limits<Float>::quiet_NaN());
  return out;
}

template <typename Float>
void checkTruncation(Compiler &compiler, JitModule &module, const char *kernel, DType t) {
  std::vector<Float> x = sweep<Float>(t);
  std::vector<uint8_t> y(x.size(), 0x55);
  DType source = sizeof(Float) == 8 ? DType::F64 : DType::F32;
  int64_t n = (int64_t)x.size();
  module.kernel(kernel)({TensorView(x.data(), source, {n}), TensorView(y.data(), t, {n})});
  for (size_t e = 0; e < x.size(); ++e) {
    uint8_t want = fp8::encode((double)x[e], t);
    if (std::isnan((double)x[e]))
      EXPECT_TRUE(std::isnan(fp8::decode(y[e], t))) << kernel << " of NaN";
    else
      EXPECT_EQ((int)y[e], (int)want) << kernel << " of " << std::hexfloat << (double)x[e];
  }
  (void)compiler;
}

} // namespace

// The conversions themselves at the anchors of the OCP 8-bit FP specification
// (largest finite values, smallest subnormals, saturation and overflow) and ties to
// even; the same values from ml_dtypes: tools/spec-values/fp8.py.
TEST(Fp8, ConversionAnchors) {
  EXPECT_EQ(fp8::encode(448, DType::F8E4M3), 0x7E);
  EXPECT_EQ(fp8::encode(464, DType::F8E4M3), 0x7E); // the tie beyond 448 saturates
  EXPECT_EQ(fp8::encode(1e9, DType::F8E4M3), 0x7E);
  EXPECT_EQ(fp8::encode(-INFINITY, DType::F8E4M3), 0xFE);
  EXPECT_EQ(fp8::encode(0x1p-9, DType::F8E4M3), 0x01);   // smallest subnormal
  EXPECT_EQ(fp8::encode(0x1p-10, DType::F8E4M3), 0x00);  // tie to even: 0
  EXPECT_EQ(fp8::encode(0x1.8p-9, DType::F8E4M3), 0x02); // tie to even: 2
  EXPECT_EQ(fp8::encode(1.0625, DType::F8E4M3), 0x38);   // tie between 1 and 1.125
  EXPECT_EQ(fp8::encode(1.1875, DType::F8E4M3), 0x3A);   // tie between 1.125 and 1.25
  EXPECT_EQ(fp8::encode(57344, DType::F8E5M2), 0x7B);
  EXPECT_EQ(fp8::encode(61439, DType::F8E5M2), 0x7B);
  EXPECT_EQ(fp8::encode(61440, DType::F8E5M2), 0x7C); // the tie rounds to even: inf
  EXPECT_EQ(fp8::encode(0x1p-16, DType::F8E5M2), 0x01);
  EXPECT_TRUE(std::isnan(fp8::decode(0x7F, DType::F8E4M3)));
  EXPECT_TRUE(std::isnan(fp8::decode(0xFF, DType::F8E4M3)));
  EXPECT_EQ(fp8::decode(0x7E, DType::F8E4M3), 448);
  EXPECT_EQ(fp8::decode(0x7C, DType::F8E5M2), INFINITY);
  EXPECT_TRUE(std::isnan(fp8::decode(0x7D, DType::F8E5M2)));
  for (DType t : {DType::F8E4M3, DType::F8E5M2})
    for (int code = 0; code < 256; ++code) {
      double v = fp8::decode((uint8_t)code, t);
      if (!std::isnan(v))
        EXPECT_EQ(fp8::encode(v, t), code) << ast::dtypeName(t) << " " << code;
    }
}

TEST(Fp8, JitCastsMatchTheReferenceOnEveryCodeAndTie) {
  Compiler compiler;
  auto module = compiler.compileString(kCasts);
  checkTruncation<float>(compiler, *module, "to_e4m3", DType::F8E4M3);
  checkTruncation<float>(compiler, *module, "to_e5m2", DType::F8E5M2);
  checkTruncation<double>(compiler, *module, "to_e4m3_f64", DType::F8E4M3);
  checkTruncation<double>(compiler, *module, "to_e5m2_f64", DType::F8E5M2);
  for (DType t : {DType::F8E4M3, DType::F8E5M2}) {
    std::vector<uint8_t> q(256 * 4);
    for (size_t e = 0; e < q.size(); ++e)
      q[e] = (uint8_t)e;
    std::vector<float> y(q.size(), 0);
    int64_t n = (int64_t)q.size();
    module->kernel(t == DType::F8E4M3 ? "from_e4m3" : "from_e5m2")(
        {TensorView(q.data(), t, {n}), TensorView(y.data(), {n})});
    for (size_t e = 0; e < q.size(); ++e) {
      double want = fp8::decode(q[e], t);
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(y[e])) << (int)q[e];
      else
        EXPECT_EQ((double)y[e], want) << ast::dtypeName(t) << " code " << (int)q[e];
      EXPECT_EQ(std::signbit(y[e]), (q[e] & 0x80) != 0) << (int)q[e];
    }
  }
}
