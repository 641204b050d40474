//===- LowerGatherIndices.cpp - vibee.gather_index to a clamp ------------===//
//
// The gathered positions of targets that check their indices elsewhere or not at
// all: kept inside the axis, so that a call with a bad index reads and writes
// nothing outside a tensor (docs/language.md, "Gathers").
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace vibee {
#define GEN_PASS_DEF_LOWERGATHERINDICESPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

struct LowerGatherIndicesPass : vibee::impl::LowerGatherIndicesPassBase<LowerGatherIndicesPass> {
  void runOnOperation() override {
    SmallVector<GatherIndexOp> ops;
    getOperation()->walk([&](GatherIndexOp op) { ops.push_back(op); });
    for (GatherIndexOp op : ops) {
      OpBuilder b(op);
      op.replaceAllUsesWith(op.buildClamped(b));
      op.erase();
    }
  }
};

} // namespace
