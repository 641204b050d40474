// Unit tests of the float64 reference interpreter, against hand-computed values (in the
// comments) and, for the spec library, against the NumPy values pasted into specs/.
#include "frontend/Frontend.h"
#include "frontend/ReferenceInterpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

using namespace vibee;
using vibee::ref::Array;
using vibee::ref::Outcome;

namespace {

std::unique_ptr<ast::Spec> load(const std::string &source, const std::string &file = "test.vibee") {
  DiagnosticEngine diags(file, source);
  auto spec = loadSpec(file, source, diags);
  EXPECT_TRUE(spec != nullptr) << diags.str();
  return spec;
}

// A spec file, e.g. one of the library's (specs/).
std::unique_ptr<ast::Spec> loadFile(const std::filesystem::path &file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return load(text.str(), file.string());
}

Outcome run(const ast::Spec &spec, const std::string &kernel, const std::vector<Array> &args) {
  const ast::Kernel *k = spec.findKernel(kernel);
  if (!k)
    throw std::logic_error("no kernel " + kernel);
  return ref::evaluate(spec, *k, args);
}

Array vec(std::vector<double> v) {
  Array a;
  a.shape = {(int64_t)v.size()};
  a.data = std::move(v);
  return a;
}
Array mat(int64_t rows, int64_t cols, std::vector<double> v) {
  Array a;
  a.shape = {rows, cols};
  a.data = std::move(v);
  return a;
}
Array scalar(double v) { return Array{{}, {v}}; }
Array useDefault() { return Array{}; }

void expectNear(const Array &got, const std::vector<int64_t> &shape,
                const std::vector<double> &want, double tol, const std::string &what) {
  ASSERT_EQ(got.shape, shape) << what;
  ASSERT_EQ(got.data.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.data[i], want[i], tol) << what << " element " << i;
}
void expectEq(const Array &got, const std::vector<double> &want, const std::string &what) {
  ASSERT_EQ(got.data.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(got.data[i], want[i]) << what << " element " << i;
}

// ---- randomUniform -----------------------------------------------------------------

TEST(RandomUniform, IsSplitMix64) {
  // SplitMix64's published first output for seed 0 is 0xE220A8397B1DCDAF.
  std::vector<double> r = ref::randomUniform(0, 3);
  EXPECT_EQ(r[0], (double)(0xE220A8397B1DCDAFULL >> 11) * 0x1p-52 - 1.0);
  EXPECT_EQ(r[0], 0.7666216164272852);
  EXPECT_EQ(r[1], -0.13694400590298006); // tools/spec-values/vibee_values.py rand(0, 3)
  EXPECT_EQ(r[2], -0.9471324568148045);
  std::vector<double> s = ref::randomUniform(42, 2);
  EXPECT_EQ(s[0], 0.4831297575436466);
  EXPECT_EQ(s[1], -0.6801792142461598);
}

TEST(RandomUniform, ReproducibleInRangeAndPrefixStable) {
  std::vector<double> a = ref::randomUniform(7, 10000);
  EXPECT_EQ(a, ref::randomUniform(7, 10000));
  std::vector<double> prefix = ref::randomUniform(7, 10);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), a.begin()));
  EXPECT_NE(a, ref::randomUniform(8, 10000));
  double sum = 0, lo = 1, hi = -1;
  for (double x : a) {
    ASSERT_GE(x, -1.0);
    ASSERT_LT(x, 1.0);
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  EXPECT_NEAR(sum / a.size(), 0.0, 0.03); // mean of U[-1,1): sd of the mean ~0.006
  EXPECT_LT(lo, -0.99);
  EXPECT_GT(hi, 0.99);
  EXPECT_TRUE(ref::randomUniform(1, 0).empty());
}

// ---- The normative examples of docs/language.md ------------------------------------

// docs/language.md's example is the spec library's Lion, read from there.
const std::filesystem::path kLionFile = VIBEE_SPECS_DIR "/optim/lion.vibee";

TEST(Reference, LionDocExample) {
  auto spec = loadFile(kLionFile);
  ASSERT_TRUE(spec);
  Outcome o =
      run(*spec, "step",
          {vec({1.0, -1.0, 0.5}), vec({0.3, -2.0, 0.0}), vec({0, 0, 0}), scalar(0.1), scalar(0.0)});
  // c = 0.1 * grad -> sign [1, -1, 0]; param - 0.1 * sign; m = 0.01 * grad.
  expectNear(o.params[0], {3}, {0.9, -0.9, 0.5}, 1e-12, "param");
  expectNear(o.params[2], {3}, {0.003, -0.02, 0.0}, 1e-12, "m");
  expectEq(o.params[1], {0.3, -2.0, 0.0}, "grad is unchanged");
  expectEq(o.params[3], {0.1}, "lr");
  EXPECT_TRUE(o.results.empty());
}

TEST(Reference, LionWithMomentumAndDecay) {
  auto spec = loadFile(kLionFile);
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "step",
                  {vec({2.0, -0.5}), vec({0.5, 0.0}), vec({-1.0, 0.2}), scalar(0.01), scalar(0.1)});
  // c0 = -0.9 + 0.05 < 0 -> param0 = 2 - 0.01 * (-1 + 0.2) = 2.008
  // c1 = 0.18 > 0       -> param1 = -0.5 - 0.01 * (1 - 0.05) = -0.5095
  expectNear(o.params[0], {2}, {2.008, -0.5095}, 1e-12, "param");
  expectNear(o.params[2], {2}, {-0.99 + 0.005, 0.198}, 1e-12, "m");
}

const char *kSoftmax = R"(
spec softmax 1.0.0 "Row softmax, max-subtracted";
kernel softmax(x: f32[R, C]) -> y: f32[R, C] {
  mx[r] = max(c) x[r, c];
  e[r, c] = exp(x[r, c] - mx[r]);
  s[r] = sum(c) e[r, c];
  y[r, c] = e[r, c] / s[r];
}
)";

TEST(Reference, SoftmaxDocExample) {
  auto spec = load(kSoftmax);
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "softmax", {mat(3, 3, {1, 2, 3, 0, 0, 0, 1000, 1001, 1002})});
  const double z = 1 + std::exp(1.0) + std::exp(2.0);
  expectNear(o.results[0], {3, 3},
             {1 / z, std::exp(1.0) / z, std::exp(2.0) / z, 1. / 3, 1. / 3, 1. / 3, 1 / z,
              std::exp(1.0) / z, std::exp(2.0) / z},
             1e-15, "y");
}

// `where(j <= i, s[i, j], -1e30)`: an index used as a value.
TEST(Reference, CausalMaskUsesIndicesAsValues) {
  auto spec = load(R"(
spec mask 1.0.0 "causal mask";
kernel mask(s: f32[T, T]) -> y: f32[T, T] {
  y[i, j] = where(j <= i, s[i, j], -1e30);
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "mask", {mat(2, 2, {1, 2, 3, 4})});
  expectEq(o.results[0], {1, -1e30, 3, 4}, "y");
}

// `/ C`: a symbolic dim as a value; `x[r, 0]`: a literal subscript.
TEST(Reference, DimsAndLiteralSubscripts) {
  auto spec = load(R"(
spec dims 1.0.0 "dims as values";
kernel stats(x: f32[R, C]) -> (mean: f32[R], first: f32[R], pos: f32[R, C]) {
  s[r] = sum(c) x[r, c];
  mean[r] = s[r] / C;
  first[r] = x[r, 0];
  pos[r, c] = x[r, c] + c * 10 + r * 100;
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "stats", {mat(2, 3, {1, 2, 3, 4, 5, 9})});
  expectEq(o.results[0], {2, 6}, "mean");
  expectEq(o.results[1], {1, 4}, "first");
  expectEq(o.results[2], {1, 12, 23, 104, 115, 129}, "pos");
}

TEST(Reference, LiteralSubscriptOutsideASymbolicDimThrows) {
  auto spec = load(R"(
spec first 1.0.0 "first column";
kernel first(x: f32[R, C]) -> y: f32[R] {
  y[r] = x[r, 0];
}
)");
  ASSERT_TRUE(spec);
  expectEq(run(*spec, "first", {mat(2, 1, {5, 6})}).results[0], {5, 6}, "y");
  EXPECT_THROW(run(*spec, "first", {Array{{2, 0}, {}}}), std::out_of_range);
}

TEST(Reference, RankZeroLocalsAndResults) {
  auto spec = load(R"(
spec total 1.0.0 "scalars";
kernel total(x: f32[N]) -> (t: f32, y: f32[N]) {
  s = sum(i) x[i];
  t = s * 2;
  y[i] = x[i] / s;
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "total", {vec({1, 3})});
  ASSERT_TRUE(o.results[0].shape.empty());
  expectEq(o.results[0], {8}, "t");
  expectEq(o.results[1], {0.25, 0.75}, "y");
}

// ---- Statement semantics ---------------------------------------------------------

TEST(Reference, StatementReadsTheOldValueOfItsTarget) {
  auto spec = load(R"(
spec self 1.0.0 "self reads";
kernel bump(x: inout f32[N]) -> y: f32[N] {
  x[i] = x[i] + x[0];
  y[i] = x[i] * 2;
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "bump", {vec({1, 2, 3})});
  // Whole-tensor assignment: every element adds the OLD x[0] = 1 (an in-place loop
  // would give [2, 4, 5]); the next statement sees the new x.
  expectEq(o.params[0], {2, 3, 4}, "x");
  expectEq(o.results[0], {4, 6, 8}, "y");
}

TEST(Reference, Reductions) {
  auto spec = load(R"(
spec reds 1.0.0 "reductions";
kernel reds(x: f32[A, B, D]) -> (s: f32[A], mx: f32[A, D], mn: f32[A], p: f32[A]) {
  s[a] = sum(b, d) x[a, b, d];
  mx[a, d] = max(b) x[a, b, d];
  mn[a] = min(d, b) x[a, b, d];
  p[a] = prod(b, d) x[a, b, d];
}
kernel colsum(x: f32[2, 3]) -> y: f32[3] {
  y[j] = sum(i) x[i, j];
}
)");
  ASSERT_TRUE(spec);
  // x[0] = [[1, 2], [3, -4]], x[1] = [[0.5, 2], [-1, 1]]
  Outcome o = run(*spec, "reds", {Array{{2, 2, 2}, {1, 2, 3, -4, 0.5, 2, -1, 1}}});
  expectEq(o.results[0], {2, 2.5}, "sum");
  expectEq(o.results[1], {3, 2, 0.5, 2}, "max");
  expectEq(o.results[2], {-4, -1}, "min");
  expectEq(o.results[3], {-24, -1}, "prod");

  Outcome c = run(*spec, "colsum", {mat(2, 3, {1, 2, 3, 10, 20, 30})});
  expectEq(c.results[0], {11, 22, 33}, "colsum");
  EXPECT_THROW(run(*spec, "colsum", {mat(3, 2, {1, 2, 3, 4, 5, 6})}), std::invalid_argument);
}

TEST(Reference, EmptyDimsGiveIdentities) {
  auto spec = load(R"(
spec empty 1.0.0 "empty reductions";
kernel r(x: f32[R, C]) -> (s: f32[R], p: f32[R], mx: f32[R]) {
  s[r] = sum(c) x[r, c];
  p[r] = prod(c) x[r, c];
  mx[r] = max(c) x[r, c];
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "r", {Array{{2, 0}, {}}});
  expectEq(o.results[0], {0, 0}, "sum");
  expectEq(o.results[1], {1, 1}, "prod");
  expectEq(o.results[2], {-INFINITY, -INFINITY}, "max");
}

// ---- Integer and bool semantics --------------------------------------------------

TEST(Reference, IntegerDivisionTruncatesAndRemainderFollowsTheDividend) {
  auto spec = load(R"(
spec ints 1.0.0 "integers";
kernel divmod(a: i32[N], b: i32[N]) -> (q: i32[N], r: i32[N]) {
  q[i] = a[i] / b[i];
  r[i] = a[i] % b[i];
}
kernel square(a: i8[N]) -> s: i8[N] {
  s[i] = a[i] * a[i];
}
kernel rowsum(x: i8[R, C]) -> s: i8[R] {
  s[r] = sum(c) x[r, c];
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "divmod", {vec({7, -7, 7, -7, 6}), vec({2, 2, -2, -2, 3})});
  expectEq(o.results[0], {3, -3, -3, 3, 2}, "q");
  expectEq(o.results[1], {1, -1, 1, -1, 0}, "r");
  // i8 wraps: 100 * 100 = 10000 = 39 * 256 + 16; 12 * 12 = 144 -> -112.
  Outcome s = run(*spec, "square", {vec({100, -3, 12})});
  expectEq(s.results[0], {16, 9, -112}, "square");
  // The reduction accumulates in i8: 100 + 100 = 200 -> -56.
  Outcome rs = run(*spec, "rowsum", {mat(2, 2, {100, 100, -1, -2})});
  expectEq(rs.results[0], {-56, -3}, "rowsum");
  // Integer arguments are converted to the parameter dtype (truncated toward zero).
  Outcome t = run(*spec, "divmod", {vec({7.9, -7.9}), vec({2, 2})});
  expectEq(t.params[0], {7, -7}, "a as i32");
  // Defined edge cases (docs/language.md): x / 0 = 0, x % 0 = x, MIN / -1 = MIN,
  // MIN % -1 = 0, in the operation's dtype (i32 here).
  Outcome z =
      run(*spec, "divmod", {vec({5, -5, -2147483648.0, -2147483648.0, 7}), vec({0, 0, -1, 0, -1})});
  expectEq(z.results[0], {0, 0, -2147483648.0, 0, -7}, "q edge cases");
  expectEq(z.results[1], {5, -5, 0, -2147483648.0, 0}, "r edge cases");
}

TEST(Reference, CastsTruncateAndDoNotRoundFloats) {
  auto spec = load(R"(
spec casts 1.0.0 "casts";
kernel casts(x: f32[N]) -> (a: i8[N], b: i32[N], c: bool[N], d: bf16[N], e: f32[N]) {
  a[i] = i8(x[i]);
  b[i] = i32(x[i]);
  c[i] = bool(x[i]);
  d[i] = bf16(x[i]);
  e[i] = f32(i32(x[i])) + f32(bool(x[i]));
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "casts", {vec({1.9, -1.9, 300.5, 0.0, 0.1})});
  expectEq(o.results[0], {1, -1, 127, 0, 0}, "i8 (300 saturates to 127)");
  expectEq(o.results[1], {1, -1, 300, 0, 0}, "i32");
  expectEq(o.results[2], {1, 1, 1, 0, 1}, "bool");
  // The oracle does not round to bf16 (documented in ReferenceInterpreter.h).
  expectEq(o.results[3], {1.9, -1.9, 300.5, 0.0, 0.1}, "bf16");
  expectEq(o.results[4], {2, 0, 301, 0, 1}, "f32(i32) + f32(bool)");
  // Float -> int saturates at the target's range, NaN -> 0.
  Outcome sat = run(*spec, "casts", {vec({-1e10, 1e10, NAN, -129.5, 3e9})});
  expectEq(sat.results[0], {-128, 127, 0, -128, 127}, "i8 saturates");
  expectEq(sat.results[1], {-2147483648.0, 2147483647, 0, -129, 2147483647}, "i32 saturates");
}

TEST(Reference, ComparisonsAndLogic) {
  auto spec = load(R"(
spec logic 1.0.0 "logic";
kernel logic(a: f32[N], b: f32[N]) -> (both: bool[N], either: bool[N], notA: bool[N], eq: bool[N], sel: f32[N]) {
  both[i] = a[i] > 0 && b[i] > 0;
  either[i] = a[i] > 0 || b[i] > 0;
  notA[i] = !(a[i] > 0);
  eq[i] = a[i] == b[i];
  sel[i] = where(a[i] >= b[i], a[i], b[i] * 10);
}
)");
  ASSERT_TRUE(spec);
  Outcome o = run(*spec, "logic", {vec({1, -1, 1, -1}), vec({1, 1, -1, -1})});
  expectEq(o.results[0], {1, 0, 0, 0}, "&&");
  expectEq(o.results[1], {1, 1, 1, 0}, "||");
  expectEq(o.results[2], {0, 1, 0, 1}, "!");
  expectEq(o.results[3], {1, 0, 0, 1}, "==");
  expectEq(o.results[4], {1, 10, 1, -1}, "where");
}

TEST(Reference, MathBuiltins) {
  auto spec = load(R"(
spec math 1.0.0 "math";
kernel unary(x: f32[N]) -> (sg: f32[N], ab: f32[N], sig: f32[N], th: f32[N], ex: f32[N], lg: f32[N], sq: f32[N], rs: f32[N]) {
  sg[i] = sign(x[i]);
  ab[i] = abs(x[i]);
  sig[i] = sigmoid(x[i]);
  th[i] = tanh(x[i]);
  ex[i] = exp(x[i]);
  lg[i] = log(abs(x[i]) + 1);
  sq[i] = sqrt(abs(x[i]));
  rs[i] = rsqrt(abs(x[i]) + 1);
}
kernel binary(x: f32[N], y: f32[N]) -> (mn: f32[N], mx: f32[N], pw: f32[N], md: f32[N], neg: f32[N]) {
  mn[i] = min(x[i], y[i]);
  mx[i] = max(x[i], y[i]);
  pw[i] = pow(abs(x[i]), y[i]);
  md[i] = x[i] % y[i];
  neg[i] = -x[i] - -1;
}
)");
  ASSERT_TRUE(spec);
  const std::vector<double> x = {-2, 0, 0.5, 4};
  Outcome u = run(*spec, "unary", {vec(x)});
  expectEq(u.results[0], {-1, 0, 1, 1}, "sign (sign(0) = 0)");
  expectEq(u.results[1], {2, 0, 0.5, 4}, "abs");
  std::vector<double> sig, th, ex, lg, sq, rs;
  for (double v : x) {
    sig.push_back(1 / (1 + std::exp(-v)));
    th.push_back(std::tanh(v));
    ex.push_back(std::exp(v));
    lg.push_back(std::log(std::fabs(v) + 1));
    sq.push_back(std::sqrt(std::fabs(v)));
    rs.push_back(1 / std::sqrt(std::fabs(v) + 1));
  }
  EXPECT_NEAR(u.results[2].data[1], 0.5, 0);
  expectNear(u.results[2], {4}, sig, 1e-15, "sigmoid");
  expectNear(u.results[3], {4}, th, 1e-15, "tanh");
  expectNear(u.results[4], {4}, ex, 1e-15, "exp");
  expectNear(u.results[5], {4}, lg, 1e-15, "log");
  expectNear(u.results[6], {4}, sq, 1e-15, "sqrt");
  expectNear(u.results[7], {4}, rs, 1e-15, "rsqrt");
  EXPECT_EQ(u.results[7].data[1], 1.0);

  Outcome b = run(*spec, "binary", {vec({-2, 3, 0.5, 9}), vec({1, -1, 2, 0.5})});
  expectEq(b.results[0], {-2, -1, 0.5, 0.5}, "min");
  expectEq(b.results[1], {1, 3, 2, 9}, "max");
  expectNear(b.results[2], {4}, {2, 1.0 / 3, 0.25, 3}, 1e-15, "pow");
  expectEq(b.results[3], {std::fmod(-2.0, 1.0), std::fmod(3.0, -1.0), 0.5, 0}, "% is fmod");
  expectEq(b.results[4], {3, -2, 0.5, -8}, "unary minus");
}

// ---- Arguments ----------------------------------------------------------------------

const char *kScale = R"(
spec scale 1.0.0 "defaults";
const base: f32 = 0.5;
kernel scale(x: f32[N], k: f32 = base * 4, shift: f32 = -1) -> y: f32[N] {
  y[i] = x[i] * k + shift;
}
kernel needs(x: f32[N], k: f32) -> y: f32[N] {
  y[i] = x[i] * k;
}
)";

TEST(Reference, ScalarDefaults) {
  auto spec = load(kScale);
  ASSERT_TRUE(spec);
  Outcome d = run(*spec, "scale", {vec({1, 2}), useDefault(), useDefault()});
  expectEq(d.results[0], {1, 3}, "y with k = 2, shift = -1");
  expectEq(d.params[1], {2}, "default k is reported");
  Outcome e = run(*spec, "scale", {vec({1, 2}), scalar(3), useDefault()});
  expectEq(e.results[0], {2, 5}, "y with k = 3");
  EXPECT_THROW(run(*spec, "needs", {vec({1}), useDefault()}), std::invalid_argument);
  EXPECT_THROW(run(*spec, "needs", {vec({1})}), std::invalid_argument);
  EXPECT_THROW(run(*spec, "needs", {vec({1}), vec({2})}), std::invalid_argument);
}

const char *kMatmul = R"(
spec matmul 1.0.0 "Dense matrix product";
kernel matmul(a: f32[M, K], b: f32[K, N]) -> c: f32[M, N] {
  c[m, n] = sum(k) a[m, k] * b[k, n];
}
)";

TEST(Reference, MatmulByHand) {
  auto spec = load(kMatmul);
  ASSERT_TRUE(spec);
  Outcome o =
      run(*spec, "matmul", {mat(2, 3, {1, 2, 3, 4, 5, 6}), mat(3, 2, {7, 8, 9, 10, 11, 12})});
  expectNear(o.results[0], {2, 2}, {58, 64, 139, 154}, 0, "c");
}

std::string thrownMessage(const std::function<void()> &f) {
  try {
    f();
  } catch (const std::invalid_argument &e) {
    return e.what();
  }
  return "<no std::invalid_argument>";
}

TEST(Reference, ShapeMismatchesNameKernelArgumentAndShapes) {
  auto spec = load(kMatmul);
  ASSERT_TRUE(spec);
  std::string dim = thrownMessage(
      [&] { run(*spec, "matmul", {mat(2, 3, {1, 2, 3, 4, 5, 6}), mat(2, 2, {1, 2, 3, 4})}); });
  EXPECT_NE(dim.find("matmul"), std::string::npos) << dim;
  EXPECT_NE(dim.find("'b'"), std::string::npos) << dim;
  EXPECT_NE(dim.find("f32[K, N]"), std::string::npos) << dim;
  EXPECT_NE(dim.find("K=3"), std::string::npos) << dim;
  EXPECT_NE(dim.find("[2, 2]"), std::string::npos) << dim;

  std::string rank =
      thrownMessage([&] { run(*spec, "matmul", {vec({1, 2}), mat(2, 2, {1, 2, 3, 4})}); });
  EXPECT_NE(rank.find("'a'"), std::string::npos) << rank;
  EXPECT_NE(rank.find("rank 2"), std::string::npos) << rank;
  EXPECT_NE(rank.find("[2]"), std::string::npos) << rank;

  EXPECT_THROW(run(*spec, "matmul", {mat(1, 1, {1})}), std::invalid_argument);
  EXPECT_THROW(run(*spec, "matmul", {mat(1, 2, {1}), mat(2, 1, {1, 2})}),
               std::invalid_argument); // data does not fill the shape
}

// ---- Every behavior of the spec library, through the oracle ----------------------

Array materialize(const ast::Value &v, const std::map<std::string, Array> &givens) {
  int64_t n = 1;
  for (int64_t d : v.shape)
    n *= d;
  switch (v.kind) {
  case ast::Value::Literal:
    return Array{v.shape, v.data};
  case ast::Value::Scalar:
    return Array{{}, {v.data.at(0)}};
  case ast::Value::Zeros:
    return Array{v.shape, std::vector<double>((size_t)n, 0.0)};
  case ast::Value::Ones:
    return Array{v.shape, std::vector<double>((size_t)n, 1.0)};
  case ast::Value::Rand:
    return Array{v.shape, ref::randomUniform((uint64_t)v.seed, (size_t)n)};
  case ast::Value::NameRef: {
    auto it = givens.find(v.name);
    if (it == givens.end())
      throw std::logic_error("no given '" + v.name + "'");
    return it->second;
  }
  }
  return {};
}

// A given for an f16 or bf16 parameter as the call stores it (vibeec test converts
// it to the dtype): 70000 is inf in f16, which a behavior may rely on. f32 givens stay
// as written (the oracle computes in float64; behaviors compare with those values).
void roundToNarrowFloat(Array &a, ast::DType t) {
  for (double &x : a.data) {
    if (t == ast::DType::F16) {
      x = static_cast<double>(static_cast<_Float16>(x));
    } else if (t == ast::DType::BF16 && std::isfinite(x)) {
      float f = static_cast<float>(x);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u; // nearest even
      std::memcpy(&f, &bits, 4);
      x = f;
    }
  }
}

void checkBehaviors(const std::filesystem::path &file) {
  auto spec = loadFile(file);
  ASSERT_TRUE(spec) << file;
  ASSERT_FALSE(spec->behaviors.empty()) << file;
  for (const ast::Behavior &b : spec->behaviors) {
    SCOPED_TRACE(file.filename().string() + ": behavior \"" + b.title + "\"");
    std::map<std::string, Array> givens;
    for (const ast::Binding &g : b.given)
      givens[g.name] = materialize(g.value, givens);
    const ast::Kernel *k = spec->findKernel(b.when.kernel);
    ASSERT_TRUE(k);
    std::vector<Array> args(k->params.size());
    std::map<std::string, size_t> paramOfGiven;
    for (size_t i = 0; i < b.when.positional.size(); ++i) {
      args.at(i) = materialize(b.when.positional[i].value, givens);
      paramOfGiven[b.when.positional[i].value.name] = i;
    }
    for (const ast::Binding &nb : b.when.named)
      for (size_t i = 0; i < k->params.size(); ++i)
        if (k->params[i].name == nb.name) {
          args[i] = materialize(nb.value, givens);
          if (nb.value.kind == ast::Value::NameRef)
            paramOfGiven[nb.value.name] = i;
        }
    for (size_t i = 0; i < args.size(); ++i)
      roundToNarrowFloat(args[i], k->params[i].type.dtype);
    Outcome o = ref::evaluate(*spec, *k, args);
    for (const ast::Expectation &t : b.then) {
      const Array *got = nullptr;
      for (size_t r = 0; r < k->results.size(); ++r)
        if (k->results[r].name == t.name)
          got = &o.results[r];
      if (!got) {
        auto it = paramOfGiven.find(t.name);
        got = it != paramOfGiven.end() ? &o.params[it->second] : &givens.at(t.name);
      }
      Array want = materialize(t.expected, givens);
      ASSERT_EQ(got->shape, want.shape) << t.name;
      for (size_t e = 0; e < want.data.size(); ++e) {
        if (t.approx)
          EXPECT_NEAR(got->data[e], want.data[e], t.tolerance) << t.name << " element " << e;
        else
          EXPECT_EQ(got->data[e], want.data[e]) << t.name << " element " << e;
      }
    }
  }
}

TEST(SpecLibrary, EveryBehaviorHoldsInTheOracle) {
  int files = 0;
  for (const auto &entry : std::filesystem::recursive_directory_iterator(VIBEE_SPECS_DIR)) {
    if (entry.path().extension() != ".vibee")
      continue;
    ++files;
    checkBehaviors(entry.path());
  }
  EXPECT_GE(files, 5);
}

} // namespace

// Integer literals and integer constants are exact int64 values in the oracle too:
// through a double, 9223372036854775806 became 2^63 (saturated to INT64_MAX), so the
// sum below wrapped and the comparison failed.
TEST(Reference, IntegerLiteralsAndConstantsAreExact) {
  auto spec = load(R"(
spec exact 1.0.0 "exact";
const big: i64 = 9223372036854775807;
const odd: i64 = 9007199254740993;
kernel k(x: i64[N]) -> (y: i64[N], z: i64[N]) {
  y[i] = where(x[i] + 9223372036854775806 == big, 1, 0);
  z[i] = where(odd - x[i] == 9007199254740992, 1, 0);
}
)");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->consts[0].foldedInt, INT64_MAX);
  EXPECT_EQ(spec->consts[1].foldedInt, 9007199254740993);
  Outcome o = run(*spec, "k", {vec({1, 2})});
  expectEq(o.results[0], {1, 0}, "y");
  expectEq(o.results[1], {1, 0}, "z");
}
