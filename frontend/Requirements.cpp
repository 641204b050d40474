#include "frontend/Requirements.h"

#include <algorithm>
#include <cstdint>

namespace vibee {

namespace {

// The dim of each axis of the tensor an access reads (sema resolved the name).
std::vector<int> accessDims(const ast::Kernel &k, const ast::Expr &e) {
  std::vector<int> dims;
  switch (e.nameKind) {
  case ast::NameKind::TensorParam:
    for (const ast::DimSpec &d : k.params[e.ref].type.dims)
      dims.push_back(d.dimRef);
    break;
  case ast::NameKind::Result:
    for (const ast::DimSpec &d : k.results[e.ref].type.dims)
      dims.push_back(d.dimRef);
    break;
  case ast::NameKind::Local:
    dims = k.locals[e.ref].dims;
    break;
  default:
    break;
  }
  return dims;
}

std::string accessText(const ast::Kernel &k, const ast::Statement &stmt, const ast::Expr &e) {
  std::string text = e.name + "[";
  for (size_t i = 0; i < e.subscripts.size(); ++i)
    text += (i ? ", " : "") + subscriptText(k, stmt, e.subscripts[i]);
  return text + "]";
}

void collect(const ast::Spec &spec, const ast::Kernel &k, const ast::Statement &stmt,
             const ast::Expr &e, std::vector<DimRequirement> &out) {
  if (e.kind == ast::ExprKind::Access) {
    // A table's code is proven inside the table, but its own reads may need sizes
    // (nf4[w[n, k / 2] & 15]: 2 * KH >= K). A constant tensor has no dims here.
    for (const ast::Subscript &sub : e.subscripts)
      if (sub.code)
        collect(spec, k, stmt, *sub.expr, out);
    std::vector<int> dims = accessDims(k, e);
    for (size_t axis = 0; axis < e.subscripts.size() && axis < dims.size(); ++axis) {
      const ast::Subscript &sub = e.subscripts[axis];
      if (sub.code)
        continue;
      if (sub.gather) {
        DimRequirement g{dims[axis],
                         {},
                         stmt.loopDims,
                         accessText(k, stmt, e) + " at " + spec.file + ":" +
                             std::to_string(sub.loc.line) + ":" + std::to_string(sub.loc.col)};
        g.gatherParam = sub.expr->ref, g.tensor = e.name;
        out.push_back(std::move(g));
        continue;
      }
      for (const LinearForm &rel : subscriptRelations(k, stmt, sub, dims[axis]))
        if (decide(k, stmt, rel) == Truth::Unknown &&
            std::none_of(out.begin(), out.end(), [&](const DimRequirement &r) {
              // The first read that needs a relation names it (x[2 * j] and
              // x[2 * j + 1] on one axis state D >= 2 * H once).
              return r.gatherParam < 0 && r.form.terms == rel.terms &&
                     r.form.constant == rel.constant && r.loopDims == stmt.loopDims;
            }))
          out.push_back({dims[axis], rel, stmt.loopDims,
                         accessText(k, stmt, e) + " at " + spec.file + ":" +
                             std::to_string(sub.loc.line) + ":" + std::to_string(sub.loc.col)});
    }
  }
  for (const ast::ExprPtr &operand : e.operands)
    if (operand)
      collect(spec, k, stmt, *operand, out);
}

// An arg reduction (docs/language.md, "Arg reductions") needs a non-empty axis, as
// there is no first extremum of nothing, and an i32 index an axis that i32 indexes.
// Nothing is required when the statement does not run (a parallel extent of 0).
void collectArg(const ast::Spec &spec, const ast::Kernel &k, const ast::Statement &stmt,
                std::vector<DimRequirement> &out) {
  const size_t nPar = (size_t)stmt.numParallel;
  if (stmt.loopDims.size() != nPar + 1 || stmt.reduceIndices.empty())
    return;
  const int d = stmt.loopDims[nPar];
  const std::vector<int> parallel(stmt.loopDims.begin(), stmt.loopDims.begin() + (long)nPar);
  const std::string where = std::string(ast::reduceKindName(stmt.reduce)) + "(" +
                            stmt.reduceIndices[0].index + ") at " + spec.file + ":" +
                            std::to_string(stmt.reduceLoc.line) + ":" +
                            std::to_string(stmt.reduceLoc.col);
  auto require = [&](int64_t coeff, int64_t constant) { // coeff * size(d) + constant >= 0
    LinearForm f;
    if (k.dims[d].size >= 0)
      f.constant = coeff * k.dims[d].size + constant;
    else
      f.terms[d] = coeff, f.constant = constant;
    // Not decide(): it takes every loop of the statement, this one too, to run.
    if (!f.terms.empty() || f.constant < 0)
      out.push_back({d, f, parallel, where});
  };
  require(1, -1);
  if (stmt.targetType == ast::DType::I32)
    require(-1, INT32_MAX);
}

// A top-k (docs/language.md, "Top-k") needs k <= n, the size of the axis it ranks
// along, and i32 indices an axis that i32 indexes; nothing when no row runs.
void collectTopK(const ast::Spec &spec, const ast::Kernel &k, const ast::Statement &stmt,
                 std::vector<DimRequirement> &out) {
  const size_t nPar = (size_t)stmt.numParallel;
  if (nPar == 0 || stmt.loopDims.size() != nPar + 1 || stmt.reduceIndices.empty())
    return;
  const int n = stmt.loopDims[nPar], kd = stmt.loopDims[nPar - 1];
  const std::vector<int> outer(stmt.loopDims.begin(), stmt.loopDims.begin() + (long)nPar - 1);
  const std::string where = "topk(" + stmt.reduceIndices[0].index + ", " + stmt.rankIndex.index +
                            ") at " + spec.file + ":" + std::to_string(stmt.reduceLoc.line) + ":" +
                            std::to_string(stmt.reduceLoc.col);
  LinearForm f; // n - k >= 0
  for (auto [d, c] : {std::pair{n, int64_t{1}}, std::pair{kd, int64_t{-1}}}) {
    if (k.dims[d].size >= 0)
      f.constant += c * k.dims[d].size;
    else
      f.terms[d] += c;
  }
  for (auto it = f.terms.begin(); it != f.terms.end();)
    it = it->second == 0 ? f.terms.erase(it) : std::next(it);
  auto require = [&](const LinearForm &form) {
    DimRequirement r;
    r.dim = n, r.form = form, r.loopDims = outer, r.access = where;
    out.push_back(std::move(r));
  };
  if (!f.terms.empty() || f.constant < 0)
    require(f);
  if (stmt.indexTargetType == ast::DType::I32 && k.dims[n].size < 0) {
    LinearForm g; // INT32_MAX - n >= 0
    g.terms.emplace(n, -1);
    g.constant = INT32_MAX;
    require(g);
  }
}

// A scatter-add's gathered target subscripts (docs/language.md, "Scatter-add"):
// every element of the index tensor inside the target's axis, as for a gather.
void collectScatter(const ast::Spec &spec, const ast::Kernel &k, const ast::Statement &stmt,
                    std::vector<DimRequirement> &out) {
  ast::Expr target; // the target as an access, for accessDims
  target.kind = ast::ExprKind::Access, target.nameKind = stmt.targetKind;
  target.ref = stmt.targetRef;
  std::vector<int> dims = accessDims(k, target);
  std::string text = stmt.target + "[";
  for (size_t a = 0; a < stmt.scatterSubs.size(); ++a)
    text += (a ? ", " : "") + subscriptText(k, stmt, stmt.scatterSubs[a]);
  text += "]";
  for (size_t a = 0; a < stmt.scatterSubs.size() && a < dims.size(); ++a) {
    const ast::Subscript &sub = stmt.scatterSubs[a];
    if (!sub.gather)
      continue;
    DimRequirement g;
    g.dim = dims[a], g.loopDims = stmt.loopDims;
    g.access = text + " at " + spec.file + ":" + std::to_string(sub.loc.line) + ":" +
               std::to_string(sub.loc.col);
    g.gatherParam = sub.expr->ref, g.tensor = stmt.target;
    out.push_back(std::move(g));
  }
}

} // namespace

std::vector<DimRequirement> dimRequirements(const ast::Spec &spec, const ast::Kernel &kernel) {
  std::vector<DimRequirement> out;
  for (const ast::Statement &stmt : kernel.body)
    if (std::none_of(stmt.loopDims.begin(), stmt.loopDims.end(), [](int d) { return d < 0; }))
      for (const ast::Expr *part : {stmt.rhs.get(), stmt.scanCoef.get(), stmt.scanInit.get()})
        if (part)
          collect(spec, kernel, stmt, *part, out);
  for (const ast::Statement &stmt : kernel.body)
    if (ast::isArgReduce(stmt.reduce))
      collectArg(spec, kernel, stmt, out);
    else if (stmt.reduce == ast::ReduceKind::TopK)
      collectTopK(spec, kernel, stmt, out);
    else if (stmt.accumulate)
      collectScatter(spec, kernel, stmt, out);
  // A derived dim (`y: f32[N - K + 1]`) is a size only when it is not negative; the
  // JIT checks it before it binds the results (runtime/Jit.cpp).
  for (size_t d = 0; d < kernel.dims.size(); ++d) {
    const ast::Dim &dim = kernel.dims[d];
    if (!dim.derived)
      continue;
    const ast::Result &r = kernel.results[dim.carrierRef];
    const ast::Loc loc = r.type.dims[dim.carrierAxis].loc;
    bool alwaysSize = dim.constant >= 0; // all terms positive: never negative
    for (auto [base, c] : dim.terms)
      alwaysSize &= c > 0;
    if (alwaysSize)
      continue;
    DimRequirement req;
    req.derivedDim = true;
    req.dim = (int)d, req.form.constant = dim.constant;
    for (auto [base, c] : dim.terms)
      req.form.terms[base] = c;
    req.access = "dim " + dim.name + " of " + r.name + " at " + spec.file + ":" +
                 std::to_string(loc.line) + ":" + std::to_string(loc.col);
    out.push_back(std::move(req));
  }
  // Every form over the dims that parameters carry: a call computes derived dims.
  for (DimRequirement &r : out)
    if (r.gatherParam < 0)
      r.form = overParameterDims(kernel, r.form);
  return out;
}

std::string requirementText(const ast::Kernel &kernel, const DimRequirement &r) {
  if (r.gatherParam >= 0)
    return "0 <= every element of " + kernel.params[r.gatherParam].name + " < " +
           kernel.dims[r.dim].name;
  if (r.form.terms.size() == 1 && r.form.terms.begin()->second == 1)
    return kernel.dims[r.form.terms.begin()->first].name + " > " +
           std::to_string(-r.form.constant - 1);
  return relationText(kernel, r.form);
}

std::vector<int64_t> minimumDimSizes(const ast::Kernel &kernel,
                                     const std::vector<DimRequirement> &requirements) {
  std::vector<int64_t> least(kernel.dims.size(), 1);
  for (const DimRequirement &r : requirements)
    if (r.gatherParam < 0 && r.form.terms.size() == 1 && r.form.terms.begin()->second > 0) {
      auto [d, c] = *r.form.terms.begin();
      least[d] = std::max(least[d], (-r.form.constant + c - 1) / c);
    }
  return least;
}

namespace {
bool fit(const ast::Kernel &kernel, const std::vector<DimRequirement> &requirements,
         std::vector<int64_t> &dims) {
  for (int round = 0; round < 16; ++round) {
    bool all = true;
    for (const DimRequirement &r : requirements) {
      if (r.gatherParam >= 0)
        continue; // a bound on data, not on sizes
      int64_t value;
      if (!evaluate(r.form, dims, value))
        return false;
      if (r.derivedDim) // a trial wants a result that is not empty
        --value;
      if (value >= 0)
        continue;
      all = false;
      // Grow the symbolic dim with the largest positive coefficient enough to meet it.
      int best = -1;
      for (auto [d, c] : r.form.terms)
        if (c > 0 && kernel.dims[d].size < 0 && (best < 0 || c > r.form.terms.at(best)))
          best = d;
      if (best < 0)
        return false;
      int64_t c = r.form.terms.at(best);
      dims[best] += (-value + c - 1) / c;
    }
    if (all)
      return true;
  }
  return false;
}
} // namespace

bool fitRequirements(const ast::Kernel &kernel, const std::vector<DimRequirement> &requirements,
                     std::vector<int64_t> &dims) {
  bool ok = fit(kernel, requirements, dims);
  computeDerivedDims(kernel, dims);
  return ok;
}

void computeDerivedDims(const ast::Kernel &kernel, std::vector<int64_t> &dims) {
  for (size_t d = 0; d < kernel.dims.size() && d < dims.size(); ++d)
    if (kernel.dims[d].derived)
      dims[d] = ast::derivedDimSize(kernel.dims[d], dims).value_or(-1);
}

int64_t gatherLimit(const std::vector<DimRequirement> &requirements, int param,
                    const std::vector<int64_t> &dims) {
  int64_t limit = -1;
  for (const DimRequirement &r : requirements)
    if (r.gatherParam == param)
      limit = limit < 0 ? dims[r.dim] : std::min(limit, dims[r.dim]);
  return limit;
}

} // namespace vibee
