//===- ForwardInOutCopies.cpp - write inout results in place --------------===//
//
// lower-to-linalg writes the final value of an inout parameter with a
// materialize_in_destination without `restrict` (the parameter's read view
// aliases the buffer), which bufferizes to "compute into a temporary, then
// memref.copy it over the parameter". For an optimizer step at memory
// bandwidth that copy is a third of the traffic. This pass, after
// bufferization, forwards such copies:
//
//   %t = memref.alloc             // only written by W
//   W: linalg op writing %t       // reads %p at most element-wise
//   ...                           // reads %t, does not touch %p
//   memref.copy %t, %p
//
// becomes W writing %p directly: safe when W is all-parallel and reads %p only
// through the same indexing map as it writes %t (each element is read before
// it is overwritten, by the same iteration), nothing between W and the copy
// reads or writes %p, and %t has no use after the copy.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_FORWARDINOUTCOPIESPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// Whether `op` or anything nested in it has `value` as an operand.
static bool usesValue(Operation *op, Value value) {
  bool found = false;
  op->walk([&](Operation *nested) {
    if (llvm::is_contained(nested->getOperands(), value))
      found = true;
  });
  return found;
}

static LogicalResult forwardCopy(memref::CopyOp copy, RewriterBase &rewriter) {
  Value temp = copy.getSource(), dest = copy.getTarget();
  auto alloc = temp.getDefiningOp<memref::AllocOp>();
  Block *block = copy->getBlock();
  if (!alloc || alloc->getBlock() != block || temp.getType() != dest.getType())
    return failure();
  // The destination must exist before the temporary does.
  if (auto def = dest.getDefiningOp()) {
    if (def->getBlock() != block || !def->isBeforeInBlock(alloc))
      return failure();
  } else if (cast<BlockArgument>(dest).getOwner() != block) {
    return failure();
  }

  // The first user of %t writes it: a linalg op that has it as an init.
  linalg::LinalgOp writer;
  for (Operation *op = alloc->getNextNode(); op && op != copy; op = op->getNextNode()) {
    if (!usesValue(op, temp))
      continue;
    writer = dyn_cast<linalg::LinalgOp>(op);
    break;
  }
  if (!writer || writer.getNumLoops() != writer.getNumParallelLoops())
    return failure();
  OpOperand *init = nullptr;
  for (OpOperand &operand : writer->getOpOperands()) {
    if (operand.get() == temp) {
      if (init || !writer.isDpsInit(&operand))
        return failure();
      init = &operand;
    }
  }
  if (!init)
    return failure();
  AffineMap writeMap = writer.getMatchingIndexingMap(init);
  if (!writeMap.isPermutation())
    return failure();
  for (OpOperand &operand : writer->getOpOperands()) {
    if (operand.get() != dest)
      continue;
    if (writer.isDpsInit(&operand) || writer.getMatchingIndexingMap(&operand) != writeMap)
      return failure();
  }
  // Nothing between the writer and the copy touches %p, nothing after the
  // copy reads %t (deallocations are added later).
  for (Operation *op = writer->getNextNode(); op != copy; op = op->getNextNode())
    if (usesValue(op, dest))
      return failure();
  for (Operation *user : temp.getUsers())
    if (user != copy && block->findAncestorOpInBlock(*user) &&
        copy->isBeforeInBlock(block->findAncestorOpInBlock(*user)))
      return failure();

  rewriter.replaceUsesWithIf(temp, dest, [&](OpOperand &use) { return use.getOwner() != copy; });
  rewriter.eraseOp(copy);
  rewriter.eraseOp(alloc);
  return success();
}

struct ForwardInOutCopiesPass : vibee::impl::ForwardInOutCopiesPassBase<ForwardInOutCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies)
      (void)forwardCopy(copy, rewriter);
  }
};

} // namespace
