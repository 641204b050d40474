// Units for warnSpec: each warning on its own, '_' names exempt, -Wno-<flag>
// (the `disabled` list) and -Werror (warnings become errors).
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

using namespace vibee;

namespace {

struct Warned {
  std::vector<Diagnostic> diags;
  int errors = 0;
};

Warned warn(const std::string &source, const std::vector<std::string> &disabled = {},
            bool werror = false) {
  DiagnosticEngine diags("w.vibee", source);
  std::unique_ptr<ast::Spec> spec = loadSpec("w.vibee", source, diags);
  EXPECT_TRUE(spec) << diags.str();
  Warned w;
  if (!spec)
    return w;
  diags.setWarningsAsErrors(werror);
  warnSpec(*spec, diags, disabled);
  w.diags = diags.diagnostics();
  w.errors = diags.errorCount();
  return w;
}

const char *kHeader = "spec w 1.0.0 \"w\";\n";

TEST(Warnings, CleanKernelWithBehaviorHasNone) {
  Warned w = warn(std::string(kHeader) + "kernel k(x: f32[N]) -> y: f32[N] { y[i] = x[i]; }\n"
                                         "behavior \"b\" { given x = [1.0]; when k(x); "
                                         "then y == [1.0]; }\n");
  EXPECT_TRUE(w.diags.empty());
}

TEST(Warnings, EachKindWithItsFlag) {
  Warned w =
      warn(std::string(kHeader) + "kernel k(x: f32[N], p: f32[N], _q: f32[M]) -> y: f32[N, M] {\n"
                                  "  l[i] = x[i];\n  y[i, j] = x[i];\n}\n");
  std::vector<std::string> flags;
  for (const Diagnostic &d : w.diags) {
    EXPECT_EQ(d.severity, Diagnostic::Warning);
    flags.push_back(d.flag);
  }
  EXPECT_EQ(flags, (std::vector<std::string>{"unused-index", "unused-parameter", "unused-local",
                                             "untested-kernel"}));
  EXPECT_EQ(w.errors, 0);
}

TEST(Warnings, ConstantFillIsNoUnusedIndex) {
  Warned w = warn(std::string(kHeader) + "kernel k(_x: f32[N]) -> y: f32[N] { y[i] = 0.0; }\n",
                  {"untested-kernel"});
  EXPECT_TRUE(w.diags.empty());
}

TEST(Warnings, InoutWrittenCountsAsUsed) {
  Warned w = warn(std::string(kHeader) + "kernel k(g: f32[N], m: inout f32[N]) {\n"
                                         "  m[i] = g[i];\n}\n",
                  {"untested-kernel"});
  EXPECT_TRUE(w.diags.empty());
}

TEST(Warnings, DisabledAndWerror) {
  std::string source =
      std::string(kHeader) + "kernel k(x: f32[N], p: f32[N]) -> y: f32[N] { y[i] = x[i]; }\n";
  EXPECT_TRUE(warn(source, {"unused-parameter", "untested-kernel"}).diags.empty());
  Warned w = warn(source, {"untested-kernel"}, /*werror=*/true);
  ASSERT_EQ(w.diags.size(), 1u);
  EXPECT_EQ(w.diags[0].severity, Diagnostic::Error);
  EXPECT_EQ(w.diags[0].flag, "error,-Wunused-parameter");
  EXPECT_EQ(w.errors, 1);
}

TEST(Warnings, FlagNamesAreTheDocumentedOnes) {
  EXPECT_EQ(warningFlags(), (std::vector<std::string>{"unused-parameter", "unused-local",
                                                      "unused-index", "untested-kernel"}));
}

} // namespace
