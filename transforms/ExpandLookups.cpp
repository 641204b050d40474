//===- ExpandLookups.cpp - vibee.lookup to a tree of selects --------------===//
//
// A constant table has no memory on any target: an element at a computed
// position is picked by selects on the position's bits (docs/language.md,
// "Constant tensors"). Sema proves the position inside the table, so the
// padding up to a power of two is never selected.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace vibee {
#define GEN_PASS_DEF_EXPANDLOOKUPSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

/// `value` (a scalar attribute) as a constant of `type`'s shape: a splat for a
/// vector.
Value constantLike(OpBuilder &b, Location loc, Type type, TypedAttr value) {
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vector.clone(value.getType()), cast<Attribute>(value)));
  return arith::ConstantOp::create(b, loc, value);
}

Type withElement(Type shaped, Type element) {
  if (auto vector = dyn_cast<VectorType>(shaped))
    return vector.clone(element);
  return element;
}

Value expandLookup(OpBuilder &b, LookupOp op) {
  Location loc = op.getLoc();
  Type resultType = op.getResult().getType();
  SmallVector<Attribute> elements(op.getTable().getValues<Attribute>());
  size_t count = elements.size(), width = 1;
  while (width < count)
    width *= 2;
  SmallVector<Value> level;
  for (Attribute element : elements)
    level.push_back(constantLike(b, loc, resultType, cast<TypedAttr>(element)));
  level.resize(width, level.back()); // padding is never selected
  if (level.size() == 1)
    return level.front();
  // Positions are in [0, count): tested in the narrowest integer that holds them.
  Type narrow = b.getIntegerType(width <= 256 ? 8 : width <= 65536 ? 16 : 32);
  Value position = op.getPosition();
  Type positionType = getElementTypeOrSelf(position.getType());
  if (positionType.getIntOrFloatBitWidth() > narrow.getIntOrFloatBitWidth())
    position = arith::TruncIOp::create(b, loc, withElement(position.getType(), narrow), position);
  else
    narrow = positionType;
  Type bitsType = position.getType();
  Value one = constantLike(b, loc, bitsType, b.getIntegerAttr(narrow, 1));
  for (int64_t bit = 0; level.size() > 1; ++bit) {
    Value shifted =
        bit == 0
            ? position
            : arith::ShRUIOp::create(b, loc, position,
                                     constantLike(b, loc, bitsType, b.getIntegerAttr(narrow, bit)))
                  .getResult();
    Value set = narrow.isInteger(1)
                    ? shifted
                    : arith::TruncIOp::create(b, loc, withElement(bitsType, b.getI1Type()),
                                              arith::AndIOp::create(b, loc, shifted, one))
                          .getResult();
    SmallVector<Value> next;
    for (size_t i = 0; i < level.size(); i += 2)
      next.push_back(arith::SelectOp::create(b, loc, set, level[i + 1], level[i]));
    level = std::move(next);
  }
  return level.front();
}

struct ExpandLookupsPass : vibee::impl::ExpandLookupsPassBase<ExpandLookupsPass> {
  void runOnOperation() override {
    SmallVector<LookupOp> ops;
    getOperation()->walk([&](LookupOp op) { ops.push_back(op); });
    for (LookupOp op : ops) {
      OpBuilder b(op);
      op.replaceAllUsesWith(expandLookup(b, op));
      op.erase();
    }
  }
};

} // namespace
