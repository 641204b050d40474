//===- CpuMicroKernelLowering.cpp - the f32 micro-kernel's vector lowering -===//
//
// See CpuMicroKernelLowering.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuMicroKernelLowering.h"

#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

namespace {

/// One row of width `w` (NR, or a vector(w) hint that divides it) per contraction /
/// transfer: the accumulator tile becomes separate 1-D vectors (registers) rather
/// than one 2-D aggregate.
std::optional<SmallVector<int64_t>> nativeShape(Operation *op, int64_t w) {
  if (auto contract = dyn_cast<vector::ContractionOp>(op))
    return SmallVector<int64_t>{1, w, 1};
  if (auto xfer = dyn_cast<VectorTransferOpInterface>(op)) {
    ArrayRef<int64_t> shape = xfer.getVectorType().getShape();
    if (shape.size() == 2)
      return SmallVector<int64_t>{1, shape[1] % w == 0 ? w : shape[1]};
  }
  return std::nullopt;
}

/// The micro-kernel's k loop reads and writes each accumulator row of C at
/// loop-invariant indices, and nothing else in it touches C: the rows become
/// loop-carried values (registers), read before and written after the loop.
/// (linalg::hoistRedundantVectorTransfers refuses: C has other uses in the
/// function, e.g. its memref.dim, that dominate the loop.)
LogicalResult hoistAccumulators(RewriterBase &rw, scf::ForOp loop) {
  SmallVector<vector::TransferReadOp> reads;
  SmallVector<vector::TransferWriteOp> writes;
  Value c;
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto w = dyn_cast<vector::TransferWriteOp>(op)) {
      if (c && w.getBase() != c)
        return success(); // not the shape we built: leave it
      c = w.getBase();
      writes.push_back(w);
    }
  if (!c)
    return success();
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto r = dyn_cast<vector::TransferReadOp>(op); r && r.getBase() == c)
      reads.push_back(r);
  if (reads.size() != writes.size())
    return success();
  SmallVector<vector::TransferWriteOp> paired;
  for (vector::TransferReadOp r : reads) {
    auto it = llvm::find_if(writes, [&](vector::TransferWriteOp w) {
      return llvm::equal(w.getIndices(), r.getIndices()) &&
             w.getVectorType() == r.getVectorType() &&
             w.getPermutationMap() == r.getPermutationMap();
    });
    if (it == writes.end() || r.getMask() || it->getMask() ||
        !llvm::all_of(r->getOperands(), [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      return success();
    paired.push_back(*it);
  }
  // Loop-carried as 1-D vectors (one register row each, not an LLVM aggregate).
  SmallVector<Value> inits;
  for (vector::TransferReadOp r : reads) {
    r->moveBefore(loop);
    rw.setInsertionPointAfter(r);
    VectorType type = r.getVectorType();
    auto flat = VectorType::get({type.getNumElements()}, type.getElementType());
    inits.push_back(vector::ShapeCastOp::create(rw, r.getLoc(), flat, r.getResult()));
  }
  FailureOr<LoopLikeOpInterface> replaced =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(rw, inits, /*replaceInitOperandUsesInLoop=*/false,
                                       [&](OpBuilder &b, Location l, ArrayRef<BlockArgument>) {
                                         SmallVector<Value> yielded;
                                         for (auto [w, init] : llvm::zip(paired, inits))
                                           yielded.push_back(vector::ShapeCastOp::create(
                                               b, l, init.getType(), w.getVector()));
                                         return yielded;
                                       });
  if (failed(replaced))
    return failure();
  auto result = cast<scf::ForOp>(replaced->getOperation());
  unsigned first = result.getNumResults() - paired.size();
  Block *body = result.getBody();
  rw.setInsertionPointToStart(body);
  for (auto [i, r] : llvm::enumerate(reads)) {
    Value row = vector::ShapeCastOp::create(rw, r.getLoc(), r.getVectorType(),
                                            result.getRegionIterArgs()[first + i]);
    rw.replaceUsesWithIf(r.getResult(), row,
                         [&](OpOperand &use) { return result->isProperAncestor(use.getOwner()); });
  }
  for (auto [i, w] : llvm::enumerate(paired)) {
    w->moveAfter(result);
    rw.setInsertionPoint(w);
    Value full =
        vector::ShapeCastOp::create(rw, w.getLoc(), w.getVectorType(), result.getResult(first + i));
    rw.modifyOpInPlace(w, [&] { w.getValueToStoreMutable().assign(full); });
  }
  return success();
}

} // namespace

LogicalResult vibee::lowerMicroKernels(func::FuncOp func, int64_t width, int steps) {
  MLIRContext *ctx = func.getContext();
  if (steps >= 1) {
    // mul + multi_reduction over broadcast reads -> vector.contract.
    RewritePatternSet contract(ctx);
    vector::populateVectorReductionToContractPatterns(contract);
    vector::populateVectorTransferPermutationMapLoweringPatterns(contract);
    if (failed(applyPatternsGreedily(func, std::move(contract))))
      return failure();
  }
  if (steps >= 2) {
    RewritePatternSet patterns(ctx);
    vector::populateVectorUnrollPatterns(
        patterns, vector::UnrollVectorOptions().setNativeShapeFn(
                      [width](Operation *op) { return nativeShape(op, width); }));
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    // Transfers index the function's memrefs directly (no subviews): hoisting
    // refuses view-like sources.
    memref::populateFoldMemRefAliasOpPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return failure();
  }
  if (steps < 3)
    return success();
  // Accumulators into registers across the k loop.
  IRRewriter cseRewriter(ctx);
  DominanceInfo dom;
  eliminateCommonSubExpressions(cseRewriter, dom, func);
  func.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
  SmallVector<scf::ForOp> kLoops;
  func.walk([&](scf::ForOp loop) {
    if (!loop.getBody()->getOps<vector::ContractionOp>().empty())
      kLoops.push_back(loop);
  });
  IRRewriter rw(ctx);
  for (scf::ForOp loop : kLoops)
    if (failed(hoistAccumulators(rw, loop)))
      return failure();
  if (steps >= 4) {
    RewritePatternSet patterns(ctx);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorContractLoweringPatterns(patterns,
                                                   vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(patterns,
                                                    vector::VectorTransposeLowering::EltWise);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return failure();
  }
  if (steps >= 5) {
    RewritePatternSet patterns(ctx);
    vector::populateScalarVectorTransferLoweringPatterns(patterns, 1, true);
    vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return failure();
  }
  return success();
}

