//===- LowerScatters.cpp - vibee.scatter_add to ordered loops -------------===//
//
// A scatter-add (docs/language.md, "Scatter-add") adds in the order of its points,
// so two updates of one element always add the same way: deterministic on every
// target, no atomics. Updates at different positions of a directly indexed
// destination axis (d in `dt[ids[s], d] += dy[s, d]`) never meet, so those loops
// are the parallel ones: with parallel=true (the GPU) an scf.forall over them, each
// iteration updating its slice of the destination (all of the gathered axes) in
// order over the other loops; with parallel=false (the CPU and the C++ output) one
// loop nest in order over every loop. A gathered position outside its axis adds
// nothing (a select writes the old value back, at a position kept inside the axis
// by vibee.gather_index): the JIT checks the indices before a CPU call, CUDA kernels
// record them in a device flag, and a call that skipped the check still writes
// nothing outside the tensor.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_LOWERSCATTERSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

// One point: dest[q] += updates[p] when q is inside; `fixed` are the destination
// axes the slice `dest` has at size 1 (their position is 0 in it).
Value addPoint(OpBuilder &b, Location loc, ScatterAddOp op, ArrayRef<Value> p, Value dest,
               const llvm::SmallBitVector &fixed) {
  Value u = tensor::ExtractOp::create(b, loc, op.getUpdates(), p);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> q;
  Value inside;
  unsigned next = 0;
  for (auto [a, loop] : llvm::enumerate(op.getAxes())) {
    if (loop >= 0) {
      q.push_back(fixed.test(a) ? zero : p[loop]);
      continue;
    }
    AffineMap map = op.getIndexMap(next);
    SmallVector<Value> at;
    for (AffineExpr e : map.getResults())
      at.push_back(p[cast<AffineDimExpr>(e).getPosition()]);
    Value raw = tensor::ExtractOp::create(b, loc, op.getIndices()[next++], at);
    Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
    Value size = tensor::DimOp::create(b, loc, dest, a);
    // Unsigned: a negative position is a huge one.
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, size);
    inside = inside ? arith::AndIOp::create(b, loc, inside, ok).getResult() : ok;
    // Inside the tensor whatever the index; an index outside is reported where the
    // target can (vibee.gather_index) and adds nothing (the select below).
    q.push_back(GatherIndexOp::create(b, loc, b.getIndexType(), index, size));
  }
  Value old = tensor::ExtractOp::create(b, loc, dest, q);
  Value sum = isa<FloatType>(u.getType()) ? arith::AddFOp::create(b, loc, old, u).getResult()
                                          : arith::AddIOp::create(b, loc, old, u).getResult();
  Value v = inside ? arith::SelectOp::create(b, loc, inside, sum, old).getResult() : sum;
  return tensor::InsertOp::create(b, loc, v, dest, q);
}

// Loops `loops` (in order) over the points whose other coordinates are `given`,
// carrying `dest`.
Value addPoints(OpBuilder &b, Location loc, ScatterAddOp op, ArrayRef<int64_t> loops,
                DenseMap<int64_t, Value> given, Value dest, ArrayRef<Value> extents,
                const llvm::SmallBitVector &fixed) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> lbs(loops.size(), zero), ubs, steps(loops.size(), one);
  for (int64_t l : loops)
    ubs.push_back(extents[l]);
  int64_t rank = (int64_t)extents.size();
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{dest},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange carried) -> scf::ValueVector {
        SmallVector<Value> p(rank);
        for (auto [i, l] : llvm::enumerate(loops))
          p[l] = ivs[i];
        for (auto [l, v] : given)
          p[l] = v;
        return {addPoint(nb, nl, op, p, carried[0], fixed)};
      });
  return nest.results.front();
}

Value lowerScatter(OpBuilder &b, ScatterAddOp op, bool parallel) {
  Location loc = op.getLoc();
  auto updates = cast<RankedTensorType>(op.getUpdates().getType());
  auto destType = cast<RankedTensorType>(op.getDest().getType());
  int64_t rank = updates.getRank();
  SmallVector<Value> extents;
  for (int64_t l = 0; l < rank; ++l)
    extents.push_back(tensor::DimOp::create(b, loc, op.getUpdates(), l));
  // An empty gathered axis takes no update (and has no position to clamp to).
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [a, loop] : llvm::enumerate(op.getAxes()))
    if (loop < 0 && rank > 0) {
      Value size = tensor::DimOp::create(b, loc, op.getDest(), a);
      Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size, zero);
      extents[0] = arith::SelectOp::create(b, loc, empty, zero, extents[0]);
    }
  llvm::SmallBitVector direct(rank), none(destType.getRank());
  for (int64_t loop : op.getAxes())
    if (loop >= 0)
      direct.set(loop);
  SmallVector<int64_t> all, inner;
  for (int64_t l = 0; l < rank; ++l) {
    all.push_back(l);
    if (!direct.test(l))
      inner.push_back(l);
  }
  if (!parallel)
    return addPoints(b, loc, op, all, DenseMap<int64_t, Value>(), op.getDest(), extents, none);

  // The parallel loops: those that index the destination directly (or, when there
  // are none, one iteration: min(extent, 1), which canonicalization does not fold
  // away, so the GPU still runs it as a kernel).
  SmallVector<int64_t> outer;
  SmallVector<OpFoldResult> bounds;
  for (int64_t l = 0; l < rank; ++l)
    if (direct.test(l))
      outer.push_back(l), bounds.push_back(extents[l]);
  if (llvm::all_of(bounds, [](OpFoldResult r) { return isConstantIntValue(r, 1); })) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value first = outer.empty() ? extents[0] : extents[outer[0]];
    Value once = arith::MinUIOp::create(b, loc, first, one);
    if (outer.empty())
      bounds.push_back(once);
    else
      bounds[0] = once;
  }
  auto forall = scf::ForallOp::create(b, loc, bounds, ValueRange{op.getDest()}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  SmallVector<Value> ivs(forall.getInductionVars());
  DenseMap<int64_t, Value> given;
  for (auto [i, l] : llvm::enumerate(outer))
    given[l] = ivs[i];
  // The iteration's slice: each directly indexed axis at its loop's position (size
  // 1), the gathered ones whole.
  Value shared = forall.getRegionIterArgs()[0];
  SmallVector<OpFoldResult> offsets, sizes, strides(destType.getRank(), b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  llvm::SmallBitVector fixed(destType.getRank());
  for (auto [a, loop] : llvm::enumerate(op.getAxes())) {
    bool isFixed = loop >= 0 && !outer.empty();
    fixed[a] = isFixed;
    offsets.push_back(isFixed ? OpFoldResult(given[loop]) : b.getIndexAttr(0));
    sizes.push_back(isFixed ? b.getIndexAttr(1) : tensor::getMixedSize(b, loc, shared, a));
    shape.push_back(isFixed ? 1 : destType.getDimSize(a));
  }
  auto sliceType = RankedTensorType::get(shape, destType.getElementType());
  Value slice = tensor::ExtractSliceOp::create(b, loc, sliceType, shared, offsets, sizes, strides);
  Value updated =
      outer.empty() ? addPoints(b, loc, op, all, DenseMap<int64_t, Value>(), slice, extents, fixed)
                    : addPoints(b, loc, op, inner, given, slice, extents, fixed);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, updated, shared, offsets, sizes, strides);
  return forall.getResult(0);
}

struct LowerScattersPass : vibee::impl::LowerScattersPassBase<LowerScattersPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ScatterAddOp> ops;
    getOperation()->walk([&](ScatterAddOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScatterAddOp op : ops) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, lowerScatter(rewriter, op, parallel));
    }
  }
};

} // namespace
