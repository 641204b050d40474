//===- GpuAtomicScatters.cpp - vibee-gpu-atomic-scatters: atomic sums ------===//
//
// A scatter-add of i32 or i64 (a histogram, counts per bucket) gives the same
// bits in any order, since integer addition wraps associatively. vibee-lower-scatters
// leaves those to the GPU (keep-integer-sums), and after bufferization each
// becomes one scf.parallel over its points, each point one atomic add
// (memref.atomic_rmw addi) into the destination: no point reads another's
// position. The ordered lowering, which float sums keep, has each range of
// destination rows read every point's position (docs/gpu.md, "Scatter-adds").
// With vibeec --gpu-float-atomics, f32/f64 scatter-adds come here too (addf: the
// order of the adds, so the rounding, then varies from run to run).
// A gathered position outside its axis adds nothing; vibee.gather_index reports
// it to the device flag (vibee-gpu-gather-checks) and keeps the address inside.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_GPUATOMICSCATTERSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

// Point `p`'s update into the destination: its position (the loops of directly
// indexed axes, the gathered indices of the others), one atomic add when every
// gathered index is inside its axis.
void addPointAtomically(OpBuilder &b, Location loc, ScatterAddOp op, ValueRange p) {
  Value dest = op.getDest();
  Value update = memref::LoadOp::create(b, loc, op.getUpdates(), p);
  SmallVector<Value> position;
  Value inside;
  unsigned next = 0;
  for (auto [axis, loop] : llvm::enumerate(op.getAxes())) {
    if (loop >= 0) {
      position.push_back(p[loop]);
      continue;
    }
    SmallVector<Value> at;
    for (AffineExpr e : op.getIndexMap(next).getResults())
      at.push_back(p[cast<AffineDimExpr>(e).getPosition()]);
    Value raw = memref::LoadOp::create(b, loc, op.getIndices()[next++], at);
    Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
    Value size = memref::DimOp::create(b, loc, dest, axis);
    // Unsigned: a negative position is a huge one.
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, size);
    inside = inside ? arith::AndIOp::create(b, loc, inside, ok).getResult() : ok;
    position.push_back(GatherIndexOp::create(b, loc, b.getIndexType(), index, size));
  }
  auto add = [&](OpBuilder &ib, Location il) {
    auto kind = isa<FloatType>(update.getType()) ? arith::AtomicRMWKind::addf
                                                 : arith::AtomicRMWKind::addi;
    memref::AtomicRMWOp::create(ib, il, kind, update, dest, position);
  };
  if (!inside) {
    add(b, loc);
    return;
  }
  scf::IfOp::create(b, loc, inside, [&](OpBuilder &ib, Location il) {
    add(ib, il);
    scf::YieldOp::create(ib, il);
  });
}

void lowerAtomically(RewriterBase &rewriter, ScatterAddOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto updates = cast<MemRefType>(op.getUpdates().getType());
  SmallVector<Value> lbs(updates.getRank(), zero), ubs, steps(updates.getRank(), one);
  for (int64_t l = 0; l < updates.getRank(); ++l)
    ubs.push_back(memref::DimOp::create(rewriter, loc, op.getUpdates(), l));
  // An empty gathered axis takes no update, as in the ordered lowering: no point
  // runs (nor reports its index).
  for (auto [axis, loop] : llvm::enumerate(op.getAxes()))
    if (loop < 0) {
      Value size = memref::DimOp::create(rewriter, loc, op.getDest(), axis);
      Value empty = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, size, zero);
      ubs[0] = arith::SelectOp::create(rewriter, loc, empty, zero, ubs[0]);
    }
  scf::ParallelOp::create(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location l, ValueRange p) { addPointAtomically(b, l, op, p); });
  rewriter.eraseOp(op);
}

struct GpuAtomicScattersPass : vibee::impl::GpuAtomicScattersPassBase<GpuAtomicScattersPass> {
  void runOnOperation() override {
    SmallVector<ScatterAddOp> ops;
    getOperation()->walk([&](ScatterAddOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScatterAddOp op : ops) {
      if (!isa<MemRefType>(op.getDest().getType())) {
        op.emitOpError("reached the GPU's atomic lowering before bufferization");
        return signalPassFailure();
      }
      lowerAtomically(rewriter, op);
    }
  }
};

} // namespace
