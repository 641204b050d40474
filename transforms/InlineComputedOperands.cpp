//===- InlineComputedOperands.cpp - B operands computed in the matmul ----===//
//
// vibee-inline-computed-operands, on linalg tensors after the late
// decomposition of targets without a contraction rewrite of their own (the GPU,
// the C++ output): a contraction's B operand that an elementwise generic
// computes (the dequantizing prologue of a quantized weight,
// `(f32(w[n, k / 2] >> 4 * (k % 2) & 15) - zero[n, k / 128]) * scale[...]`,
// docs/architecture.md, "Contractions") goes into the contraction's payload
// instead of into a buffer of the weight's shape: the GPU's few-rows kernels
// then read the packed weights once, its tiled FMA kernel stages the computed
// values per block (backends/gpu/Transforms/GpuMatmulMatch.h, `computedB`), and
// the C++ output's loops unpack each weight where they multiply it.
//
// Taken: c[m, n] += x * y over loops (m, n, k), the operand read without m
// (the B side: the matmul kernels tile m), computed by an all-parallel generic
// that nothing else reads, in the accumulator's type (a bf16 operand stays a
// buffer: the tensor-core kernels read it).
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_INLINECOMPUTEDOPERANDSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// Loops (m, n, k), c[m, n] += x * y in floats.
bool isMatmulShaped(linalg::GenericOp op) {
  auto par = utils::IteratorType::parallel;
  if (op.getNumLoops() != 3 || op.getNumDpsInits() != 1 ||
      op.getIteratorTypesArray() !=
          SmallVector<utils::IteratorType>{par, par, utils::IteratorType::reduction})
    return false;
  MLIRContext *ctx = op.getContext();
  AffineMap c = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (c != AffineMap::get(3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx))
    return false;
  Block &body = op.getRegion().front();
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  BlockArgument acc = body.getArguments().back();
  if (!add || (add.getLhs() != acc && add.getRhs() != acc))
    return false;
  return (add.getLhs() == acc ? add.getRhs() : add.getLhs()).getDefiningOp<arith::MulFOp>() !=
         nullptr;
}

/// The input of `op` computed by a generic that may go into its payload.
OpOperand *computedOperand(linalg::GenericOp op) {
  Type acc = op.getRegionOutputArgs().front().getType();
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto producer = in->get().getDefiningOp<linalg::GenericOp>();
    if (producer && in->get().hasOneUse() && producer->getNumResults() == 1 &&
        producer.getNumLoops() == producer.getNumParallelLoops() &&
        getElementTypeOrSelf(in->get().getType()) == acc &&
        !op.getMatchingIndexingMap(in).isFunctionOfDim(0) &&
        linalg::areElementwiseOpsFusable(in))
      return in;
  }
  return nullptr;
}

struct InlineComputedOperandsPass
    : vibee::impl::InlineComputedOperandsPassBase<InlineComputedOperandsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> matmuls;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && isMatmulShaped(op))
        matmuls.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : matmuls) {
      OpOperand *in = computedOperand(op);
      if (!in)
        continue;
      auto producer = in->get().getDefiningOp<linalg::GenericOp>();
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::ElementwiseOpFusionResult> fused = linalg::fuseElementwiseOps(rewriter, in);
      if (failed(fused))
        continue;
      rewriter.replaceOp(op, fused->fusedOp->getResults().take_front(op->getNumResults()));
      rewriter.eraseOp(producer);
    }
  }
};

} // namespace
