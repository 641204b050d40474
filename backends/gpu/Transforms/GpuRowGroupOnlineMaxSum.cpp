//===- GpuRowGroupOnlineMaxSum.cpp - A row's max and exp-sum in one pass ---===//
//
// Two statements of a row group
//     m[r] = max(c) v(x[r, c]);   s[r] = sum(c) exp(v(x[r, c]) - m[r])
// (softmax's and logsumexp's first two; v: the element or one unary op of it,
// such as extf) read the row twice where it does not fit in registers (the
// strided version of the kernel: cross-entropy over a 32,000-word vocabulary).
// There they become one pass that keeps a running max m' and a sum rescaled to
// it, the online softmax (Milakov & Gimelshein 2018), with one exp per element:
//     d = v - m';  e = exp(-|d|);  s' = v > m' ? s' * e + 1 : s' + e;  m' = max(m', v)
// m' starts at the lowest finite value (a -inf element adds exp(-inf) = 0, not
// exp(NaN)) and takes the max statement's own combiner (maximumf, or maxnumf,
// which passes NaN over); the threads' pairs combine as
//     M = max(m1, m2);  S = s1 * exp(m1 - M) + s2 * exp(m2 - M).
// The max itself is reduced as before, beside the pair (exact, whatever the
// special values), and the sum is rescaled to it: s = s' * exp(m' - m), 1 x s'
// unless m' differs from m, where the two passes' special values come out the
// same way: a row of -inf (0 x exp(+inf)) or one holding +inf (exp(inf - inf))
// gives NaN, as their exp(-inf - -inf) and exp(inf - inf) do.
// The kernel's version with the row in registers keeps the two statements.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuRowGroupKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace vibee {

namespace {

/// The yielded value of a one-output f32 reduction body as `combiner(e, acc)`
/// (either order) with a combiner of one of `Ops`: e, or null.
template <typename... Ops> Value reducedElement(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.getRegionOutputArgs()[0].getType().isF32())
    return {};
  Block &body = op.getRegion().front();
  Operation *combiner = body.getTerminator()->getOperand(0).getDefiningOp();
  BlockArgument acc = op.getRegionOutputArgs()[0];
  if (!combiner || !isa<Ops...>(combiner) || combiner->getBlock() != &body)
    return {};
  if (combiner->getOperand(0) == acc)
    return combiner->getOperand(1);
  return combiner->getOperand(1) == acc ? combiner->getOperand(0) : Value();
}

/// `e` is block argument `arg`, or one pure unary op of it.
bool isElementOf(Value e, BlockArgument arg) {
  if (e == arg)
    return true;
  Operation *def = e.getDefiningOp();
  return def && def->getNumOperands() == 1 && def->getOperand(0) == arg && isPure(def);
}

/// Whether two element values compute the same thing from their arguments.
bool sameElement(Value a, BlockArgument argA, Value b, BlockArgument argB) {
  if (a == argA || b == argB)
    return a == argA && b == argB;
  Operation *da = a.getDefiningOp(), *db = b.getDefiningOp();
  return da->getName() == db->getName() && da->getAttrDictionary() == db->getAttrDictionary() &&
         a.getType() == b.getType();
}

} // namespace

/// Statements i and i + 1 are m = max(c) v(x) and s = sum(c) exp(v(x) - m) over
/// one lane operand x read through the same map.
bool RowGroupKernelBuilder::isOnlineMaxSum(size_t i) const {
  if (i + 1 >= statements().size())
    return false;
  const RowStatement &first = statements()[i], &second = statements()[i + 1];
  if (first.kind != Kind::Reduce || second.kind != Kind::Reduce)
    return false;
  linalg::GenericOp maxOp = first.op, sumOp = second.op;
  Value e = reducedElement<arith::MaximumFOp, arith::MaxNumFOp>(maxOp);
  Value term = reducedElement<arith::AddFOp>(sumOp);
  if (!e || !term || maxOp.getNumDpsInputs() != 1 || sumOp.getNumDpsInputs() != 2)
    return false;
  auto exp = term.getDefiningOp<math::ExpOp>();
  auto diff = exp ? exp.getOperand().getDefiningOp<arith::SubFOp>() : arith::SubFOp();
  if (!diff)
    return false;
  // The sum's inputs: the row x and the max's result m (its row value).
  OpOperand *x = maxOp.getDpsInputOperand(0);
  Value m = maxOp.getDpsInits()[0];
  if (sumOp.getDpsInits()[0] == m || !matchReductionCombiner(maxOp, 0))
    return false;
  auto *sumBody = &sumOp.getRegion().front();
  for (unsigned r = 0; r < 2; ++r) {
    OpOperand *row = sumOp.getDpsInputOperand(r), *max = sumOp.getDpsInputOperand(1 - r);
    BlockArgument rowArg = sumBody->getArgument(row->getOperandNumber());
    BlockArgument maxArg = sumBody->getArgument(max->getOperandNumber());
    BlockArgument xArg = maxOp.getRegion().front().getArgument(0);
    if (row->get() == x->get() && max->get() == m &&
        sumOp.getMatchingIndexingMap(row) == maxOp.getMatchingIndexingMap(x) &&
        diff.getRhs() == maxArg && isElementOf(e, xArg) && isElementOf(diff.getLhs(), rowArg) &&
        sameElement(e, xArg, diff.getLhs(), rowArg))
      return info.lanes[i].isLane[x->getOperandNumber()];
  }
  return false;
}

namespace {

/// The online step for one element v: (m', s') -> (max(m', v), s' rescaled to it
/// plus exp(v - max(m', v))).
std::pair<Value, Value> onlineStep(OpBuilder &b, Location loc, const ReductionCombiner &max,
                                   Value m, Value s, Value v) {
  Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1));
  Value d = arith::SubFOp::create(b, loc, v, m);
  Value e =
      math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, d)));
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, m);
  Value rescaled = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, s, e), one);
  Value added = arith::AddFOp::create(b, loc, s, e);
  return {buildCombine(b, loc, max, m, v), arith::SelectOp::create(b, loc, above, rescaled, added)};
}

/// Two threads' (m', s') as one.
std::pair<Value, Value> combinePairs(OpBuilder &b, Location loc, const ReductionCombiner &max,
                                     Value m1, Value s1, Value m2, Value s2) {
  Value m = buildCombine(b, loc, max, m1, m2);
  auto scaled = [&](Value mi, Value si) {
    Value f = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mi, m));
    return arith::MulFOp::create(b, loc, si, f).getResult();
  };
  return {m, arith::AddFOp::create(b, loc, scaled(m1, s1), scaled(m2, s2))};
}

} // namespace

void RowGroupKernelBuilder::buildOnlineMaxSum(OpBuilder &k, RowPassState &state, size_t i) {
  const RowStatement &first = statements()[i], &second = statements()[i + 1];
  linalg::GenericOp maxOp = first.op, sumOp = second.op;
  buildBarrierIfNeeded(k, state, first);
  buildBarrierIfNeeded(k, state, second);
  OpOperand &x = *maxOp.getDpsInputOperand(0);
  Value element = reducedElement<arith::MaximumFOp, arith::MaxNumFOp>(maxOp);
  ReductionCombiner max = *matchReductionCombiner(maxOp, 0);
  PayloadCloner payload(maxOp);
  auto chunk = [&](OpBuilder &b, Value c, int64_t width, bool vector, ValueRange acc) {
    SmallVector<Value> lanes =
        buildLoadLanes(b, loc, x.get(), indicesAt(maxOp, x, c), width, vector);
    Value m = acc[0], s = acc[1], exact = acc[2];
    for (Value lane : lanes) {
      SmallVector<Value> args(maxOp->getNumOperands());
      args[x.getOperandNumber()] = lane;
      Value v = payload.applyTo(b, element, args);
      std::tie(m, s) = onlineStep(b, loc, max, m, s, v);
      exact = buildCombine(b, loc, max, exact, v);
    }
    return SmallVector<Value>{m, s, exact};
  };
  Type f32 = k.getF32Type();
  Value lowest = arith::ConstantOp::create(
      k, loc, k.getFloatAttr(f32, APFloat::getLargest(APFloat::IEEEsingle(), /*Negative=*/true)));
  Value zero = arith::ConstantOp::create(k, loc, k.getF32FloatAttr(0));
  SmallVector<Value> inits = {lowest, zero, arith::ConstantOp::create(k, loc, max.identity)};
  Value rowLength = innerSizes[i];
  auto scalarPass = [&](OpBuilder &b) {
    return buildForLoop(
        b, loc, tid, rowLength, threads, inits,
        [&](OpBuilder &b, Value c, ValueRange a) { return chunk(b, c, 1, false, a); });
  };
  int64_t V = info.lanes[i].vectorWidth;
  SmallVector<Value> accs =
      V == 1 ? scalarPass(k)
             : buildIfElse(
                   k, loc, buildVectorPathOk(k, i),
                   [&](OpBuilder &b) {
                     Value vIdx = constantIndex(b, loc, V);
                     return buildForLoop(b, loc, arith::MulIOp::create(b, loc, tid, vIdx),
                                         rowLength, arith::MulIOp::create(b, loc, threads, vIdx),
                                         inits, [&](OpBuilder &b, Value c, ValueRange a) {
                                           return chunk(b, c, V, true, a);
                                         });
                   },
                   scalarPass);
  state.readFull.insert(x.get());
  Value mSlots = launch.getWorkgroupAttributions()[state.slotIndex++];
  Value sSlots = launch.getWorkgroupAttributions()[state.slotIndex++];
  SmallVector<Value> pair =
      buildBlockReduceAll(k, loc, {accs[0], accs[1]}, {mSlots, sSlots}, tid, threadsPerRow,
                          [&](OpBuilder &b, ValueRange x, ValueRange y) {
                            auto [m, s] = combinePairs(b, loc, max, x[0], x[1], y[0], y[1]);
                            return SmallVector<Value>{m, s};
                          });
  Value mOnline = pair[0], sOnline = pair[1];

  // The max as its statement computes it; its slots again once every thread has
  // read the pairs'.
  buildRowBarrier(k);
  Value rowMax = buildBlockReduce(k, loc, max, accs[2], mSlots, tid, threadsPerRow);
  Value mBuffer = maxOp.getDpsInits()[0];
  Value m = buildCombine(k, loc, max, valueBefore(k, state, mBuffer), rowMax);
  state.rowValue[mBuffer] = m;
  storeRowValue(k, mBuffer, m);

  // The sum, rescaled to m (an empty row adds its 0 as it is).
  Value scale = math::ExpOp::create(k, loc, arith::SubFOp::create(k, loc, mOnline, m));
  Value empty =
      arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq, rowLength, constantIndex(k, loc, 0));
  Value rowSum = arith::SelectOp::create(k, loc, empty, sOnline,
                                         arith::MulFOp::create(k, loc, sOnline, scale));
  Value sBuffer = sumOp.getDpsInits()[0];
  Value total = arith::AddFOp::create(k, loc, valueBefore(k, state, sBuffer), rowSum);
  state.rowValue[sBuffer] = total;
  storeRowValue(k, sBuffer, total);
}

} // namespace vibee
