//===- DecomposeAggregates.cpp - aggregated linalg ops to generics --------===//
//
// linalg.softmax (and any other AggregatedOpInterface op) has no loop lowering
// of its own; decomposing it into fill/generic ops lets the rest of the CPU
// pipeline (bufferization, convert-linalg-to-loops) handle it like any statement.
// A linalg.contract becomes the generic it defines (cast, multiply, add) on
// targets without a contraction rewrite of their own.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_DECOMPOSEAGGREGATESPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct DecomposeAggregatesPass : vibee::impl::DecomposeAggregatesPassBase<DecomposeAggregatesPass> {
  using DecomposeAggregatesPassBase::DecomposeAggregatesPassBase;

  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> aggregates;
    getOperation()->walk([&](linalg::AggregatedOpInterface op) {
      if (!(keepAttention && isa<vibee::AttentionOp>(op)))
        aggregates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : aggregates) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> replacements = op.decomposeOperation(rewriter);
      if (failed(replacements)) {
        op->emitOpError("could not be decomposed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *replacements);
    }
    if (keepContractions)
      return;
    SmallVector<linalg::ContractOp> contractions;
    getOperation()->walk([&](linalg::ContractOp op) { contractions.push_back(op); });
    for (linalg::ContractOp op : contractions) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rewriter, op))) {
        op->emitOpError("could not be generalized");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
