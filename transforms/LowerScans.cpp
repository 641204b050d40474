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
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

// A part of a row (the chunked lowering): `length` steps from element `begin`, the
// running value starting at `start`; step t is written at t of the row.
struct StepRange {
  Value start, begin, length;
};

// The sequential steps of one row: the running value starts at the init element
// (or the identity) and each step writes its output into `row` (a 1-D row, or with
// `wholeTensor` the whole tensor at the element's full index). `at` indexes the
// inputs with 0 along the scanned dimension.
scf::ForOp buildSteps(OpBuilder &b, Location loc, ScanOp op, ArrayRef<Value> at, Value row,
                      bool wholeTensor, bool accInTensor = false,
                      std::optional<StepRange> range = std::nullopt) {
  auto type = cast<RankedTensorType>(op.getDestType());
  int64_t dim = (int64_t)op.getDimension();
  Value start;
  if (range)
    start = range->start;
  else if (Value init = op.getInit())
    start = tensor::ExtractOp::create(b, loc, init, at);
  else
    start = op.buildIdentity(b, loc);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value length = range ? range->length : tensor::DimOp::create(b, loc, op.getInputs()[0], dim);
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
        index[dim] = range ? arith::AddIOp::create(nb, nloc, range->begin, t).getResult() : t;
        Value c0 = arith::ConstantIndexOp::create(nb, nloc, 0);
        Value running =
            accInTensor
                ? tensor::ExtractOp::create(nb, nloc, carried[0], ValueRange{c0}).getResult()
                : carried[0];
        SmallVector<Value> elements;
        for (Value input : op.getInputs())
          elements.push_back(tensor::ExtractOp::create(nb, nloc, input, index));
        Value next = op.buildCombine(nb, running, elements);
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

// ---- Vector steps (the CPU) -------------------------------------------------
//
// A row read in order is one dependent combine per element (4 cycles for an f32
// add): along the contiguous last dimension the CPU instead scans 64-byte vectors,
// each in log2(lanes) shifted combines (Hillis-Steele), from the running value
// broadcast, which the vector's last lane carries on; the row's tail steps one
// element at a time. Reassociating is what `kind` allows (docs/language.md).

// The vector combining kind of a combiner that is one arith op of the kind's
// (what MLIRGen writes); none for a linear scan or any other body.
std::optional<vector::CombiningKind> vectorKind(ScanOp op) {
  Block &body = op.getCombiner().front();
  if (op.getKind() == ScanKind::linear || !llvm::hasSingleElement(body.without_terminator()))
    return std::nullopt;
  Operation &inner = body.front();
  if (cast<YieldOp>(body.getTerminator()).getValue() != inner.getResult(0) ||
      inner.getOperand(0) != body.getArgument(0) || inner.getOperand(1) != body.getArgument(1))
    return std::nullopt;
  using Kind = vector::CombiningKind;
  auto want = [&](bool match, Kind kind) { return match ? std::optional<Kind>(kind) : std::nullopt; };
  switch (op.getKind()) {
  case ScanKind::sum:
    return want(isa<arith::AddFOp, arith::AddIOp>(inner), Kind::ADD);
  case ScanKind::prod:
    return want(isa<arith::MulFOp, arith::MulIOp>(inner), Kind::MUL);
  case ScanKind::max:
    return isa<arith::MaximumFOp>(inner) ? want(true, Kind::MAXIMUMF)
                                         : want(isa<arith::MaxSIOp>(inner), Kind::MAXSI);
  case ScanKind::min:
    return isa<arith::MinimumFOp>(inner) ? want(true, Kind::MINIMUMF)
                                         : want(isa<arith::MinSIOp>(inner), Kind::MINSI);
  case ScanKind::linear:
    break;
  }
  return std::nullopt;
}

constexpr int64_t kScanVectorBytes = 64;

// A row's split into whole vectors and a tail, computed before the row loops (so
// that vibee-cpu-parallelize sees the row length outside them: the work of a row).
struct VectorRows {
  vector::CombiningKind kind;
  int64_t lanes;
  Value length, whole; ///< the row length; the part in whole vectors

  static VectorRows of(OpBuilder &b, Location loc, ScanOp op, vector::CombiningKind kind) {
    int64_t lanes = kScanVectorBytes * 8 / op.getAccumulatorType().getIntOrFloatBitWidth();
    Value length = tensor::DimOp::create(b, loc, op.getInputs()[0], (int64_t)op.getDimension());
    Value lanesValue = arith::ConstantIndexOp::create(b, loc, lanes);
    Value whole = arith::SubIOp::create(b, loc, length,
                                        arith::RemUIOp::create(b, loc, length, lanesValue));
    return {kind, lanes, length, whole};
  }
};

// The row at `at` (`at[dim]` ignored) of the destination `dest`: whole vectors,
// then the tail in order. Returns the updated destination.
Value buildVectorSteps(OpBuilder &b, Location loc, ScanOp op, ArrayRef<Value> at, Value dest,
                       const VectorRows &rows) {
  auto type = cast<RankedTensorType>(op.getDestType());
  int64_t dim = (int64_t)op.getDimension(), lanes = rows.lanes;
  vector::CombiningKind kind = rows.kind;
  Type acc = op.getAccumulatorType(), element = type.getElementType();
  auto vectorType = VectorType::get({lanes}, acc);
  Value input = op.getInputs()[0];
  Value length = rows.length, whole = rows.whole;
  Value lanesValue = arith::ConstantIndexOp::create(b, loc, lanes);
  Value identity = op.buildIdentity(b, loc);
  Value identities = vector::BroadcastOp::create(b, loc, vectorType, identity);
  // Lane i takes lane i - k, the first k lanes the identity.
  auto shifted = [&](OpBuilder &nb, Value v, int64_t k) {
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < lanes; ++i)
      mask.push_back(i < k ? lanes : i - k);
    return vector::ShuffleOp::create(nb, loc, v, identities, mask).getResult();
  };
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value start = op.getInit() ? tensor::ExtractOp::create(b, loc, op.getInit(), at).getResult()
                             : identity;
  auto blocks = scf::ForOp::create(
      b, loc, zero, whole, lanesValue, ValueRange{start, dest},
      [&](OpBuilder &nb, Location nloc, Value t, ValueRange carried) {
        SmallVector<Value> index(at);
        index[dim] = t;
        Value v = vector::TransferReadOp::create(nb, nloc, vectorType, input, index, identity,
                                                 ArrayRef<bool>{true});
        for (int64_t k = 1; k < lanes; k *= 2)
          v = vector::makeArithReduction(nb, nloc, kind, shifted(nb, v, k), v);
        Value running = vector::BroadcastOp::create(nb, nloc, vectorType, carried[0]);
        Value out = vector::makeArithReduction(
            nb, nloc, kind, running, op.getExclusive() ? shifted(nb, v, 1) : v);
        auto outType = VectorType::get({lanes}, element);
        if (element != acc)
          out = element.getIntOrFloatBitWidth() > acc.getIntOrFloatBitWidth()
                    ? Value(arith::ExtFOp::create(nb, nloc, outType, out))
                    : Value(arith::TruncFOp::create(nb, nloc, outType, out));
        Value written = vector::TransferWriteOp::create(nb, nloc, out, carried[1], index,
                                                        ArrayRef<bool>{true})
                            .getResult();
        Value last = vector::ExtractOp::create(nb, nloc, v, ArrayRef<int64_t>{lanes - 1});
        scf::YieldOp::create(nb, nloc,
                             ValueRange{op.buildCombine(nb, carried[0], last), written});
      });
  Value tail = arith::SubIOp::create(b, loc, length, whole);
  scf::ForOp steps = buildSteps(b, loc, op, at, blocks.getResult(1), /*wholeTensor=*/true,
                                /*accInTensor=*/false,
                                StepRange{blocks.getResult(0), whole, tail});
  return steps.getResult(1);
}

// Serial rows (C++ output, which runs loops in order anyway): a loop nest over the
// other dimensions carrying the destination, which each step updates in place.
Value lowerScanSerial(OpBuilder &b, ScanOp op, bool accInTensor) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getDestType());
  int64_t rank = type.getRank(), dim = (int64_t)op.getDimension();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> lbs, ubs, stepSizes;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim) {
      lbs.push_back(zero), stepSizes.push_back(one);
      ubs.push_back(tensor::DimOp::create(b, loc, op.getDest(), d));
    }
  // The CPU scans along the last dimension in vectors (the C++ output keeps scalar
  // steps, which EmitC prints).
  std::optional<VectorRows> vectorRows;
  if (std::optional<vector::CombiningKind> kind = vectorKind(op);
      kind && !accInTensor && dim == rank - 1)
    vectorRows = VectorRows::of(b, loc, op, *kind);
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, stepSizes, ValueRange{op.getDest()},
      [&](OpBuilder &nb, Location nloc, ValueRange ivs, ValueRange carried) -> scf::ValueVector {
        SmallVector<Value> at;
        for (int64_t d = 0, r = 0; d < rank; ++d)
          at.push_back(d == dim ? zero : ivs[r++]);
        if (vectorRows)
          return {buildVectorSteps(nb, nloc, op, at, carried[0], *vectorRows)};
        scf::ForOp steps =
            buildSteps(nb, nloc, op, at, carried[0], /*wholeTensor=*/true, accInTensor);
        return {steps.getResult(1)};
      });
  // The rows are independent: the CPU may split the outermost row loop over its
  // threads (vibee-cpu-parallelize); the C++ output runs it as it is.
  if (!nest.loops.empty() && !accInTensor)
    nest.loops.front()->setAttr(attr::kIndependentRows, b.getUnitAttr());
  return nest.results.front();
}

Value lowerScan(OpBuilder &b, ScanOp op) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getDestType());
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

// ---- Chunked rows (the GPU) -------------------------------------------------
//
// One thread per row leaves the GPU idle when rows are few and long
// (docs/performance.md, "Session 17: chunked scans"). Each row is cut into chunks scanned
// in three phases, every phase a parallel loop over (rows, chunks): the total of
// each chunk; the carry into each chunk, an exclusive scan of the totals with the
// same combiner (a vibee.scan of its own, lowered row-parallel); then each chunk's
// steps from its carry. `kind` makes this legal: sum/prod/max/min combine totals
// like elements, and linear steps compose as pairs (a1 a2, a2 b1 + b2).

// Rows longer than kSplitLength steps are split when there are fewer than
// kRowsThatFillTheGpu of them: chunks pay two more passes over the inputs, and
// more rows alone keep the GPU's memory busy (docs/performance.md, "Session 17:
// chunked scans"); otherwise each row is one chunk, phase 1 takes no step and the
// rows run one thread each, as unchunked. A chunk has kMinChunk steps, more when a
// row would have over kMaxChunks chunks (the carries are scanned one thread per
// row): short chunks keep a warp's rows of the inputs in L1 (each thread walks its
// own chunk; the chunk-size sweep is in docs/performance.md).
constexpr int64_t kSplitLength = 64;
constexpr int64_t kMinChunk = 16;
constexpr int64_t kMaxChunks = 1024;
constexpr int64_t kRowsThatFillTheGpu = 32768;

struct Chunking {
  Value length, size, count;
  Value split; // i1: rows are split into chunks (phase 1 computes totals)
};

Chunking chunkRows(OpBuilder &b, Location loc, ScanOp op) {
  auto type = cast<RankedTensorType>(op.getDestType());
  int64_t dim = (int64_t)op.getDimension();
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value rows = index(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != dim)
      rows = arith::MulIOp::create(b, loc, rows, tensor::DimOp::create(b, loc, op.getDest(), d));
  Value length = tensor::DimOp::create(b, loc, op.getInputs()[0], dim);
  Value few =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, rows, index(kRowsThatFillTheGpu));
  Value longRows =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, length, index(kSplitLength));
  Value split = arith::AndIOp::create(b, loc, few, longRows);
  Value chunk = arith::MaxUIOp::create(
      b, loc, index(kMinChunk), arith::CeilDivUIOp::create(b, loc, length, index(kMaxChunks)));
  Value whole = arith::MaxUIOp::create(b, loc, length, index(1));
  Value size = arith::SelectOp::create(b, loc, split, chunk, whole);
  return {length, size, arith::CeilDivUIOp::create(b, loc, length, size), split};
}

// The forall over (the dims other than `dim`, then the chunks) with `outs`.
scf::ForallOp chunkLoop(OpBuilder &b, Location loc, ScanOp op, const Chunking &chunks,
                        ValueRange outs) {
  int64_t rank = op.getDestType().getRank(), dim = (int64_t)op.getDimension();
  SmallVector<OpFoldResult> bounds;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, op.getDest());
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim)
      bounds.push_back(sizes[d]);
  bounds.push_back(chunks.count);
  return scf::ForallOp::create(b, loc, bounds, outs, std::nullopt);
}

// A chunk iteration's position: `at` indexes the row with `along` at `dim`.
SmallVector<Value> chunkPosition(scf::ForallOp loop, int64_t dim, Value along) {
  SmallVector<Value> ivs(loop.getInductionVars());
  SmallVector<Value> at(ivs.begin(), ivs.end() - 1);
  at.insert(at.begin() + dim, along);
  return at;
}

// The first step of the iteration's chunk and its number of steps.
std::pair<Value, Value> chunkSpan(OpBuilder &b, Location loc, scf::ForallOp loop,
                                  const Chunking &chunks) {
  Value begin = arith::MulIOp::create(b, loc, loop.getInductionVars().back(), chunks.size);
  Value left = arith::SubIOp::create(b, loc, chunks.length, begin);
  return {begin, arith::MinUIOp::create(b, loc, chunks.size, left)};
}

// Phase 1: each chunk's total, in tensors shaped like the destination with the
// chunks along `dim` (a linear scan: the product of a and the steps from h = 0).
SmallVector<Value> chunkTotals(OpBuilder &b, Location loc, ScanOp op, const Chunking &chunks) {
  int64_t rank = op.getDestType().getRank(), dim = (int64_t)op.getDimension();
  Type acc = op.getAccumulatorType();
  bool linear = op.getKind() == ScanKind::linear;
  SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, op.getDest());
  shape[dim] = chunks.count;
  SmallVector<Value> empties(linear ? 2 : 1);
  for (Value &e : empties)
    e = tensor::EmptyOp::create(b, loc, shape, acc);
  scf::ForallOp loop = chunkLoop(b, loc, op, chunks, empties);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  auto [begin, count] = chunkSpan(b, loc, loop, chunks);
  SmallVector<Value> at = chunkPosition(loop, dim, begin);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  // A row of one chunk needs no total: its carry is the start.
  Value steps = arith::SelectOp::create(b, loc, chunks.split, count, zero);
  SmallVector<Value> starts;
  if (linear)
    starts = {arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 1.0)).getResult(),
              arith::ConstantOp::create(b, loc, b.getFloatAttr(acc, 0.0)).getResult()};
  else
    starts = {op.buildIdentity(b, loc)};
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto totals = scf::ForOp::create(
      b, loc, zero, steps, one, starts,
      [&](OpBuilder &nb, Location nloc, Value t, ValueRange carried) {
        SmallVector<Value> index(at);
        index[dim] = arith::AddIOp::create(nb, nloc, begin, t);
        SmallVector<Value> elements;
        for (Value input : op.getInputs())
          elements.push_back(tensor::ExtractOp::create(nb, nloc, input, index));
        SmallVector<Value> next;
        if (linear)
          next.push_back(arith::MulFOp::create(nb, nloc, elements[0], carried[0]));
        next.push_back(op.buildCombine(nb, carried.back(), elements));
        scf::YieldOp::create(nb, nloc, next);
      });
  // Each total goes into its one-element slice of the shared tensor (written in
  // place once bufferized, as the rows are).
  SmallVector<Value> ivs(loop.getInductionVars());
  SmallVector<OpFoldResult> offsets = getAsOpFoldResult(chunkPosition(loop, dim, ivs.back()));
  SmallVector<OpFoldResult> ones(rank, b.getIndexAttr(1));
  SmallVector<Value> cells;
  auto cellType = RankedTensorType::get({1}, acc);
  for (auto [total, shared] : llvm::zip(totals.getResults(), loop.getRegionIterArgs())) {
    Value cell = tensor::ExtractSliceOp::create(b, loc, cellType, shared, offsets, ones, ones);
    cells.push_back(tensor::InsertOp::create(b, loc, total, cell, ValueRange{zero}));
  }
  b.setInsertionPointToStart(loop.getTerminator().getBody());
  for (auto [cell, shared] : llvm::zip(cells, loop.getRegionIterArgs()))
    tensor::ParallelInsertSliceOp::create(b, loc, cell, shared, offsets, ones, ones);
  return SmallVector<Value>(loop.getResults());
}

// Phase 2: the running value before each chunk, an exclusive scan of the totals.
Value chunkCarries(OpBuilder &b, Location loc, ScanOp op, ValueRange totals) {
  auto type = cast<RankedTensorType>(totals.front().getType());
  Value dest = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, totals.front()),
                                       type.getElementType());
  auto carries = ScanOp::create(b, loc, type, op.getKindAttr(), op.getDimensionAttr(),
                                b.getUnitAttr(), totals, op.getInit(), dest);
  IRMapping mapping;
  op.getCombiner().cloneInto(&carries.getCombiner(), mapping);
  Value result = lowerScan(b, carries);
  carries.erase();
  return result;
}

Value lowerScanChunked(OpBuilder &b, ScanOp op) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getDestType());
  int64_t rank = type.getRank(), dim = (int64_t)op.getDimension();
  Chunking chunks = chunkRows(b, loc, op);
  Value carries = chunkCarries(b, loc, op, chunkTotals(b, loc, op, chunks));

  // Phase 3: each chunk's steps from its carry, written into its part of the row.
  scf::ForallOp loop = chunkLoop(b, loc, op, chunks, op.getDest());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  auto [begin, count] = chunkSpan(b, loc, loop, chunks);
  SmallVector<Value> ivs(loop.getInductionVars());
  Value start = tensor::ExtractOp::create(b, loc, carries, chunkPosition(loop, dim, ivs.back()));
  SmallVector<OpFoldResult> offsets = getAsOpFoldResult(chunkPosition(loop, dim, begin));
  SmallVector<OpFoldResult> sizes(rank, b.getIndexAttr(1)), strides(sizes);
  sizes[dim] = count;
  Value shared = loop.getRegionIterArgs()[0];
  auto partType = RankedTensorType::get({ShapedType::kDynamic}, type.getElementType());
  Value part = tensor::ExtractSliceOp::create(b, loc, partType, shared, offsets, sizes, strides);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> at = chunkPosition(loop, dim, zero);
  scf::ForOp steps = buildSteps(b, loc, op, at, part, /*wholeTensor=*/false,
                                /*accInTensor=*/false, StepRange{start, begin, count});
  b.setInsertionPointToStart(loop.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, steps.getResult(1), shared, offsets, sizes,
                                        strides);
  return loop.getResult(0);
}

// Rows too short to split keep one thread per row.
bool fitsOneChunk(ScanOp op) {
  int64_t length = op.getDestType().getDimSize((int64_t)op.getDimension());
  return !ShapedType::isDynamic(length) && length <= kSplitLength;
}

// ---- Rows a warp each (the GPU) ----------------------------------------------
//
// A warp scans a row, or a chunk of it, with coalesced loads
// (vibee-gpu-scan-kernels): every step reads consecutive elements, where a thread
// per row or chunk reads one element of each of 32 rows
// (docs/performance.md, "Session 27: a row per warp").

// What the warp kernel takes: an associative combine of two partial results of
// one 32-bit type (a warp shuffle moves 32 bits), along the contiguous last dim.
bool takesWarpRows(ScanOp op) {
  Type acc = op.getAccumulatorType();
  return op.getKind() != ScanKind::linear && op.getInputs().size() == 1 &&
         (int64_t)op.getDimension() == op.getDestType().getRank() - 1 &&
         acc.getIntOrFloatBitWidth() == 32;
}

Value lowerScanParallel(OpBuilder &b, ScanOp op, bool chunked) {
  if (chunked && !fitsOneChunk(op))
    return lowerScanChunked(b, op);
  return lowerScan(b, op);
}

struct LowerScansPass : vibee::impl::LowerScansPassBase<LowerScansPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ScanOp> scans;
    getOperation()->walk([&](ScanOp op) { scans.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScanOp op : scans) {
      rewriter.setInsertionPoint(op);
      Value lowered;
      if (!parallel)
        lowered = lowerScanSerial(rewriter, op, accInTensor);
      else if (warpRows && takesWarpRows(op))
        continue; // bufferized, then a kernel of the target's
      else
        lowered = lowerScanParallel(rewriter, op, chunked);
      rewriter.replaceOp(op, lowered);
    }
  }
};

} // namespace
