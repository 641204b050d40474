//===- LowerScatters.cpp - vibee.scatter_add to ordered loops -------------===//
//
// A scatter-add (docs/language.md, "Scatter-add") adds in the order of its points,
// so two updates of one element always add the same way: deterministic on every
// target, no atomics. Updates at different positions of a directly indexed
// destination axis (d in `dt[ids[s], d] += dy[s, d]`) never meet, so those loops
// are the parallel ones: with parallel=true (the GPU) an scf.forall over them and
// over ranges of the first gathered axis, each iteration updating its slice of the
// destination (its range of that axis, the other gathered axes whole) in order
// over the other loops, with the points whose position is in its range; with
// parallel=false (the CPU and the C++ output) one loop nest in order over every
// loop, whose innermost loop, when it indexes the destination directly, the CPU
// splits over its threads (mark-columns). A gathered position outside its axis adds
// nothing (a select writes the old value back, at a position kept inside the axis
// by vibee.gather_index): the JIT checks the indices before a CPU call, CUDA kernels
// record them in a device flag, and a call that skipped the check still writes
// nothing outside the tensor. Integer sums are the same bits in any order: with
// keep-integer-sums the GPU leaves i32/i64 scatters to its atomic lowering.
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

// The gathered axis a GPU scatter splits into ranges of positions: iteration
// (r, ...) of the forall owns positions [lo, lo + size) of `axis` and adds only the
// points that land there, so each element still takes its updates in order.
struct Partition {
  int64_t axis = -1; // none
  Value lo, size, extent;
};

// The position index tensor `which` gives point `p`, as an index.
Value readIndex(OpBuilder &b, Location loc, ScatterAddOp op, unsigned which, ArrayRef<Value> p) {
  SmallVector<Value> at;
  for (AffineExpr e : op.getIndexMap(which).getResults())
    at.push_back(p[cast<AffineDimExpr>(e).getPosition()]);
  Value raw = tensor::ExtractOp::create(b, loc, op.getIndices()[which], at);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
}

// One point: dest[q] += updates[p] when q is inside; `fixed` are the destination
// axes the slice `dest` has at size 1 (their position is 0 in it). With a
// partition, only a point whose position on its axis is in the slice's range
// (an scf.if: the other points read nothing more); `splitIndex`, when given, is
// its position on the partitioned axis, read already.
Value addPoint(OpBuilder &b, Location loc, ScatterAddOp op, ArrayRef<Value> p, Value dest,
               const llvm::SmallBitVector &fixed, const Partition &part,
               Value splitIndex = Value()) {
  // (Unpartitioned: read first, as the CPU's loops always did.)
  Value u =
      part.axis < 0 ? tensor::ExtractOp::create(b, loc, op.getUpdates(), p).getResult() : Value();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> q;
  Value inside, mine;
  unsigned next = 0;
  for (auto [a, loop] : llvm::enumerate(op.getAxes())) {
    if (loop >= 0) {
      q.push_back(fixed.test(a) ? zero : p[loop]);
      continue;
    }
    bool split = (int64_t)a == part.axis;
    Value index = split && splitIndex ? splitIndex : readIndex(b, loc, op, next, p);
    ++next;
    Value size = split ? part.extent : tensor::DimOp::create(b, loc, dest, a).getResult();
    if (split) {
      // Unsigned: an index below lo, negative or past the axis is in no range. The
      // index is still reported (and clamped) by every iteration that reads it.
      Value clamped = GatherIndexOp::create(b, loc, b.getIndexType(), index, size);
      Value offset = arith::SubIOp::create(b, loc, index, part.lo);
      mine = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, offset, part.size);
      q.push_back(arith::SubIOp::create(b, loc, clamped, part.lo));
      continue;
    }
    // Unsigned: a negative position is a huge one.
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, size);
    inside = inside ? arith::AndIOp::create(b, loc, inside, ok).getResult() : ok;
    // Inside the tensor whatever the index; an index outside is reported where the
    // target can (vibee.gather_index) and adds nothing (the select below).
    q.push_back(GatherIndexOp::create(b, loc, b.getIndexType(), index, size));
  }
  auto add = [&](OpBuilder &ib, Location il) -> Value {
    if (!u)
      u = tensor::ExtractOp::create(ib, il, op.getUpdates(), p);
    Value old = tensor::ExtractOp::create(ib, il, dest, q);
    Value sum = isa<FloatType>(u.getType()) ? arith::AddFOp::create(ib, il, old, u).getResult()
                                            : arith::AddIOp::create(ib, il, old, u).getResult();
    Value v = inside ? arith::SelectOp::create(ib, il, inside, sum, old).getResult() : sum;
    return tensor::InsertOp::create(ib, il, v, dest, q);
  };
  if (!mine)
    return add(b, loc);
  auto ifOp = scf::IfOp::create(
      b, loc, mine, [&](OpBuilder &ib, Location il) { scf::YieldOp::create(ib, il, add(ib, il)); },
      [&](OpBuilder &ib, Location il) { scf::YieldOp::create(ib, il, dest); });
  return ifOp.getResult(0);
}

// The partitioned scatter's innermost loop `last`: each iteration of a GPU
// thread's loop reads one index and most add nothing, so the indices are read
// kBlock at a time, before the points are added in order (their loads in flight
// together instead of one latency each), then the remainder one at a time.
Value addInnermostBlocked(OpBuilder &b, Location loc, ScatterAddOp op, int64_t last,
                          SmallVector<Value> p, Value dest, ArrayRef<Value> extents,
                          const llvm::SmallBitVector &fixed, const Partition &part) {
  constexpr int64_t kBlock = 8;
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value n = extents[last];
  Value full = arith::SubIOp::create(b, loc, n, arith::RemUIOp::create(b, loc, n, index(kBlock)));
  unsigned which = 0; // the partitioned axis is the first gathered one
  auto blocks =
      scf::ForOp::create(b, loc, index(0), full, index(kBlock), ValueRange{dest},
                         [&](OpBuilder &fb, Location fl, Value s0, ValueRange carried) {
                           SmallVector<SmallVector<Value>> points;
                           SmallVector<Value> positions;
                           for (int64_t k = 0; k < kBlock; ++k) {
                             points.push_back(p);
                             points.back()[last] = arith::AddIOp::create(fb, fl, s0, index(k));
                             positions.push_back(readIndex(fb, fl, op, which, points.back()));
                           }
                           Value acc = carried[0];
                           for (int64_t k = 0; k < kBlock; ++k)
                             acc = addPoint(fb, fl, op, points[k], acc, fixed, part, positions[k]);
                           scf::YieldOp::create(fb, fl, acc);
                         });
  auto rest = scf::ForOp::create(b, loc, full, n, index(1), blocks.getResults(),
                                 [&](OpBuilder &fb, Location fl, Value s, ValueRange carried) {
                                   p[last] = s;
                                   scf::YieldOp::create(
                                       fb, fl, addPoint(fb, fl, op, p, carried[0], fixed, part));
                                 });
  return rest.getResult(0);
}

// Loops `loops` (in order) over the points whose other coordinates are `given`,
// carrying `dest`.
Value addPoints(OpBuilder &b, Location loc, ScatterAddOp op, ArrayRef<int64_t> loops,
                DenseMap<int64_t, Value> given, Value dest, ArrayRef<Value> extents,
                const llvm::SmallBitVector &fixed, const Partition &part,
                scf::ForOp *innermost = nullptr) {
  bool blocked = part.axis >= 0 && !loops.empty();
  ArrayRef<int64_t> nested = blocked ? loops.drop_back() : loops;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> lbs(nested.size(), zero), ubs, steps(nested.size(), one);
  for (int64_t l : nested)
    ubs.push_back(extents[l]);
  int64_t rank = (int64_t)extents.size();
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{dest},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange carried) -> scf::ValueVector {
        SmallVector<Value> p(rank);
        for (auto [i, l] : llvm::enumerate(nested))
          p[l] = ivs[i];
        for (auto [l, v] : given)
          p[l] = v;
        if (blocked)
          return {
              addInnermostBlocked(nb, nl, op, loops.back(), p, carried[0], extents, fixed, part)};
        return {addPoint(nb, nl, op, p, carried[0], fixed, part)};
      });
  if (innermost && !nest.loops.empty())
    *innermost = nest.loops.back();
  return nest.results.front();
}

Value lowerScatter(OpBuilder &b, ScatterAddOp op, bool parallel, bool markColumns) {
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
  if (!parallel) {
    scf::ForOp innermost;
    Value added = addPoints(b, loc, op, all, DenseMap<int64_t, Value>(), op.getDest(), extents,
                            none, Partition(), &innermost);
    // Its iterations update different destination positions whatever the outer
    // loops: the CPU's threads may each take a range of it and run the outer loops
    // in full, every element still taking its updates in order.
    if (markColumns && innermost && direct.test(rank - 1))
      innermost->setAttr(attr::kIndependentColumns, b.getUnitAttr());
    return added;
  }

  // The parallel loops: ranges of the first gathered axis, then the loops that
  // index the destination directly (or, when neither, one iteration: min(extent,
  // 1), which canonicalization does not fold away, so the GPU still runs it as a
  // kernel).
  SmallVector<int64_t> outer;
  SmallVector<OpFoldResult> bounds;
  Partition part;
  for (auto [a, loop] : llvm::enumerate(op.getAxes()))
    if (loop < 0 && part.axis < 0)
      part.axis = a;
  Value directPoints = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t l = 0; l < rank; ++l)
    if (direct.test(l)) {
      outer.push_back(l), bounds.push_back(extents[l]);
      directPoints = arith::MulIOp::create(b, loc, directPoints, extents[l]);
    }
  if (part.axis >= 0) {
    // Each range's iteration reads the index of every point and adds those that
    // land in it, in order: ranges multiply the threads (one per direct position
    // alone leaves an embedding gradient of D = 1,024 columns 1,024 threads, each
    // a chain of S dependent read-modify-writes) and the index reads. Enough
    // ranges for kThreads iterations, at most kMaxRanges (docs/gpu.md, "Scatter-adds").
    constexpr int64_t kThreads = 1 << 15, kMaxRanges = 1 << 10;
    auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    Value one = index(1);
    part.extent = tensor::DimOp::create(b, loc, op.getDest(), part.axis);
    Value wanted = arith::CeilDivUIOp::create(b, loc, index(kThreads),
                                              arith::MaxUIOp::create(b, loc, directPoints, one));
    Value ranges = arith::MinUIOp::create(
        b, loc, arith::MinUIOp::create(b, loc, wanted, index(kMaxRanges)), part.extent);
    Value chunk = arith::MaxUIOp::create(
        b, loc,
        arith::CeilDivUIOp::create(b, loc, part.extent,
                                   arith::MaxUIOp::create(b, loc, ranges, one)),
        one);
    bounds.insert(bounds.begin(),
                  arith::CeilDivUIOp::create(b, loc, part.extent, chunk).getResult());
    part.size = chunk; // (the last range's is cut below)
  }
  if (llvm::all_of(bounds, [](OpFoldResult r) { return isConstantIntValue(r, 1); })) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value first = outer.empty() ? extents[0] : extents[outer[0]];
    Value once = arith::MinUIOp::create(b, loc, first, one);
    if (bounds.empty())
      bounds.push_back(once);
    else
      bounds[0] = once;
  }
  auto forall = scf::ForallOp::create(b, loc, bounds, ValueRange{op.getDest()}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  SmallVector<Value> ivs(forall.getInductionVars());
  DenseMap<int64_t, Value> given;
  size_t firstDirect = part.axis >= 0 ? 1 : 0;
  for (auto [i, l] : llvm::enumerate(outer))
    given[l] = ivs[firstDirect + i];
  if (part.axis >= 0) {
    Value chunk = part.size;
    part.lo = arith::MulIOp::create(b, loc, ivs[0], chunk);
    Value left = arith::SubIOp::create(b, loc, part.extent, part.lo);
    part.size = arith::MinUIOp::create(b, loc, chunk, left);
  }
  // The iteration's slice: each directly indexed axis at its loop's position (size
  // 1), the partitioned gathered axis its range, the other gathered ones whole.
  Value shared = forall.getRegionIterArgs()[0];
  SmallVector<OpFoldResult> offsets, sizes, strides(destType.getRank(), b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  llvm::SmallBitVector fixed(destType.getRank());
  for (auto [a, loop] : llvm::enumerate(op.getAxes())) {
    bool isFixed = loop >= 0 && !outer.empty();
    fixed[a] = isFixed;
    if ((int64_t)a == part.axis) {
      offsets.push_back(part.lo), sizes.push_back(part.size);
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    offsets.push_back(isFixed ? OpFoldResult(given[loop]) : b.getIndexAttr(0));
    sizes.push_back(isFixed ? b.getIndexAttr(1) : tensor::getMixedSize(b, loc, shared, a));
    shape.push_back(isFixed ? 1 : destType.getDimSize(a));
  }
  auto sliceType = RankedTensorType::get(shape, destType.getElementType());
  Value slice = tensor::ExtractSliceOp::create(b, loc, sliceType, shared, offsets, sizes, strides);
  Value updated = outer.empty() ? addPoints(b, loc, op, all, DenseMap<int64_t, Value>(), slice,
                                            extents, fixed, part)
                                : addPoints(b, loc, op, inner, given, slice, extents, fixed, part);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, updated, shared, offsets, sizes, strides);
  return forall.getResult(0);
}

// Whether the target adds `op` atomically: i32 and i64 sums wrap the same in any
// order; f32 and f64 ones only when asked (their rounding depends on the order).
// Narrower types have no atomic add on the GPU.
bool leftToTarget(ScatterAddOp op, bool integers, bool floats) {
  Type element = cast<ShapedType>(op.getDest().getType()).getElementType();
  bool points = cast<ShapedType>(op.getUpdates().getType()).getRank() > 0; // loops to run
  bool wide = element.isInteger(32) || element.isInteger(64) || element.isF32() || element.isF64();
  return points && wide && (isa<FloatType>(element) ? floats : integers);
}

struct LowerScattersPass : vibee::impl::LowerScattersPassBase<LowerScattersPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ScatterAddOp> ops;
    getOperation()->walk([&](ScatterAddOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScatterAddOp op : ops) {
      if (leftToTarget(op, keepIntegerSums, keepFloatSums))
        continue;
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, lowerScatter(rewriter, op, parallel, markColumns));
    }
  }
};

} // namespace
