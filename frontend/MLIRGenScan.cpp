// A scan statement's `vibee.scan`: the kind, the dimension and the combiner region
// with the scalar semantics of docs/language.md ("Scans"): a float max/min propagates
// NaN (as `max(c)` does), integers wrap.
#include "frontend/MLIRGen.h"
#include "frontend/MLIRGenScalar.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace vibee::mlirgen {

ast::DType scanAccumulatorType(const ast::Statement &stmt) {
  ast::DType t = stmt.targetType;
  return t == ast::DType::F16 || t == ast::DType::BF16 ? ast::DType::F32 : t;
}

Value buildScanOp(OpBuilder &b, Location loc, const ast::Statement &stmt, ast::DType acc,
                  ArrayRef<Value> inputs, Value init, Value dest) {
  ScanKind kind = ScanKind::sum;
  switch (stmt.scan) {
  case ast::ScanKind::None:
  case ast::ScanKind::Sum:
    break;
  case ast::ScanKind::Prod:
    kind = ScanKind::prod;
    break;
  case ast::ScanKind::Max:
    kind = ScanKind::max;
    break;
  case ast::ScanKind::Min:
    kind = ScanKind::min;
    break;
  case ast::ScanKind::Linear:
    kind = ScanKind::linear;
    break;
  }
  OpBuilder::InsertionGuard guard(b);
  auto op = ScanOp::create(b, loc, dest.getType(), ScanKindAttr::get(b.getContext(), kind),
                           b.getI64IntegerAttr(stmt.scanAxis),
                           stmt.exclusive ? b.getUnitAttr() : UnitAttr(), inputs, init, dest);
  Type accType = toMLIRType(*b.getContext(), acc);
  SmallVector<Type> argTypes(1 + inputs.size(), accType);
  SmallVector<Location> argLocs(argTypes.size(), loc);
  Block *body = b.createBlock(&op.getCombiner(), {}, argTypes, argLocs);
  b.setInsertionPointToStart(body);
  Value run = body->getArgument(0), x = body->getArgument(1);
  bool isFloat = ast::isFloat(acc);
  Value next;
  switch (kind) {
  case ScanKind::sum:
    next = isFloat ? (Value)arith::AddFOp::create(b, loc, run, x)
                   : (Value)arith::AddIOp::create(b, loc, run, x);
    break;
  case ScanKind::prod:
    next = isFloat ? (Value)arith::MulFOp::create(b, loc, run, x)
                   : (Value)arith::MulIOp::create(b, loc, run, x);
    break;
  case ScanKind::max:
    next = isFloat ? (Value)arith::MaximumFOp::create(b, loc, run, x)
                   : (Value)arith::MaxSIOp::create(b, loc, run, x);
    break;
  case ScanKind::min:
    next = isFloat ? (Value)arith::MinimumFOp::create(b, loc, run, x)
                   : (Value)arith::MinSIOp::create(b, loc, run, x);
    break;
  case ScanKind::linear: {
    Value scaled = arith::MulFOp::create(b, loc, x, run);
    next = arith::AddFOp::create(b, loc, scaled, body->getArgument(2));
    break;
  }
  }
  YieldOp::create(b, loc, next);
  return op.getScanned();
}

} // namespace vibee::mlirgen
