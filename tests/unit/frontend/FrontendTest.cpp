// Units for the frontend: the normative examples check clean and carry the
// annotations MLIR generation relies on; error cases report every error.
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace vibee;
using namespace vibee::ast;

namespace {

std::string readCorpus(const std::string &name) {
  std::ifstream in(std::string(VIBEE_FRONTEND_CORPUS) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Loaded {
  std::unique_ptr<Spec> spec;
  std::string diags;
  int errors = 0;
};

Loaded load(const std::string &source) {
  DiagnosticEngine diags("test.vibee", source);
  Loaded l;
  l.spec = loadSpec("test.vibee", source, diags);
  l.diags = diags.str();
  l.errors = diags.errorCount();
  return l;
}

TEST(Frontend, NormativeExamplesCheckClean) {
  for (const char *name : {"lion.vibee", "softmax.vibee", "matmul.vibee"}) {
    Loaded l = load(readCorpus(name));
    ASSERT_TRUE(l.spec) << name << ":\n" << l.diags;
    EXPECT_EQ(l.errors, 0) << name;
  }
}

TEST(Frontend, SoftmaxAnnotations) {
  Loaded l = load(readCorpus("softmax.vibee"));
  ASSERT_TRUE(l.spec) << l.diags;
  const Kernel &k = l.spec->kernels.at(0);
  ASSERT_EQ(k.dims.size(), 2u);
  EXPECT_EQ(k.dims[0].name, "R");
  EXPECT_EQ(k.dims[1].name, "C");
  EXPECT_EQ(k.dims[1].carrierRef, 0);
  EXPECT_EQ(k.dims[1].carrierAxis, 1);
  ASSERT_EQ(k.locals.size(), 3u); // mx, e, s
  EXPECT_EQ(k.locals[0].dims, std::vector<int>({0}));
  EXPECT_EQ(k.locals[1].dims, std::vector<int>({0, 1}));

  const Statement &mx = k.body[0];
  EXPECT_EQ(mx.reduce, ReduceKind::Max);
  EXPECT_EQ(mx.loopIndices, std::vector<std::string>({"r", "c"}));
  EXPECT_EQ(mx.loopDims, std::vector<int>({0, 1}));
  EXPECT_EQ(mx.numParallel, 1);
  EXPECT_EQ(mx.targetKind, NameKind::Local);
  EXPECT_EQ(mx.rhs->kind, ExprKind::Access);
  EXPECT_EQ(mx.rhs->nameKind, NameKind::TensorParam);
  EXPECT_EQ(mx.rhs->subscripts[1].slot, 1);
  EXPECT_EQ(mx.sourceText, "mx[r] = max(c) x[r, c];");

  const Statement &y = k.body[3];
  EXPECT_EQ(y.targetKind, NameKind::Result);
  EXPECT_EQ(y.reduce, ReduceKind::None);
  EXPECT_EQ(y.numParallel, 2);
  EXPECT_EQ(y.rhs->op, "/");
  EXPECT_EQ(y.rhs->type, DType::F32);

  const Behavior &b = l.spec->behaviors.at(0);
  EXPECT_EQ(b.kernelRef, 0);
  EXPECT_EQ(b.given.at(0).value.shape, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(b.dimSizes, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(b.then.at(0).resultRef, 0);
}

TEST(Frontend, MatmulLoops) {
  Loaded l = load(readCorpus("matmul.vibee"));
  ASSERT_TRUE(l.spec) << l.diags;
  const Kernel &k = l.spec->kernels.at(0);
  const Statement &st = k.body.at(0);
  EXPECT_EQ(st.loopIndices, std::vector<std::string>({"m", "n", "k"}));
  EXPECT_EQ(st.loopDims, std::vector<int>({0, 2, 1})); // M, N, K
  EXPECT_EQ(st.numParallel, 2);
  EXPECT_EQ(st.reduce, ReduceKind::Sum);
  EXPECT_EQ(k.dims[2].name, "N");
  EXPECT_EQ(k.dims[2].carrierRef, 1);
}

TEST(Frontend, WeakLiteralTakesOperandType) {
  Loaded l = load(readCorpus("lion.vibee"));
  ASSERT_TRUE(l.spec) << l.diags;
  // c[i] = beta1 * m[i] + (1 - beta1) * grad[i]: the `1` is f32.
  const Expr &sum = *l.spec->kernels[0].body[0].rhs;
  const Expr &one = *sum.operands[1]->operands[0]->operands[0];
  EXPECT_EQ(one.kind, ExprKind::Number);
  EXPECT_EQ(one.type, DType::F32);
  EXPECT_FLOAT_EQ(l.spec->consts[0].folded, 0.9);
  const Behavior &b = l.spec->behaviors.at(0);
  EXPECT_EQ(b.paramSources.at(3).kind, Behavior::ParamSource::Named);
  EXPECT_EQ(b.then.at(0).givenRef, 0);
}

TEST(Frontend, CastAndComparisonOpTypes) {
  Loaded l = load("spec t 1.0.0 \"\";\n"
                  "kernel k(x: bf16[N]) -> y: f32[N] {\n"
                  "  y[i] = where(f32(x[i]) > 0, f32(x[i]), 0);\n"
                  "}\n");
  ASSERT_TRUE(l.spec) << l.diags;
  const Expr &where = *l.spec->kernels[0].body[0].rhs;
  EXPECT_EQ(where.type, DType::F32);
  const Expr &cmp = *where.operands[0];
  EXPECT_EQ(cmp.type, DType::Bool);
  EXPECT_EQ(cmp.opType, DType::F32);
  const Expr &cast = *where.operands[1];
  EXPECT_EQ(cast.castTo, DType::F32);
  EXPECT_EQ(cast.opType, DType::BF16);
  EXPECT_EQ(where.operands[2]->type, DType::F32);
}

TEST(Frontend, ReportsEveryError) {
  Loaded l = load("spec t 1.0.0 \"\";\n"
                  "kernel k(x: f32[N], y: bf16[N]) -> z: f32[N] {\n"
                  "  a[i] = x[i] + foo;\n"  // unknown name
                  "  x[i] = 1;\n"           // input
                  "  y[i] = x[i];\n"        // input (reported once: no dtype follow-on)
                  "  z[i] = sum(k) x[j];\n" // unbound j, unused k
                  "}\n");
  EXPECT_FALSE(l.spec);
  EXPECT_EQ(l.errors, 5) << l.diags;
}

TEST(Frontend, SyntaxErrorsHaveOneBasedColumns) {
  DiagnosticEngine diags("t.vibee", "spec t 1.0.0 \"\";\nconst a: f32 = ;\n");
  auto spec = loadSpec("t.vibee", diags.source(), diags);
  EXPECT_FALSE(spec);
  ASSERT_FALSE(diags.diagnostics().empty());
  EXPECT_EQ(diags.diagnostics()[0].loc.line, 2);
  // Just after the '=' (1-based column 14) that the expression should follow.
  EXPECT_EQ(diags.diagnostics()[0].loc.col, 15);
  EXPECT_EQ(diags.diagnostics()[0].message, "expected an expression after '='");
}

TEST(Frontend, HostileInputsDoNotCrash) {
  std::string deep = "spec t 1.0.0 \"\"; const a: f32 = " + std::string(100000, '(');
  std::string minus = "spec t 1.0.0 \"\"; const a: f32 = " + std::string(100000, '-') + "1;";
  // Its length from the array (15 bytes, the NUL inside included): a count written
  // by hand read past the literal (ASan's global-buffer-overflow).
  static const char raw[] = "spec \xff\xfe\0\x80 \"\xc3\x28\";";
  std::string bytes(raw, sizeof raw - 1);
  for (const std::string &s : {deep, minus, bytes, std::string("")}) {
    Loaded l = load(s);
    EXPECT_FALSE(l.spec);
    EXPECT_GT(l.errors, 0);
  }
}

TEST(Frontend, DumpIsStable) {
  Loaded l = load(readCorpus("matmul.vibee"));
  ASSERT_TRUE(l.spec) << l.diags;
  std::ostringstream os;
  dumpAST(*l.spec, os);
  EXPECT_NE(os.str().find("    loops m:M n:N k:K (parallel 2)\n"), std::string::npos) << os.str();
}

} // namespace

// Builtins.def is the one list of builtins: every name looks up to the entry that
// carries it, and sema stores the resolved enum in the call (folding, MLIRGen and
// the reference interpreter switch over it).
TEST(Frontend, BuiltinTableResolvesEveryName) {
  std::vector<std::string> names = builtinNames();
  ASSERT_EQ(names.size(), 40u); // uniform, normal; the casts f8e4m3, f8e5m2, u64..u8
  for (const std::string &name : names) {
    std::optional<Builtin> b = lookupBuiltin(name);
    ASSERT_TRUE(b) << name;
    EXPECT_EQ(builtinInfo(*b).name, name);
    EXPECT_EQ(builtinInfo(*b).kind == BuiltinKind::Cast, dtypeFromName(name).has_value()) << name;
  }
  EXPECT_FALSE(lookupBuiltin("expp"));
  EXPECT_EQ(builtinInfo(Builtin::Where).arity, 3);
  EXPECT_EQ(builtinInfo(Builtin::Pow).arity, 2);
  EXPECT_EQ(builtinInfo(Builtin::Clamp).arity, 3);
  EXPECT_EQ(builtinInfo(Builtin::Round).kind, BuiltinKind::Rounding);
  EXPECT_EQ(builtinInfo(Builtin::Uniform).arity, -1); // a seed and 1 to 4 counters

  Loaded l = load("spec t 1.0.0 \"\";\n"
                  "kernel k(x: f32[N]) -> y: f32[N] {\n"
                  "  y[i] = where(x[i] > 0, sign(x[i]), f32(i32(x[i])));\n"
                  "}\n");
  ASSERT_TRUE(l.spec) << l.diags;
  const Expr &where = *l.spec->kernels[0].body[0].rhs;
  EXPECT_EQ(where.builtin, Builtin::Where);
  EXPECT_EQ(where.operands[1]->builtin, Builtin::Sign);
  EXPECT_EQ(where.operands[2]->builtin, Builtin::CastF32);
  EXPECT_EQ(where.operands[2]->castTo, DType::F32);
}
