//===- SplitSharedSubexpressions.cpp - no value printed twice in C++ -----===//
//
// An emitc.expression is printed as one C expression, each operation at its one
// use; a value with two uses inside it is printed, and computed, twice (see
// Passes.td). Walking each body in order, the first operation with more than one
// use has a backward slice that is a tree (an earlier shared value would have
// come first): that slice moves into an expression of its own, placed before the
// user and read through a new operand, and the walk repeats until no body shares
// a value.
//
//===----------------------------------------------------------------------===//
#include "conversion/LoopsToEmitC/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace vibee {
#define GEN_PASS_DEF_SPLITSHAREDSUBEXPRESSIONSPASS
#include "conversion/LoopsToEmitC/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// The first operation of `body` whose result is used more than once, other
/// than constants and literals (free to print twice); null if none.
Operation *firstSharedValue(Block &body) {
  for (Operation &op : body.without_terminator())
    if (op.getNumOperands() > 0 && op.getNumResults() == 1 && !op.getResult(0).hasOneUse() &&
        !op.getResult(0).use_empty())
      return &op;
  return nullptr;
}

/// Moves `shared` and the operations of its body only it uses into a new
/// expression before `expr`, whose result `expr` reads as a new operand.
void splitOut(emitc::ExpressionOp expr, Operation *shared) {
  Block &body = expr.getRegion().front();
  llvm::SetVector<Operation *> slice;
  SmallVector<Operation *> work = {shared};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!slice.insert(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp(); def && def->getBlock() == &body)
        work.push_back(def);
  }
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });

  // The new expression reads what the slice reads from outside it.
  llvm::SetVector<Value> outer;
  for (Operation *op : ordered)
    for (Value operand : op->getOperands())
      if (auto arg = dyn_cast<BlockArgument>(operand); arg && arg.getOwner() == &body)
        outer.insert(expr.getOperand(arg.getArgNumber()));
  OpBuilder b(expr);
  auto part = emitc::ExpressionOp::create(b, shared->getLoc(), shared->getResult(0).getType(),
                                          outer.getArrayRef(), /*do_not_inline=*/nullptr);
  Block &partBody = part.createBody();
  IRMapping map;
  for (auto [value, arg] : llvm::zip(outer, partBody.getArguments()))
    map.map(value, arg);
  for (BlockArgument arg : body.getArguments())
    if (map.contains(expr.getOperand(arg.getArgNumber())))
      map.map(arg, map.lookup(expr.getOperand(arg.getArgNumber())));
  b.setInsertionPointToEnd(&partBody);
  for (Operation *op : ordered)
    b.clone(*op, map);
  emitc::YieldOp::create(b, shared->getLoc(), map.lookup(shared->getResult(0)));

  // The user reads the new expression's value; the slice leaves its body
  // (constants it shares with the rest stay).
  expr->insertOperands(expr->getNumOperands(), part.getResult());
  BlockArgument read = body.addArgument(part.getType(), shared->getLoc());
  shared->getResult(0).replaceAllUsesWith(read);
  for (Operation *op : llvm::reverse(ordered))
    if (op->use_empty())
      op->erase();
}

struct SplitSharedSubexpressionsPass
    : vibee::impl::SplitSharedSubexpressionsPassBase<SplitSharedSubexpressionsPass> {
  void runOnOperation() override {
    SmallVector<emitc::ExpressionOp> expressions;
    getOperation()->walk([&](emitc::ExpressionOp e) { expressions.push_back(e); });
    for (emitc::ExpressionOp expr : expressions)
      while (Operation *shared = firstSharedValue(expr.getRegion().front()))
        splitOut(expr, shared);
  }
};

} // namespace
