// The reference interpreter's arg reductions (docs/language.md, "Arg reductions"): one
// pass along the reduction index per output element, in the element's dtype (float64
// for floats), keeping the first index whose value is strictly better than every
// earlier one. A NaN is better than any number and no NaN is better than another, so
// the first NaN wins; integers compare exactly.
#include "frontend/ReferenceInterpreterImpl.h"

#include <cmath>

namespace vibee::ref::detail {

void Interpreter::executeArgReduce(const ast::Statement &stmt) {
  const std::vector<int64_t> extent = loopExtents(stmt);
  const size_t nPar = static_cast<size_t>(stmt.numParallel);
  if (extent.size() != nPar + 1)
    throw std::logic_error("statement '" + stmt.sourceText + "': an arg reduction has one index");
  Array fresh;
  fresh.shape.assign(extent.begin(), extent.begin() + static_cast<long>(nPar));
  fresh.data.assign(static_cast<size_t>(numElements(fresh.shape)), 0.0);
  if (!fresh.data.empty() && extent[nPar] == 0)
    fail(std::string(ast::reduceKindName(stmt.reduce)) + " over '" + stmt.loopIndices[nPar] +
         "' of size 0 (the call requires a non-empty axis)");
  const Expr &rhs = *stmt.rhs;
  const DType t = rhs.type;
  const bool isMax = stmt.reduce == ast::ReduceKind::ArgMax;
  auto better = [&](Val a, Val b) { // a is strictly better than b
    if (!ast::isFloat(t))
      return isMax ? intLess(b.i, a.i, t) : intLess(a.i, b.i, t);
    if (std::isnan(a.f) || std::isnan(b.f))
      return std::isnan(a.f) && !std::isnan(b.f);
    return isMax ? a.f > b.f : a.f < b.f;
  };
  loop_.assign(nPar + 1, 0);
  for (size_t o = 0; o < fresh.data.size(); ++o) {
    size_t rem = o;
    for (size_t l = nPar; l-- > 0;) {
      loop_[l] = static_cast<int64_t>(rem % static_cast<size_t>(extent[l]));
      rem /= static_cast<size_t>(extent[l]);
    }
    int64_t bestIndex = 0;
    Val best;
    for (int64_t c = 0; c < extent[nPar]; ++c) {
      loop_[nPar] = c;
      Val v = noteRange(eval(rhs), t);
      if (c == 0 || better(v, best))
        best = v, bestIndex = c;
    }
    fresh.data[o] = static_cast<double>(bestIndex);
  }
  store(stmt, std::move(fresh));
}

} // namespace vibee::ref::detail
