// The reference interpreter's scans (docs/language.md, "Scans"): sequential along the
// scan index in the statement's dtype (float64 for floats), in row-major order over
// the left-hand side, so every prefix is computed from the one before it.
#include "frontend/ReferenceInterpreterImpl.h"

namespace vibee::ref::detail {

static ast::ReduceKind asReduce(ast::ScanKind k) {
  switch (k) {
  case ast::ScanKind::Sum:
    return ast::ReduceKind::Sum;
  case ast::ScanKind::Prod:
    return ast::ReduceKind::Prod;
  case ast::ScanKind::Max:
    return ast::ReduceKind::Max;
  case ast::ScanKind::Min:
    return ast::ReduceKind::Min;
  case ast::ScanKind::None:
  case ast::ScanKind::Linear:
    break;
  }
  return ast::ReduceKind::None;
}

void Interpreter::executeScan(const ast::Statement &stmt) {
  const std::vector<int64_t> extent = loopExtents(stmt);
  const size_t axis = static_cast<size_t>(stmt.scanAxis);
  if (stmt.scanAxis < 0 || axis >= extent.size() || extent.size() != (size_t)stmt.numParallel)
    throw std::logic_error("statement '" + stmt.sourceText + "': scan axis not set by sema");
  Array fresh;
  fresh.shape = extent;
  fresh.data.assign(static_cast<size_t>(numElements(fresh.shape)), 0.0);
  if (ast::isFloat(stmt.targetType))
    fresh.mag.assign(fresh.data.size(), 0.0);
  else
    fresh.exact.assign(fresh.data.size(), 0);
  size_t stride = 1;
  for (size_t l = axis + 1; l < extent.size(); ++l)
    stride *= static_cast<size_t>(extent[l]);

  const Expr &rhs = *stmt.rhs;
  const DType acc = stmt.targetType; // floats: float64 whatever the target's width
  const ast::ReduceKind kind = asReduce(stmt.scan);
  std::vector<Val> accs(fresh.data.size()); // the running value, unrounded
  loop_.assign(extent.size(), 0);
  for (size_t o = 0; o < fresh.data.size(); ++o) {
    size_t rem = o;
    for (size_t l = extent.size(); l-- > 0;) {
      loop_[l] = static_cast<int64_t>(rem % static_cast<size_t>(extent[l]));
      rem /= static_cast<size_t>(extent[l]);
    }
    const bool first = loop_[axis] == 0;
    Val prev;
    if (!first)
      prev = accs[o - stride];
    else if (stmt.scanInit)
      prev = evalAs(*stmt.scanInit, acc);
    else
      prev = reductionIdentity(kind, acc);
    Val value, out;
    if (stmt.scan == ast::ScanKind::Linear) {
      Val a;
      a.f = 1;
      if (stmt.scanCoef)
        a = evalAs(*stmt.scanCoef, acc);
      const Val b = evalAs(rhs, acc);
      Val product;
      product.f = a.f * prev.f;
      product.m = productCondition(a, prev);
      value.f = product.f + b.f;
      value.m = sumCondition(product, b);
      out = value;
    } else {
      value = combineReduced(kind, acc, prev, evalAs(rhs, acc));
      out = stmt.exclusive ? prev : value;
    }
    accs[o] = noteRange(value, acc);
    Val stored = noteRange(convert(out, acc, stmt.targetType), stmt.targetType);
    fresh.data[o] = toDouble(stored, stmt.targetType);
    if (!fresh.mag.empty())
      fresh.mag[o] = stored.m;
    if (!fresh.exact.empty())
      fresh.exact[o] = stored.i;
  }
  store(stmt, std::move(fresh));
}

} // namespace vibee::ref::detail
