// A top-k statement's `vibee.topk` (docs/language.md, "Top-k"): the element tensor
// with its unit rank axis folded away, and two fresh destinations.
#include "frontend/MLIRGenScalar.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace vibee::mlirgen {

RankedTensorType topKElementType(RankedTensorType values, const ast::Dim &n) {
  SmallVector<int64_t> shape(values.getShape());
  shape.back() = 1;
  shape.push_back(n.size >= 0 ? n.size : ShapedType::kDynamic);
  return RankedTensorType::get(shape, values.getElementType());
}

std::pair<Value, Value> buildTopKOp(OpBuilder &b, Location loc, const ast::Statement &stmt,
                                    Value elements, RankedTensorType values,
                                    RankedTensorType indices, ArrayRef<Value> dimValues) {
  auto type = cast<RankedTensorType>(elements.getType());
  const int64_t rank = values.getRank();
  // [outer..., 1, n] -> [outer..., n]: the last two axes are one.
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + 1 < rank; ++d)
    groups.push_back({d});
  groups.push_back({rank - 1, rank});
  SmallVector<int64_t> shape(values.getShape());
  shape.back() = type.getShape().back();
  Value input = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), elements, groups);
  auto empty = [&](RankedTensorType t) {
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < rank; ++d)
      if (t.isDynamicDim(d))
        dynamic.push_back(dimValues[stmt.loopDims[d]]);
    return tensor::EmptyOp::create(b, loc, t, dynamic).getResult();
  };
  auto op = TopKOp::create(b, loc, TypeRange{values, indices}, b.getI64IntegerAttr(rank - 1), input,
                           empty(values), empty(indices));
  return {op.getValueResult(), op.getIndexResult()};
}

} // namespace vibee::mlirgen
