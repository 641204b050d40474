//===- CpuOnlineSoftmax.cpp - softmax max + sum in one pass over the row --===//
//
// After vibee-fuse-elementwise a row softmax is three generics over [R, C]:
//   mx[r] = max_c v(x[r,c]);  s[r] = sum_c exp(v(x[r,c]) - mx[r]);  y = ...
// (v: the element itself, or one unary op on it such as extf for bf16).
// This pass (CPU only: buildLinalgToLLVMPipeline) replaces the first two by an
// online softmax, one pass over the row that keeps a running max m and a sum s
// rescaled to it, split into L = 32 lanes so that the recurrence vectorizes:
//   lanes:   x[r, 0:CL] viewed as [R, CL/32, 32]; per (r, l):
//              d = v - m;  e = exp(-|d|);
//              s = v > m ? s * e + 1 : s + e;   m = max(m, v)
//            (one exp per element: when v > m, e = exp(m - v) rescales s)
//   combine: M = max_l m_l, S = sum_l s_l * exp(m_l - M)  (online over l)
//   tail:    the last C % 32 elements of each row, online as in the lanes.
// m starts at the lowest finite value, not -inf, so -inf inputs (masks) give
// e = 0 instead of exp(NaN). The output generic (exp(v - mx) / s) keeps its
// form, dividing by s becoming a multiply by 1/s (one divide per row): two
// passes over each row instead of three. vibee-cpu-parallelize finds the new
// ops and the output as one row-block group (RowGroupAnalysis.h: rooted at the
// lanes) and runs them block of rows by block of rows in one thread region, so
// the output pass reads x from the cache.
//
// Narrow inputs (bf16, f16), whose output pass would recompute exp (the second
// exp per element, the cost that matters once x is half as many bytes): instead
//   mx = max v (lanes, combine, tail);  e = exp(v - mx) in f32;
//   s = sum e (lanes, combine, tail);   y = e * (1/s)
// one exp per element, as torch does. e is a temporary of the row group, so
// vibee-cpu-parallelize makes it one block of rows (8 x C f32, in the cache).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace vibee {
#define GEN_PASS_DEF_CPUONLINESOFTMAXPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

constexpr int64_t kLanes = 32;

/// The value a reduction body computes from its first block argument: the
/// argument itself or one pure single-operand op of it (extf).
static bool isElementValue(Value v, BlockArgument arg) {
  if (v == arg)
    return true;
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 1 && def->getOperand(0) == arg &&
         def->getNumRegions() == 0 && def->getNumResults() == 1 && isPure(def);
}

static bool sameElementValue(Value a, BlockArgument aArg, Value b, BlockArgument bArg) {
  if (a == aArg || b == bArg)
    return a == aArg && b == bArg;
  Operation *da = a.getDefiningOp(), *db = b.getDefiningOp();
  return da->getName() == db->getName() && da->getAttrDictionary() == db->getAttrDictionary() &&
         a.getType() == b.getType();
}

/// [parallel, reduction] over a rank-2 tensor with a rank-1 (d0) output.
static bool isRowReduction(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() != 2 || op.getNumDpsInits() != 1)
    return false;
  auto it = op.getIteratorTypesArray();
  if (it[0] != utils::IteratorType::parallel || it[1] != utils::IteratorType::reduction)
    return false;
  MLIRContext *ctx = op.getContext();
  AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  if (op.getIndexingMapsArray().back() != row)
    return false;
  if (!op.getIndexingMapsArray().front().isIdentity())
    return false;
  return op.getNumDpsInputs() == 1 ||
         (op.getNumDpsInputs() == 2 && op.getIndexingMapsArray()[1] == row);
}

static std::optional<APFloat> fillValue(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  FloatAttr attr;
  if (!matchPattern(fill.getInputs()[0], m_Constant(&attr)))
    return std::nullopt;
  return attr.getValue();
}

struct Match {
  linalg::GenericOp maxOp, sumOp;
  Value x;
  Value maxValue; // v in maxOp's body
};

static std::optional<Match> matchSum(linalg::GenericOp sumOp) {
  if (!isRowReduction(sumOp) || sumOp.getNumDpsInputs() != 2)
    return std::nullopt;
  auto maxOp = sumOp.getDpsInputs()[1].getDefiningOp<linalg::GenericOp>();
  if (!maxOp || maxOp->getNumResults() != 1 || !isRowReduction(maxOp) ||
      maxOp.getNumDpsInputs() != 1 || maxOp.getDpsInputs()[0] != sumOp.getDpsInputs()[0] ||
      maxOp->getBlock() != sumOp->getBlock())
    return std::nullopt;
  Type accType = cast<ShapedType>(sumOp.getDpsInits()[0].getType()).getElementType();
  if (!isa<Float32Type>(accType) ||
      cast<ShapedType>(maxOp.getDpsInits()[0].getType()).getElementType() != accType)
    return std::nullopt;
  auto xType = dyn_cast<RankedTensorType>(sumOp.getDpsInputs()[0].getType());
  if (!xType || xType.getRank() != 2)
    return std::nullopt;
  // Inits: sum from 0, max from its identity (NaN for maxnumf, -inf, or the
  // lowest finite value).
  auto zero = fillValue(sumOp.getDpsInits()[0]);
  auto low = fillValue(maxOp.getDpsInits()[0]);
  if (!zero || !zero->isZero() || !low ||
      !(low->isNaN() || (low->isNegative() && (low->isInfinity() || low->isLargest()))))
    return std::nullopt;

  // max body: yield maxnumf/maximumf(v, acc).
  Block &mb = maxOp.getRegion().front();
  SmallVector<Operation *> maxCombiners;
  Value mv = matchReduction(maxOp.getRegionOutputArgs(), 0, maxCombiners);
  if (!mv || !isa<arith::MaxNumFOp, arith::MaximumFOp>(maxCombiners.front()) ||
      (low->isNaN() && !isa<arith::MaxNumFOp>(maxCombiners.front())))
    return std::nullopt;
  BlockArgument mx = mb.getArgument(0);
  if (!isElementValue(mv, mx) || mb.getOperations().size() > 3)
    return std::nullopt;

  // sum body: yield addf(exp(v - mxArg), acc).
  Block &sb = sumOp.getRegion().front();
  BlockArgument sx = sb.getArgument(0), smx = sb.getArgument(1);
  SmallVector<Operation *> sumCombiners;
  Value ev = matchReduction(sumOp.getRegionOutputArgs(), 0, sumCombiners);
  if (!ev || !isa<arith::AddFOp>(sumCombiners.front()))
    return std::nullopt;
  auto exp = ev.getDefiningOp<math::ExpOp>();
  if (!exp)
    return std::nullopt;
  auto sub = exp.getOperand().getDefiningOp<arith::SubFOp>();
  if (!sub || sub.getRhs() != smx || !isElementValue(sub.getLhs(), sx) ||
      !sameElementValue(mv, mx, sub.getLhs(), sx) || sb.getOperations().size() > 5)
    return std::nullopt;
  return Match{maxOp, sumOp, sumOp.getDpsInputs()[0], mv};
}

/// Clones v (the element value of maxOp's body) for the element `elem`.
static Value cloneElementValue(OpBuilder &b, Match m, Value elem) {
  BlockArgument arg = m.maxOp.getRegion().front().getArgument(0);
  if (m.maxValue == arg)
    return elem;
  IRMapping map;
  map.map(arg, elem);
  return b.clone(*m.maxValue.getDefiningOp(), map)->getResult(0);
}

/// The online update of (m, s) by v; returns {m', s'}.
static std::pair<Value, Value> onlineStep(OpBuilder &b, Location loc, Value v, Value m, Value s) {
  Type f32 = b.getF32Type();
  Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 1.0));
  Value d = arith::SubFOp::create(b, loc, v, m);
  Value nd = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, d));
  Value e = math::ExpOp::create(b, loc, nd);
  Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, m);
  Value sGt = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, s, e), one);
  Value sLe = arith::AddFOp::create(b, loc, s, e);
  Value s2 = arith::SelectOp::create(b, loc, gt, sGt, sLe);
  // `+ 0.0` (not folded: it turns -0 into +0, which no exp difference sees)
  // keeps the stored max from being `select(c, v, load m)`, which the x86
  // backend turns into a masked store that the next iteration's load of m
  // cannot forward from (a stall per vector).
  Value m2 = arith::MaxNumFOp::create(b, loc, m, v);
  m2 = arith::AddFOp::create(b, loc, m2,
                             arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 0.0)));
  return {m2, s2};
}

static Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, double value,
                    bool lowest) {
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, sizes, f32);
  TypedAttr attr =
      lowest ? (TypedAttr)b.getFloatAttr(f32, APFloat::getLargest(APFloat::IEEEsingle(), true))
             : (TypedAttr)b.getFloatAttr(f32, value);
  Value cst = arith::ConstantOp::create(b, loc, attr);
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

/// The row extents of x and its split into 32-lane blocks and a tail.
struct RowSplit {
  OpFoldResult rows, cols, blocks, main, tail;
};

/// Reduces f(x[r, c]) over each row with `combine`, the way the online lanes do
/// (so that it vectorizes): 32 lanes over x[r, 0:CL] viewed as [R, CL/32, 32],
/// a combine of the lanes, then the tail. `f` maps an element of x to f32.
static Value laneReduce(OpBuilder &b, Location loc, Value x, const RowSplit &split, double init,
                        bool lowest, function_ref<Value(OpBuilder &, Location, Value)> f,
                        function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  OpFoldResult zeroIdx = b.getIndexAttr(0), oneIdx = b.getIndexAttr(1);
  auto staticOf = [](OpFoldResult r) {
    if (auto a = dyn_cast<Attribute>(r))
      return cast<IntegerAttr>(a).getInt();
    return ShapedType::kDynamic;
  };
  Value xMain = tensor::ExtractSliceOp::create(b, loc, x, {zeroIdx, zeroIdx},
                                               {split.rows, split.main}, {oneIdx, oneIdx});
  auto expType = RankedTensorType::get({staticOf(split.rows), staticOf(split.blocks), kLanes},
                                       xType.getElementType());
  Value xLanes = tensor::ExpandShapeOp::create(
      b, loc, expType, xMain, SmallVector<ReassociationIndices>{{0}, {1, 2}},
      SmallVector<OpFoldResult>{split.rows, split.blocks, b.getIndexAttr(kLanes)});
  Value laneInit = filled(b, loc, {split.rows, b.getIndexAttr(kLanes)}, init, lowest);
  AffineExpr d0 = getAffineDimExpr(0, ctx), d2 = getAffineDimExpr(2, ctx);
  auto id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  auto rl = AffineMap::get(3, 0, {d0, d2}, ctx);
  auto laneOp = linalg::GenericOp::create(
      b, loc, TypeRange{laneInit.getType()}, ValueRange{xLanes}, ValueRange{laneInit},
      ArrayRef<AffineMap>{id3, rl},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::reduction,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, combine(nb, l, args[1], f(nb, l, args[0])));
      });
  Value rowInit = filled(b, loc, {split.rows}, init, lowest);
  auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  auto r2 = AffineMap::get(2, 0, {d0}, ctx);
  SmallVector<utils::IteratorType> red2 = {utils::IteratorType::parallel,
                                           utils::IteratorType::reduction};
  auto combineOp = linalg::GenericOp::create(
      b, loc, TypeRange{rowInit.getType()}, laneOp->getResults(), ValueRange{rowInit},
      ArrayRef<AffineMap>{id2, r2}, red2, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, combine(nb, l, args[1], args[0]));
      });
  Value xTail = tensor::ExtractSliceOp::create(b, loc, x, {zeroIdx, split.main},
                                               {split.rows, split.tail}, {oneIdx, oneIdx});
  auto tailOp = linalg::GenericOp::create(
      b, loc, TypeRange{rowInit.getType()}, ValueRange{xTail}, combineOp->getResults(),
      ArrayRef<AffineMap>{id2, r2}, red2, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, combine(nb, l, args[1], f(nb, l, args[0])));
      });
  return tailOp->getResult(0);
}

/// The consumer `user` of the row max computes exp(v - mx) (v: the element of
/// x); returns that exp, or null.
static math::ExpOp findRecomputedExp(linalg::GenericOp user, Match m, Value mxResult) {
  if (!user.hasPureTensorSemantics() || user.getNumLoops() != 2)
    return nullptr;
  BlockArgument xArg, mxArg;
  for (OpOperand *in : user.getDpsInputOperands()) {
    if (in->get() == m.x && user.getMatchingIndexingMap(in).isIdentity())
      xArg = user.getMatchingBlockArgument(in);
    if (in->get() == mxResult)
      mxArg = user.getMatchingBlockArgument(in);
  }
  if (!xArg || !mxArg)
    return nullptr;
  BlockArgument maxArg = m.maxOp.getRegion().front().getArgument(0);
  math::ExpOp found;
  user.getRegion().walk([&](math::ExpOp exp) {
    auto sub = exp.getOperand().getDefiningOp<arith::SubFOp>();
    if (sub && sub.getRhs() == mxArg && isElementValue(sub.getLhs(), xArg) &&
        sameElementValue(m.maxValue, maxArg, sub.getLhs(), xArg))
      found = exp;
  });
  return found;
}

/// Rebuilds `user` with e (exp(v - mx), [R, C] f32) as one more input in place
/// of the exp it recomputes.
static linalg::GenericOp readExpInstead(IRRewriter &rewriter, linalg::GenericOp user,
                                        math::ExpOp exp, Value e) {
  rewriter.setInsertionPoint(user);
  SmallVector<Value> inputs(user.getDpsInputs());
  inputs.push_back(e);
  SmallVector<AffineMap> maps(user.getIndexingMapsArray());
  maps.insert(maps.begin() + user.getNumDpsInputs(),
              AffineMap::getMultiDimIdentityMap(2, rewriter.getContext()));
  auto rebuilt = linalg::GenericOp::create(rewriter, user.getLoc(), user->getResultTypes(), inputs,
                                           user.getDpsInits(), maps, user.getIteratorTypesArray(),
                                           [&](OpBuilder &nb, Location l, ValueRange args) {
                                             IRMapping map;
                                             Block &body = user.getRegion().front();
                                             unsigned nIn = user.getNumDpsInputs();
                                             for (unsigned i = 0; i < nIn; ++i)
                                               map.map(body.getArgument(i), args[i]);
                                             map.map(exp.getResult(), args[nIn]);
                                             for (unsigned i = nIn; i < body.getNumArguments(); ++i)
                                               map.map(body.getArgument(i), args[i + 1]);
                                             for (Operation &op : body.without_terminator())
                                               if (&op != exp.getOperation())
                                                 nb.clone(op, map);
                                             nb.clone(*body.getTerminator(), map);
                                           });
  rebuilt->setDiscardableAttrs(user->getDiscardableAttrDictionary());
  rewriter.replaceOp(user, rebuilt->getResults());
  return rebuilt;
}

/// Narrow (bf16, f16) inputs: mx = max(v); e = exp(v - mx) in f32; s = sum e.
/// Returns {mx, s, e}.
static std::array<Value, 3> buildNarrow(OpBuilder &b, Location loc, Match m,
                                        const RowSplit &split) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Value mx = laneReduce(
      b, loc, m.x, split, 0, /*lowest=*/true,
      [&](OpBuilder &nb, Location, Value elem) { return cloneElementValue(nb, m, elem); },
      [](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
        return arith::MaxNumFOp::create(nb, l, acc, v);
      });
  Value eEmpty = tensor::EmptyOp::create(b, loc, {split.rows, split.cols}, f32);
  auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  auto r2 = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
  auto expOp = linalg::GenericOp::create(
      b, loc, TypeRange{eEmpty.getType()}, ValueRange{m.x, mx}, ValueRange{eEmpty},
      ArrayRef<AffineMap>{id2, r2, id2},
      SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = cloneElementValue(nb, m, args[0]);
        Value e = math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, v, args[1]));
        linalg::YieldOp::create(nb, l, e);
      });
  Value e = expOp->getResult(0);
  Value s = laneReduce(
      b, loc, e, split, 0.0, /*lowest=*/false, [](OpBuilder &, Location, Value v) { return v; },
      [](OpBuilder &nb, Location l, Value acc, Value v) -> Value {
        return arith::AddFOp::create(nb, l, acc, v);
      });
  return {mx, s, e};
}

/// The online max and sum (this file's header): {mx, s}.
static std::pair<Value, Value> buildOnline(OpBuilder &b, Location loc, Match m,
                                           const RowSplit &split) {
  MLIRContext *ctx = b.getContext();
  Value x = m.x;
  auto xType = cast<RankedTensorType>(x.getType());
  OpFoldResult rows = split.rows, blocks = split.blocks, main = split.main, tail = split.tail;
  OpFoldResult zeroIdx = b.getIndexAttr(0), oneIdx = b.getIndexAttr(1);
  OpFoldResult lanes = b.getIndexAttr(kLanes);

  // Lanes.
  Value xMain =
      tensor::ExtractSliceOp::create(b, loc, x, {zeroIdx, zeroIdx}, {rows, main}, {oneIdx, oneIdx});
  auto staticOf = [](OpFoldResult r) {
    if (auto a = dyn_cast<Attribute>(r))
      return cast<IntegerAttr>(a).getInt();
    return ShapedType::kDynamic;
  };
  auto expType =
      RankedTensorType::get({staticOf(rows), staticOf(blocks), kLanes}, xType.getElementType());
  Value xLanes = tensor::ExpandShapeOp::create(b, loc, expType, xMain,
                                               SmallVector<ReassociationIndices>{{0}, {1, 2}},
                                               SmallVector<OpFoldResult>{rows, blocks, lanes});
  Value mInit = filled(b, loc, {rows, lanes}, 0, true);
  Value sInit = filled(b, loc, {rows, lanes}, 0.0, false);
  AffineExpr d0 = getAffineDimExpr(0, ctx), d2 = getAffineDimExpr(2, ctx);
  auto id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  auto rl = AffineMap::get(3, 0, {d0, d2}, ctx);
  auto laneOp = linalg::GenericOp::create(
      b, loc, TypeRange{mInit.getType(), sInit.getType()}, ValueRange{xLanes},
      ValueRange{mInit, sInit}, ArrayRef<AffineMap>{id3, rl, rl},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::reduction,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = cloneElementValue(nb, m, args[0]);
        auto [m2, s2] = onlineStep(nb, l, v, args[1], args[2]);
        linalg::YieldOp::create(nb, l, ValueRange{m2, s2});
      });

  // Combine the lanes.
  Value mRow = filled(b, loc, {rows}, 0, true);
  Value sRow = filled(b, loc, {rows}, 0.0, false);
  auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  auto r2 = AffineMap::get(2, 0, {d0}, ctx);
  SmallVector<utils::IteratorType> red2 = {utils::IteratorType::parallel,
                                           utils::IteratorType::reduction};
  auto combineOp = linalg::GenericOp::create(
      b, loc, TypeRange{mRow.getType(), sRow.getType()}, laneOp->getResults(),
      ValueRange{mRow, sRow}, ArrayRef<AffineMap>{id2, id2, r2, r2}, red2,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value ml = args[0], sl = args[1], mAcc = args[2], sAcc = args[3];
        Value m2 = arith::MaxNumFOp::create(nb, l, mAcc, ml);
        Value a = arith::MulFOp::create(
            nb, l, sAcc, math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, mAcc, m2)));
        Value c = arith::MulFOp::create(
            nb, l, sl, math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, ml, m2)));
        linalg::YieldOp::create(nb, l, ValueRange{m2, arith::AddFOp::create(nb, l, a, c)});
      });

  // The tail of each row.
  Value xTail =
      tensor::ExtractSliceOp::create(b, loc, x, {zeroIdx, main}, {rows, tail}, {oneIdx, oneIdx});
  auto tailOp = linalg::GenericOp::create(
      b, loc, TypeRange{mRow.getType(), sRow.getType()}, ValueRange{xTail}, combineOp->getResults(),
      ArrayRef<AffineMap>{id2, r2, r2}, red2, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = cloneElementValue(nb, m, args[0]);
        auto [m2, s2] = onlineStep(nb, l, v, args[1], args[2]);
        linalg::YieldOp::create(nb, l, ValueRange{m2, s2});
      });

  return {tailOp->getResult(0), tailOp->getResult(1)};
}

static void rewrite(IRRewriter &rewriter, Match m) {
  MLIRContext *ctx = rewriter.getContext();
  Location loc = m.sumOp.getLoc();
  rewriter.setInsertionPoint(m.sumOp);
  OpBuilder &b = rewriter;
  Value x = m.x;
  auto xType = cast<RankedTensorType>(x.getType());
  auto dimOf = [&](int64_t i) -> OpFoldResult {
    if (!xType.isDynamicDim(i))
      return b.getIndexAttr(xType.getDimSize(i));
    return tensor::DimOp::create(b, loc, x, i).getResult();
  };
  OpFoldResult rows = dimOf(0), cols = dimOf(1);
  OpFoldResult blocks, main, tail;
  if (!xType.isDynamicDim(1)) {
    int64_t c = xType.getDimSize(1);
    blocks = b.getIndexAttr(c / kLanes);
    main = b.getIndexAttr(c / kLanes * kLanes);
    tail = b.getIndexAttr(c % kLanes);
  } else {
    Value c = cast<Value>(cols);
    Value l = arith::ConstantIndexOp::create(b, loc, kLanes);
    Value nb = arith::DivUIOp::create(b, loc, c, l);
    Value mn = arith::MulIOp::create(b, loc, nb, l);
    blocks = nb;
    main = mn;
    tail = arith::SubIOp::create(b, loc, c, mn).getResult();
  }

  RowSplit split{rows, cols, blocks, main, tail};
  // Narrow inputs whose every other user of the max recomputes exp(v - mx):
  // those read e instead.
  SmallVector<std::pair<linalg::GenericOp, math::ExpOp>> expReaders;
  bool narrow = xType.getElementType().getIntOrFloatBitWidth() < 32;
  for (Operation *user : m.maxOp->getResult(0).getUsers()) {
    if (!narrow || user == m.sumOp)
      continue;
    auto generic = dyn_cast<linalg::GenericOp>(user);
    math::ExpOp exp = generic ? findRecomputedExp(generic, m, m.maxOp->getResult(0)) : nullptr;
    if (!exp) {
      narrow = false;
      break;
    }
    expReaders.push_back({generic, exp});
  }
  narrow = narrow && !expReaders.empty();
  Value maxValue, sumValue, expValue;
  if (narrow)
    std::tie(maxValue, sumValue, expValue) = std::tuple_cat(buildNarrow(b, loc, m, split));
  else
    std::tie(maxValue, sumValue) = buildOnline(b, loc, m, split);
  Value maxResult = maxValue, sumResult = sumValue;
  if (maxResult.getType() != m.maxOp->getResult(0).getType())
    maxResult = tensor::CastOp::create(b, loc, m.maxOp->getResult(0).getType(), maxResult);
  if (sumResult.getType() != m.sumOp->getResult(0).getType())
    sumResult = tensor::CastOp::create(b, loc, m.sumOp->getResult(0).getType(), sumResult);
  // Consumers that only divide by the sum multiply by its reciprocal instead
  // (one divide per row, not per element).
  SmallVector<std::pair<linalg::GenericOp, OpOperand *>> dividers;
  for (OpOperand &use : m.sumOp->getResult(0).getUses()) {
    auto user = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!user || !user.isDpsInput(&use))
      continue;
    BlockArgument arg = user.getMatchingBlockArgument(&use);
    if (!arg.use_empty() && llvm::all_of(arg.getUses(), [](OpOperand &u) {
          auto div = dyn_cast<arith::DivFOp>(u.getOwner());
          return div && div.getRhs() == u.get() && u.getOperandNumber() == 1;
        }))
      dividers.push_back({user, &use});
  }
  Value recipResult;
  if (!dividers.empty()) {
    Value empty = tensor::EmptyOp::create(b, loc, {rows}, b.getF32Type());
    auto r1 = AffineMap::getMultiDimIdentityMap(1, ctx);
    auto recipOp = linalg::GenericOp::create(
        b, loc, TypeRange{empty.getType()}, ValueRange{sumValue}, ValueRange{empty},
        ArrayRef<AffineMap>{r1, r1},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value one = arith::ConstantOp::create(nb, l, nb.getFloatAttr(nb.getF32Type(), 1.0));
          linalg::YieldOp::create(nb, l, Value(arith::DivFOp::create(nb, l, one, args[0])));
        });
    recipResult = recipOp->getResult(0);
    if (recipResult.getType() != m.sumOp->getResult(0).getType())
      recipResult = tensor::CastOp::create(b, loc, m.sumOp->getResult(0).getType(), recipResult);
  }

  for (auto [user, use] : dividers) {
    BlockArgument arg = user.getMatchingBlockArgument(use);
    for (OpOperand &u : llvm::make_early_inc_range(arg.getUses())) {
      auto div = cast<arith::DivFOp>(u.getOwner());
      rewriter.setInsertionPoint(div);
      rewriter.replaceOpWithNewOp<arith::MulFOp>(div, div.getLhs(), arg, div.getFastmathAttr());
    }
    use->set(recipResult);
  }
  for (auto [user, exp] : expReaders)
    readExpInstead(rewriter, user, exp, expValue);
  rewriter.replaceOp(m.sumOp, sumResult);
  rewriter.replaceOp(m.maxOp, maxResult);
}

struct CpuOnlineSoftmaxPass : vibee::impl::CpuOnlineSoftmaxPassBase<CpuOnlineSoftmaxPass> {
  using CpuOnlineSoftmaxPassBase::CpuOnlineSoftmaxPassBase;

  void runOnOperation() override {
    SmallVector<Match> matches;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (auto m = matchSum(op))
        matches.push_back(*m);
    });
    IRRewriter rewriter(&getContext());
    for (Match m : matches)
      rewrite(rewriter, m);
    // Consumers that now read e no longer read x and the max.
    RewritePatternSet patterns(&getContext());
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
