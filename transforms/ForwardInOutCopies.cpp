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
// A read-modify-write of the whole parameter (a scatter-add's loops, which add
// into their destination) bufferizes to a copy pair instead:
//
//   %t = memref.alloc
//   memref.copy %p, %t            // the first use of %t
//   ...                           // reads and writes %t, does not touch %p
//   memref.copy %t, %p
//
// which is %p updated in place when nothing between the copies uses %p, %p has
// no view (a use before the pair that yields a memref could alias it) and %t no
// use after the pair.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// Whether `v` is `base` carried unchanged through scf.for loops (their iter_args
/// yielded back, possibly through inner loops).
static bool carries(Value v, Value base) {
  if (v == base)
    return true;
  auto res = dyn_cast<OpResult>(v);
  auto loop = res ? dyn_cast<scf::ForOp>(res.getOwner()) : scf::ForOp();
  if (!loop)
    return false;
  unsigned i = res.getResultNumber();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  return carries(loop.getInitArgs()[i], base) &&
         carries(yield.getOperand(i), loop.getRegionIterArgs()[i]);
}

/// The allocation `v` carries through loops, if any.
static memref::AllocOp carriedAlloc(Value v) {
  while (auto res = dyn_cast<OpResult>(v)) {
    auto loop = dyn_cast<scf::ForOp>(res.getOwner());
    if (!loop)
      break;
    v = loop.getInitArgs()[res.getResultNumber()];
  }
  return v.getDefiningOp<memref::AllocOp>();
}

static LogicalResult forwardCopyPair(memref::CopyOp back, RewriterBase &rewriter,
                                     DenseSet<Operation *> &erased) {
  Value carried = back.getSource(), dest = back.getTarget();
  auto alloc = carriedAlloc(carried);
  if (!alloc || !carries(carried, alloc.getResult()))
    return failure();
  Value temp = alloc.getResult();
  Block *block = back->getBlock();
  if (!alloc || alloc->getBlock() != block || temp.getType() != dest.getType())
    return failure();
  memref::CopyOp in;
  for (Operation *op = alloc->getNextNode(); op && op != back; op = op->getNextNode()) {
    if (!usesValue(op, temp))
      continue;
    in = dyn_cast<memref::CopyOp>(op);
    break;
  }
  if (!in || in.getSource() != dest || in.getTarget() != temp)
    return failure();
  for (Operation *op = in->getNextNode(); op != back; op = op->getNextNode())
    if (usesValue(op, dest))
      return failure();
  for (Operation *user : dest.getUsers()) {
    if (user == in || user == back)
      continue;
    Operation *top = block->findAncestorOpInBlock(*user);
    if (!top || !top->isBeforeInBlock(in) ||
        llvm::any_of(user->getResultTypes(), [](Type t) { return isa<BaseMemRefType>(t); }))
      return failure();
  }
  for (Value v : {temp, carried})
    for (Operation *user : v.getUsers()) {
      Operation *top = block->findAncestorOpInBlock(*user);
      if (user != back && (!top || back->isBeforeInBlock(top)))
        return failure();
    }
  rewriter.replaceUsesWithIf(temp, dest, [&](OpOperand &use) { return use.getOwner() != in; });
  erased.insert(in);
  rewriter.eraseOp(back);
  rewriter.eraseOp(in);
  rewriter.eraseOp(alloc);
  return success();
}

struct ForwardInOutCopiesPass : vibee::impl::ForwardInOutCopiesPassBase<ForwardInOutCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    IRRewriter rewriter(&getContext());
    DenseSet<Operation *> erased; // the first copies of forwarded pairs
    for (memref::CopyOp copy : copies)
      if (!erased.contains(copy) && failed(forwardCopy(copy, rewriter)))
        (void)forwardCopyPair(copy, rewriter, erased);
  }
};

} // namespace
