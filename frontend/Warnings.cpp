// warnSpec: what is legal but most likely a mistake in a checked spec (docs/cli.md,
// "Warnings"): a parameter or local that nothing reads, a left-hand index the
// value does not depend on, a kernel that no behavior calls. A name starting with
// '_' is never reported as unused.
#include "frontend/Frontend.h"

#include <algorithm>
#include <set>

namespace vibee {

using namespace ast;

namespace {

struct Uses {
  std::set<int> params, locals;
  std::set<std::string> indices;
  bool readsTensor = false;
};

void collect(const Expr &e, Uses &uses) {
  if (e.kind == ExprKind::Access || e.kind == ExprKind::Name) {
    if (e.nameKind == NameKind::TensorParam || e.nameKind == NameKind::ScalarParam)
      uses.params.insert(e.ref);
    else if (e.nameKind == NameKind::Local)
      uses.locals.insert(e.ref);
    else if (e.nameKind == NameKind::Index)
      uses.indices.insert(e.name);
    if (e.kind == ExprKind::Access) {
      uses.readsTensor = true;
      for (const Subscript &s : e.subscripts)
        if (s.expr) // an affine subscript or a gather: its names are expressions
          collect(*s.expr, uses);
        else if (!s.literal)
          uses.indices.insert(s.index);
    }
  }
  for (const ExprPtr &operand : e.operands)
    if (operand)
      collect(*operand, uses);
}

bool enabled(const std::vector<std::string> &disabled, const std::string &flag) {
  return std::find(disabled.begin(), disabled.end(), flag) == disabled.end();
}

void warnKernel(const Kernel &k, DiagnosticEngine &diags, const std::vector<std::string> &off) {
  Uses all;
  for (const Statement &st : k.body) {
    Uses uses;
    for (const Expr *part : {st.rhs.get(), st.scanCoef.get(), st.scanInit.get()})
      if (part)
        collect(*part, uses);
    for (const Subscript &s : st.scatterSubs) // a scatter-add's gathers
      if (s.expr)
        collect(*s.expr, uses);
    all.params.insert(uses.params.begin(), uses.params.end());
    all.locals.insert(uses.locals.begin(), uses.locals.end());
    if (st.targetKind == NameKind::TensorParam)
      all.params.insert(st.targetRef); // an inout parameter that is written
    if (st.indexTargetKind == NameKind::TensorParam)
      all.params.insert(st.indexTargetRef); // a top-k's indices
    // `y[r, c] = x[r]` copies along c: most likely a missing subscript. A constant
    // right-hand side (`y[i] = 0.0`) fills and is not reported.
    if (!uses.readsTensor || !enabled(off, "unused-index"))
      continue;
    for (const Subscript &s : st.lhs)
      if (!s.index.empty() && s.index[0] != '_' && !uses.indices.count(s.index) &&
          s.index != st.rankIndex.index) // a top-k's rank is never read
        diags.warning(s.loc,
                      "index '" + s.index +
                          "' is not used on the right-hand side: the value "
                          "is the same along it",
                      "unused-index");
  }
  if (enabled(off, "unused-parameter"))
    for (size_t p = 0; p < k.params.size(); ++p) {
      const Param &param = k.params[p];
      if (all.params.count((int)p) || param.name[0] == '_')
        continue;
      std::string hint =
          param.type.isScalar() ? "" : " (name it '_" + param.name + "' if it only gives sizes)";
      diags.warning(param.loc,
                    "parameter '" + param.name + "' of kernel '" + k.name + "' is never used" +
                        hint,
                    "unused-parameter");
    }
  if (enabled(off, "unused-local"))
    for (size_t l = 0; l < k.locals.size(); ++l)
      if (!all.locals.count((int)l) && k.locals[l].name[0] != '_')
        diags.warning(k.locals[l].loc, "local '" + k.locals[l].name + "' is never used",
                      "unused-local");
}

} // namespace

const std::vector<std::string> &warningFlags() {
  static const std::vector<std::string> flags = {"unused-parameter", "unused-local", "unused-index",
                                                 "untested-kernel"};
  return flags;
}

void warnSpec(const Spec &spec, DiagnosticEngine &diags, const std::vector<std::string> &disabled) {
  for (const Kernel &k : spec.kernels)
    warnKernel(k, diags, disabled);
  if (!enabled(disabled, "untested-kernel"))
    return;
  for (size_t i = 0; i < spec.kernels.size(); ++i) {
    bool called = std::any_of(spec.behaviors.begin(), spec.behaviors.end(),
                              [&](const Behavior &b) { return b.kernelRef == (int)i; });
    if (!called)
      diags.warning(spec.kernels[i].loc,
                    "kernel '" + spec.kernels[i].name +
                        "' has no behavior (vibeec test "
                        "runs nothing for it)",
                    "untested-kernel");
  }
}

} // namespace vibee
