// Outcome::outOfRange: the reference interpreter computes every float in double and
// reports when a value left the normal range of the dtype it has in the kernel (the
// compiler fuzzer's differential mode skips such runs, tests/fuzz/Differential.cpp).
#include "frontend/Frontend.h"
#include "frontend/ReferenceInterpreter.h"

#include <gtest/gtest.h>

using namespace vibee;

namespace {

bool leavesRange(const std::string &body, const std::string &dtype, double input) {
  std::string source = "spec r 1.0.0 \"range\";\nkernel k(x: " + dtype + "[N]) -> y: " + dtype +
                       "[N] {\n" + body + "\n}\n";
  DiagnosticEngine diags("r.vibee", source);
  auto spec = loadSpec("r.vibee", source, diags);
  EXPECT_TRUE(spec != nullptr) << diags.str();
  if (!spec)
    return false;
  ref::Outcome out =
      ref::evaluate(*spec, spec->kernels[0], {ref::Array{{3}, {input, input, input}}});
  return out.outOfRange;
}

TEST(ReferenceRange, InRangeValuesAreNotFlagged) {
  EXPECT_FALSE(leavesRange("y[i] = x[i] * 2.0;", "f32", 0.5));
  EXPECT_FALSE(leavesRange("y[i] = x[i] - x[i];", "f32", 0.5)); // an exact 0 is in range
}

TEST(ReferenceRange, AnIntermediateBeyondTheLargestFiniteValue) {
  // 1e30 * 1e30 overflows f32 in the middle of the expression; the result is back in range.
  EXPECT_TRUE(leavesRange("y[i] = x[i] * 1e30 * 1e30 / 1e30 / 1e30;", "f32", 0.5));
  EXPECT_FALSE(leavesRange("y[i] = x[i] * 1e30 * 1e30 / 1e30 / 1e30;", "f64", 0.5));
  EXPECT_TRUE(leavesRange("y[i] = x[i] * 1000.0;", "f16", 100.0)); // 1e5 > 65504
}

TEST(ReferenceRange, AValueBelowTheSmallestNormal) {
  EXPECT_TRUE(leavesRange("y[i] = x[i] * 1e-30 * 1e-20;", "f32", 0.5));
  EXPECT_TRUE(leavesRange("y[i] = x[i] * 1e-6;", "f16", 0.5)); // 5e-7 < 2^-14
}

TEST(ReferenceRange, AReductionsRunningValueAndTheStoredElement) {
  // The sum of three 4e4 passes 65504 in f16 (as it runs and where it is stored);
  // the quarter of it that y holds is back in range.
  EXPECT_TRUE(leavesRange("s = sum(j) x[j];\ny[i] = s / 4.0;", "f16", 4e4));
  EXPECT_FALSE(leavesRange("s = sum(j) x[j];\ny[i] = s / 4.0;", "f32", 4e4));
}

// Outcome::nearTie: a float comparison within its operands' rounding error bound.
bool nearTie(const std::string &body, const std::string &dtype, double input) {
  std::string source = "spec r 1.0.0 \"tie\";\nconst odd: i64 = 9007199254740993;\n"
                       "kernel k(x: " +
                       dtype + "[N]) -> y: i32[N] {\n" + body + "\n}\n";
  DiagnosticEngine diags("r.vibee", source);
  auto spec = loadSpec("r.vibee", source, diags);
  EXPECT_TRUE(spec != nullptr) << diags.str();
  if (!spec)
    return false;
  return ref::evaluate(*spec, spec->kernels[0], {ref::Array{{2}, {input, input}}}).nearTie;
}

TEST(ReferenceRange, AComparisonWithinRoundingIsANearTie) {
  // The compiler fuzzer's finding: 2^53 + 1 - x is 2^53 in bf16 (the kernel says 1),
  // not in double (the reference says 0); no perturbation of x shows it.
  const char *big = "y[i] = where(odd - x[i] == 9007199254740992, 1, 0);";
  EXPECT_TRUE(nearTie(big, "bf16", 0.25));
  EXPECT_TRUE(nearTie("y[i] = where(x[i] * 3.0 / 3.0 == x[i], 1, 0);", "f32", 0.1));
  EXPECT_TRUE(nearTie("y[i] = where(x[i] + 1.0 > 1.0, 1, 0);", "f16", 1e-4));
  // Far apart: the rounding cannot flip them.
  EXPECT_FALSE(nearTie("y[i] = where(x[i] + 1.0 > 1.0, 1, 0);", "f16", 0.5));
  EXPECT_FALSE(nearTie("y[i] = where(x[i] > 0.0, 1, 0);", "f32", -0.3));
  EXPECT_FALSE(nearTie("y[i] = where(x[i] == 0.3, 1, 0);", "f64", 0.25));
  // Integer comparisons are exact.
  EXPECT_FALSE(nearTie("y[i] = where(odd - i32(x[i]) == 9007199254740993, 1, 0);", "f32", 0.25));
}

// A top-k ranks its values as the kernel holds them: rounded to the values' dtype.
ref::Outcome topTwo(const std::string &ranked, const std::string &dtype,
                    const std::vector<double> &input) {
  std::string source = "spec r 1.0.0 \"top\";\nkernel k(x: f32[N]) -> (v: " + dtype +
                       "[2], i: i32[2]) {\n  v[j], i[j] = topk(n, j) " + ranked + ";\n}\n";
  DiagnosticEngine diags("r.vibee", source);
  auto spec = loadSpec("r.vibee", source, diags);
  EXPECT_TRUE(spec != nullptr) << diags.str();
  if (!spec)
    return {};
  return ref::evaluate(*spec, spec->kernels[0],
                       {ref::Array{{(int64_t)input.size()}, input}});
}

TEST(ReferenceTopK, ElementsEqualInTheDtypeAreATieInPositionOrder) {
  // 1 + 1e-8 and 1 + 2e-8 are both 1.0f: the kernel sees a tie (lower index first),
  // double sees the second larger. The gpu_check finding of session 28.
  ref::Outcome out = topTwo("x[n] + 1.0", "f32", {1e-8, 2e-8, -0.5});
  ASSERT_EQ(out.results.size(), 2u);
  EXPECT_EQ(out.results[1].data, (std::vector<double>{0, 1}));
  EXPECT_EQ(out.results[0].data, (std::vector<double>{1.0, 1.0}));
  // In f64 they differ.
  EXPECT_EQ(topTwo("f64(x[n]) + 1.0", "f64", {1e-8, 2e-8, -0.5}).results[1].data,
            (std::vector<double>{1, 0}));
  // bf16 keeps 8 significant bits: 1.001 and 1.002 are both 1.0 there.
  EXPECT_EQ(topTwo("bf16(x[n] + 1.0)", "bf16", {0.001, 0.002, -0.5}).results[1].data,
            (std::vector<double>{0, 1}));
}

TEST(ReferenceTopK, NeighboursWithinRoundingAreANearTie) {
  EXPECT_TRUE(topTwo("x[n] * 3.0", "f32", {0.1, 0.10000002, -0.5}).nearTie);
  EXPECT_FALSE(topTwo("x[n] * 3.0", "f32", {0.1, 0.2, -0.5}).nearTie);
  // An exact tie is decided by position in both: not a near tie.
  EXPECT_FALSE(topTwo("x[n] * 3.0", "f32", {0.1, 0.1, -0.5}).nearTie);
}

} // namespace
