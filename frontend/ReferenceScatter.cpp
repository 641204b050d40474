// The reference interpreter's scatter-add (docs/language.md, "Scatter-add"): every
// point of the statement's loops in row-major order adds its right-hand side (in
// the target's dtype: float64 for floats, wrapping for integers) into the target's
// current value at the position its subscripts give; a gathered position outside
// its axis is an error, as a gather's read is.
#include "frontend/ReferenceInterpreterImpl.h"

#include <cmath>

namespace vibee::ref::detail {

void Interpreter::executeScatter(const ast::Statement &stmt) {
  const std::vector<int64_t> extent = loopExtents(stmt);
  const DType t = stmt.targetType;
  Array target = tensorFor(stmt.targetKind, stmt.targetRef, stmt.target);
  if (ast::isFloat(t) && target.mag.size() != target.data.size()) {
    target.mag.resize(target.data.size());
    for (size_t o = 0; o < target.data.size(); ++o)
      target.mag[o] = std::fabs(target.data[o]);
  }
  if (target.shape.size() != stmt.scatterSubs.size())
    throw std::logic_error("statement '" + stmt.sourceText + "': target rank");
  const int64_t points = numElements(extent);
  loop_.assign(extent.size(), 0);
  for (int64_t p = 0; p < points; ++p) {
    int64_t rem = p;
    for (size_t l = extent.size(); l-- > 0;) {
      loop_[l] = rem % extent[l];
      rem /= extent[l];
    }
    int64_t offset = 0;
    for (size_t a = 0; a < stmt.scatterSubs.size(); ++a) {
      const ast::Subscript &s = stmt.scatterSubs[a];
      int64_t idx = s.gather ? eval(*s.expr).i : loop_.at(static_cast<size_t>(s.slot));
      if (idx < 0 || idx >= target.shape[a])
        fail("'" + stmt.target + "' position " + std::to_string(idx) + " on axis " +
             std::to_string(a) + " is outside its size " + std::to_string(target.shape[a]) +
             " (line " + std::to_string(s.loc.line) + ")");
      offset = offset * target.shape[a] + idx;
    }
    Val v = noteRange(convert(eval(*stmt.rhs), stmt.rhs->type, t), t);
    const size_t o = static_cast<size_t>(offset);
    if (ast::isFloat(t)) {
      target.data[o] += v.f;
      target.mag[o] += v.m;
    } else {
      Val sum; // integers wrap (exact when an earlier statement computed the target)
      sum.i = wrapInt(
          addWrap(target.exact.empty() ? fromDouble(target.data[o], t).i : target.exact[o], v.i),
          t);
      target.data[o] = toDouble(sum, t);
      if (!target.exact.empty())
        target.exact[o] = sum.i;
    }
  }
  store(stmt, std::move(target));
}

} // namespace vibee::ref::detail
