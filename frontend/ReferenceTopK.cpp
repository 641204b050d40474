// The reference interpreter's top-k (docs/language.md, "Top-k"): per row, every
// element along the reduction index converted to the values' dtype (as the kernel
// stores and compares it), then a stable sort: NaNs first, then larger values, ties
// in order of position; the first k are the values and their positions.
#include "frontend/ReferenceInterpreterImpl.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vibee::ref::detail {

void Interpreter::executeTopK(const ast::Statement &stmt) {
  const std::vector<int64_t> extent = loopExtents(stmt);
  const size_t nPar = static_cast<size_t>(stmt.numParallel);
  if (nPar == 0 || extent.size() != nPar + 1)
    throw std::logic_error("statement '" + stmt.sourceText + "': a top-k has one index");
  const int64_t k = extent[nPar - 1], n = extent[nPar];
  Array values, indices;
  values.shape.assign(extent.begin(), extent.begin() + static_cast<long>(nPar));
  indices.shape = values.shape;
  values.data.assign(static_cast<size_t>(numElements(values.shape)), 0.0);
  indices.data = values.data;
  const DType t = stmt.targetType;
  if (ast::isFloat(t))
    values.mag.assign(values.data.size(), 0.0);
  if (!values.data.empty() && k > n)
    fail("topk(" + stmt.reduceIndices[0].index + ", " + stmt.rankIndex.index + ") asks for " +
         std::to_string(k) + " of " + std::to_string(n) +
         " elements (the call requires k <= the size of '" + stmt.reduceIndices[0].index + "')");
  const Expr &rhs = *stmt.rhs;
  auto before = [&](const Val &a, const Val &b) { // a ranks before b (a stable sort)
    if (!ast::isFloat(t))
      return intLess(b.i, a.i, t);
    if (std::isnan(a.f) || std::isnan(b.f))
      return std::isnan(a.f) && !std::isnan(b.f);
    return a.f > b.f;
  };
  const size_t rows = k == 0 ? 0 : values.data.size() / static_cast<size_t>(k);
  std::vector<Val> row(static_cast<size_t>(n));
  std::vector<size_t> order(row.size());
  loop_.assign(nPar + 1, 0);
  for (size_t r = 0; r < rows; ++r) {
    size_t rem = r;
    for (size_t l = nPar - 1; l-- > 0;) {
      loop_[l] = static_cast<int64_t>(rem % static_cast<size_t>(extent[l]));
      rem /= static_cast<size_t>(extent[l]);
    }
    for (int64_t c = 0; c < n; ++c) {
      loop_[nPar] = c;
      Val v = noteRange(convert(eval(rhs), rhs.type, t), t);
      if (ast::isFloat(t))
        v.f = roundToDtype(v.f, t);
      row[static_cast<size_t>(c)] = v;
    }
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return before(row[a], row[b]); });
    // A neighbour within rounding of the kernel's value may rank the other way there
    // (both numbers; an exact tie is decided by position, as in the kernel): the
    // places among the first k and the k-th against the next.
    if (ast::isFloat(t))
      for (int64_t j = 0; j + 1 < n && j < k; ++j) {
        const Val &a = row[order[static_cast<size_t>(j)]], &b = row[order[static_cast<size_t>(j + 1)]];
        if (a.f != b.f && !std::isnan(a.f) && !std::isnan(b.f))
          noteTie(a, b, t);
      }
    for (int64_t j = 0; j < k; ++j) {
      const size_t o = r * static_cast<size_t>(k) + static_cast<size_t>(j);
      const Val &v = row[order[static_cast<size_t>(j)]];
      values.data[o] = toDouble(v, t);
      if (!values.mag.empty())
        values.mag[o] = v.m;
      indices.data[o] = static_cast<double>(order[static_cast<size_t>(j)]);
    }
  }
  store(stmt, std::move(values));
  storeTo(stmt.indexTargetKind, stmt.indexTargetRef, stmt, std::move(indices));
}

} // namespace vibee::ref::detail
