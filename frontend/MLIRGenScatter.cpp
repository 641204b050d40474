// A scatter-add statement's `vibee.scatter_add` (docs/language.md, "Scatter-add"):
// per target axis the loop that indexes it, or -1 and the gather's index tensor
// parameter with its map from the loops.
#include "frontend/MLIRGen.h"
#include "frontend/MLIRGenScalar.h"

#include "ir/VibeeOps.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace vibee::mlirgen {

RankedTensorType scatterUpdateType(MLIRContext &ctx, const ast::Kernel &kernel,
                                   const ast::Statement &stmt) {
  SmallVector<int64_t> shape;
  for (int d : stmt.loopDims)
    shape.push_back(kernel.dims[d].size >= 0 ? kernel.dims[d].size : ShapedType::kDynamic);
  return RankedTensorType::get(shape, toMLIRType(ctx, stmt.targetType));
}

Value buildScatterAdd(OpBuilder &b, Location loc, const ast::Statement &stmt, Value updates,
                      Value dest, ArrayRef<Value> params) {
  SmallVector<int64_t> axes;
  SmallVector<Value> indices;
  SmallVector<Attribute> maps;
  const unsigned loops = stmt.loopIndices.size();
  for (const ast::Subscript &sub : stmt.scatterSubs) {
    if (!sub.gather) {
      axes.push_back(sub.slot);
      continue;
    }
    axes.push_back(-1);
    Value ids = params[sub.expr->ref];
    indices.push_back(ast::isUnsigned(sub.expr->type) ? unsignedIndicesAsI64(b, loc, ids) : ids);
    SmallVector<AffineExpr> exprs;
    for (const ast::Subscript &s : sub.expr->subscripts)
      exprs.push_back(b.getAffineDimExpr(s.slot));
    maps.push_back(AffineMapAttr::get(AffineMap::get(loops, 0, exprs, b.getContext())));
  }
  return ScatterAddOp::create(b, loc, dest.getType(), updates, indices, dest,
                              b.getDenseI64ArrayAttr(axes), b.getArrayAttr(maps))
      .getResult()[0];
}

} // namespace vibee::mlirgen
