// The JIT API from a C++ host: numerics against a float64 loop on random inputs,
// call-time checks (dtype, rank, symbolic dims) and the kernel cache.
#include "runtime/Jit.h"
#include "tests/unit/runtime/CallErrorText.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>

using namespace vibee;

namespace {

// The spec library's Lion (specs/optim/lion.vibee).
const std::string kLionFile = VIBEE_SPECS_DIR "/optim/lion.vibee";

const char *kMatmul = R"(spec matmul 1.0.0 "Dense matrix product";
kernel matmul(a: f32[M, K], b: f32[K, N]) -> c: f32[M, N] {
  c[m, n] = sum(k) a[m, k] * b[k, n];
}
)";

std::vector<float> randomVector(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

// ||c - a b|| / ||a b|| with a b in float64 (row-major a: M x K, b: K x N).
double matmulRelativeError(const std::vector<float> &a, const std::vector<float> &b,
                           const std::vector<float> &c, int64_t M, int64_t K, int64_t N) {
  double diff2 = 0, ref2 = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double ref = 0;
      for (int64_t k = 0; k < K; ++k)
        ref += (double)a[i * K + k] * b[k * N + j];
      diff2 += (c[i * N + j] - ref) * (c[i * N + j] - ref);
      ref2 += ref * ref;
    }
  return std::sqrt(diff2 / ref2);
}

// y = softmax over each row of x (R x C), against float64, element by element.
void expectSoftmaxRows(const std::vector<float> &x, const std::vector<float> &y, int64_t R,
                       int64_t C) {
  for (int64_t r = 0; r < R; ++r) {
    double mx = -INFINITY, sum = 0;
    for (int64_t c = 0; c < C; ++c)
      mx = std::max(mx, (double)x[r * C + c]);
    for (int64_t c = 0; c < C; ++c)
      sum += std::exp(x[r * C + c] - mx);
    for (int64_t c = 0; c < C; ++c)
      ASSERT_NEAR(y[r * C + c], std::exp(x[r * C + c] - mx) / sum, 1e-6) << r << "," << c;
  }
}

TEST(Runtime, LionMatchesFloat64Loop) {
  Compiler compiler;
  auto module = compiler.compileFile(kLionFile);
  const int64_t n = 1037;
  std::vector<float> param = randomVector(n, 1), grad = randomVector(n, 2), m = randomVector(n, 3);
  std::vector<double> refParam(param.begin(), param.end()), refM(m.begin(), m.end());
  const double lr = 0.01, wd = 0.1;
  for (int64_t i = 0; i < n; ++i) {
    double c = 0.9 * refM[i] + 0.1 * grad[i];
    double sign = c > 0 ? 1 : c < 0 ? -1 : 0;
    refParam[i] = refParam[i] - lr * (sign + wd * refParam[i]);
    refM[i] = 0.99 * refM[i] + (1 - 0.99) * grad[i];
  }
  module->kernel("step")({TensorView(param.data(), {n}), TensorView(grad.data(), {n}),
                          TensorView(m.data(), {n}), lr, wd});
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(param[i], refParam[i], 1e-6) << "param[" << i << "]";
    EXPECT_NEAR(m[i], refM[i], 1e-6) << "m[" << i << "]";
  }
}

TEST(Runtime, MatmulMatchesFloat64Loop) {
  Compiler compiler;
  auto module = compiler.compileString(kMatmul);
  const int64_t M = 37, K = 19, N = 23;
  std::vector<float> a = randomVector(M * K, 4), b = randomVector(K * N, 5), c(M * N, NAN);
  auto dims = module->kernel("matmul")(
      {TensorView(a.data(), {M, K}), TensorView(b.data(), {K, N}), TensorView(c.data(), {M, N})});
  EXPECT_EQ(dims.at("M"), M);
  EXPECT_EQ(dims.at("K"), K);
  EXPECT_EQ(dims.at("N"), N);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double ref = 0;
      for (int64_t k = 0; k < K; ++k)
        ref += (double)a[i * K + k] * b[k * N + j];
      EXPECT_NEAR(c[i * N + j], ref, 1e-5) << i << "," << j;
    }
}

// Sizes that reach the CPU fast paths the spec checks' small shapes never do: the
// packed, register-tiled matmul (its full 8 x 32 tiles) split across threads, and
// the threaded elementwise and row kernels (>= 64K elements).
TEST(Runtime, TiledThreadedMatmulMatchesFloat64Loop) {
  Compiler compiler;
  auto module = compiler.compileString(kMatmul);
  // Also shapes with edges: M % 8 rows and N % 32 columns outside the full register
  // tiles (plain loops beside the micro-kernel), and one with no full tile at all.
  for (auto [M, K, N] : {std::tuple<int64_t, int64_t, int64_t>{264, 300, 544},
                         {256, 257, 512},
                         {40, 1, 96},
                         {263, 301, 547},
                         {1000, 64, 1000},
                         {250, 123, 70},
                         {7, 300, 600}}) {
    std::vector<float> a = randomVector(M * K, 6), b = randomVector(K * N, 7), c(M * N, NAN);
    module->kernel("matmul")(
        {TensorView(a.data(), {M, K}), TensorView(b.data(), {K, N}), TensorView(c.data(), {M, N})});
    EXPECT_LT(matmulRelativeError(a, b, c, M, K, N), 1e-6) << M << "x" << K << "x" << N;
  }
}

TEST(Runtime, ThreadedLionAndSoftmaxMatchFloat64) {
  Compiler compiler;
  auto lion = compiler.compileFile(kLionFile);
  const int64_t n = 300001;
  std::vector<float> param = randomVector(n, 8), grad = randomVector(n, 9), m = randomVector(n, 10);
  std::vector<float> p0 = param, m0 = m;
  lion->kernel("step")({TensorView(param.data(), {n}), TensorView(grad.data(), {n}),
                        TensorView(m.data(), {n}), 0.01, 0.1});
  for (int64_t i = 0; i < n; ++i) {
    double c = 0.9 * m0[i] + 0.1 * grad[i];
    double sign = c > 0 ? 1 : c < 0 ? -1 : 0;
    ASSERT_NEAR(param[i], p0[i] - 0.01 * (sign + 0.1 * p0[i]), 1e-6) << i;
    ASSERT_NEAR(m[i], 0.99 * m0[i] + (1 - 0.99) * grad[i], 1e-6) << i;
  }

  auto softmax = compiler.compileString(R"(spec softmax 1.0.0 "s";
kernel softmax(x: f32[R, C]) -> y: f32[R, C] {
  mx[r] = max(c) x[r, c];
  e[r, c] = exp(x[r, c] - mx[r]);
  s[r] = sum(c) e[r, c];
  y[r, c] = e[r, c] / s[r];
}
)");
  const int64_t R = 515, C = 260;
  std::vector<float> x = randomVector(R * C, 11), y(R * C, NAN);
  softmax->kernel("softmax")({TensorView(x.data(), {R, C}), TensorView(y.data(), {R, C})});
  expectSoftmaxRows(x, y, R, C);
}

// The CPU's threads split a scatter-add's directly indexed columns and a top-k's
// rows (vibee.independent_columns / _rows): the results are exactly those of the
// loops in order, at sizes the runtime gives threads (>= 64K iterations). Each
// gradient element sums its updates in order of position, in f32, so the
// expectation is that very sum, bit for bit; D = 300 leaves ranges that end
// inside a cache line.
TEST(Runtime, ThreadedScatterAndTopKMatchLoopsInOrder) {
  Compiler compiler;
  auto module = compiler.compileString(R"(spec split 1.0.0 "threads";
kernel embed_grad(ids: i32[S], dy: f32[S, D], dtable: inout f32[V, D]) {
  dtable[ids[s], d] += dy[s, d];
}
kernel top(x: f32[R, C]) -> (v: f32[R, 7], i: i64[R, 7]) {
  v[r, j], i[r, j] = topk(c, j) x[r, c];
}
)");
  const int64_t S = 700, D = 300, V = 50;
  std::vector<int32_t> ids(S);
  std::mt19937 gen(15);
  for (int32_t &id : ids)
    id = (int32_t)(gen() % V);
  std::vector<float> dy = randomVector(S * D, 16), dtable = randomVector(V * D, 17);
  std::vector<float> expected = dtable;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t d = 0; d < D; ++d)
      expected[ids[s] * D + d] += dy[s * D + d];
  module->kernel("embed_grad")({TensorView(ids.data(), ast::DType::I32, {S}),
                               TensorView(dy.data(), {S, D}), TensorView(dtable.data(), {V, D})});
  for (int64_t e = 0; e < V * D; ++e)
    ASSERT_EQ(dtable[e], expected[e]) << e;

  const int64_t R = 64, C = 5000, K = 7;
  std::vector<float> x = randomVector(R * C, 18), v(R * K, NAN);
  std::vector<int64_t> i(R * K, -1);
  module->kernel("top")({TensorView(x.data(), {R, C}), TensorView(v.data(), {R, K}),
                         TensorView(i.data(), ast::DType::I64, {R, K})});
  for (int64_t r = 0; r < R; ++r) {
    std::vector<int64_t> order(C);
    for (int64_t c = 0; c < C; ++c)
      order[c] = c;
    const float *row = &x[r * C];
    std::partial_sort(order.begin(), order.begin() + K, order.end(),
                      [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    for (int64_t j = 0; j < K; ++j) {
      ASSERT_EQ(i[r * K + j], order[j]) << r << "," << j;
      ASSERT_EQ(v[r * K + j], row[order[j]]) << r << "," << j;
    }
  }
}

// Schedule hints change tiles, vector widths, split loops and thread counts, never
// the numbers: hinted kernels at sizes that reach the tiled and threaded paths
// (several M/N/K tiles with partial last blocks, column chunks, row-group chunks).
TEST(Runtime, ScheduleHintsKeepNumerics) {
  Compiler compiler;
  auto module = compiler.compileString(R"(spec hinted 1.0.0 "hints";
kernel matmul(a: f32[M, K], b: f32[K, N]) -> c: f32[M, N] {
  schedule { tile(M = 16, N = 64, K = 40); vector(8); threads(2); }
  c[m, n] = sum(k) a[m, k] * b[k, n];
}
kernel matmul_serial(a: f32[M, K], b: f32[K, N]) -> c: f32[M, N] {
  schedule { parallel(); vector(4); }
  c[m, n] = sum(k) a[m, k] * b[k, n];
}
kernel cols(x: f32[R, C]) -> y: f32[R, C] {
  schedule { parallel(C); tile(C = 24); }
  y[r, c] = 2.0 * x[r, c] + 1.0;
}
kernel softmax(x: f32[R, C]) -> y: f32[R, C] {
  schedule { tile(R = 3); threads(2); }
  mx[r] = max(c) x[r, c];
  e[r, c] = exp(x[r, c] - mx[r]);
  s[r] = sum(c) e[r, c];
  y[r, c] = e[r, c] / s[r];
}
)");
  for (const char *name : {"matmul", "matmul_serial"}) {
    const int64_t M = 264, K = 300, N = 544;
    std::vector<float> a = randomVector(M * K, 12), b = randomVector(K * N, 13), c(M * N, NAN);
    module->kernel(name)(
        {TensorView(a.data(), {M, K}), TensorView(b.data(), {K, N}), TensorView(c.data(), {M, N})});
    EXPECT_LT(matmulRelativeError(a, b, c, M, K, N), 1e-6) << name;
  }
  const int64_t R = 515, C = 261;
  std::vector<float> x = randomVector(R * C, 14), y(R * C, NAN);
  module->kernel("cols")({TensorView(x.data(), {R, C}), TensorView(y.data(), {R, C})});
  for (int64_t e = 0; e < R * C; ++e)
    ASSERT_NEAR(y[e], 2.0 * x[e] + 1.0, 1e-6) << e;
  std::fill(y.begin(), y.end(), NAN);
  module->kernel("softmax")({TensorView(x.data(), {R, C}), TensorView(y.data(), {R, C})});
  expectSoftmaxRows(x, y, R, C);
}

TEST(Runtime, DimMismatchNamesKernelArgumentAndShapes) {
  Compiler compiler;
  auto module = compiler.compileFile(kLionFile);
  std::vector<float> param(3, 1.0f), grad(4, 1.0f), m(3, 0.5f);
  std::vector<float> before = param;
  std::string msg = callError([&] {
    module->kernel("step")({TensorView(param.data(), {3}), TensorView(grad.data(), {4}),
                            TensorView(m.data(), {3}), 0.1, 0.0});
  });
  EXPECT_NE(msg.find("kernel 'step'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("argument 'grad'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("f32[N]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("N = 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("f32[4]"), std::string::npos) << msg;
  EXPECT_EQ(param, before) << "nothing may run when a check fails";
}

TEST(Runtime, DtypeRankAndArityAreChecked) {
  Compiler compiler;
  auto module = compiler.compileString(kMatmul);
  std::vector<double> a64(6);
  std::vector<float> a(6), b(6), c(4);
  std::string dtype = callError([&] {
    module->kernel("matmul")({TensorView(a64.data(), {2, 3}), TensorView(b.data(), {3, 2}),
                              TensorView(c.data(), {2, 2})});
  });
  EXPECT_NE(dtype.find("expected f32[M, K] but got f64[2, 3]"), std::string::npos) << dtype;
  std::string rank = callError([&] {
    module->kernel("matmul")(
        {TensorView(a.data(), {6}), TensorView(b.data(), {3, 2}), TensorView(c.data(), {2, 2})});
  });
  EXPECT_NE(rank.find("argument 'a': expected f32[M, K] but got f32[6]"), std::string::npos)
      << rank;
  std::string result = callError([&] {
    module->kernel("matmul")(
        {TensorView(a.data(), {2, 3}), TensorView(b.data(), {3, 2}), TensorView(c.data(), {2, 3})});
  });
  EXPECT_NE(result.find("result 'c'"), std::string::npos) << result;
  std::string arity = callError([&] { module->kernel("matmul")({TensorView(a.data(), {2, 3})}); });
  EXPECT_NE(arity.find("expected 3 arguments"), std::string::npos) << arity;
  EXPECT_THROW(module->kernel("nope"), CallError);
}

// What the Python package allocates its results from: the parameters' checks with
// a call's messages, shapes from the bound dims, data never read (null here).
TEST(Runtime, ResultShapesCheckParametersLikeACall) {
  Compiler compiler;
  auto module = compiler.compileString(kMatmul);
  Kernel matmul = module->kernel("matmul");
  auto shapes = matmul.resultShapes(
      {TensorView(nullptr, DType::F32, {2, 3}), TensorView(nullptr, DType::F32, {3, 5})});
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0], (std::vector<int64_t>{2, 5}));
  std::string dims = callError([&] {
    matmul.resultShapes(
        {TensorView(nullptr, DType::F32, {2, 3}), TensorView(nullptr, DType::F32, {4, 5})});
  });
  EXPECT_EQ(dims, "kernel 'matmul': argument 'b': expected f32[K, N] with K = 3 (from argument "
                  "'a') but got f32[4, 5]");
  std::vector<float> a(6);
  std::string layout = callError([&] {
    matmul.resultShapes({TensorView(a.data(), DType::F32, {2, 3}, {1, 2}),
                         TensorView(nullptr, DType::F32, {3, 5})});
  });
  EXPECT_EQ(layout,
            "kernel 'matmul': argument 'a': expected a contiguous row-major tensor f32[M, K]");
  std::string arity = callError([&] { matmul.resultShapes({TensorView(a.data(), {2, 3})}); });
  EXPECT_EQ(arity, "kernel 'matmul': expected 2 parameters but got 1");
  // A kernel without results (Lion's step updates in place): no shapes; a
  // missing scalar is still an error.
  Kernel step = compiler.compileFile(kLionFile)->kernel("step");
  TensorView n3(nullptr, DType::F32, {3});
  EXPECT_TRUE(step.resultShapes({n3, n3, n3, 0.1, 0.0}).empty());
  std::string scalar = callError([&] { step.resultShapes({n3, n3, n3, 0.1, Default{}}); });
  EXPECT_EQ(scalar, "kernel 'step': argument 'wd': expected a scalar f32 but got no value");
}

TEST(Runtime, SecondCompileOfSameSpecIsACacheHit) {
  Compiler compiler;
  auto first = compiler.compileFile(kLionFile);
  EXPECT_EQ(compiler.cacheStats().misses, 1);
  EXPECT_EQ(compiler.cacheStats().hits, 0);
  auto second = compiler.compileFile(kLionFile);
  EXPECT_EQ(compiler.cacheStats().hits, 1);
  EXPECT_EQ(first.get(), second.get());
  compiler.compileString(kMatmul);
  EXPECT_EQ(compiler.cacheStats().misses, 2);
}

TEST(Runtime, CompileErrorCarriesLocationAndCaret) {
  Compiler compiler;
  try {
    compiler.compileString("spec bad 1.0.0 \"x\";\nkernel k(x: f32[N]) -> y: f32[N] {\n"
                           "  y[i] = x[i] + z[i];\n}\n",
                           "bad.vibee");
    FAIL() << "expected a CompileError";
  } catch (const CompileError &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("bad.vibee:3:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("error:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("^"), std::string::npos) << msg;
  }
}

// A double stored into an integer tensor follows the language's float -> integer rule
// (truncation, saturation at the dtype's range, NaN -> 0); a C++ cast of NaN or of a
// value outside the range was undefined (found by the compiler fuzzer: a NaN-poisoned
// i8 result).
TEST(Runtime, HostTensorStoresIntegersSaturated) {
  const double nan = std::nan("");
  HostTensor i8(ast::DType::I8, {5}), i32(ast::DType::I32, {5}), i64(ast::DType::I64, {5});
  for (HostTensor *t : {&i8, &i32, &i64})
    t->fill({nan, 300.5, -300.5, -2.9, 1e300});
  EXPECT_EQ(i8.toDoubles(), (std::vector<double>{0, 127, -128, -2, 127}));
  EXPECT_EQ(i32.toDoubles(), (std::vector<double>{0, 300, -300, -2, 2147483647}));
  EXPECT_EQ(i64.toDoubles(), (std::vector<double>{0, 300, -300, -2, 9223372036854775807.0}));
}

// The unsigned dtypes saturate at [0, 2^w - 1] the same way, and u64 holds values
// above 2^63 (read back as the nearest double).
TEST(Runtime, HostTensorStoresUnsignedSaturated) {
  const double nan = std::nan("");
  HostTensor u8(ast::DType::U8, {6}), u16(ast::DType::U16, {6}), u32(ast::DType::U32, {6}),
      u64(ast::DType::U64, {6});
  for (HostTensor *t : {&u8, &u16, &u32, &u64})
    t->fill({nan, 300.5, -300.5, 0x1p63 + 2048, 1e300, 0.9});
  EXPECT_EQ(u8.toDoubles(), (std::vector<double>{0, 255, 0, 255, 255, 0}));
  EXPECT_EQ(u16.toDoubles(), (std::vector<double>{0, 300, 0, 65535, 65535, 0}));
  EXPECT_EQ(u32.toDoubles(), (std::vector<double>{0, 300, 0, 4294967295, 4294967295, 0}));
  EXPECT_EQ(u64.toDoubles(), (std::vector<double>{0, 300, 0, 0x1p63 + 2048, 0x1p64, 0}));
  uint64_t top;
  std::memcpy(&top, static_cast<unsigned char *>(u64.data()) + 4 * 8, 8);
  EXPECT_EQ(top, ~uint64_t{0});
}

} // namespace
