//===- LowerScans.cpp - vibee.scan to a parallel loop of sequential rows ---===//
//
// A scan is sequential along its dimension and independent across the others
// (docs/language.md, "Scans"). This lowering keeps that shape on tensors, before
// bufferization, so every target gets it the same way: an scf.forall over the rows
// (CPU: scf.parallel -> OpenMP; GPU: one thread per row; C++: loops), each row an
// scf.for carrying the running value. The combiner region is cloned per step.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_LOWERSCANSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

// The running value stored at element type `element` (a narrow float is rounded
// once, from the accumulator).
Value toElement(OpBuilder &b, Location loc, Value v, Type element) {
  if (v.getType() == element)
    return v;
  if (element.getIntOrFloatBitWidth() > v.getType().getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, element, v);
  return arith::TruncFOp::create(b, loc, element, v);
}

// The sequential steps of one row: the running value starts at the init element
// (or the identity) and each step writes its output into `row` (a 1-D row, or with
// `wholeTensor` the whole tensor at the element's full index). `at` indexes the
// inputs with 0 along the scanned dimension.
scf::ForOp buildSteps(OpBuilder &b, Location loc, ScanOp op, ArrayRef<Value> at, Value row,
                      bool wholeTensor, bool accInTensor = false) {
  auto type = cast<RankedTensorType>(op.getResult().getType());
  int64_t dim = (int64_t)op.getDimension();
  Value start;
  if (Value init = op.getInit())
    start = tensor::ExtractOp::create(b, loc, init, at);
  else
    start = op.buildIdentity(b, loc);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value length = tensor::DimOp::create(b, loc, op.getInputs()[0], dim);
  Block &combiner = op.getCombiner().front();
  // With `accInTensor` the running value lives in a one-element tensor: the loop
  // then has no scalar result, which EmitC would declare and leave unused.
  if (accInTensor) {
    Value cell = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{1}, start.getType());
    start = tensor::InsertOp::create(b, loc, start, cell, ValueRange{zero});
  }
  return scf::ForOp::create(
      b, loc, zero, length, one, ValueRange{start, row},
      [&](OpBuilder &nb, Location nloc, Value t, ValueRange carried) {
        SmallVector<Value> index(at);
        index[dim] = t;
        Value c0 = arith::ConstantIndexOp::create(nb, nloc, 0);
        Value running =
            accInTensor
                ? tensor::ExtractOp::create(nb, nloc, carried[0], ValueRange{c0}).getResult()
                : carried[0];
        IRMapping mapping;
        mapping.map(combiner.getArgument(0), running);
        for (auto [i, input] : llvm::enumerate(op.getInputs()))
          mapping.map(combiner.getArgument(i + 1),
                      tensor::ExtractOp::create(nb, nloc, input, index));
        for (Operation &inner : combiner.without_terminator())
          nb.clone(inner, mapping);
        Value next = mapping.lookupOrDefault(cast<YieldOp>(combiner.getTerminator()).getValue());
        Value out = toElement(nb, nloc, op.getExclusive() ? running : next, type.getElementType());
        Value written = tensor::InsertOp::create(nb, nloc, out, carried[1],
                                                 wholeTensor ? ValueRange(index) : ValueRange{t});
        Value kept =
            accInTensor
                ? tensor::InsertOp::create(nb, nloc, next, carried[0], ValueRange{c0}).getResult()
                : next;
        scf::YieldOp::create(nb, nloc, ValueRange{kept, written});
      });
}

// Serial rows (C++ output, which runs loops in order anyway): a loop nest over the
// other dimensions carrying the destination, which each step updates in place.
Value lowerScanSerial(OpBuilder &b, ScanOp op, bool accInTensor) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = type.getRank(), dim = (int64_t)op.getDimension();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> lbs, ubs, stepSizes;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim) {
      lbs.push_back(zero), stepSizes.push_back(one);
      ubs.push_back(tensor::DimOp::create(b, loc, op.getDest(), d));
    }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, stepSizes, ValueRange{op.getDest()},
      [&](OpBuilder &nb, Location nloc, ValueRange ivs, ValueRange carried) -> scf::ValueVector {
        SmallVector<Value> at;
        for (int64_t d = 0, r = 0; d < rank; ++d)
          at.push_back(d == dim ? zero : ivs[r++]);
        scf::ForOp steps =
            buildSteps(nb, nloc, op, at, carried[0], /*wholeTensor=*/true, accInTensor);
        return {steps.getResult(1)};
      });
  return nest.results.front();
}

Value lowerScan(OpBuilder &b, ScanOp op) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = type.getRank(), dim = (int64_t)op.getDimension();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, op.getDest());

  // A 1-D scan runs as the one row of a [1, N] view of its destination: a row is
  // written in place only as a slice of the loop's shared output (a whole-tensor
  // write inside scf.forall would be privatized and copied back).
  Value dest = op.getDest();
  int64_t outRank = rank, outDim = dim;
  SmallVector<OpFoldResult> outSizes(sizes);
  if (rank == 1) {
    outRank = 2, outDim = 1;
    outSizes.insert(outSizes.begin(), b.getIndexAttr(1));
    auto expanded = RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    dest = tensor::ExpandShapeOp::create(b, loc, expanded, dest,
                                         SmallVector<ReassociationIndices>{{0, 1}}, outSizes);
  }
  SmallVector<OpFoldResult> rows;
  for (int64_t d = 0; d < outRank; ++d)
    if (d != outDim)
      rows.push_back(outSizes[d]);

  // A single row would be a one-iteration loop, which canonicalization removes, and
  // the GPU would then scan on the host: its bound is min(length, 1) instead (0
  // rows when the scan is empty), which does not fold.
  if (llvm::all_of(rows, [](OpFoldResult r) { return isConstantIntValue(r, 1); })) {
    Value length = getValueOrCreateConstantIndexOp(b, loc, sizes[dim]);
    rows[0] = arith::MinUIOp::create(b, loc, length, arith::ConstantIndexOp::create(b, loc, 1))
                  .getResult();
  }
  auto forall = scf::ForallOp::create(b, loc, rows, ValueRange{dest}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  SmallVector<Value> ivs(forall.getInductionVars()); // returned by value
  Value shared = forall.getRegionIterArgs()[0];
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // The row's offsets, sizes and strides in the (viewed) destination.
  SmallVector<OpFoldResult> offsets, rowSizes, strides(outRank, b.getIndexAttr(1));
  for (int64_t d = 0, r = 0; d < outRank; ++d) {
    offsets.push_back(d == outDim ? zero : ivs[r++]);
    rowSizes.push_back(d == outDim ? outSizes[d] : b.getIndexAttr(1));
  }
  SmallVector<Value> at; // an element of the inputs' row: `t` goes at `dim`
  for (int64_t d = 0, r = 0; d < rank; ++d)
    at.push_back(d == dim ? zero : ivs[r++]);
  auto rowType = RankedTensorType::get({type.getDimSize(dim)}, type.getElementType());
  Value row = tensor::ExtractSliceOp::create(b, loc, rowType, shared, offsets, rowSizes, strides);
  scf::ForOp steps = buildSteps(b, loc, op, at, row, /*wholeTensor=*/false);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, steps.getResult(1), shared, offsets, rowSizes,
                                        strides);
  b.setInsertionPointAfter(forall);
  if (rank == 1)
    return tensor::CollapseShapeOp::create(b, loc, type, forall.getResult(0),
                                           SmallVector<ReassociationIndices>{{0, 1}});
  return forall.getResult(0);
}

struct LowerScansPass : vibee::impl::LowerScansPassBase<LowerScansPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ScanOp> scans;
    getOperation()->walk([&](ScanOp op) { scans.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScanOp op : scans) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, parallel ? lowerScan(rewriter, op)
                                      : lowerScanSerial(rewriter, op, accInTensor));
    }
  }
};

} // namespace
