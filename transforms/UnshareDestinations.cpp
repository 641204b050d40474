//===- UnshareDestinations.cpp - one destination tensor per op ------------===//
//
// CSE merges the tensor.empty (and the linalg.fill of a reduction's identity)
// of every statement of one shape into one value, which all of them then take
// as their destination. Two consequences before bufferization:
//  - empty-tensor elimination and one-shot bufferization analyze the uses of
//    one buffer pairwise, so a kernel of N statements cost O(N^2) or worse
//    (docs/performance.md);
//  - two reductions into two results that start from one shared fill were
//    bufferized into one buffer, the second overwriting the first (argmin and
//    argmax of one row gave lo = hi).
// Each destination gets its own tensor.empty (and fill) again, as MLIRGen made
// it; bufferization gives each statement its own buffer either way.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace vibee {
#define GEN_PASS_DEF_UNSHAREDESTINATIONSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// A tensor.empty, or a linalg.fill of one.
static bool isFresh(Operation *def) {
  if (isa<tensor::EmptyOp>(def))
    return true;
  auto fill = dyn_cast<linalg::FillOp>(def);
  return fill && fill.hasPureTensorSemantics() &&
         fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
}

struct UnshareDestinationsPass : vibee::impl::UnshareDestinationsPassBase<UnshareDestinationsPass> {
  void runOnOperation() override {
    SmallVector<OpOperand *> shared;
    getOperation()->walk([&](DestinationStyleOpInterface op) {
      for (OpOperand &init : op.getDpsInitsMutable()) {
        Operation *def = init.get().getDefiningOp();
        if (def && !init.get().hasOneUse() && isFresh(def))
          shared.push_back(&init);
      }
    });
    OpBuilder builder(&getContext());
    for (OpOperand *init : shared) {
      if (init->get().hasOneUse()) // the last use keeps the original
        continue;
      Operation *def = init->get().getDefiningOp();
      builder.setInsertionPoint(def);
      IRMapping mapping;
      if (auto fill = dyn_cast<linalg::FillOp>(def))
        builder.clone(*fill.getOutputs()[0].getDefiningOp(), mapping);
      Operation *copy = builder.clone(*def, mapping);
      init->set(copy->getResult(cast<OpResult>(init->get()).getResultNumber()));
    }
  }
};
} // namespace
