// The body of an arg reduction's index compute (MLIRGen.cpp, emitArgReduce; docs/
// language.md, "Arg reductions"): the candidate index where the element is the
// extremum or a NaN, else the identity of the min reduction that keeps the first.
#include "frontend/MLIRGen.h"
#include "frontend/MLIRGenScalar.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cstdint>

using namespace mlir;

namespace vibee::mlirgen {

Value argIndexOrNone(OpBuilder &b, Location loc, Value element, Value extremum, int axis,
                     ast::DType target) {
  Value hit;
  if (isa<FloatType>(element.getType())) {
    // OEQ is false for NaN; UNO(e, e) is true exactly for a NaN element.
    Value eq = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, element, extremum);
    Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, element, element);
    hit = arith::OrIOp::create(b, loc, eq, nan);
  } else {
    hit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, element, extremum);
  }
  Value index = IndexOp::create(b, loc, b.getIndexType(), b.getI64IntegerAttr(axis));
  // Through i64, as every index read (the C++ output's index type is i64: an
  // index_cast straight to i32 does not survive its preparation).
  Value asTarget = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  if (target != ast::DType::I64)
    asTarget = arith::TruncIOp::create(b, loc, toMLIRType(*b.getContext(), target), asTarget);
  Value none = intConstantOf(b, loc, target, target == ast::DType::I32 ? INT32_MAX : INT64_MAX);
  return arith::SelectOp::create(b, loc, hit, asTarget, none);
}

} // namespace vibee::mlirgen
