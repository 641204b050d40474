#include "frontend/Requirements.h"

#include <algorithm>

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

std::string accessText(const ast::Expr &e) {
  std::string text = e.name + "[";
  for (size_t i = 0; i < e.subscripts.size(); ++i)
    text += (i ? ", " : "") + (e.subscripts[i].literal ? std::to_string(*e.subscripts[i].literal)
                                                       : e.subscripts[i].index);
  return text + "]";
}

void collect(const ast::Spec &spec, const ast::Kernel &k, const ast::Statement &stmt,
             const ast::Expr &e, std::vector<DimRequirement> &out) {
  if (e.kind == ast::ExprKind::Access) {
    std::vector<int> dims = accessDims(k, e);
    for (size_t axis = 0; axis < e.subscripts.size() && axis < dims.size(); ++axis) {
      const ast::Subscript &sub = e.subscripts[axis];
      int d = dims[axis];
      // Literal dims are checked by sema against their size already.
      if (!sub.literal || d < 0 || k.dims[d].size >= 0)
        continue;
      out.push_back({d, *sub.literal, stmt.loopDims,
                     accessText(e) + " at " + spec.file + ":" + std::to_string(sub.loc.line) + ":" +
                         std::to_string(sub.loc.col)});
    }
  }
  for (const ast::ExprPtr &operand : e.operands)
    if (operand)
      collect(spec, k, stmt, *operand, out);
}

} // namespace

std::vector<DimRequirement> dimRequirements(const ast::Spec &spec, const ast::Kernel &kernel) {
  std::vector<DimRequirement> out;
  for (const ast::Statement &stmt : kernel.body)
    if (stmt.rhs)
      collect(spec, kernel, stmt, *stmt.rhs, out);
  return out;
}

std::vector<int64_t> minimumDimSizes(const ast::Kernel &kernel,
                                     const std::vector<DimRequirement> &requirements) {
  std::vector<int64_t> least(kernel.dims.size(), 0);
  for (const DimRequirement &r : requirements)
    least[r.dim] = std::max(least[r.dim], r.greaterThan + 1);
  return least;
}

} // namespace vibee
