//===- CpuPrepareVectorization.cpp - make kernel loops vectorizable -------===//
//
// On bufferized linalg, before it becomes loops, removes the three things
// that keep statement loops scalar on a CPU:
//  - math functions (exp, log, tanh, erf, ...) that would be libm calls
//    become polynomial approximations in plain arith, which vectorize (not sin
//    and cos: isApproximated says why);
//  - the combiner of a float reduction gets `reassoc`, so the reduction may
//    be computed with vector partial sums (the reference check tolerates it:
//    reassociation is what a vectorized reduction does anyway);
//  - kernel memref arguments get `llvm.noalias` (the C ABI, docs/abi.md,
//    already requires distinct tensors not to overlap; to_tensor `restrict`
//    relies on it), so reduction accumulators stay in registers and no
//    runtime alias checks are needed.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"
#include "ir/VibeeDialect.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace vibee {
#define GEN_PASS_DEF_CPUPREPAREVECTORIZATIONPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

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

/// Adds `reassoc` to the ops that combine a reduction generic's accumulator.
static void markReassociable(linalg::GenericOp op) {
  if (op.getNumReductionLoops() == 0)
    return;
  SmallVector<BlockArgument> accumulators(op.getRegionOutputArgs());
  for (unsigned i = 0; i < accumulators.size(); ++i) {
    SmallVector<Operation *> combiners;
    if (!matchReduction(accumulators, i, combiners))
      continue;
    for (Operation *combiner : combiners)
      if (auto fm = dyn_cast<arith::ArithFastMathInterface>(combiner)) {
        auto flags = fm.getFastMathFlagsAttr();
        auto merged =
            (flags ? flags.getValue() : arith::FastMathFlags::none) | arith::FastMathFlags::reassoc;
        combiner->setAttr(fm.getFastMathAttrName(),
                          arith::FastMathFlagsAttr::get(op.getContext(), merged));
      }
  }
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

struct CpuPrepareVectorizationPass
    : vibee::impl::CpuPrepareVectorizationPassBase<CpuPrepareVectorizationPass> {
  using CpuPrepareVectorizationPassBase::CpuPrepareVectorizationPassBase;

  void runOnOperation() override {
    Operation *root = getOperation();
    if (approximateMath) {
      RewritePatternSet patterns(&getContext());
      populateMathF32ExpansionPatterns(patterns, isApproximated);
      populateMathPolynomialApproximationPatterns(patterns, isApproximated);
      if (failed(applyPatternsGreedily(root, std::move(patterns))))
        return signalPassFailure();
    }
    if (interchange) {
      IRRewriter rewriter(&getContext());
      SmallVector<linalg::GenericOp> generics;
      root->walk([&](linalg::GenericOp op) { generics.push_back(op); });
      for (linalg::GenericOp op : generics)
        interchangeReductionOutward(rewriter, op);
    }
    if (reassociateReductions)
      root->walk([](linalg::GenericOp op) { markReassociable(op); });
    if (noalias) {
      root->walk([&](func::FuncOp func) {
        if (!func->hasAttr(vibee::attr::kKernel) || func.isExternal())
          return;
        for (unsigned i = 0; i < func.getNumArguments(); ++i)
          if (isa<MemRefType>(func.getArgument(i).getType()))
            func.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                            UnitAttr::get(&getContext()));
      });
    }
  }
};

} // namespace
