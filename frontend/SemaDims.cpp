// Dims written as expressions (docs/language.md, "Dims as expressions"): a result's
// dim may be affine in the symbolic dims its kernel's parameters carry
// (`y: f32[N - K + 1]`). Sema turns the expression into a derived ast::Dim (or into
// a plain symbol or a literal size when it reduces to one); every target computes
// its size from the others, so it is no argument of the C ABI.
#include "frontend/SemaInternal.h"

#include <cstdlib>
#include <map>

namespace vibee::sema {

using namespace ast;

namespace {

struct DimLin {
  std::map<int, int64_t> terms; // Kernel::dims index -> coefficient
  int64_t constant = 0;
  bool ok = true;
};

class DimExprBuilder {
public:
  DimExprBuilder(const Spec &spec, const Kernel &k, DiagnosticEngine &diags)
      : spec_(spec), k_(k), diags_(diags) {}

  DimLin lin(const Expr &e) {
    switch (e.kind) {
    case ExprKind::Number:
      if (!e.isIntLiteral || e.isBool)
        return fail(e.loc, "a dim expression holds integers only");
      return constant(e.intValue);
    case ExprKind::Name:
      return name(e);
    case ExprKind::Unary:
      if (e.op == "-") {
        DimLin l = lin(*e.operands[0]);
        DimLin out;
        combine(out, l, -1, e.loc);
        return out;
      }
      break;
    case ExprKind::Binary:
      if (e.op == "+" || e.op == "-") {
        DimLin a = lin(*e.operands[0]), b = lin(*e.operands[1]);
        if (!a.ok || !b.ok)
          return failed();
        combine(a, b, e.op == "+" ? 1 : -1, e.loc);
        return a;
      }
      if (e.op == "*") {
        DimLin a = lin(*e.operands[0]), b = lin(*e.operands[1]);
        if (!a.ok || !b.ok)
          return failed();
        if (!a.terms.empty() && !b.terms.empty())
          return fail(e.loc, "a dim expression multiplies symbolic dims only by integer "
                             "constants");
        DimLin out;
        if (a.terms.empty())
          combine(out, b, a.constant, e.loc);
        else
          combine(out, a, b.constant, e.loc);
        return out;
      }
      break;
    default:
      break;
    }
    return fail(e.loc, "a dim expression is affine: symbolic dims of the parameters and "
                       "integer constants, multiplied by integer constants, added or "
                       "subtracted");
  }

private:
  const Spec &spec_;
  const Kernel &k_;
  DiagnosticEngine &diags_;

  static DimLin failed() {
    DimLin l;
    l.ok = false;
    return l;
  }
  DimLin fail(Loc loc, const std::string &what) {
    diags_.error(loc, what);
    return failed();
  }
  static DimLin constant(int64_t v) {
    DimLin l;
    l.constant = v;
    return l;
  }
  void combine(DimLin &into, const DimLin &from, int64_t scale, Loc loc) {
    if (!into.ok || !from.ok) {
      into.ok = false;
      return;
    }
    bool over = false;
    auto add = [&](int64_t &to, int64_t v) {
      int64_t p;
      over |= __builtin_mul_overflow(v, scale, &p) || __builtin_add_overflow(to, p, &to);
    };
    add(into.constant, from.constant);
    for (auto [d, c] : from.terms)
      add(into.terms[d], c);
    if (over) {
      diags_.error(loc, "dim arithmetic overflows int64");
      into.ok = false;
    }
  }

  DimLin name(const Expr &e) {
    for (size_t d = 0; d < k_.dims.size(); ++d) {
      const Dim &dim = k_.dims[d];
      if (dim.size >= 0 || dim.derived || dim.name != e.name)
        continue;
      if (dim.fromResult) {
        diags_.error(e.loc, "dim '" + e.name + "' is not given by any parameter");
        diags_.note(e.loc, "a dim expression is computed from the dims of the parameters");
        return failed();
      }
      DimLin l;
      l.terms[(int)d] = 1;
      return l;
    }
    for (const Const &c : spec_.consts)
      if (c.name == e.name && !c.isTensor() && isInteger(c.dtype))
        return constant(c.foldedInt);
    diags_.error(e.loc, "'" + e.name +
                            "' in a dim expression is not a symbolic dim of a "
                            "parameter or an integer constant");
    return failed();
  }
};

std::string termText(const std::string &name, int64_t c, bool first) {
  int64_t m = std::llabs(c);
  std::string s = first ? (c < 0 ? "-" : "") : (c < 0 ? " - " : " + ");
  return s + (m == 1 ? name : std::to_string(m) + " * " + name);
}

} // namespace

int resolveDimExpr(const Spec &spec, Kernel &k, DimSpec &d, int resultRef, int axis,
                   DiagnosticEngine &diags) {
  DimLin l = DimExprBuilder(spec, k, diags).lin(*d.expr);
  if (!l.ok)
    return -1;
  std::vector<std::pair<int, int64_t>> terms;
  for (auto [dim, c] : l.terms)
    if (c != 0)
      terms.push_back({dim, c});
  auto find = [&](const std::string &name, int64_t size) {
    for (size_t i = 0; i < k.dims.size(); ++i)
      if (k.dims[i].name == name && k.dims[i].size == size)
        return (int)i;
    return -1;
  };
  if (terms.empty()) { // a constant: a literal size
    if (l.constant <= 0) {
      diags.error(d.loc,
                  "a dimension size must be positive: this one is " + std::to_string(l.constant));
      return -1;
    }
    d.expr = nullptr, d.size = l.constant;
    int ref = find(std::to_string(l.constant), l.constant);
    if (ref >= 0)
      return ref;
    k.dims.push_back({std::to_string(l.constant), l.constant, true, resultRef, axis});
    return (int)k.dims.size() - 1;
  }
  if (terms.size() == 1 && terms[0].second == 1 && l.constant == 0) { // `(N)`, `N + 0`
    d.expr = nullptr, d.symbol = k.dims[terms[0].first].name;
    return terms[0].first;
  }
  bool canBePositive = l.constant > 0;
  std::string text;
  for (auto [dim, c] : terms) {
    canBePositive |= c > 0;
    text += termText(k.dims[dim].name, c, text.empty());
  }
  if (l.constant != 0)
    text += (l.constant < 0 ? " - " : " + ") + std::to_string(std::llabs(l.constant));
  if (!canBePositive) {
    diags.error(d.loc, "dim '" + text + "' is never positive");
    return -1;
  }
  d.symbol = text;
  if (int ref = find(text, -1); ref >= 0)
    return ref;
  Dim derived{text, -1, true, resultRef, axis};
  derived.derived = true;
  derived.terms = std::move(terms);
  derived.constant = l.constant;
  k.dims.push_back(std::move(derived));
  return (int)k.dims.size() - 1;
}

} // namespace vibee::sema
