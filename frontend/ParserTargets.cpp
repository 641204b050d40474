// Statements with more than one target or a target of a special form
// (docs/language.md, "Top-k").
#include "frontend/ParserInternal.h"

namespace vibee::parser {

void checkTargets(Statement &st, DiagnosticEngine &diags) {
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
