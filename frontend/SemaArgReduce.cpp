// Arg reductions (docs/language.md, "Arg reductions"): `i[r] = argmax(c) x[r, c];`
// has one reduction index, an element expression of any numeric dtype, and an
// integer target that holds the index (i32 or i64; a new local is i64).
#include "frontend/SemaInternal.h"

namespace vibee::sema {

using namespace ast;

bool checkArgReduce(Statement &st, TypeInfo t, bool checkTarget, DiagnosticEngine &diags) {
  bool ok = t.ok;
  const std::string name = reduceKindName(st.reduce);
  if (st.reduceIndices.size() > 1) {
    const Subscript &extra = st.reduceIndices[1];
    diags.error(extra.loc,
                "'" + name + "' takes one index, not " + std::to_string(st.reduceIndices.size()));
    diags.note(extra.loc, "reduce over the other indices first, into a local "
                          "(m[r, c] = max(d) x[r, c, d]), then take '" +
                              name + "' of the local");
    ok = false;
  }
  if (t.ok) {
    if (t.weak)
      settle(*st.rhs, weakDefault(t));
    ok &= checkLiteralRanges(*st.rhs, diags);
  }
  if (checkTarget && st.targetType != DType::I32 && st.targetType != DType::I64) {
    std::string what = st.targetKind == NameKind::Local ? "local" : "tensor";
    diags.error(st.targetLoc, "'" + name + "' computes an index: " + what + " '" + st.target +
                                  "' must be i32 or i64, not " + dtypeName(st.targetType));
    diags.note(st.reduceLoc,
               "the index of the first " +
                   std::string(st.reduce == ReduceKind::ArgMax ? "largest" : "smallest") +
                   " element along '" +
                   (st.reduceIndices.empty() ? "" : st.reduceIndices[0].index) + "'");
    ok = false;
  }
  return ok;
}

} // namespace vibee::sema
