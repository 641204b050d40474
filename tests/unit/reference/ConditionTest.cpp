// The reference's condition magnitudes (ReferenceInterpreter.h, "Condition") and the
// check's conditioning-aware tolerance (tools/vibeec/CheckSupport.h): by-hand values on
// small kernels, and Lion's size-1 trial, where the norm-wise rule failed correctly
// rounded f32 steps about once in 150 seeds, over thousands of seeds with an f32
// emulation of the kernel (must pass) and two defective ones (must fail).
#include "frontend/Frontend.h"
#include "frontend/ReferenceInterpreter.h"
#include "tools/vibeec/CheckSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace vibee;
using vibee::ref::Array;

namespace {

std::unique_ptr<ast::Spec> load(const std::string &file, const std::string &source) {
  DiagnosticEngine diags(file, source);
  auto spec = loadSpec(file, source, diags);
  EXPECT_TRUE(spec != nullptr) << diags.str();
  return spec;
}

Array vec(std::vector<double> v) {
  Array a;
  a.shape = {(int64_t)v.size()};
  a.data = std::move(v);
  return a;
}

ref::Outcome run(const ast::Spec &spec, const std::string &kernel, std::vector<Array> args) {
  return ref::evaluate(spec, *spec.findKernel(kernel), args);
}

TEST(Condition, SumsOfMagnitudes) {
  auto spec = load("c.vibee", R"(spec c 1.0.0 "c";
kernel diff(a: f64[N], b: f64[N]) -> y: f64[N] { y[i] = a[i] - b[i]; }
kernel mul(a: f64[N], b: f64[N]) -> y: f64[N] { t[i] = a[i] - b[i]; y[i] = t[i] * b[i]; }
kernel quot(a: f64[N], b: f64[N]) -> y: f64[N] { y[i] = a[i] / b[i]; }
kernel root(a: f64[N]) -> y: f64[N] { y[i] = sqrt(a[i]); }
kernel total(a: f64[N]) -> s: f64 { s = sum(i) a[i]; }
kernel top(a: f64[N]) -> s: f64 { s = max(i) a[i]; }
kernel diffmax(a: f64[N], b: f64[N]) -> s: f64 { t[i] = a[i] - b[i]; s = max(i) t[i]; }
kernel wave(a: f64[N]) -> y: f64[N] { y[i] = sin(a[i]) + clamp(a[i], -1.0, 0.25); }
)");
  ASSERT_TRUE(spec);
  // 1 - 0.75: the sum of |terms| is 1.75.
  ref::Outcome d = run(*spec, "diff", {vec({1.0, -2.0}), vec({0.75, 0.5})});
  EXPECT_DOUBLE_EQ(d.results[0].mag[0], 1.75);
  EXPECT_DOUBLE_EQ(d.results[0].mag[1], 2.5);
  // t = 0.25 (m 1.75) times b = 0.75 (m 0.75): 1.75 * 0.75 + 0.25 * 0.75.
  ref::Outcome p = run(*spec, "mul", {vec({1.0}), vec({0.75})});
  EXPECT_DOUBLE_EQ(p.results[0].mag[0], 1.75 * 0.75 + 0.25 * 0.75);
  // 3 / 2: m_a / |b| + |q| m_b / |b| = 1.5 + 1.5.
  ref::Outcome q = run(*spec, "quot", {vec({3.0}), vec({2.0})});
  EXPECT_DOUBLE_EQ(q.results[0].mag[0], 3.0);
  // sqrt(4): 2 + 4 / (2 * 2); sqrt of an exact 0 stays finite.
  ref::Outcome r = run(*spec, "root", {vec({4.0, 0.0})});
  EXPECT_DOUBLE_EQ(r.results[0].mag[0], 3.0);
  EXPECT_DOUBLE_EQ(r.results[0].mag[1], 0.0);
  ref::Outcome s = run(*spec, "total", {vec({1.0, -1.0, 0.5})});
  EXPECT_DOUBLE_EQ(s.results[0].data[0], 0.5);
  EXPECT_DOUBLE_EQ(s.results[0].mag[0], 2.5);
  // max moves by at most the largest move of an element that rounding could make
  // it: -3 is 3.5 below 0.5, far beyond its own move (3 roundoffs), so m = 0.5; a
  // masked score of -1e30 lends the max nothing either (causal attention's row max
  // was held to 1e30 roundoffs, a check that could not fail).
  ref::Outcome t = run(*spec, "top", {vec({-3.0, 0.5})});
  EXPECT_DOUBLE_EQ(t.results[0].data[0], 0.5);
  EXPECT_DOUBLE_EQ(t.results[0].mag[0], 0.5);
  ref::Outcome masked = run(*spec, "top", {vec({-1e30, 0.5, -1e30})});
  EXPECT_DOUBLE_EQ(masked.results[0].mag[0], 0.5);
  // Within 16 bf16 roundoffs of their magnitudes either may be the max: the larger m.
  ref::Outcome tie = run(*spec, "top", {vec({0.5, 0.5 + 0x1p-9})});
  EXPECT_DOUBLE_EQ(tie.results[0].mag[0], 0.5 + 0x1p-9);
  // -10 computed as 1e6 - (1e6 + 10) (m 2e6 + 10) may round above 1: its m counts.
  ref::Outcome near = run(*spec, "diffmax", {vec({1e6, 1.0}), vec({1e6 + 10, 0.0})});
  EXPECT_DOUBLE_EQ(near.results[0].data[0], 1.0);
  EXPECT_DOUBLE_EQ(near.results[0].mag[0], 2e6 + 10);
  // sin(0.5): |sin 0.5| + cos(0.5) 0.5; clamp, as max and min, the largest m of its
  // operands (1, of the bound -1.0).
  ref::Outcome w = run(*spec, "wave", {vec({0.5})});
  EXPECT_DOUBLE_EQ(w.results[0].mag[0], std::sin(0.5) + std::cos(0.5) * 0.5 + 1.0);
}

// One Lion step (specs/optim/lion.vibee) in f32, as a kernel computes it; `defect`
// 1 drops the weight decay, 2 scales lr by 1 + 1e-3.
void lionF32(std::vector<float> &p, const std::vector<float> &g, const std::vector<float> &m,
             float lr, float wd, int defect) {
  const float beta1 = 0.9f;
  for (size_t i = 0; i < p.size(); ++i) {
    // Multiply-adds fused, as the compiled kernels contract them.
    float c = std::fma(beta1, m[i], (1 - beta1) * g[i]);
    float s = c > 0 ? 1.0f : c < 0 ? -1.0f : 0.0f;
    float rate = defect == 2 ? lr * (1 + 1e-3f) : lr;
    p[i] = std::fma(-rate, defect == 1 ? s : std::fma(wd, p[i], s), p[i]);
  }
}

// Runs `seeds` seeds of vibeec check's four trials (sizes 1, 2-7, 13-40, 60-100) on
// the emulated kernel; returns how many seeds fail with (or without) the condition.
int lionFailures(const ast::Spec &spec, int seeds, int defect, bool useCondition) {
  const ast::Kernel &k = *spec.findKernel("step");
  int failed = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    checking::Rng rng{(uint64_t)seed};
    bool fails = false;
    for (int trial = 0; trial < 4 && !fails; ++trial) {
      int64_t n = checking::trialSize(trial, rng);
      std::vector<float> p(n), g(n), m(n);
      for (auto *v : {&p, &g, &m})
        for (float &x : *v)
          x = (float)checking::randomValue(ast::DType::F32, rng);
      float lr = (float)rng.uniform(0.1, 1.0), wd = (float)rng.uniform(0.1, 1.0);
      auto asArray = [](const std::vector<float> &v) {
        return vec(std::vector<double>(v.begin(), v.end()));
      };
      ref::Outcome want = ref::evaluate(
          spec, k, {asArray(p), asArray(g), asArray(m), Array{{}, {lr}}, Array{{}, {wd}}});
      lionF32(p, g, m, lr, wd, defect);
      HostTensor got(ast::DType::F32, {n});
      for (int64_t i = 0; i < n; ++i)
        got.set(i, p[i]);
      fails = !checking::compareWithReference("param", got, want.params[0].data, nullptr,
                                              useCondition ? &want.params[0].mag : nullptr)
                   .empty();
    }
    failed += fails;
  }
  return failed;
}

std::unique_ptr<ast::Spec> lionSpec() {
  std::ifstream in(std::string(VIBEE_SPECS_DIR) + "/optim/lion.vibee");
  std::stringstream text;
  text << in.rdbuf();
  return load("lion.vibee", text.str());
}

TEST(Condition, LionCancellationPassesDefectsFail) {
  auto spec = lionSpec();
  ASSERT_TRUE(spec);
  const int seeds = 3000;
  // The norm-wise rule alone fails correct steps (p (1 - lr wd) ~ lr sign(c)) ...
  int normwise = lionFailures(*spec, seeds, 0, false);
  EXPECT_GT(normwise, 0);
  std::printf("norm-wise rule: %d of %d seeds fail a correct f32 Lion step\n", normwise, seeds);
  // ... the conditioned one never does.
  EXPECT_EQ(lionFailures(*spec, seeds, 0, true), 0);
  // A real defect still fails on every seed: on the larger trials the
  // condition is |p| + lr (1 + wd |p|), a few times ||p||, not 1e4 times it.
  EXPECT_EQ(lionFailures(*spec, seeds, 1, true), seeds);
  EXPECT_EQ(lionFailures(*spec, seeds, 2, true), seeds);
}

} // namespace
