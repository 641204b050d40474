// Scatter-add (docs/language.md, "Scatter-add"): `dt[ids[s], d] += dy[s, d];` adds
// the right-hand side at every point of its loops (the index names of the target's
// subscripts) into a tensor assigned before. A subscript is an index name, bound to
// the target's axis, or a gather, checked as on the right-hand side (an element of
// an input integer tensor subscripted by loop indices), so the JIT checks every
// index before the call (Requirements.cpp).
#include "frontend/SemaInternal.h"

namespace vibee::sema {

using namespace ast;

bool checkScatterTarget(Statement &st, ExprScope &scope, const std::vector<bool> &readable) {
  DiagnosticEngine &diags = scope.diags;
  Kernel &k = *scope.kernel;
  StmtScope &ss = *scope.stmt;
  bool ok = true;
  if (st.reduce != ReduceKind::None || st.scan != ScanKind::None) {
    diags.error(st.reduce != ReduceKind::None ? st.reduceLoc : st.scanLoc,
                "'+=' adds an elementwise right-hand side");
    diags.note(st.targetLoc, "reduce into a local first, then add the local");
    ok = false;
  }
  bool assigned = st.targetKind == NameKind::TensorParam || st.targetKind == NameKind::Local ||
                  (st.targetKind == NameKind::Result && st.targetRef < (int)readable.size() &&
                   readable[st.targetRef]);
  if (!assigned) {
    diags.error(st.targetLoc, "'+=' adds into a tensor that has a value: '" + st.target +
                                  "' is not assigned before");
    diags.note(st.targetLoc, "assign it first (" + st.target + "[...] = 0)");
    return false;
  }
  std::vector<int> shape = shapeOf(k, st.targetKind, st.targetRef);
  if (shape.size() != st.scatterSubs.size()) {
    diags.error(st.targetLoc, "'" + st.target + "' has rank " + std::to_string(shape.size()) +
                                  " but is accessed with " + std::to_string(st.scatterSubs.size()) +
                                  " subscripts");
    return false;
  }
  for (size_t a = 0; a < shape.size(); ++a) {
    Subscript &sub = st.scatterSubs[a];
    if (!sub.index.empty()) {
      for (const Subscript &loop : st.lhs)
        if (loop.index == sub.index)
          sub.slot = loop.slot;
      if (sub.slot >= 0 && ss.dim[sub.slot] < 0) {
        ss.dim[sub.slot] = shape[a], ss.where[sub.slot] = sub.loc;
        ss.how[sub.slot] = "axis " + std::to_string(a) + " of '" + st.target + "'";
      }
      continue;
    }
    if (!sub.expr || sub.expr->kind != ExprKind::Access) {
      diags.error(sub.loc, "a '+=' subscript is an index or a gather (ids[s])");
      ok = false;
      continue;
    }
    ok &= checkSubscriptExpr(sub, scope);
  }
  return ok;
}

} // namespace vibee::sema
