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
#include "transforms/LoopPreparation.h"

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

struct CpuPrepareVectorizationPass
    : vibee::impl::CpuPrepareVectorizationPassBase<CpuPrepareVectorizationPass> {
  using CpuPrepareVectorizationPassBase::CpuPrepareVectorizationPassBase;

  void runOnOperation() override {
    Operation *root = getOperation();
    if (approximateMath && failed(vibee::approximateMathFunctions(root)))
      return signalPassFailure();
    if (interchange)
      vibee::interchangeReductionsOutward(root);
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
