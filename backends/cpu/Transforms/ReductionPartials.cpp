//===- ReductionPartials.cpp - vector partial sums carried by a loop ------===//
//
// See ReductionPartials.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/ReductionPartials.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Utils/VectorUtils.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

namespace vibee {

/// In a loop over reduction tiles: acc = read C; r = multi_reduction(v, acc);
/// write r, C (C at loop-invariant indices) -> vector partials carried by the
/// loop, combined elementwise, and one multi_reduction into C after it.
void carryPartials(RewriterBase &rw, scf::ForOp loop) {
  // The accumulator's subview is loop-invariant: out of the loop first.
  (void)moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  SmallVector<vector::MultiDimReductionOp> reductions(
      loop.getBody()->getOps<vector::MultiDimReductionOp>());
  for (vector::MultiDimReductionOp red : reductions) {
    // acc = [extract] read C; r = multi_reduction(v, acc); write [broadcast] r, C.
    Value acc = red.getAcc();
    auto extract = acc.getDefiningOp<vector::ExtractOp>();
    if (extract)
      acc = extract.getSource();
    auto read = acc.getDefiningOp<vector::TransferReadOp>();
    if (!read || read->getBlock() != loop.getBody() || !red->hasOneUse() ||
        (extract && !extract->hasOneUse()) || !read->hasOneUse())
      continue;
    Operation *user = *red->getUsers().begin();
    auto broadcast = dyn_cast<vector::BroadcastOp>(user);
    if (broadcast) {
      if (!broadcast->hasOneUse())
        continue;
      user = *broadcast->getUsers().begin();
    }
    auto write = dyn_cast<vector::TransferWriteOp>(user);
    if (!write || write->getBlock() != loop.getBody() || write.getBase() != read.getBase() ||
        !llvm::equal(write.getIndices(), read.getIndices()) || read.getMask() || write.getMask() ||
        !llvm::all_of(read->getOperands(), [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      continue;
    // Nothing else in the loop may touch the accumulator's memref.
    bool alone = true;
    loop.getBody()->walk([&](Operation *op) {
      if (op != read && op != write && llvm::is_contained(op->getOperands(), read.getBase()))
        alone = false;
    });
    if (!alone)
      continue;
    Location loc = red.getLoc();
    vector::CombiningKind kind = red.getKind();
    auto partialType = cast<VectorType>(red.getSource().getType());
    // Before the loop: the accumulator, and the partials' start: the identity
    // of `kind` (add, xor: 0; mul: 1), or the accumulator broadcast for the
    // idempotent kinds (min, max, and, or).
    read->moveBefore(loop);
    if (extract)
      extract->moveBefore(loop);
    rw.setInsertionPoint(loop);
    Value init;
    Type elem = partialType.getElementType();
    if (kind == vector::CombiningKind::ADD || kind == vector::CombiningKind::XOR ||
        kind == vector::CombiningKind::MUL) {
      TypedAttr value =
          kind == vector::CombiningKind::MUL ? rw.getOneAttr(elem) : rw.getZeroAttr(elem);
      init = arith::ConstantOp::create(rw, loc, DenseElementsAttr::get(partialType, value));
    } else {
      init = vector::BroadcastOp::create(rw, loc, partialType, red.getAcc());
    }
    FailureOr<LoopLikeOpInterface> replaced =
        cast<LoopLikeOpInterface>(loop.getOperation())
            .replaceWithAdditionalYields(
                rw, ValueRange{init}, /*replaceInitOperandUsesInLoop=*/false,
                [&](OpBuilder &b, Location l, ArrayRef<BlockArgument> args) {
                  b.setInsertionPoint(red);
                  Value combined = vector::makeArithReduction(b, l, kind, red.getSource(), args[0]);
                  return SmallVector<Value>{combined};
                });
    if (failed(replaced))
      continue;
    loop = cast<scf::ForOp>(replaced->getOperation());
    // After the loop: one reduction of the partials into the accumulator.
    red->moveAfter(loop);
    Operation *last = red;
    if (broadcast) {
      broadcast->moveAfter(last);
      last = broadcast;
    }
    write->moveAfter(last);
    Value partials = loop.getResults().back();
    rw.modifyOpInPlace(red, [&] { red.getSourceMutable().assign(partials); });
  }
}

} // namespace vibee
