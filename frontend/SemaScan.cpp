// Scan statements (docs/language.md, "Scans"): the scan index is one of the left-hand
// side's, a recurrence's coefficient and initial value are checked like its
// right-hand side, and the initial value does not depend on the scan index.
#include "frontend/SemaInternal.h"

namespace vibee::sema {

using namespace ast;

namespace {

// A read of loop slot `slot` inside `e`: the index as a value or in a subscript (a
// name, an affine form or a gather's index tensor).
const Expr *findSlot(const Expr &e, int slot) {
  if (e.kind == ExprKind::Name && e.nameKind == NameKind::Index && e.ref == slot)
    return &e;
  if (e.kind == ExprKind::Access)
    for (const Subscript &s : e.subscripts) {
      if (!s.literal && s.slot == slot)
        return &e;
      if (s.affine)
        for (const auto &term : s.affine->indices)
          if (term.first == slot && term.second != 0)
            return &e;
      if (const Expr *value = valueSubscript(s); value && findSlot(*value, slot))
        return &e;
    }
  for (const ExprPtr &op : e.operands)
    if (op)
      if (const Expr *hit = findSlot(*op, slot))
        return hit;
  return nullptr;
}

} // namespace

TypeInfo checkScan(Statement &st, ExprScope &scope, TypeInfo rhs, ScanTypes &parts) {
  DiagnosticEngine &diags = scope.diags;
  for (size_t a = 0; a < st.lhs.size(); ++a)
    if (st.lhs[a].index == st.scanIndex.index)
      st.scanAxis = (int)a;
  if (st.scanAxis < 0) {
    diags.error(st.scanIndex.loc,
                "scan index '" + st.scanIndex.index + "' must be an index of the left-hand side");
    diags.note(st.scanIndex.loc, "a scan keeps every prefix: its index is an output index");
    rhs.ok = false;
  }
  TypeInfo t = rhs;
  auto merge = [&](Expr &e, TypeInfo &u) {
    u = checkExpr(e, scope);
    if (!u.ok)
      t.ok = false;
    else if (t.weak && !u.weak)
      t = u;
  };
  if (st.scanCoef)
    merge(*st.scanCoef, parts.coef);
  if (st.scanInit) {
    merge(*st.scanInit, parts.init);
    int slot = st.scanAxis >= 0 ? st.lhs[st.scanAxis].slot : -1;
    if (const Expr *hit = slot >= 0 ? findSlot(*st.scanInit, slot) : nullptr) {
      diags.error(hit->loc, "the initial value of a recurrence cannot depend on '" +
                                st.scanIndex.index + "'");
      diags.note(st.scanIndex.loc,
                 "it is the value before the first step of '" + st.scanIndex.index + "'");
      t.ok = false;
    }
  }
  if (!t.ok)
    return t;
  DType type = t.weak ? weakDefault(t) : t.type;
  if (type == DType::Bool) {
    diags.error(st.scanLoc,
                std::string("cannot scan bool values with '") + scanKindName(st.scan) + "'");
    t.ok = false;
  } else if (st.scan == ScanKind::Linear && !isFloat(type) &&
             !(st.targetKind != NameKind::Unresolved && isFloat(st.targetType))) {
    diags.error(st.scanLoc,
                std::string("a recurrence computes in a float dtype, not ") + dtypeName(type));
    t.ok = false;
  }
  return t;
}

bool settleScan(Statement &st, const ScanTypes &parts, DType target, DiagnosticEngine &diags) {
  bool ok = true;
  std::string what = "'" + st.target + "'";
  if (st.scanCoef) {
    ok &= checkAssign(*st.scanCoef, parts.coef, target, st.scanCoef->loc,
                      "the coefficient of " + what, diags);
  }
  if (st.scanInit) {
    ok &= checkAssign(*st.scanInit, parts.init, target, st.scanInit->loc,
                      "the initial value of " + what, diags);
  }
  if (ok) {
    if (st.scanCoef)
      ok &= checkLiteralRanges(*st.scanCoef, diags);
    if (st.scanInit)
      ok &= checkLiteralRanges(*st.scanInit, diags);
  }
  return ok;
}

} // namespace vibee::sema
