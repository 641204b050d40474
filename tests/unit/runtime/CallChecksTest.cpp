// Reliability of the JIT API (issue 15): sizes that overflow int64, kernels that
// outlive their Compiler, outputs that overlap other arguments, literal subscripts
// past a symbolic dim, an argmax over an empty axis, and no perf jitdump unless asked
// for.
#include "runtime/CallChecks.h"
#include "frontend/Frontend.h"
#include "runtime/Jit.h"
#include "tests/unit/runtime/CallErrorText.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <unistd.h>

extern "C" {
void mgpuLaunchKernel(void *, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, int32_t,
                      void *, void **, void **, size_t);
const char *vibee_cuda_last_error(void);
void vibee_cuda_clear_error(void);
intptr_t vibee_cuda_tensor_map(intptr_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                               int64_t, int64_t);
}

using namespace vibee;
namespace fs = std::filesystem;

namespace {

const char *kCopy = R"(spec copy 1.0.0 "Copy";
kernel copy(x: f32[M, N]) -> y: f32[M, N] {
  y[i, j] = x[i, j];
}
kernel twice(x: f32[N]) -> y: f32[N] {
  y[i] = 2 * x[i];
}
)";

const char *kMatmul = R"(spec matmul 1.0.0 "Dense matrix product";
kernel mm(a: f32[M, K], b: f32[K, N]) -> c: f32[M, N] {
  c[m, n] = sum(k) a[m, k] * b[k, n];
}
)";

const char *kScale = R"(spec scale 1.0.0 "In place";
kernel scale(x: inout f32[N], y: f32[N]) {
  x[i] = x[i] * y[i];
}
)";

// Line 3, column 12 is the 5 of x[5].
const char *kFifth = R"(spec fifth 1.0.0 "A literal subscript";
kernel f(x: f32[N]) -> y: f32[N] {
  y[i] = x[5] + x[i];
}
)";

void expectHas(const std::string &msg, const std::string &part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
}

// {2^32, 2^32} elements is 2^64: the count wraps to 0, and a null view used to
// pass the null-pointer check and crash inside the kernel.
TEST(CallChecks, ShapeWhoseSizeOverflowsIsAnError) {
  Compiler compiler;
  auto module = compiler.compileString(kCopy);
  int64_t big = int64_t(1) << 32;
  std::vector<float> y(4);
  std::string msg = callError([&] {
    module->kernel("copy")(
        {TensorView(nullptr, DType::F32, {big, big}), TensorView(nullptr, DType::F32, {big, big})});
  });
  expectHas(msg, "kernel 'copy'");
  expectHas(msg, "argument 'x'");
  expectHas(msg, "f32[4294967296, 4294967296]");
  expectHas(msg, "overflows");
  // The byte size overflows although the element count (2^62) does not.
  int64_t huge = int64_t(1) << 31;
  msg = callError([&] {
    module->kernel("copy")({TensorView(nullptr, DType::F32, {huge, huge}),
                            TensorView(nullptr, DType::F32, {huge, huge})});
  });
  expectHas(msg, "overflows");
  EXPECT_THROW(TensorView(nullptr, DType::F32, {big, big}).numElements(), SizeOverflow);
  EXPECT_THROW(TensorView(nullptr, DType::F32, {huge, huge}).numBytes(), SizeOverflow);
  EXPECT_EQ(TensorView(nullptr, DType::F32, {3, 5}).numBytes(), 60);
  EXPECT_THROW(HostTensor(DType::F32, {big, big}), SizeOverflow);
  EXPECT_FALSE(TensorView(nullptr, DType::F32, {big, big}, {big, 1}).isContiguous());
}

// GPU launch sizes are checked before the driver is asked (no GPU needed).
TEST(CallChecks, GpuLaunchWhoseThreadCountOverflowsIsAnError) {
  void *fakeFunction = reinterpret_cast<void *>(0x10);
  vibee_cuda_clear_error();
  mgpuLaunchKernel(fakeFunction, 0x7fffffff, 65535, 65535, 1024, 1, 1, 0, nullptr, nullptr, nullptr,
                   0);
  ASSERT_NE(vibee_cuda_last_error(), nullptr);
  std::string msg = vibee_cuda_last_error();
  expectHas(msg, "grid 2147483647x65535x65535, block 1024x1x1");
  expectHas(msg, "overflows");
  vibee_cuda_clear_error();
  mgpuLaunchKernel(fakeFunction, 1, 1, 1, 2048, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  ASSERT_NE(vibee_cuda_last_error(), nullptr);
  expectHas(vibee_cuda_last_error(), "more than 1024 threads");
  vibee_cuda_clear_error();
}

// The wgmma kernels' tensor maps: an empty dim needs none (0, no error; the
// host code then loads nothing); otherwise, without a driver (CI), 0 and a
// recorded error, never a crash.
TEST(CallChecks, TensorMapOfAnEmptyTensorIsNoneAndNoError) {
  vibee_cuda_clear_error();
  EXPECT_EQ(vibee_cuda_tensor_map(0x1000, 9, 0, 128, 1, 0, 0, 64, 128), 0);
  EXPECT_EQ(vibee_cuda_tensor_map(0x1000, 9, 64, 0, 1, 128, 0, 64, 128), 0);
  EXPECT_EQ(vibee_cuda_last_error(), nullptr);
  intptr_t map = vibee_cuda_tensor_map(0x1000, 9, 64, 128, 1, 128, 128 * 128, 64, 128);
  if (map == 0) {
    ASSERT_NE(vibee_cuda_last_error(), nullptr);
    expectHas(vibee_cuda_last_error(), "tensor map");
  }
  vibee_cuda_clear_error();
}

// A Kernel keeps its module (code and spec) alive on its own.
TEST(CallChecks, KernelOutlivesItsCompiler) {
  std::optional<Kernel> kernel;
  {
    Compiler compiler;
    kernel = compiler.compileString(kCopy)->kernel("twice");
  } // the compiler, its cache and every JitModule handle are gone
  std::vector<float> x = {1, 2, 3}, y(3);
  (*kernel)({TensorView(x.data(), {3}), TensorView(y.data(), {3})});
  EXPECT_EQ(y, (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(kernel->name(), "twice");
  EXPECT_EQ(kernel->signature().params[0].name, "x");
}

TEST(CallChecks, OutputAliasingAnInputIsAnError) {
  Compiler compiler;
  auto mm = compiler.compileString(kMatmul)->kernel("mm");
  std::vector<float> a(4, 1.0f), b(4, 2.0f), c(4);
  std::string msg = callError([&] {
    mm({TensorView(a.data(), {2, 2}), TensorView(b.data(), {2, 2}), TensorView(a.data(), {2, 2})});
  });
  expectHas(msg, "kernel 'mm'");
  expectHas(msg, "result 'c' overlaps argument 'a'");
  EXPECT_EQ(a, std::vector<float>(4, 1.0f)) << "nothing may run when a check fails";
  // Inputs may share memory: only outputs are written.
  mm({TensorView(a.data(), {2, 2}), TensorView(a.data(), {2, 2}), TensorView(c.data(), {2, 2})});
  EXPECT_EQ(c, std::vector<float>(4, 2.0f));

  // An output one element over its input overlaps partially.
  auto twice = compiler.compileString(kCopy)->kernel("twice");
  std::vector<float> buffer(5, 1.0f);
  msg = callError([&] {
    twice({TensorView(buffer.data(), {4}), TensorView(buffer.data() + 1, {4})});
  });
  expectHas(msg, "kernel 'twice': result 'y' overlaps argument 'x'");
  // Adjacent, not overlapping: fine.
  twice({TensorView(buffer.data(), {2}), TensorView(buffer.data() + 2, {2})});
  EXPECT_EQ(buffer, (std::vector<float>{1, 1, 2, 2, 1}));
}

TEST(CallChecks, InoutUpdatesInPlaceButMayNotOverlapAnotherArgument) {
  Compiler compiler;
  auto scale = compiler.compileString(kScale)->kernel("scale");
  std::vector<float> x = {1, 2, 3}, y = {2, 2, 2};
  scale({TensorView(x.data(), {3}), TensorView(y.data(), {3})});
  EXPECT_EQ(x, (std::vector<float>{2, 4, 6}));
  std::vector<float> buffer(4, 1.0f);
  std::string msg = callError([&] {
    scale({TensorView(buffer.data(), {3}), TensorView(buffer.data() + 1, {3})});
  });
  expectHas(msg, "kernel 'scale': argument 'x' overlaps argument 'y'");
  msg = callError([&] { scale({TensorView(buffer.data(), {3}), TensorView(buffer.data(), {3})}); });
  expectHas(msg, "argument 'x' overlaps argument 'y'");
}

TEST(CallChecks, LiteralSubscriptPastASymbolicDimIsAnError) {
  Compiler compiler;
  auto f = compiler.compileString(kFifth, "fifth.vibee")->kernel("f");
  std::vector<float> x = {1, 2}, y(2);
  std::string msg = callError([&] { f({TensorView(x.data(), {2}), TensorView(y.data(), {2})}); });
  expectHas(msg, "kernel 'f': argument 'x': dim N = 2 must be > 5 (x[5] at fifth.vibee:3:12)");
  std::vector<float> x6 = {0, 1, 2, 3, 4, 5}, y6(6);
  f({TensorView(x6.data(), {6}), TensorView(y6.data(), {6})});
  EXPECT_EQ(y6, (std::vector<float>{5, 6, 7, 8, 9, 10}));
  // No element, no access.
  f({TensorView(x.data(), {0}), TensorView(y.data(), {0})});
}

const char *kGather = R"(spec emb 1.0.0 "Embedding";
kernel embed(table: f32[V, D], ids: i32[S]) -> y: f32[S, D] {
  y[s, d] = table[ids[s], d];
}
kernel pairs(x: f32[D], c: f32[H]) -> y: f32[H] {
  y[j] = x[2 * j + 1] * c[j];
}
)";

// Issue 12: a gather index outside its axis fails the call before the kernel
// writes anything; an affine read that the sizes decide fails with the relation.
TEST(CallChecks, GatherIndexOutsideItsAxisIsAnErrorBeforeAnyWrite) {
  Compiler compiler;
  auto module = compiler.compileString(kGather, "emb.vibee");
  auto embed = module->kernel("embed");
  std::vector<float> table = {1, 2, 3, 4, 5, 6}, y(4, -7.0f);
  std::vector<int32_t> ids = {2, 3};
  std::string msg = callError([&] {
    embed({TensorView(table.data(), {3, 2}), TensorView(ids.data(), ast::DType::I32, {2}),
           TensorView(y.data(), {2, 2})});
  });
  expectHas(msg, "kernel 'embed': argument 'ids': ids[1] = 3 is outside [0, 3), the axis V of "
                 "'table' it indexes");
  EXPECT_EQ(y, (std::vector<float>(4, -7.0f))); // nothing written
  ids = {2, 0};
  embed({TensorView(table.data(), {3, 2}), TensorView(ids.data(), ast::DType::I32, {2}),
         TensorView(y.data(), {2, 2})});
  EXPECT_EQ(y, (std::vector<float>{5, 6, 1, 2}));
  auto pairs = module->kernel("pairs");
  std::vector<float> x = {1, 2, 3}, c = {1, 1}, z(2);
  msg = callError([&] {
    pairs({TensorView(x.data(), {3}), TensorView(c.data(), {2}), TensorView(z.data(), {2})});
  });
  expectHas(msg, "kernel 'pairs': argument 'x': D >= 2 * H does not hold for D = 3, H = 2");
}

// On CUDA the index tensors are on the device: after a kernel reported an index
// outside, the JIT copies them back and gives the CPU call's message; when the copy
// fails, no message (the runtime's own, with the index, stands).
TEST(CallChecks, GatherIndexCheckedOnCopiedData) {
  DiagnosticEngine diags("emb.vibee", kGather);
  std::unique_ptr<ast::Spec> spec = loadSpec("emb.vibee", kGather, diags);
  ASSERT_TRUE(spec) << diags.str();
  const ast::Kernel &embed = spec->kernels[0];
  std::vector<DimRequirement> requirements = dimRequirements(*spec, embed);
  std::vector<int32_t> ids = {2, 3};
  std::vector<const void *> data = {nullptr, ids.data()}; // the table is never read
  std::vector<int64_t> dims(embed.dims.size());
  for (size_t d = 0; d < embed.dims.size(); ++d)
    dims[d] = embed.dims[d].name == "V" ? 3 : 2;
  size_t copied = 0;
  auto copy = [&](void *host, const void *from, size_t bytes) {
    copied += bytes;
    std::memcpy(host, from, bytes);
    return true;
  };
  std::string msg = badGatherIndexCopied(embed, requirements, dims, data, copy);
  EXPECT_EQ(msg, badGatherIndex(embed, requirements, dims, data));
  expectHas(msg, "argument 'ids': ids[1] = 3 is outside [0, 3), the axis V of 'table'");
  EXPECT_EQ(copied, 2 * sizeof(int32_t));
  auto failing = [](void *, const void *, size_t) { return false; };
  EXPECT_EQ(badGatherIndexCopied(embed, requirements, dims, data, failing), "");
}

// Unsigned ids read as unsigned: u8 255 is a row of a 256-row table (a signed read
// made it -1), and a u64 above INT64_MAX is outside every axis, printed as itself.
TEST(CallChecks, UnsignedGatherIndexReadsAsUnsigned) {
  Compiler compiler;
  auto module = compiler.compileString(R"(spec ue 1.0.0 "Unsigned ids";
kernel e8(table: f32[V], ids: u8[S]) -> y: f32[S] {
  y[s] = table[ids[s]];
}
kernel e64(table: f32[V], ids: u64[S]) -> y: f32[S] {
  y[s] = table[ids[s]];
}
)",
                                       "ue.vibee");
  std::vector<float> table(256), y(2, -7.0f);
  for (int i = 0; i < 256; ++i)
    table[i] = (float)i;
  std::vector<uint8_t> ids8 = {255, 7};
  module->kernel("e8")({TensorView(table.data(), {256}),
                        TensorView(ids8.data(), ast::DType::U8, {2}), TensorView(y.data(), {2})});
  EXPECT_EQ(y, (std::vector<float>{255, 7}));
  std::string msg = callError([&] {
    module->kernel("e8")({TensorView(table.data(), {200}),
                          TensorView(ids8.data(), ast::DType::U8, {2}), TensorView(y.data(), {2})});
  });
  expectHas(msg, "argument 'ids': ids[0] = 255 is outside [0, 200)");
  std::vector<uint64_t> ids64 = {3, uint64_t{1} << 63};
  msg = callError([&] {
    module->kernel("e64")({TensorView(table.data(), {256}),
                           TensorView(ids64.data(), ast::DType::U64, {2}),
                           TensorView(y.data(), {2})});
  });
  expectHas(msg, "argument 'ids': ids[1] = 9223372036854775808 is outside [0, 256)");
}

// Line 3, column 10 is argmax.
const char *kArgmax = R"(spec am 1.0.0 "Argmax";
kernel am(x: f32[R, C]) -> i: i64[R] {
  i[r] = argmax(c) x[r, c];
}
)";

// Issue 12: argmax has no answer on an empty axis; the call says so instead of
// returning an index that is not one. No row, no reduction: nothing required.
TEST(CallChecks, ArgmaxOverAnEmptyAxisIsAnError) {
  Compiler compiler;
  auto am = compiler.compileString(kArgmax, "am.vibee")->kernel("am");
  std::vector<float> x = {1, 3, 3, 2};
  std::vector<int64_t> i(2, -7);
  std::string msg = callError([&] {
    am({TensorView(x.data(), {2, 0}), TensorView(i.data(), ast::DType::I64, {2})});
  });
  expectHas(msg, "kernel 'am': argument 'x': dim C = 0 must be > 0 (argmax(c) at am.vibee:3:10)");
  EXPECT_EQ(i, (std::vector<int64_t>(2, -7))); // nothing written
  am({TensorView(x.data(), {2, 2}), TensorView(i.data(), ast::DType::I64, {2})});
  EXPECT_EQ(i, (std::vector<int64_t>{1, 0}));
  am({TensorView(x.data(), {0, 0}), TensorView(i.data(), ast::DType::I64, {0})});
}

// Line 3, column 22 is topk.
const char *kTopK = R"(spec tk 1.0.0 "Top-k";
kernel tk(x: f32[R, C], v: inout f32[R, K], i: inout i32[R, K]) {
  v[r, j], i[r, j] = topk(c, j) x[r, c];
}
)";

// Issue 12: a top-k of more elements than the axis has fails the call before
// anything is written; k = n ranks the whole row.
TEST(CallChecks, TopKOfMoreThanTheAxisIsAnError) {
  Compiler compiler;
  auto tk = compiler.compileString(kTopK, "tk.vibee")->kernel("tk");
  std::vector<float> x = {1, 3, 3, 2}, v(6, -7.0f);
  std::vector<int32_t> i(6, -7);
  std::string msg = callError([&] {
    tk({TensorView(x.data(), {2, 2}), TensorView(v.data(), {2, 3}),
        TensorView(i.data(), ast::DType::I32, {2, 3})});
  });
  expectHas(msg, "kernel 'tk': argument 'x': C >= K does not hold for C = 2, K = 3 (topk(c, j) at "
                 "tk.vibee:3:22)");
  EXPECT_EQ(v, (std::vector<float>(6, -7.0f))); // nothing written
  tk({TensorView(x.data(), {2, 2}), TensorView(v.data(), {2, 2}),
      TensorView(i.data(), ast::DType::I32, {2, 2})});
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 4), (std::vector<float>{3, 1, 3, 2}));
  EXPECT_EQ(std::vector<int32_t>(i.begin(), i.begin() + 4), (std::vector<int32_t>{1, 0, 0, 1}));
}

// Line 3, column 10 is ids[s].
const char *kScatter = R"(spec sc 1.0.0 "Scatter-add";
kernel grad(ids: i32[S], dy: f32[S, D], dt: inout f32[V, D]) {
  dt[ids[s], d] += dy[s, d];
}
)";

// Issue 12: a scatter-add's index outside the target's axis (either side) fails the
// call before anything is added, naming kernel, tensor, position and value.
TEST(CallChecks, ScatterIndexOutsideItsAxisIsAnErrorBeforeAnyWrite) {
  Compiler compiler;
  auto grad = compiler.compileString(kScatter, "sc.vibee")->kernel("grad");
  std::vector<float> dy = {1, 2, 3, 4, 5, 6}, dt(4, 0.5f);
  for (std::vector<int32_t> ids : {std::vector<int32_t>{1, 2, 0}, {0, -1, 1}}) {
    std::string msg = callError([&] {
      grad({TensorView(ids.data(), ast::DType::I32, {3}), TensorView(dy.data(), {3, 2}),
            TensorView(dt.data(), {2, 2})});
    });
    expectHas(msg, "kernel 'grad': argument 'ids': ids[1] = " + std::to_string(ids[1]) +
                       " is outside [0, 2), the axis V of 'dt' it indexes (dt[ids[s], d] at "
                       "sc.vibee:3:6)");
    EXPECT_EQ(dt, (std::vector<float>(4, 0.5f))); // nothing written
  }
  std::vector<int32_t> ids = {1, 1, 0};
  grad({TensorView(ids.data(), ast::DType::I32, {3}), TensorView(dy.data(), {3, 2}),
        TensorView(dt.data(), {2, 2})});
  EXPECT_EQ(dt, (std::vector<float>{5.5f, 6.5f, 4.5f, 6.5f}));
}

std::set<std::string> entries(const fs::path &dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(dir, ec))
    names.insert(e.path().string());
  return names;
}

// LLVM's perf listener writes <JITDUMPDIR or HOME>/.debug/jit/llvm-IR-jit-*
// on every JIT: it must stay off unless VIBEE_PERF_JITDUMP asks for it.
TEST(CallChecks, JitWritesNoPerfJitdump) {
  ASSERT_EQ(std::getenv("VIBEE_PERF_JITDUMP"), nullptr);
  fs::path base = fs::temp_directory_path() / ("vibee-jitdump-" + std::to_string(getpid()));
  fs::create_directories(base);
  setenv("JITDUMPDIR", base.c_str(), 1);
  const char *home = std::getenv("HOME");
  std::vector<fs::path> dirs = {"/tmp/.debug/jit"};
  if (home)
    dirs.push_back(fs::path(home) / ".debug/jit");
  std::vector<std::set<std::string>> before;
  for (const fs::path &d : dirs)
    before.push_back(entries(d));
  {
    Compiler compiler;
    auto twice = compiler.compileString(kCopy)->kernel("twice");
    std::vector<float> x = {1}, y(1);
    twice({TensorView(x.data(), {1}), TensorView(y.data(), {1})});
  }
  unsetenv("JITDUMPDIR");
  EXPECT_FALSE(fs::exists(base / ".debug")) << "a jitdump under " << base;
  for (size_t i = 0; i < dirs.size(); ++i)
    EXPECT_EQ(entries(dirs[i]), before[i]) << "new entries in " << dirs[i];
  fs::remove_all(base);
}

// Integer and bool scalars come through the API as doubles: NaN, 1e300 or 0.5 used to
// be cast (undefined behaviour: INT64_MIN in practice) and the kernel ran on it.
TEST(CallChecks, IntegerScalarMustBeAnIntegerInRange) {
  Compiler compiler;
  auto shift = compiler
                   .compileString(R"(spec shift 1.0.0 "Shift";
kernel shift(x: i64[N], s: i64, t: i8, on: bool) -> y: i64[N] {
  y[i] = where(on, x[i] + s + i64(t), x[i]);
}
)")
                   ->kernel("shift");
  std::vector<int64_t> x = {1, 2}, y(2, -7);
  auto call = [&](double s, double t, double on) {
    return callError([&] {
      shift(
          {TensorView(x.data(), DType::I64, {2}), s, t, on, TensorView(y.data(), DType::I64, {2})});
    });
  };
  expectHas(call(std::nan(""), 0, 1), "argument 's': nan is not a i64 value");
  expectHas(call(1e300, 0, 1), "argument 's': 1.0000000000000001e+300 is not a i64 value");
  expectHas(call(0x1p63, 0, 1), "argument 's'");
  expectHas(call(0.5, 0, 1), "argument 's': 0.5 is not a i64 value");
  expectHas(call(0, 128, 1), "argument 't': 128 is not a i8 value");
  expectHas(call(0, 0, 2), "argument 'on': 2 is not a bool value (an integer, 0 or 1)");
  EXPECT_EQ(y, std::vector<int64_t>(2, -7)) << "nothing may run when a check fails";
  EXPECT_EQ(call(-0x1p62, -128, 1), "");
  EXPECT_EQ(y,
            (std::vector<int64_t>{1 - 4611686018427387904 - 128, 2 - 4611686018427387904 - 128}));
}

} // namespace

// Line 2, column 47 is the dim N - K + 1.
const char *kConv1d = R"(spec cv 1.0.0 "A result dim written as an expression";
kernel conv1d(x: f32[N], w: f32[K]) -> y: f32[N - K + 1] {
  y[t] = sum(k) x[t + k] * w[k];
}
)";

// Issue 12: a derived result dim (N - K + 1) is computed from the parameters' dims:
// the shape query gives it, a result of another size is refused, a negative one
// fails the call naming the relation, and zero is an empty result.
TEST(CallChecks, DerivedResultDimsComeFromTheParameters) {
  Compiler compiler;
  auto conv = compiler.compileString(kConv1d, "cv.vibee")->kernel("conv1d");
  std::vector<float> x = {1, 2, 3, 4}, w = {1, -1, 2}, y(2, -7.0f);
  EXPECT_EQ(conv.resultShapes({TensorView(x.data(), {4}), TensorView(w.data(), {3})}),
            (std::vector<std::vector<int64_t>>{{2}}));
  conv({TensorView(x.data(), {4}), TensorView(w.data(), {3}), TensorView(y.data(), {2})});
  EXPECT_EQ(y, (std::vector<float>{1 - 2 + 6, 2 - 3 + 8}));
  std::string msg = callError([&] {
    conv({TensorView(x.data(), {4}), TensorView(w.data(), {3}), TensorView(y.data(), {1})});
  });
  expectHas(msg, "kernel 'conv1d': result 'y': expected f32[N - K + 1] with N - K + 1 = 2 "
                 "(from N = 4, K = 3) but got f32[1]");
  msg = callError([&] {
    conv.resultShapes({TensorView(x.data(), {1}), TensorView(w.data(), {3})});
  });
  expectHas(msg, "kernel 'conv1d': result 'y': dim N - K + 1 = -1 is negative for N = 1, K = 3 "
                 "(the call needs N + 1 >= K)");
  std::vector<float> none;
  conv({TensorView(x.data(), {2}), TensorView(w.data(), {3}), TensorView(none.data(), {0})});
}
