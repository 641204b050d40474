// Top-k (docs/language.md, "Top-k"): `v[b, j], i[b, j] = topk(c, j) x[b, c];` ranks
// the elements along the one reduction index c into the rank index j, the last
// index of both targets (its extent is k): the values into the first target, their
// positions along c into the second (i32 or i64; a new local is i64).
#include "frontend/SemaInternal.h"

namespace vibee::sema {

using namespace ast;

bool checkTopKTargets(const Statement &st, DiagnosticEngine &diags) {
  bool same = st.indexLhs.size() == st.lhs.size();
  for (size_t a = 0; same && a < st.lhs.size(); ++a)
    same = st.indexLhs[a].index == st.lhs[a].index;
  if (!same) {
    diags.error(st.indexTargetLoc, "the indices '" + st.indexTarget +
                                       "' need the subscripts of the values '" + st.target + "'");
    diags.note(st.targetLoc, "v[b, j], i[b, j] = topk(c, j) x[b, c]");
    return false;
  }
  if (st.indexTarget == st.target) {
    diags.error(st.indexTargetLoc, "the values and the indices need two different tensors");
    return false;
  }
  return true;
}

bool checkTopK(Statement &st, Kernel &k, const std::vector<bool> &used, bool indexOk,
               DiagnosticEngine &diags) {
  bool ok = true;
  if (st.reduceIndices.size() != 1 || st.rankIndex.index.empty())
    return false; // reported by the parser
  const Subscript &rank = st.rankIndex;
  if (st.lhs.empty() || st.lhs.back().index != rank.index) {
    diags.error(rank.loc,
                "the rank index '" + rank.index + "' must be the last index of the left-hand side");
    diags.note(st.targetLoc, "its extent is k: v[b, j], i[b, j] = topk(c, j) x[b, c]");
    return false;
  }
  const int slot = st.lhs.back().slot;
  if (slot >= 0 && slot < (int)used.size() && used[slot]) {
    diags.error(rank.loc,
                "the rank index '" + rank.index + "' cannot be read on the right-hand side");
    diags.note(st.reduceIndices[0].loc,
               "the elements are ranked along '" + st.reduceIndices[0].index + "' alone");
    ok = false;
  }
  if (!indexOk)
    return false;
  if (st.indexTargetKind != NameKind::Unresolved) {
    if (st.indexTargetType != DType::I32 && st.indexTargetType != DType::I64) {
      std::string what = st.indexTargetKind == NameKind::Local ? "local" : "tensor";
      diags.error(st.indexTargetLoc, "'topk' computes indices: " + what + " '" + st.indexTarget +
                                         "' must be i32 or i64, not " +
                                         dtypeName(st.indexTargetType));
      diags.note(st.reduceLoc, "the positions along '" + st.reduceIndices[0].index +
                                   "' of the k largest elements");
      ok = false;
    }
    return ok;
  }
  // A new local of i64 indices over the lhs's extents (0 where one is unknown).
  Local local;
  local.name = st.indexTarget;
  local.loc = st.indexTargetLoc;
  local.dtype = DType::I64;
  for (size_t a = 0; a < st.lhs.size(); ++a) {
    int s = st.lhs[a].slot;
    int d = s >= 0 && s < (int)st.loopDims.size() ? st.loopDims[s] : -1;
    local.dims.push_back(d < 0 ? 0 : d);
  }
  st.indexTargetKind = NameKind::Local;
  st.indexTargetRef = (int)k.locals.size();
  st.indexTargetType = DType::I64;
  k.locals.push_back(std::move(local));
  return ok;
}

} // namespace vibee::sema
