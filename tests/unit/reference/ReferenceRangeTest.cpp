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

} // namespace
