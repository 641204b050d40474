// The orderings of unsigned values (docs/language.md, "Unsigned integers") on the
// vibee dialect's signed ones: x ^ 2^(w-1) maps 0..2^w - 1 onto MIN..MAX in the same
// order, so a max/min reduction or scan, an arg reduction or a top-k over the flipped
// values orders them as unsigned on every target, and the same xor maps them back.
// And unsigned scatter-add ids, which vibee-lower-scatters casts as signed, widened.
#include "frontend/MLIRGenScalar.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace vibee::mlirgen {

Value flipSignBit(OpBuilder &b, Location loc, Value x) {
  unsigned w = x.getType().getIntOrFloatBitWidth();
  Value sign =
      arith::ConstantOp::create(b, loc, b.getIntegerAttr(x.getType(), APInt::getSignMask(w)));
  return arith::XOrIOp::create(b, loc, x, sign);
}

// `fn` of every element of `tensor` into a tensor of `element`s, as a vibee.compute.
static Value mapElements(OpBuilder &b, Location loc, Value tensor, Type element,
                         function_ref<Value(Value)> fn) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> extents;
  for (int64_t d = 0; d < type.getRank(); ++d)
    extents.push_back(type.isDynamicDim(d)
                          ? (Value)tensor::DimOp::create(b, loc, tensor, d)
                          : (Value)arith::ConstantIndexOp::create(b, loc, type.getDimSize(d)));
  AffineMap identity = AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  auto compute =
      ComputeOp::create(b, loc, type.clone(element), ReduceKind::none, extents, ValueRange{tensor},
                        b.getArrayAttr({AffineMapAttr::get(identity)}));
  OpBuilder::InsertionGuard guard(b);
  Block *body = b.createBlock(&compute.getBody(), {}, {type.getElementType()}, {loc});
  b.setInsertionPointToStart(body);
  YieldOp::create(b, loc, fn(body->getArgument(0)));
  return compute.getResult();
}

Value flipSignBits(OpBuilder &b, Location loc, Value tensor) {
  return mapElements(b, loc, tensor, cast<RankedTensorType>(tensor.getType()).getElementType(),
                     [&](Value x) { return flipSignBit(b, loc, x); });
}

Value unsignedIndicesAsI64(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType().isInteger(64)) // u64: its bits; above 2^63 reads negative
    return tensor;
  return mapElements(b, loc, tensor, b.getI64Type(), [&](Value x) -> Value {
    return arith::ExtUIOp::create(b, loc, b.getI64Type(), x);
  });
}

} // namespace vibee::mlirgen
