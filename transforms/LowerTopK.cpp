//===- LowerTopK.cpp - vibee.topk to rows of sorted insertions ------------===//
//
// A top-k is independent across rows (docs/language.md, "Top-k"). Each row keeps
// its k best elements sorted in the destinations themselves and inserts the
// elements of the input in order: an element that does not beat the current k-th
// is skipped (one comparison, the common case once the row is full), one that does
// is put in place by one descending pass that moves the worse ones down a slot.
// Only the destinations are carried (no scalar loop results: EmitC would declare
// them), and the order needs no sort network: O(N) comparisons per row plus O(k)
// per insertion. Rows run like scans' rows (LowerScans.cpp): an scf.forall over
// them (GPU: one thread per row) or, with parallel=false, a loop nest in order.
// With parallel rows, long rows are cut into chunks whose lists a tree of merges
// combines (TopKMergeTree.cpp).
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"
#include "transforms/TopKRows.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_LOWERTOPKPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;
using namespace vibee::topk;

Value vibee::topk::beats(OpBuilder &b, Location loc, Value x, Value y) {
  // For floats "x > y or x is NaN" (ugt) where y is a number. (No || over &&
  // here or below: the C++ output would print `a || b && c`, which
  // -Wparentheses rejects.)
  if (!isa<FloatType>(getElementTypeOrSelf(x.getType())))
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, y);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT, x, y);
  Value yNumber = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ORD, y, y);
  return arith::AndIOp::create(b, loc, above, yNumber);
}

std::pair<Value, bool> vibee::topk::uncollapsedInput(TopKOp op) {
  Value input = op.getInput();
  auto c = input.getDefiningOp<tensor::CollapseShapeOp>();
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  if (!c || c.getSrcType().getRank() != rank + 1 || c.getSrcType().getDimSize(rank - 1) != 1)
    return {input, false};
  auto groups = c.getReassociationIndices();
  if (groups.back() != ReassociationIndices{rank - 1, rank})
    return {input, false};
  return {c.getSrc(), true};
}

/// Whether x, after `seen` elements, enters the k slots: while the row is not
/// full, or when x beats the k-th (slot kLast).
static Value entersSlots(OpBuilder &b, Location loc, const RowAccess &row, Value k, Value kLast,
                         Value seen, Value x, Value values) {
  Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, seen, k);
  Value kth = tensor::ExtractOp::create(b, loc, values, row.pos(kLast));
  return arith::SelectOp::create(b, loc, full, beats(b, loc, x, kth),
                                 arith::ConstantIntOp::create(b, loc, 1, 1));
}

std::pair<Value, Value> vibee::topk::insertOne(OpBuilder &b, Location loc, const RowAccess &row,
                                               Value k, Value seen, Value x, Value xIndex,
                                               Value values, Value indices) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value kLast = arith::SubIOp::create(b, loc, k, one);
  Value enter = entersSlots(b, loc, row, k, kLast, seen, x, values);
  Value slots =
      arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, seen, one), k).getResult();
  Value entered = arith::SelectOp::create(b, loc, enter, slots, zero);
  // Slots entered-1 down to 0: slot j takes x when x beats it (or it is the
  // empty slot `seen`), its upper neighbour instead when x beats that one too.
  auto shift = scf::ForOp::create(
      b, loc, zero, entered, one, ValueRange{values, indices},
      [&](OpBuilder &sb, Location sl, Value t, ValueRange cur) {
        Value j = arith::SubIOp::create(sb, sl, arith::SubIOp::create(sb, sl, entered, one), t);
        Value old = tensor::ExtractOp::create(sb, sl, cur[0], row.pos(j));
        Value oldIndex = tensor::ExtractOp::create(sb, sl, cur[1], row.pos(j));
        Value empty = arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::eq, j, seen);
        Value here = arith::SelectOp::create(
            sb, sl, empty, arith::ConstantIntOp::create(sb, sl, 1, 1), beats(sb, sl, x, old));
        Value up =
            arith::SubIOp::create(sb, sl, arith::MaxUIOp::create(sb, sl, j, one).getResult(), one);
        Value prev = tensor::ExtractOp::create(sb, sl, cur[0], row.pos(up));
        Value prevIndex = tensor::ExtractOp::create(sb, sl, cur[1], row.pos(up));
        Value hasUp = arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::ugt, j, zero);
        Value moveDown = arith::AndIOp::create(sb, sl, hasUp, beats(sb, sl, x, prev));
        Value in = arith::SelectOp::create(sb, sl, moveDown, prev, x);
        Value inIndex = arith::SelectOp::create(sb, sl, moveDown, prevIndex, xIndex);
        Value v = arith::SelectOp::create(sb, sl, here, in, old);
        Value vi = arith::SelectOp::create(sb, sl, here, inIndex, oldIndex);
        Value w = tensor::InsertOp::create(sb, sl, v, cur[0], row.pos(j));
        Value wi = tensor::InsertOp::create(sb, sl, vi, cur[1], row.pos(j));
        scf::YieldOp::create(sb, sl, ValueRange{w, wi});
      });
  return {shift.getResult(0), shift.getResult(1)};
}

std::pair<Value, Value> vibee::topk::insertSorted(OpBuilder &b, Location loc, const RowAccess &row,
                                                  Value k, Value count, ElementAt element,
                                                  Value values, Value indices) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // k = 0: nothing to keep, and no k-th element to compare with.
  Value kZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k, zero);
  Value end = arith::SelectOp::create(b, loc, kZero, zero, count);
  auto outer = scf::ForOp::create(
      b, loc, zero, end, one, ValueRange{values, indices},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange carried) {
        auto [x, xIndex] = element(nb, nl, i);
        auto [v, vi] = insertOne(nb, nl, row, k, i, x, xIndex, carried[0], carried[1]);
        scf::YieldOp::create(nb, nl, ValueRange{v, vi});
      });
  return {outer.getResult(0), outer.getResult(1)};
}

namespace {

// The lanes of the CPU's filter over a row of `element`s (64 bytes), or 0 where
// rows are inserted element by element (other element types).
int64_t filterLanes(Type element) {
  if (element.isF32() || element.isInteger(32))
    return 16;
  if (element.isF64() || element.isInteger(64))
    return 8;
  return 0;
}

// insertOne for the CPU: the same slots, but the pass that moves the worse ones
// down stops at x's place (an scf.while) instead of visiting all k slots.
std::pair<Value, Value> insertOneStopping(OpBuilder &b, Location loc, const RowAccess &row,
                                          Value k, Value seen, Value x, Value xIndex,
                                          Value values, Value indices) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value kLast = arith::SubIOp::create(b, loc, k, one);
  Value enter = entersSlots(b, loc, row, k, kLast, seen, x, values);
  auto ifOp = scf::IfOp::create(
      b, loc, enter,
      [&](OpBuilder &tb, Location tl) {
        // From the slot x takes if it beats every filled one (the empty slot
        // `seen`, or the k-th, which drops out), up while it beats the slot above.
        Value start = arith::MinUIOp::create(tb, tl, seen, kLast);
        SmallVector<Type> types{tb.getIndexType(), values.getType(), indices.getType()};
        auto loop = scf::WhileOp::create(
            tb, tl, types, ValueRange{start, values, indices},
            [&](OpBuilder &cb, Location cl, ValueRange args) {
              Value up = arith::SubIOp::create(
                  cb, cl, arith::MaxUIOp::create(cb, cl, args[0], one).getResult(), one);
              Value above = tensor::ExtractOp::create(cb, cl, args[1], row.pos(up));
              Value hasUp = arith::CmpIOp::create(cb, cl, arith::CmpIPredicate::ugt, args[0], zero);
              Value moves = arith::AndIOp::create(cb, cl, hasUp, beats(cb, cl, x, above));
              scf::ConditionOp::create(cb, cl, moves, args);
            },
            [&](OpBuilder &db, Location dl, ValueRange args) {
              Value up = arith::SubIOp::create(db, dl, args[0], one);
              Value v = tensor::ExtractOp::create(db, dl, args[1], row.pos(up));
              Value vi = tensor::ExtractOp::create(db, dl, args[2], row.pos(up));
              Value w = tensor::InsertOp::create(db, dl, v, args[1], row.pos(args[0]));
              Value wi = tensor::InsertOp::create(db, dl, vi, args[2], row.pos(args[0]));
              scf::YieldOp::create(db, dl, ValueRange{up, w, wi});
            });
        Value at = loop.getResult(0);
        Value w = tensor::InsertOp::create(tb, tl, x, loop.getResult(1), row.pos(at));
        Value wi = tensor::InsertOp::create(tb, tl, xIndex, loop.getResult(2), row.pos(at));
        scf::YieldOp::create(tb, tl, ValueRange{w, wi});
      },
      [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, ValueRange{values, indices}); });
  return {ifOp.getResult(0), ifOp.getResult(1)};
}

// insertSorted for a row of the input that is read `lanes` elements at a time
// once its k slots are full: a block whose elements all fail to beat the k-th is
// skipped after one vector comparison (most of them, once the slots hold large
// values), a block with one that beats it is inserted element by element as
// before, so the slots are the same. The first k elements and the last partial
// block go element by element too, each insertion stopping at its place.
std::pair<Value, Value> insertSortedFiltered(OpBuilder &b, Location loc, const RowAccess &row,
                                             Value k, Value count, ElementAt element,
                                             Value input, ArrayRef<Value> inputAt, int64_t lanes,
                                             Value values, Value indices) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value zero = index(0), one = index(1), width = index(lanes);
  Value kZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k, zero);
  Value end = arith::SelectOp::create(b, loc, kZero, zero, count);
  Value head = arith::MinUIOp::create(b, loc, end, k);
  Value blocksEnd = arith::AddIOp::create(
      b, loc, head,
      arith::MulIOp::create(b, loc,
                            arith::DivUIOp::create(b, loc, arith::SubIOp::create(b, loc, end, head),
                                                   width),
                            width));
  auto inOrder = [&](OpBuilder &nb, Location nl, Value from, Value to, ValueRange slots) {
    auto loop = scf::ForOp::create(
        nb, nl, from, to, one, slots, [&](OpBuilder &ib, Location il, Value i, ValueRange cur) {
          auto [x, xIndex] = element(ib, il, i);
          auto [v, vi] = insertOneStopping(ib, il, row, k, i, x, xIndex, cur[0], cur[1]);
          scf::YieldOp::create(ib, il, ValueRange{v, vi});
        });
    return loop.getResults();
  };
  ValueRange filled = inOrder(b, loc, zero, head, ValueRange{values, indices});
  Type elementType = cast<ShapedType>(input.getType()).getElementType();
  auto vectorType = VectorType::get({lanes}, elementType);
  auto blocks = scf::ForOp::create(
      b, loc, head, blocksEnd, width, filled,
      [&](OpBuilder &nb, Location nl, Value c0, ValueRange cur) {
        SmallVector<Value> at(inputAt);
        at.push_back(c0);
        Value padding = arith::ConstantOp::create(nb, nl, nb.getZeroAttr(elementType));
        Value block = vector::TransferReadOp::create(nb, nl, vectorType, input, at, padding,
                                                     ArrayRef<bool>{true});
        Value kth = tensor::ExtractOp::create(
            nb, nl, cur[0], row.pos(arith::SubIOp::create(nb, nl, k, one)));
        Value kths = vector::BroadcastOp::create(nb, nl, vectorType, kth);
        Value any = vector::ReductionOp::create(nb, nl, vector::CombiningKind::OR,
                                                beats(nb, nl, block, kths));
        auto maybe = scf::IfOp::create(
            nb, nl, any,
            [&](OpBuilder &tb, Location tl) {
              Value blockEnd = arith::AddIOp::create(tb, tl, c0, width);
              scf::YieldOp::create(tb, tl, inOrder(tb, tl, c0, blockEnd, cur));
            },
            [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, cur); });
        scf::YieldOp::create(nb, nl, maybe.getResults());
      });
  ValueRange rest = inOrder(b, loc, blocksEnd, end, blocks.getResults());
  return {rest[0], rest[1]};
}

// One row: every element n of the input inserted into the sorted (values, indices),
// through the CPU's vector filter with `filter`.
std::pair<Value, Value> buildRow(OpBuilder &b, Location loc, TopKOp op, const RowAccess &row,
                                 Value values, Value indices, bool filter = false) {
  auto [input, unitAxis] = uncollapsedInput(op);
  int64_t dim = (int64_t)op.getDimension();
  Type indexElem = cast<RankedTensorType>(indices.getType()).getElementType();
  Value k = tensor::DimOp::create(b, loc, op.getValues(), dim);
  Value n = tensor::DimOp::create(b, loc, input, unitAxis ? dim + 1 : dim);
  auto element = [&](OpBuilder &nb, Location nl, Value i) -> std::pair<Value, Value> {
    SmallVector<Value> at(row.at);
    if (unitAxis)
      at.push_back(arith::ConstantIndexOp::create(nb, nl, 0));
    at.push_back(i);
    Value x = tensor::ExtractOp::create(nb, nl, input, at);
    // Through i64: the C++ output's index is i64 (vibee-prepare-emitc).
    Value xIndex = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
    if (indexElem != xIndex.getType())
      xIndex = arith::TruncIOp::create(nb, nl, indexElem, xIndex);
    return {x, xIndex};
  };
  Type inputElement = cast<RankedTensorType>(input.getType()).getElementType();
  if (int64_t lanes = filterLanes(inputElement); filter && lanes) {
    SmallVector<Value> inputAt(row.at);
    if (unitAxis)
      inputAt.push_back(arith::ConstantIndexOp::create(b, loc, 0));
    return insertSortedFiltered(b, loc, row, k, n, element, input, inputAt, lanes, values,
                                indices);
  }
  return insertSorted(b, loc, row, k, n, element, values, indices);
}

// Rows in order: a loop nest over the outer dimensions that updates the whole
// destinations in place.
std::pair<Value, Value> lowerSerial(OpBuilder &b, TopKOp op, Value values, Value indices,
                                    bool markRows) {
  Location loc = op.getLoc();
  int64_t dim = (int64_t)op.getDimension();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> lbs(dim, zero), ubs, steps(dim, one);
  for (int64_t d = 0; d < dim; ++d)
    ubs.push_back(tensor::DimOp::create(b, loc, values, d));
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{values, indices},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange carried) -> scf::ValueVector {
        RowAccess row{SmallVector<Value>(ivs), /*whole=*/true};
        auto [v, i] = buildRow(nb, nl, op, row, carried[0], carried[1], /*filter=*/markRows);
        return {v, i};
      });
  // The rows are independent: the CPU may split the outermost row loop over its
  // threads (vibee-cpu-parallelize).
  if (markRows && !nest.loops.empty())
    nest.loops.front()->setAttr(attr::kIndependentRows, b.getUnitAttr());
  return {nest.results[0], nest.results[1]};
}

// Rows in parallel: an scf.forall over the outer dimensions, each iteration
// working on its row slices (a 1-D top-k is the one row of a [1, k] view).
std::pair<Value, Value> lowerParallel(OpBuilder &b, TopKOp op, Value values, Value indices) {
  Location loc = op.getLoc();
  auto vType = cast<RankedTensorType>(values.getType());
  auto iType = cast<RankedTensorType>(indices.getType());
  int64_t rank = vType.getRank(), dim = (int64_t)op.getDimension();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  Value dests[2] = {values, indices};
  int64_t outRank = rank;
  if (rank == 1) {
    outRank = 2;
    sizes.insert(sizes.begin(), b.getIndexAttr(1));
    for (Value &d : dests) {
      auto t = cast<RankedTensorType>(d.getType());
      auto expanded = RankedTensorType::get({1, t.getDimSize(0)}, t.getElementType());
      d = tensor::ExpandShapeOp::create(b, loc, expanded, d,
                                        SmallVector<ReassociationIndices>{{0, 1}}, sizes);
    }
  }
  SmallVector<OpFoldResult> rows(sizes.begin(), sizes.end() - 1);
  // One row would be a one-iteration loop that canonicalization inlines (the GPU
  // would then run it on the host, LowerScans.cpp): min(k, 1) rows instead.
  if (llvm::all_of(rows, [](OpFoldResult r) { return isConstantIntValue(r, 1); })) {
    Value k = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
    rows[0] =
        arith::MinUIOp::create(b, loc, k, arith::ConstantIndexOp::create(b, loc, 1)).getResult();
  }
  auto forall = scf::ForallOp::create(b, loc, rows, ValueRange{dests[0], dests[1]}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  SmallVector<Value> ivs(forall.getInductionVars());
  SmallVector<OpFoldResult> offsets(ivs.begin(), ivs.end()),
      rowSizes(outRank - 1, b.getIndexAttr(1));
  offsets.push_back(b.getIndexAttr(0));
  rowSizes.push_back(sizes.back());
  SmallVector<OpFoldResult> strides(outRank, b.getIndexAttr(1));
  Value slices[2];
  for (int s = 0; s < 2; ++s) {
    auto t = cast<RankedTensorType>(forall.getRegionIterArgs()[s].getType());
    auto rowType = RankedTensorType::get({vType.getDimSize(dim)}, t.getElementType());
    slices[s] = tensor::ExtractSliceOp::create(b, loc, rowType, forall.getRegionIterArgs()[s],
                                               offsets, rowSizes, strides);
  }
  RowAccess row{rank == 1 ? SmallVector<Value>{} : ivs, /*whole=*/false};
  auto [v, i] = buildRow(b, loc, op, row, slices[0], slices[1]);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, v, forall.getRegionIterArgs()[0], offsets, rowSizes,
                                        strides);
  tensor::ParallelInsertSliceOp::create(b, loc, i, forall.getRegionIterArgs()[1], offsets, rowSizes,
                                        strides);
  b.setInsertionPointAfter(forall);
  if (rank == 1)
    return {tensor::CollapseShapeOp::create(b, loc, vType, forall.getResult(0),
                                            SmallVector<ReassociationIndices>{{0, 1}}),
            tensor::CollapseShapeOp::create(b, loc, iType, forall.getResult(1),
                                            SmallVector<ReassociationIndices>{{0, 1}})};
  return {forall.getResult(0), forall.getResult(1)};
}

struct LowerTopKPass : vibee::impl::LowerTopKPassBase<LowerTopKPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<TopKOp> ops;
    getOperation()->walk([&](TopKOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (TopKOp op : ops) {
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      // The slots are read before they are all written (an element is compared with
      // the k-th slot of a row not yet full): zeros, so no read is undefined.
      auto zeroOf = [&](Value dest) {
        Type t = cast<RankedTensorType>(dest.getType()).getElementType();
        Value z = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(t));
        return linalg::FillOp::create(rewriter, loc, z, dest).getResult(0);
      };
      Value values = zeroOf(op.getValues()), indices = zeroOf(op.getIndices());
      std::pair<Value, Value> rows;
      if (!parallel)
        rows = lowerSerial(rewriter, op, values, indices, markRows);
      else if (auto tree = lowerMergeTree(rewriter, op, values, indices))
        rows = *tree;
      else
        rows = lowerParallel(rewriter, op, values, indices);
      auto [v, i] = rows;
      Operation *input = op.getInput().getDefiningOp();
      rewriter.replaceOp(op, ValueRange{v, i});
      if (input && isa<tensor::CollapseShapeOp>(input) && input->use_empty())
        rewriter.eraseOp(input); // read uncollapsed (uncollapsedInput)
    }
  }
};

} // namespace
