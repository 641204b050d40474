//===- ScalarLogic.cpp - comparisons, bool logic and integer ops as EmitC -===//
#include "conversion/LoopsToEmitC/ScalarLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"

using namespace mlir;

namespace {
/// An i32/i64 add, sub or mul marked nsw (overflow is poison): C's signed
/// arithmetic says the same, and unlike the unsigned casts convert-to-emitc
/// writes for plain arith, lets a C++ compiler see `jb + l` as an affine
/// subscript (vibee-cpp-split-reductions' lanes).
static bool isSignedNoWrap(Operation *op) {
  auto flags = dyn_cast<arith::ArithIntegerOverflowFlagsInterface>(op);
  return flags && isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op) && flags.hasNoSignedWrap() &&
         (op->getResult(0).getType().isInteger(64) || op->getResult(0).getType().isInteger(32));
}

} // namespace

/// arith.maxsi & co. (`max(i, 1)` on integers) have no EmitC lowering in MLIR 22
/// (translateToCpp failed: "unable to find printer for op"): a comparison and a
/// select, which convert-to-emitc turns into a ternary.
void vibee::expandIntegerMinMax(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) {
    if (isa<arith::MaxSIOp, arith::MinSIOp, arith::MaxUIOp, arith::MinUIOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    using P = arith::CmpIPredicate;
    P pred = isa<arith::MaxSIOp>(op)   ? P::sgt
             : isa<arith::MinSIOp>(op) ? P::slt
             : isa<arith::MaxUIOp>(op) ? P::ugt
                                       : P::ult;
    OpBuilder b(op);
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    Value cmp = arith::CmpIOp::create(b, op->getLoc(), pred, lhs, rhs);
    op->getResult(0).replaceAllUsesWith(arith::SelectOp::create(b, op->getLoc(), cmp, lhs, rhs));
    op->erase();
  }
}

/// C's <, <=, >, >=, == are false on NaN (the ordered predicates) and != is
/// true (une): no need for the NaN tests that arith-to-emitc adds.
void vibee::rewriteFloatComparisons(func::FuncOp func) {
  SmallVector<arith::CmpFOp> cmps;
  func.walk([&](arith::CmpFOp op) { cmps.push_back(op); });
  for (arith::CmpFOp op : cmps) {
    std::optional<emitc::CmpPredicate> pred;
    bool negate = false;
    switch (op.getPredicate()) {
    case arith::CmpFPredicate::OGT:
      pred = emitc::CmpPredicate::gt;
      break;
    case arith::CmpFPredicate::OGE:
      pred = emitc::CmpPredicate::ge;
      break;
    case arith::CmpFPredicate::OLT:
      pred = emitc::CmpPredicate::lt;
      break;
    case arith::CmpFPredicate::OLE:
      pred = emitc::CmpPredicate::le;
      break;
    case arith::CmpFPredicate::OEQ:
      pred = emitc::CmpPredicate::eq;
      break;
    case arith::CmpFPredicate::UNE:
      pred = emitc::CmpPredicate::ne;
      break;
    // Unordered or <, ... as the negated ordered comparison: one C comparison,
    // where convert-to-emitc writes `(a != a || b != b) || a >= b`, whose
    // short-circuit keeps a C++ compiler from vectorizing the loop (clamps in
    // the polynomial exp).
    case arith::CmpFPredicate::UGE:
      pred = emitc::CmpPredicate::lt, negate = true;
      break;
    case arith::CmpFPredicate::UGT:
      pred = emitc::CmpPredicate::le, negate = true;
      break;
    case arith::CmpFPredicate::ULE:
      pred = emitc::CmpPredicate::gt, negate = true;
      break;
    case arith::CmpFPredicate::ULT:
      pred = emitc::CmpPredicate::ge, negate = true;
      break;
    default:
      break;
    }
    if (!pred)
      continue;
    OpBuilder cb(op);
    Value c =
        emitc::CmpOp::create(cb, op.getLoc(), cb.getI1Type(), *pred, op.getLhs(), op.getRhs());
    if (negate)
      c = emitc::LogicalNotOp::create(cb, op.getLoc(), cb.getI1Type(), c);
    op.getResult().replaceAllUsesWith(c);
    op.erase();
  }
}

/// Bool logic as && / || / != (C's & on comparisons draws -Wparentheses).
void vibee::rewriteBoolLogic(func::FuncOp func) {
  SmallVector<Operation *> logic;
  func.walk([&](Operation *op) {
    if (isa<arith::AndIOp, arith::OrIOp, arith::XOrIOp>(op) &&
        op->getResult(0).getType().isInteger(1))
      logic.push_back(op);
  });
  for (Operation *op : logic) {
    OpBuilder lb(op);
    Value l = op->getOperand(0), r = op->getOperand(1), v;
    if (isa<arith::AndIOp>(op))
      v = emitc::LogicalAndOp::create(lb, op->getLoc(), lb.getI1Type(), l, r);
    else if (isa<arith::OrIOp>(op))
      v = emitc::LogicalOrOp::create(lb, op->getLoc(), lb.getI1Type(), l, r);
    else
      v = emitc::CmpOp::create(lb, op->getLoc(), lb.getI1Type(), emitc::CmpPredicate::ne, l, r);
    op->getResult(0).replaceAllUsesWith(v);
    op->erase();
  }
}

void vibee::rewriteSignedNoWrapArithmetic(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) {
    if (isSignedNoWrap(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type type = op->getResult(0).getType();
    Value lhs = op->getOperand(0), rhs = op->getOperand(1), v;
    if (isa<arith::AddIOp>(op))
      v = emitc::AddOp::create(b, loc, type, lhs, rhs);
    else if (isa<arith::SubIOp>(op))
      v = emitc::SubOp::create(b, loc, type, lhs, rhs);
    else
      v = emitc::MulOp::create(b, loc, type, lhs, rhs);
    op->getResult(0).replaceAllUsesWith(v);
    op->erase();
  }
}
