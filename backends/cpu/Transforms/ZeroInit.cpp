//===- ZeroInit.cpp - a contraction's result that starts from zero ---------===//
#include "backends/cpu/Transforms/ZeroInit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

/// The buffer a view (subview, collapse_shape, ...) looks into.
static Value viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

linalg::FillOp vibee::zeroFillBefore(Operation *op, Value c) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || !fill.hasPureBufferSemantics() || fill.getOutputs()[0] != c)
    return nullptr;
  // +0 only: a -0 start would give -0 where every product is -0.
  Value value = fill.getInputs()[0];
  if (!matchPattern(value, m_PosZeroFloat()) && !matchPattern(value, m_Zero()))
    return nullptr;
  // An operand that reads the zeroed buffer itself would see what was there
  // before: keep the fill.
  Value root = viewRoot(c);
  for (Value operand : op->getOperands())
    if (operand != c && isa<MemRefType>(operand.getType()) && viewRoot(operand) == root)
      return nullptr;
  return fill;
}

void vibee::emitZeroFill(OpBuilder &b, Location loc, Value c) {
  Type element = cast<MemRefType>(c.getType()).getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
  linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{c});
}
