// Affine subscripts (docs/language.md, "Affine subscripts"): a subscript written as an
// expression becomes an ast::AffineForm over the statement's loop indices and the
// kernel's symbolic dims, and every read is either proven inside its axis, guarded by
// a `where` (the read is clamped), or left to the call's requirements
// (Requirements.cpp); a read outside for every size is an error here.
#include "frontend/AffineBounds.h"
#include "frontend/SemaInternal.h"

#include <algorithm>

namespace vibee::sema {

using namespace ast;

namespace {

// A linear expression while it is being built; `ok` false after an error.
struct Lin {
  std::map<int, int64_t> indices, dims;
  int64_t constant = 0;
  bool ok = true;
  bool isConstant() const { return indices.empty() && dims.empty(); }
};

class AffineBuilder {
public:
  AffineBuilder(ExprScope &scope) : s_(scope), diags_(scope.diags) {}

  std::optional<AffineForm> build(Expr &e) {
    AffineForm form;
    Expr *linear = &e;
    if (e.kind == ExprKind::Binary && (e.op == "/" || e.op == "%")) {
      Lin divisor = lin(*e.operands[1]);
      if (!divisor.ok)
        return std::nullopt;
      if (!divisor.isConstant() || divisor.constant <= 0) {
        diags_.error(e.operands[1]->loc, "a subscript divides only by a positive integer constant");
        return std::nullopt;
      }
      form.op = e.op[0], form.divisor = divisor.constant;
      linear = e.operands[0].get();
    }
    Lin l = lin(*linear);
    if (!l.ok)
      return std::nullopt;
    for (auto [slot, c] : l.indices)
      if (c)
        form.indices.push_back({slot, c});
    for (auto [d, c] : l.dims)
      if (c)
        form.dims.push_back({d, c});
    form.constant = l.constant;
    return form;
  }

private:
  ExprScope &s_;
  DiagnosticEngine &diags_;

  // `what` empty: an operand failed and reported already.
  Lin fail(Loc loc, const std::string &what) {
    if (!what.empty())
      diags_.error(loc, what);
    Lin l;
    l.ok = false;
    return l;
  }

  bool combine(Lin &into, const Lin &from, int64_t scale, Loc loc) {
    bool over = false;
    auto add = [&](int64_t &to, int64_t v) {
      int64_t p;
      over |= __builtin_mul_overflow(v, scale, &p) || __builtin_add_overflow(to, p, &to);
    };
    add(into.constant, from.constant);
    for (auto [k, v] : from.indices)
      add(into.indices[k], v);
    for (auto [k, v] : from.dims)
      add(into.dims[k], v);
    if (over) {
      diags_.error(loc, "subscript arithmetic overflows int64");
      into.ok = false;
    }
    return !over;
  }

  Lin name(Expr &e) {
    Lin l;
    StmtScope &st = *s_.stmt;
    auto &idx = st.stmt->loopIndices;
    if (auto it = std::find(idx.begin(), idx.end(), e.name); it != idx.end()) {
      int slot = (int)(it - idx.begin());
      st.used[slot] = true;
      e.nameKind = NameKind::Index, e.ref = slot, e.type = e.opType = DType::I64;
      l.indices[slot] = 1;
      return l;
    }
    const Kernel &k = *s_.kernel;
    for (size_t d = 0; d < k.dims.size(); ++d)
      if (k.dims[d].size < 0 && k.dims[d].name == e.name) {
        e.nameKind = NameKind::Dim, e.ref = (int)d, e.type = e.opType = DType::I64;
        l.dims[(int)d] = 1;
        return l;
      }
    for (int c = 0; c < s_.visibleConsts; ++c) {
      const Const &cst = s_.spec.consts[c];
      if (cst.name != e.name)
        continue;
      if (cst.isTensor() || !isInteger(cst.dtype))
        return fail(e.loc, "constant '" + e.name + "' in a subscript must be an integer scalar");
      e.nameKind = NameKind::Const, e.ref = c, e.type = e.opType = cst.dtype;
      l.constant = cst.foldedInt;
      return l;
    }
    return fail(e.loc, "'" + e.name +
                           "' in a subscript is not a loop index, a symbolic dim or "
                           "an integer constant");
  }

  Lin lin(Expr &e) {
    switch (e.kind) {
    case ExprKind::Number:
      if (!e.isIntLiteral || e.isBool)
        return fail(e.loc, "a subscript takes integers only");
      {
        Lin l;
        l.constant = e.intValue;
        e.type = e.opType = DType::I64;
        return l;
      }
    case ExprKind::Name:
      return name(e);
    case ExprKind::Unary:
      if (e.op == "-") {
        Lin l, inner = lin(*e.operands[0]);
        if (!inner.ok || !combine(l, inner, -1, e.loc))
          l.ok = false;
        return l;
      }
      break;
    case ExprKind::Binary: {
      if (e.op == "+" || e.op == "-") {
        Lin l = lin(*e.operands[0]), r = lin(*e.operands[1]);
        if (!l.ok || !r.ok)
          return fail(e.loc, "");
        combine(l, r, e.op == "+" ? 1 : -1, e.loc);
        return l;
      }
      if (e.op == "*") {
        Lin l = lin(*e.operands[0]), r = lin(*e.operands[1]);
        if (!l.ok || !r.ok)
          return fail(e.loc, "");
        if (!l.isConstant() && !r.isConstant())
          return fail(e.loc, "a subscript multiplies an index or a dim only by an integer "
                             "constant");
        Lin out;
        bool leftConst = l.isConstant();
        combine(out, leftConst ? r : l, leftConst ? l.constant : r.constant, e.loc);
        return out;
      }
      if (e.op == "/" || e.op == "%")
        return fail(e.loc, "a floor division or modulo must be the outermost operation of a "
                           "subscript");
      break;
    }
    default:
      break;
    }
    return fail(e.loc, "a subscript must be affine: loop indices and symbolic dims times integer "
                       "constants, added or subtracted, then at most one '/' or '%' by a "
                       "positive constant");
  }
};

} // namespace

bool asAffineName(Subscript &sub, const ExprScope &scope) {
  bool named = false;
  for (const Dim &d : scope.kernel->dims)
    named |= d.size < 0 && d.name == sub.index;
  for (int c = 0; c < scope.visibleConsts; ++c)
    named |= scope.spec.consts[c].name == sub.index && !scope.spec.consts[c].isTensor();
  if (!named)
    return false;
  sub.expr = std::make_shared<Expr>();
  sub.expr->kind = ExprKind::Name, sub.expr->loc = sub.loc, sub.expr->name = sub.index;
  return true;
}

namespace {

// A gather subscript (`ids[s]`): an element of an integer tensor parameter that the
// kernel only reads, subscripted by loop indices alone. Then a call that runs the
// statement reads every element of it, and the JIT can check them all before the
// kernel runs (Requirements.h); a computed index (`ids[s] + 1`, a local) could not be.
bool checkGather(Subscript &sub, ExprScope &scope) {
  Expr &e = *sub.expr;
  TypeInfo t = checkExpr(e, scope);
  if (!t.ok)
    return false;
  const Kernel &k = *scope.kernel;
  if (e.nameKind != NameKind::TensorParam || k.params[e.ref].mode != ParamMode::In) {
    scope.diags.error(
        e.loc, "a gather index must be an element of an input tensor parameter ('" + e.name +
                   "' is " + (e.nameKind == NameKind::TensorParam ? "inout" : "computed") + ")");
    scope.diags.note(e.loc, "the call checks every index before the kernel runs: pass the "
                            "indices as an input");
    return false;
  }
  if (!isInteger(e.type)) {
    scope.diags.error(e.loc, std::string("a gather index must be an integer, but '") + e.name +
                                 "' is " + dtypeName(e.type));
    return false;
  }
  for (const Subscript &s : e.subscripts)
    if (s.literal || s.expr) {
      scope.diags.error(s.loc, "a gather index tensor takes loop indices only as subscripts");
      return false;
    }
  sub.gather = true;
  return true;
}

} // namespace

bool checkSubscriptExpr(Subscript &sub, ExprScope &scope, const Expr *table,
                        int64_t tableAxisSize) {
  // A constant tensor is compiled into the code (docs/language.md): a position read
  // from data selects among its elements, so sema must prove it inside the axis.
  if (table && !isAffineCandidate(*sub.expr))
    return checkTableCode(sub, scope, *table, tableAxisSize);
  if (sub.expr->kind == ExprKind::Access)
    return checkGather(sub, scope);
  sub.affine = AffineBuilder(scope).build(*sub.expr);
  return sub.affine.has_value();
}

namespace {

std::vector<int> axisDims(const Spec &spec, const Kernel &k, const Expr &e) {
  if (e.ref < 0)
    return {};
  if (e.nameKind != NameKind::Const)
    return shapeOf(k, e.nameKind, e.ref);
  std::vector<int> out; // a constant tensor's literal sizes are kernel dims (literalDims)
  for (const DimSpec &d : spec.consts[e.ref].type.dims)
    for (size_t i = 0; i < k.dims.size(); ++i)
      if (k.dims[i].size == d.size) {
        out.push_back((int)i);
        break;
      }
  return out;
}

void checkBounds(const Spec &spec, const Kernel &k, const Statement &st, Expr &e, bool guarded,
                 DiagnosticEngine &diags) {
  if (e.kind == ExprKind::Access) {
    for (Subscript &sub : e.subscripts) // a table's code: its own reads have bounds too
      if (sub.code)
        checkBounds(spec, k, st, *sub.expr, guarded, diags);
    std::vector<int> dims = axisDims(spec, k, e);
    for (size_t axis = 0; axis < e.subscripts.size() && axis < dims.size(); ++axis) {
      const Subscript &sub = e.subscripts[axis];
      if (!sub.affine)
        continue;
      for (const LinearForm &rel : subscriptRelations(k, st, sub, dims[axis])) {
        // A guard covers a read outside for every size (x[t - 1] at t = 0): it is
        // clamped. A relation that sizes decide is checked at the call even under a
        // guard (Requirements.cpp): the guard's condition is not analysed.
        Truth truth = decide(k, st, rel);
        if (truth != Truth::Never)
          continue;
        if (guarded) {
          e.clampedRead = true;
        } else {
          diags.error(sub.loc, "subscript '" + subscriptText(k, st, sub) + "' reads outside axis " +
                                   std::to_string(axis) + " of '" + e.name + "' (size " +
                                   dimLabel(k, dims[axis]) + ") for every size: it needs " +
                                   relationText(k, rel));
          diags.note(sub.loc, "guard the read with where(...) over the indices: a guarded read "
                              "is clamped inside the axis and its value discarded");
        }
      }
    }
  }
  bool where = e.kind == ExprKind::Call && e.builtin == Builtin::Where;
  for (size_t i = 0; i < e.operands.size(); ++i)
    if (e.operands[i])
      checkBounds(spec, k, st, *e.operands[i], guarded || (where && i > 0), diags);
}

} // namespace

void checkSubscriptBounds(const Spec &spec, const Kernel &k, Statement &st,
                          DiagnosticEngine &diags) {
  for (int d : st.loopDims)
    if (d < 0)
      return; // an index error is reported already
  for (Expr *part : {st.rhs.get(), st.scanCoef.get(), st.scanInit.get()})
    if (part)
      checkBounds(spec, k, st, *part, false, diags);
}

} // namespace vibee::sema
