//===- LoopPreparation.cpp - linalg rewrites that make host loops fast ----===//
#include "transforms/LoopPreparation.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {

/// The math functions replaced by polynomials. Not sin and cos: MLIR's
/// approximations reduce the argument by pi/2 in f32, which loses every digit for
/// large arguments (cos(8000) off by 1.5e-3: RoPE at long positions), so they stay
/// libm calls (correctly reduced, scalar).
static bool isApproximated(StringRef name) {
  return llvm::is_contained({math::AtanOp::getOperationName(), math::Atan2Op::getOperationName(),
                             math::TanhOp::getOperationName(), math::LogOp::getOperationName(),
                             math::Log2Op::getOperationName(), math::Log1pOp::getOperationName(),
                             math::ErfOp::getOperationName(), math::ErfcOp::getOperationName(),
                             math::ExpOp::getOperationName(), math::ExpM1Op::getOperationName(),
                             math::CbrtOp::getOperationName()},
                            name);
}

/// (p0 .. pk, r...) with the last parallel loop indexing the innermost output
/// dim -> (p0 .. pk-1, r..., pk) when the innermost reduction loop walks an
/// operand at a stride (it is not that operand's innermost dim): the innermost
/// loop then walks the output and the operands it shares with it at unit
/// stride (matmul: i-k-j order; a column sum db[n] = sum(t) dy[t, n]: t
/// outside, n inside) instead of reducing over a strided operand. A reduction
/// that reads every operand along its innermost dim (x[m, k] * w[n, k]: dot
/// products) keeps its order.
static void interchangeReductionOutward(RewriterBase &rewriter, linalg::GenericOp op) {
  unsigned numLoops = op.getNumLoops(), numParallel = op.getNumParallelLoops();
  if (numParallel < 1 || numParallel == numLoops || op.getNumDpsInits() != 1)
    return;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned i = 0; i < numLoops; ++i)
    if ((i < numParallel) != (iterators[i] == utils::IteratorType::parallel))
      return;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps.back();
  if (out.getNumResults() == 0 ||
      out.getResults().back() != getAffineDimExpr(numParallel - 1, op.getContext()))
    return;
  bool strided = false;
  for (AffineMap map : ArrayRef(maps).drop_back())
    for (AffineExpr e : map.getResults())
      strided |= e.isFunctionOfDim(numLoops - 1) && e != map.getResults().back();
  if (!strided)
    return;
  SmallVector<unsigned> perm;
  for (unsigned i = 0; i + 1 < numParallel; ++i)
    perm.push_back(i);
  for (unsigned i = numParallel; i < numLoops; ++i)
    perm.push_back(i);
  perm.push_back(numParallel - 1);
  rewriter.setInsertionPoint(op);
  (void)linalg::interchangeGenericOp(rewriter, op, perm);
}

} // namespace

LogicalResult vibee::approximateMathFunctions(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  populateMathF32ExpansionPatterns(patterns, isApproximated);
  populateMathPolynomialApproximationPatterns(patterns, isApproximated);
  return applyPatternsGreedily(root, std::move(patterns));
}

void vibee::interchangeReductionsOutward(Operation *root) {
  IRRewriter rewriter(root->getContext());
  SmallVector<linalg::GenericOp> generics;
  root->walk([&](linalg::GenericOp op) { generics.push_back(op); });
  for (linalg::GenericOp op : generics)
    interchangeReductionOutward(rewriter, op);
}
