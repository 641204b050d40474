// Statements with more than one target or a target of a special form
// (docs/language.md, "Top-k", "Scatter-add").
#include "frontend/ParserInternal.h"

namespace vibee::parser {

// `+=`: the subscripts as written go to scatterSubs, their index names (plain or
// inside a gather) to lhs, the loops, in order of appearance.
void scatterLoops(Statement &st) {
  st.scatterSubs = std::move(st.lhs);
  st.lhs.clear();
  auto add = [&](const Subscript &s) {
    for (const Subscript &seen : st.lhs)
      if (seen.index == s.index)
        return;
    st.lhs.push_back({s.loc, s.index, std::nullopt, -1});
  };
  for (const Subscript &s : st.scatterSubs) {
    if (!s.index.empty())
      add(s);
    else if (s.expr && s.expr->kind == ExprKind::Access)
      for (const Subscript &inner : s.expr->subscripts)
        if (!inner.index.empty())
          add(inner);
  }
}

void checkTargets(Statement &st, DiagnosticEngine &diags) {
  if (st.accumulate)
    scatterLoops(st);
  if (st.reduce != ReduceKind::TopK) {
    if (!st.indexTarget.empty()) {
      diags.error(st.indexTargetLoc, "only 'topk' assigns two tensors");
      diags.note(st.indexTargetLoc, "values and indices: v[b, j], i[b, j] = topk(c, j) x[b, c]");
    }
    return;
  }
  // `topk(c, j)`: the reduction index c and the rank index j into two targets.
  if (st.reduceIndices.size() != 2) {
    diags.error(st.reduceLoc, "'topk' takes the index to rank along and the left-hand side "
                              "index of the rank, topk(c, j), not " +
                                  std::to_string(st.reduceIndices.size()) + " indices");
    st.reduceIndices.resize(std::min<size_t>(st.reduceIndices.size(), 1));
  } else {
    st.rankIndex = st.reduceIndices[1];
    st.reduceIndices.pop_back();
  }
  if (st.indexTarget.empty()) {
    diags.error(st.reduceLoc, "'topk' assigns two tensors, the values and their indices");
    diags.note(st.targetLoc, "write both targets: v[b, j], i[b, j] = topk(c, j) x[b, c]");
  }
}

} // namespace vibee::parser
