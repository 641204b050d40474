//===- TopKMergeTree.cpp - long top-k rows as chunks and merges (GPU) -----===//
//
// With one thread per row (LowerTopK.cpp's parallel rows), a top-k over a
// vocabulary is one long serial insertion per row on a few dozen threads:
// top-k sampling of 64 x 32000 logits took 26 ms on the H200, where
// torch.topk takes a fraction of a millisecond. Here each row is cut into up
// to 2048 contiguous chunks of at least max(2k, 64) elements; one thread per
// (row, chunk) keeps the chunk's k best sorted, and a tree of pairwise merges
// (one scf.forall per level, one thread per pair of lists) combines them, the
// last level into the destinations. The order is the serial one: a merge
// takes from the right list only when its element beats the left one's, and
// the left list's elements come first in the row, so ties keep the earlier
// element first, NaNs rank first, as in the serial insertion.
//
// A warp's threads insert in lockstep: once one of them takes an element, all
// walk the k slots. So with k <= 128 (the slots then private to the thread)
// a row first gets a threshold: the worst of the best elements of k groups of
// the row (k elements rank at least as high, so every element of the top k
// does too), and a chunk inserts only the elements that rank at least as high
// as it (about k ln k per row for random data instead of every element).
//
// Counts are arithmetic upper bounds: the list q of level l covers the
// elements [q * span, (q + 1) * span) of its row (span = chunk * 2^l), so it
// holds at most min(k, its elements below n); a list that holds fewer (a
// filtered chunk) ends at a gap, an index of -1, where a merge stops reading
// it, and a merge whose two lists end writes one gap and stops. Levels:
// ceil(log2(lists)) when the number of chunks is static, else 11 (levels past
// a single list copy it).
//
//===----------------------------------------------------------------------===//
#include "transforms/TopKRows.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace vibee;
using namespace vibee::topk;

namespace {

// A thread takes at least this many elements (and 2k): fewer would make the
// merges, not the chunks, the work.
constexpr int64_t kMinChunk = 64;
// Chunks per row at most: 11 levels of merges. Many short chunks: a warp's
// threads insert in lockstep, so a warp pays about chunk x k slot moves
// whichever of its threads insert; more chunks are more warps in flight.
constexpr int64_t kMaxLists = 2048;
constexpr int64_t kMaxLevels = 11;
// A chunk's k slots are thread-private (vibee-gpu-prepare makes them allocas:
// local memory, cached) when k is at most this; else in the level's buffer,
// where every insertion's moves would go to L2 and back.
constexpr int64_t kPrivate = 128;
// Rows shorter than this many chunks stay one thread per row.
constexpr int64_t kMinLists = 4;

using RowBody = llvm::function_ref<std::pair<Value, Value>(OpBuilder &, Location, ValueRange ivs,
                                                           Value values, Value indices)>;

struct MergeTree {
  OpBuilder &b;
  Location loc;
  TopKOp op;
  Value input;
  bool unitAxis;
  bool rank1;                        // a 1-D top-k: the destinations as [1, k]
  SmallVector<OpFoldResult> outer;   // the destinations' outer sizes
  int64_t kStatic;                   // the destinations' last dim (maybe dynamic)
  Type valueType, indexType;
  Value k, kLast, n, lists, chunk;

  OpFoldResult kSize() {
    return ShapedType::isDynamic(kStatic) ? OpFoldResult(k) : b.getIndexAttr(kStatic);
  }
  Value c(OpBuilder &ob, int64_t v) { return arith::ConstantIndexOp::create(ob, loc, v); }

  // a - b, or 0 when b >= a.
  Value saturatingSub(OpBuilder &ob, Value a, Value s) {
    Value above = arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::ugt, a, s);
    return arith::SelectOp::create(ob, loc, above, arith::SubIOp::create(ob, loc, a, s), c(ob, 0));
  }
  Value minu(OpBuilder &ob, Value a, Value x) {
    return arith::MinUIOp::create(ob, loc, a, x).getResult();
  }

  // How many of list q's elements a list keeps: min(k, its elements below n).
  Value listCount(OpBuilder &ob, Value q, Value span) {
    Value start = arith::MulIOp::create(ob, loc, q, span);
    return minu(ob, k, minu(ob, span, saturatingSub(ob, n, start)));
  }

  // One scf.forall over `bounds`; each iteration builds the k slots at
  // [ivs..., 0] of both destinations (1-D slices) with `body`.
  std::pair<Value, Value> forallRows(ArrayRef<OpFoldResult> bounds, Value values, Value indices,
                                     RowBody body) {
    auto forall = scf::ForallOp::create(b, loc, bounds, ValueRange{values, indices}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    SmallVector<Value> ivs(forall.getInductionVars());
    SmallVector<OpFoldResult> offsets(ivs.begin(), ivs.end());
    SmallVector<OpFoldResult> sizes(bounds.size(), b.getIndexAttr(1));
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(kSize());
    SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
    Value slices[2];
    Type elems[2] = {valueType, indexType};
    for (int s = 0; s < 2; ++s)
      slices[s] = tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({kStatic}, elems[s]), forall.getRegionIterArgs()[s],
          offsets, sizes, strides);
    auto [v, i] = body(b, loc, ivs, slices[0], slices[1]);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, v, forall.getRegionIterArgs()[0], offsets, sizes,
                                          strides);
    tensor::ParallelInsertSliceOp::create(b, loc, i, forall.getRegionIterArgs()[1], offsets, sizes,
                                          strides);
    return {forall.getResult(0), forall.getResult(1)};
  }

  // Empty [outer..., count, k] lists of both element types.
  std::pair<Value, Value> emptyLists(Value count) {
    SmallVector<OpFoldResult> shape(outer);
    shape.push_back(count);
    shape.push_back(kSize());
    return {tensor::EmptyOp::create(b, loc, shape, valueType),
            tensor::EmptyOp::create(b, loc, shape, indexType)};
  }

  // The input's position of element `pos` of the row at `ivs` (outer ivs).
  SmallVector<Value> inputAt(OpBuilder &ob, ValueRange outerIvs, Value pos) {
    SmallVector<Value> at;
    if (!rank1)
      at.append(outerIvs.begin(), outerIvs.end());
    if (unitAxis)
      at.push_back(c(ob, 0));
    at.push_back(pos);
    return at;
  }

  // Level 0: each (row, chunk) keeps its chunk's k best (with private slots,
  // of the elements that rank at least as high as the row's threshold).
  std::pair<Value, Value> chunkLists(Value groupBests) {
    auto [values, indices] = emptyLists(lists);
    SmallVector<OpFoldResult> bounds(outer);
    bounds.push_back(lists);
    return forallRows(bounds, values, indices,
                      [&](OpBuilder &ob, Location l, ValueRange ivs, Value v, Value i) {
                        Value start = arith::MulIOp::create(ob, l, ivs.back(), chunk);
                        Value count = minu(ob, chunk, saturatingSub(ob, n, start));
                        ValueRange outerIvs = ivs.drop_back();
                        auto element = [&](OpBuilder &eb, Location el, Value e) {
                          Value pos = arith::AddIOp::create(eb, el, start, e);
                          Value x = tensor::ExtractOp::create(eb, el, input,
                                                              inputAt(eb, outerIvs, pos));
                          Value xIndex = arith::IndexCastOp::create(eb, el, eb.getI64Type(), pos);
                          if (indexType != xIndex.getType())
                            xIndex = arith::TruncIOp::create(eb, el, indexType, xIndex);
                          return std::pair<Value, Value>{x, xIndex};
                        };
                        auto inGlobal = [&](OpBuilder &gb, Location gl) {
                          return insertSorted(gb, gl, RowAccess{{}, false}, k, count, element, v,
                                              i);
                        };
                        // The slots in the thread's own memory, then copied out.
                        int64_t slots = ShapedType::isDynamic(kStatic) ? kPrivate : kStatic;
                        auto inPrivate = [&](OpBuilder &pb, Location pl) {
                          Value pv = tensor::EmptyOp::create(pb, pl, ArrayRef<int64_t>{slots},
                                                             valueType);
                          Value pi = tensor::EmptyOp::create(pb, pl, ArrayRef<int64_t>{slots},
                                                             indexType);
                          Value bar = threshold(pb, outerIvs, groupBests);
                          auto [seen, sv, si] =
                              insertAtLeast(pb, count, bar, element, pv, pi);
                          return copySlots(pb, minu(pb, count, k), seen, {sv, si}, {v, i});
                        };
                        if (!ShapedType::isDynamic(kStatic))
                          return kStatic <= kPrivate ? inPrivate(ob, l) : inGlobal(ob, l);
                        // k from the call: private slots when it fits them.
                        Value fits = arith::CmpIOp::create(ob, l, arith::CmpIPredicate::ule, k,
                                                           c(ob, kPrivate));
                        auto branch = scf::IfOp::create(
                            ob, l, fits,
                            [&](OpBuilder &tb, Location tl) {
                              auto [a, b2] = inPrivate(tb, tl);
                              scf::YieldOp::create(tb, tl, ValueRange{a, b2});
                            },
                            [&](OpBuilder &eb, Location el) {
                              auto [a, b2] = inGlobal(eb, el);
                              scf::YieldOp::create(eb, el, ValueRange{a, b2});
                            });
                        return std::pair<Value, Value>{branch.getResult(0), branch.getResult(1)};
                      });
  }

  // Slots [0, count) of `from` stored into `to`; those at `filled` and above
  // as gaps (index -1: the list holds fewer elements than its count).
  std::pair<Value, Value> copySlots(OpBuilder &ob, Value count, Value filled,
                                    std::pair<Value, Value> from, std::pair<Value, Value> to) {
    Value gapIndex = arith::ConstantOp::create(ob, loc, ob.getIntegerAttr(indexType, -1));
    auto copy = scf::ForOp::create(
        ob, loc, c(ob, 0), count, c(ob, 1), ValueRange{to.first, to.second},
        [&](OpBuilder &cb, Location cl, Value j, ValueRange cur) {
          Value v = tensor::ExtractOp::create(cb, cl, from.first, ValueRange{j});
          Value i = tensor::ExtractOp::create(cb, cl, from.second, ValueRange{j});
          Value inList = arith::CmpIOp::create(cb, cl, arith::CmpIPredicate::ult, j, filled);
          i = arith::SelectOp::create(cb, cl, inList, i, gapIndex);
          Value nv = tensor::InsertOp::create(cb, cl, v, cur[0], ValueRange{j});
          Value ni = tensor::InsertOp::create(cb, cl, i, cur[1], ValueRange{j});
          scf::YieldOp::create(cb, cl, ValueRange{nv, ni});
        });
    return {copy.getResult(0), copy.getResult(1)};
  }

  // A value every element ranks at least as high as: NaN for floats (NaN
  // ranks first), the largest integer.
  Value top(OpBuilder &ob) {
    if (auto f = dyn_cast<FloatType>(valueType))
      return arith::ConstantOp::create(ob, loc, ob.getFloatAttr(f, APFloat::getNaN(f.getFloatSemantics())));
    auto width = valueType.getIntOrFloatBitWidth();
    return arith::ConstantOp::create(
        ob, loc, ob.getIntegerAttr(valueType, APInt::getSignedMaxValue(width)));
  }

  // The best element of each of k groups of a row (group g: [g s, (g + 1) s)
  // with s = n / k, the last one to n): k elements of the row, so the worst of
  // them is ranked at or above by at least k elements, and every element of the
  // row's top k ranks at least as high as it.
  Value groupBests() {
    SmallVector<OpFoldResult> shape(outer);
    shape.push_back(kSize());
    Value bests = tensor::EmptyOp::create(b, loc, shape, valueType);
    // No groups in an empty row (nothing to read; no chunk reads the threshold).
    Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, n, c(b, 0));
    SmallVector<OpFoldResult> bounds(outer);
    bounds.push_back(arith::SelectOp::create(b, loc, empty, c(b, 0), k).getResult());
    auto forall = scf::ForallOp::create(b, loc, bounds, ValueRange{bests}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    SmallVector<Value> ivs(forall.getInductionVars());
    Value g = ivs.back();
    Value size = arith::DivUIOp::create(b, loc, n, arith::MaxUIOp::create(b, loc, k, c(b, 1)));
    Value start = arith::MulIOp::create(b, loc, g, size);
    Value last = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, g, kLast);
    Value end = arith::SelectOp::create(b, loc, last, n, arith::AddIOp::create(b, loc, start, size));
    ValueRange outerIvs = ValueRange(ivs).drop_back();
    Value first = tensor::ExtractOp::create(b, loc, input, inputAt(b, outerIvs, start));
    auto scan = scf::ForOp::create(
        b, loc, arith::AddIOp::create(b, loc, start, c(b, 1)), end, c(b, 1), ValueRange{first},
        [&](OpBuilder &sb, Location sl, Value pos, ValueRange best) {
          Value x = tensor::ExtractOp::create(sb, sl, input, inputAt(sb, outerIvs, pos));
          Value better = beats(sb, sl, x, best[0]);
          scf::YieldOp::create(sb, sl, ValueRange{arith::SelectOp::create(sb, sl, better, x, best[0])});
        });
    SmallVector<OpFoldResult> offsets(ivs.begin(), ivs.end());
    SmallVector<OpFoldResult> sizes(ivs.size(), b.getIndexAttr(1));
    SmallVector<OpFoldResult> strides(ivs.size(), b.getIndexAttr(1));
    Value slot = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get({1}, valueType),
                                                forall.getRegionIterArgs()[0], offsets, sizes,
                                                strides);
    Value one = tensor::InsertOp::create(b, loc, scan.getResult(0), slot, ValueRange{c(b, 0)});
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, one, forall.getRegionIterArgs()[0], offsets,
                                          sizes, strides);
    return forall.getResult(0);
  }

  // The row's threshold: the worst of its group bests.
  Value threshold(OpBuilder &ob, ValueRange outerIvs, Value bests) {
    auto scan = scf::ForOp::create(
        ob, loc, c(ob, 0), k, c(ob, 1), ValueRange{top(ob)},
        [&](OpBuilder &sb, Location sl, Value g, ValueRange worst) {
          SmallVector<Value> at(outerIvs);
          at.push_back(g);
          Value x = tensor::ExtractOp::create(sb, sl, bests, at);
          Value worse = beats(sb, sl, worst[0], x);
          scf::YieldOp::create(sb, sl, ValueRange{arith::SelectOp::create(sb, sl, worse, x, worst[0])});
        });
    return scan.getResult(0);
  }

  // Elements 0 .. count inserted in order into the slots, those that rank
  // below `bar` skipped (they cannot be in the row's top k). Returns how many
  // were inserted, and the slots.
  std::tuple<Value, Value, Value> insertAtLeast(OpBuilder &ob, Value count, Value bar,
                                                ElementAt element, Value values, Value indices) {
    Value zero = c(ob, 0);
    Value kZero = arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::eq, k, zero);
    Value end = arith::SelectOp::create(ob, loc, kZero, zero, count);
    auto loop = scf::ForOp::create(
        ob, loc, zero, end, c(ob, 1), ValueRange{zero, values, indices},
        [&](OpBuilder &nb, Location nl, Value e, ValueRange cur) {
          auto [x, xIndex] = element(nb, nl, e);
          Value below = beats(nb, nl, bar, x);
          auto branch = scf::IfOp::create(
              nb, nl, below,
              [&](OpBuilder &tb, Location tl) { scf::YieldOp::create(tb, tl, cur); },
              [&](OpBuilder &eb, Location el) {
                auto [v, i] = insertOne(eb, el, RowAccess{{}, false}, k, cur[0], x, xIndex,
                                        cur[1], cur[2]);
                Value seen = arith::AddIOp::create(eb, el, cur[0], c(eb, 1));
                scf::YieldOp::create(eb, el, ValueRange{seen, v, i});
              });
          scf::YieldOp::create(nb, nl, branch.getResults());
        });
    return {loop.getResult(0), loop.getResult(1), loop.getResult(2)};
  }

  // One step of a merge: the better head of the two lists (the left one on a
  // tie) into slot t, or a gap when neither list has an element left. `cur` is
  // (left cursor, right cursor, values, indices, ended).
  using ReadSlot = llvm::function_ref<Value(OpBuilder &, Value, Value, Value)>;
  SmallVector<Value> mergeStep(OpBuilder &mb, ValueRange outerIvs, Value t, ValueRange cur,
                               ReadSlot read, Value left, Value right, Value leftCount,
                               Value rightCount, std::pair<Value, Value> prev) {
    Location ml = loc;
    Value one = c(mb, 1), zero = c(mb, 0);
    Value a = cur[0], r = cur[1];
    Value av = read(mb, prev.first, left, a), ai = read(mb, prev.second, left, a);
    Value rv = read(mb, prev.first, right, r), ri = read(mb, prev.second, right, r);
    // A list's head is an element while its cursor is below its count and not
    // at a gap (the index -1 that a filtered chunk or an ended merge leaves).
    Value gap = arith::ConstantOp::create(mb, ml, mb.getIntegerAttr(indexType, -1));
    auto isElement = [&](Value cursor, Value count, Value index) {
      Value inside = arith::CmpIOp::create(mb, ml, arith::CmpIPredicate::ult, cursor, count);
      Value real = arith::CmpIOp::create(mb, ml, arith::CmpIPredicate::ne, index, gap);
      return arith::AndIOp::create(mb, ml, inside, real).getResult();
    };
    Value yes = arith::ConstantIntOp::create(mb, ml, 1, 1);
    Value leftHas = isElement(a, leftCount, ai), rightHas = isElement(r, rightCount, ri);
    Value leftDone = arith::XOrIOp::create(mb, ml, leftHas, yes);
    Value rightFirst = arith::OrIOp::create(mb, ml, leftDone, beats(mb, ml, rv, av));
    Value takeRight = arith::AndIOp::create(mb, ml, rightHas, rightFirst);
    Value value = arith::SelectOp::create(mb, ml, takeRight, rv, av);
    Value index = arith::SelectOp::create(mb, ml, takeRight, ri,
                                          arith::SelectOp::create(mb, ml, leftHas, ai, gap));
    Value step = arith::SelectOp::create(mb, ml, takeRight, one, zero);
    Value nextRight = arith::AddIOp::create(mb, ml, r, step);
    Value nextLeft = arith::AddIOp::create(mb, ml, a, arith::SubIOp::create(mb, ml, one, step));
    Value nv = tensor::InsertOp::create(mb, ml, value, cur[2], ValueRange{t});
    Value ni = tensor::InsertOp::create(mb, ml, index, cur[3], ValueRange{t});
    Value ended = arith::XOrIOp::create(mb, ml, arith::OrIOp::create(mb, ml, leftHas, rightHas), yes);
    return {nextLeft, nextRight, nv, ni, ended};
  }

  // Lists 2q and 2q + 1 of `prev` (spanning `span` elements each) merged into
  // the slots `v`, `i` of list q.
  std::pair<Value, Value> mergePair(OpBuilder &ob, ValueRange outerIvs, Value q, Value span,
                                    Value prevLists, std::pair<Value, Value> prev, Value v,
                                    Value i) {
    Value one = c(ob, 1);
    Value left = arith::MulIOp::create(ob, loc, q, c(ob, 2));
    Value right = arith::AddIOp::create(ob, loc, left, one);
    Value leftCount = listCount(ob, left, span), rightCount = listCount(ob, right, span);
    Value total = minu(ob, k, arith::AddIOp::create(ob, loc, leftCount, rightCount));
    // A missing right list (an odd count) has no elements; read the left one's row.
    Value rightRead = minu(ob, right, arith::SubIOp::create(ob, loc, prevLists, one));
    auto read = [&](OpBuilder &rb, Value tensor, Value list, Value slot) {
      SmallVector<Value> at(outerIvs);
      at.push_back(list);
      at.push_back(minu(rb, slot, kLast)); // an exhausted list's cursor is past its end
      return tensor::ExtractOp::create(rb, loc, tensor, at).getResult();
    };
    Value zero = c(ob, 0);
    Value no = arith::ConstantIntOp::create(ob, loc, 0, 1);
    // Once both lists are out of elements one gap ends the merged list (readers
    // stop at it) and the other steps read nothing.
    auto merge = scf::ForOp::create(
        ob, loc, zero, total, one, ValueRange{zero, zero, v, i, no},
        [&](OpBuilder &mb, Location ml, Value t, ValueRange cur) {
          auto step = scf::IfOp::create(
              mb, ml, cur[4],
              [&](OpBuilder &db, Location dl) { scf::YieldOp::create(db, dl, cur); },
              [&](OpBuilder &sb, Location sl) {
                scf::YieldOp::create(sb, sl, mergeStep(sb, outerIvs, t, cur, read, left,
                                                       rightRead, leftCount, rightCount, prev));
              });
          scf::YieldOp::create(mb, ml, step.getResults());
        });
    return {merge.getResult(2), merge.getResult(3)};
  }

  // Levels 1 .. levels: pairs of lists merged; the last level writes `dests`.
  std::pair<Value, Value> mergeLevels(std::pair<Value, Value> lists0, int64_t levels,
                                      std::pair<Value, Value> dests) {
    std::pair<Value, Value> prev = lists0;
    Value prevLists = lists;
    for (int64_t level = 1; level <= levels; ++level) {
      Value span = arith::MulIOp::create(b, loc, chunk, c(b, int64_t(1) << (level - 1)));
      bool last = level == levels;
      Value count = arith::CeilDivUIOp::create(b, loc, lists, c(b, int64_t(1) << level));
      SmallVector<OpFoldResult> bounds(outer);
      std::pair<Value, Value> out = dests;
      if (!last) {
        bounds.push_back(count);
        out = emptyLists(count);
      }
      Value inLists = prevLists;
      prev = forallRows(bounds, out.first, out.second,
                        [&](OpBuilder &ob, Location, ValueRange ivs, Value v, Value i) {
                          ValueRange outerIvs = last ? ivs : ivs.drop_back();
                          Value q = last ? c(ob, 0) : ivs.back();
                          return mergePair(ob, outerIvs, q, span, inLists, prev, v, i);
                        });
      prevLists = count;
    }
    return prev;
  }
};

} // namespace

std::optional<std::pair<Value, Value>>
vibee::topk::lowerMergeTree(OpBuilder &b, TopKOp op, Value values, Value indices) {
  Location loc = op.getLoc();
  auto vType = cast<RankedTensorType>(values.getType());
  auto iType = cast<RankedTensorType>(indices.getType());
  int64_t rank = vType.getRank();
  if ((int64_t)op.getDimension() != rank - 1)
    return std::nullopt;
  auto [input, unitAxis] = uncollapsedInput(op);
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t nStatic = inType.getShape().back(), kStatic = vType.getShape().back();

  // Chunks: ceil(n / max(2k, 64)), 1 .. 2048. Static, too few: rows per thread.
  int64_t levels = kMaxLevels;
  if (!ShapedType::isDynamic(nStatic) && !ShapedType::isDynamic(kStatic)) {
    int64_t chunk = std::max(2 * kStatic, kMinChunk);
    int64_t lists = std::clamp<int64_t>(llvm::divideCeil(nStatic, chunk), 1, kMaxLists);
    if (lists < kMinLists)
      return std::nullopt;
    levels = llvm::Log2_64_Ceil(lists);
  } else if (!ShapedType::isDynamic(nStatic) && nStatic < kMinLists * kMinChunk) {
    return std::nullopt;
  }

  MergeTree tree{b, loc, op, input, unitAxis, rank == 1, {}, kStatic,
                 vType.getElementType(), iType.getElementType(), {}, {}, {}, {}, {}};
  std::pair<Value, Value> dests{values, indices};
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  if (rank == 1) {
    sizes.insert(sizes.begin(), b.getIndexAttr(1));
    auto expand = [&](Value d) {
      auto t = cast<RankedTensorType>(d.getType());
      auto expanded = RankedTensorType::get({1, t.getDimSize(0)}, t.getElementType());
      return tensor::ExpandShapeOp::create(b, loc, expanded, d,
                                           SmallVector<ReassociationIndices>{{0, 1}}, sizes)
          .getResult();
    };
    dests = {expand(values), expand(indices)};
  }
  tree.outer.assign(sizes.begin(), sizes.end() - 1);
  tree.k = tensor::DimOp::create(b, loc, values, rank - 1);
  tree.kLast = arith::SubIOp::create(b, loc, tree.k, tree.c(b, 1));
  tree.n = tensor::DimOp::create(b, loc, input, inType.getRank() - 1);
  Value minChunk = arith::MaxUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, tree.k, tree.c(b, 2)), tree.c(b, kMinChunk));
  Value lists = arith::CeilDivUIOp::create(b, loc, tree.n, minChunk);
  lists = arith::MaxUIOp::create(b, loc, lists, tree.c(b, 1));
  tree.lists = tree.minu(b, lists, tree.c(b, kMaxLists));
  tree.chunk = arith::CeilDivUIOp::create(b, loc, tree.n, tree.lists);

  // The threshold serves the private slots only (k <= 128, maybe so at the call).
  bool mayFilter = ShapedType::isDynamic(kStatic) || kStatic <= kPrivate;
  Value bests = mayFilter ? tree.groupBests() : Value();
  std::pair<Value, Value> result = tree.mergeLevels(tree.chunkLists(bests), levels, dests);
  if (rank == 1) {
    auto collapse = [&](Value v, RankedTensorType t) {
      return tensor::CollapseShapeOp::create(b, loc, t, v,
                                             SmallVector<ReassociationIndices>{{0, 1}})
          .getResult();
    };
    result = {collapse(result.first, vType), collapse(result.second, iType)};
  }
  return result;
}
