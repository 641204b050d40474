//===- GpuSkinnyContractionKernels.cpp - Contractions of few rows (M <= 16) ===//
//
// c[z..., m, n] (+)= sum_k f(...) when m has at most kSkinnyRows values at run
// time: decoding's linear layers (one token, or a few), the GEMV of quantized
// weights. Such a contraction is bound by the bytes of its weight w[n, k...]
// (read once), not by its multiply-adds, and a tiled matmul wastes it: 128 x 256
// tensor-core tiles compute 128 rows for a few, and N / 256 blocks cannot
// stream the weight at the memory's rate. Here one warp per tile of outputs
// (1 x 1 when M is 1, 4 rows x 1 column when M <= 4, 16 rows x 4 columns
// otherwise): its lanes stride k (coalesced, V consecutive k values per lane, one
// 16-byte load when the operands are aligned), each weight value loaded is used
// for every row of the tile and each activation value for every column, and the
// warp combines its lanes by shuffles before lane 0 stores. Any payload and any
// operand maps are taken (w[n, k / 2] nibbles, per-group scales s[n, k / 128],
// per-row scales s[n], casts), as long as k appears only in the last subscript
// of each operand (lanes then read neighbouring elements) and some operand
// reads by (n, k) without m (the weight that the warps stream).
//
// The choice is made at run time (planSkinny): `if K >= kSkinnyMinK` and M <=
// kSkinnyFewRows, or M <= kSkinnyRows with aligned operands for ops the
// tensor-core matmul kernels do not take, these kernels, else the op (marked, and with the zero fill before it and the
// statement after it that reads its result, which other strategies take over)
// goes on to the other strategies unchanged (measurements: docs/performance.md).
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"
#include "backends/gpu/Transforms/GpuMatmulMatch.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;

namespace vibee {
namespace {

/// At most this many rows of m take the warp-per-output kernels.
constexpr int64_t kSkinnyRows = 16;
/// At most this many rows: the small tiles (1 x 1, 4 x 1), each with a scalar
/// variant; the only ones for ops the tensor-core matmul kernels take.
constexpr int64_t kSkinnyFewRows = 4;
/// Shorter contractions leave most lanes of a warp idle: the tiled kernels.
constexpr int64_t kSkinnyMinK = 128;
constexpr int64_t kWarpsPerBlock = 8;
/// Columns of n per warp with more than 4 rows: each activation value loaded
/// is used for that many weight rows (the loads of x, not the FMAs, bound a
/// tile of 16 rows and 1 column).
constexpr int64_t kSkinnyColumns = 4;
/// Grid cap: warps stride over the outputs beyond it.
constexpr int64_t kMaxBlocks = 1 << 20;

/// What the kernels need to know about the op.
struct SkinnyMatch {
  unsigned batchDims = 0;
  /// Inputs whose last subscript is k itself (vector loads when aligned).
  llvm::SmallBitVector kLanes;
  /// Inputs indexed by m (loaded per row of the tile) and by n (per column).
  llvm::SmallBitVector byM, byN;
  /// Widest element among the kLanes inputs, in bytes.
  int64_t widestLaneBytes = 1;
};

bool involves(AffineExpr e, unsigned dim) { return e.isFunctionOfDim(dim); }

std::optional<SkinnyMatch> matchSkinny(linalg::GenericOp op) {
  unsigned loops = op.getNumLoops();
  if (!op.hasPureBufferSemantics() || loops < 3 || op.getNumReductionLoops() != 1 ||
      !linalg::isReductionIterator(op.getIteratorTypesArray()[loops - 1]) ||
      !hasClonablePayload(op, /*allowIndex=*/true) || op.getNumDpsInits() != 1 ||
      !matchReductionCombiner(op, 0))
    return std::nullopt;
  unsigned m = loops - 3, n = loops - 2, k = loops - 1;
  OpOperand *c = op.getDpsInitOperand(0);
  AffineMap cMap = op.getMatchingIndexingMap(c);
  if (!isContiguousMemRef(c->get().getType()) || elementBytes(c->get().getType()) == 0 ||
      cMap != AffineMap::getMultiDimIdentityMap(loops, op.getContext()).getMajorSubMap(loops - 1))
    return std::nullopt;
  SkinnyMatch match;
  match.batchDims = loops - 3;
  match.kLanes.resize(op->getNumOperands());
  match.byM.resize(op->getNumOperands());
  match.byN.resize(op->getNumOperands());
  bool streamed = false;
  std::optional<SmallVector<OpOperand *>> inputs = contiguousMemRefInputs(op);
  if (!inputs)
    return std::nullopt;
  for (OpOperand *in : *inputs) {
    Type t = in->get().getType();
    AffineMap map = op.getMatchingIndexingMap(in);
    if (map.getNumResults() == 0)
      continue;
    ArrayRef<AffineExpr> exprs = map.getResults();
    // Lanes read neighbouring elements only when k is in the last subscript.
    for (AffineExpr e : exprs.drop_back())
      if (involves(e, k))
        return std::nullopt;
    bool readsM = llvm::any_of(exprs, [&](AffineExpr e) { return involves(e, m); });
    bool readsN = llvm::any_of(exprs, [&](AffineExpr e) { return involves(e, n); });
    unsigned number = in->getOperandNumber();
    match.byM[number] = readsM;
    match.byN[number] = readsN;
    if (exprs.back() == getAffineDimExpr(k, op.getContext())) {
      match.kLanes[number] = true;
      match.widestLaneBytes = std::max(match.widestLaneBytes, elementBytes(t));
    }
    streamed |= readsN && !readsM && involves(exprs.back(), k);
  }
  if (!streamed)
    return std::nullopt;
  return match;
}

/// The shape of one kernel variant: rows of m and columns of n per warp (every
/// value of the first loaded once per column, every value of the second once
/// per row), k values per lane per step, vector loads.
struct SkinnyTile {
  int64_t rows = 1, cols = 1, V = 1;
  bool vector = false;
};

/// The kernel body of one variant.
class SkinnyKernelBody {
public:
  SkinnyKernelBody(linalg::GenericOp op, const SkinnyMatch &match, ArrayRef<Value> sizes,
                   Value cInit, SkinnyTile tile)
      : op(op), loc(op.getLoc()), match(match), sizes(sizes), cInit(cInit), tile(tile),
        payload(op), combiner(*matchReductionCombiner(op, 0)) {}

  void build(OpBuilder &b, gpu::LaunchOp launch);

private:
  Value c(OpBuilder &b, int64_t v) { return constantIndex(b, loc, v); }
  Value add(OpBuilder &b, Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(OpBuilder &b, Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }

  void buildTile(OpBuilder &b, Value lane);
  SmallVector<Value> buildStep(OpBuilder &b, ArrayRef<Value> k0s, int64_t count,
                               bool useVector, ValueRange accs);
  SmallVector<Value> loopIndices(OpBuilder &b, Value m, Value n, Value k);
  SmallVector<Value> loadLanes(OpBuilder &b, unsigned operand, Value m, Value n, Value k0,
                               int64_t count, bool useVector);
  /// Accumulator of chain u, row r, column j.
  unsigned accIndex(int64_t u, int64_t r, int64_t j) const {
    return ((u % chains) * tile.rows + r) * tile.cols + j;
  }

  linalg::GenericOp op;
  Location loc;
  const SkinnyMatch &match;
  ArrayRef<Value> sizes;
  Value cInit; ///< the fill's value when the fill was taken over
  SkinnyTile tile;
  int64_t chains = 1; ///< accumulators per output in the main loop
  PayloadCloner payload;
  ReductionCombiner combiner;
  // The current tile: batch indices, its rows m (clamped to M - 1) from m0,
  // its columns n (clamped to N - 1) from n0.
  SmallVector<Value> batchIdx, ms, ns;
  Value m0, n0;
};

SmallVector<Value> SkinnyKernelBody::loopIndices(OpBuilder &b, Value m, Value n, Value k) {
  SmallVector<Value> ivs(batchIdx);
  ivs.append({m, n, k});
  return ivs;
}

SmallVector<Value> SkinnyKernelBody::loadLanes(OpBuilder &b, unsigned operand, Value m, Value n,
                                               Value k0, int64_t count, bool useVector) {
  AffineMap map = op.getMatchingIndexingMap(&op->getOpOperand(operand));
  Value source = op->getOperand(operand);
  if (match.kLanes[operand]) {
    SmallVector<Value> idx = *affine::expandAffineMap(b, loc, map, loopIndices(b, m, n, k0));
    return buildLoadLanes(b, loc, source, idx, count, useVector);
  }
  SmallVector<Value> lanes;
  for (int64_t l = 0; l < count; ++l) {
    Value k = l ? add(b, k0, c(b, l)) : k0;
    SmallVector<Value> idx = *affine::expandAffineMap(b, loc, map, loopIndices(b, m, n, k));
    lanes.push_back(memref::LoadOp::create(b, loc, source, idx));
  }
  return lanes;
}

/// `count` consecutive k values from each of `k0s` for the tile: the operands
/// that do not depend on m (the weight: one per column) loaded first, all in
/// flight together; then per row its own operands (the activations, L1 hits
/// after the first warp, each used for every column) and the payloads, one
/// chain of accumulators per k0 up to `chains` (independent FMA chains).
SmallVector<Value> SkinnyKernelBody::buildStep(OpBuilder &b, ArrayRef<Value> k0s, int64_t count,
                                               bool useVector, ValueRange in) {
  SmallVector<Value> accs(in);
  unsigned numInputs = op.getNumDpsInputs();
  auto isTensor = [&](unsigned i) { return isa<ShapedType>(op->getOperand(i).getType()); };
  using Lanes = SmallVector<SmallVector<Value>>; // per operand, `count` values
  // byColumn[u][j]: the operands not indexed by m at k0s[u], column j.
  SmallVector<SmallVector<Lanes>> byColumn(k0s.size(),
                                           SmallVector<Lanes>(tile.cols, Lanes(numInputs)));
  for (auto [u, k0] : llvm::enumerate(k0s))
    for (int64_t j = 0; j < tile.cols; ++j)
      for (unsigned i = 0; i < numInputs; ++i)
        if (isTensor(i) && !match.byM[i])
          byColumn[u][j][i] = j && !match.byN[i] ? byColumn[u][0][i]
                                                 : loadLanes(b, i, m0, ns[j], k0, count, useVector);
  for (int64_t r = 0; r < tile.rows; ++r)
    for (auto [u, k0] : llvm::enumerate(k0s)) {
      Lanes byRow(numInputs);
      for (unsigned i = 0; i < numInputs; ++i)
        if (isTensor(i) && match.byM[i] && !match.byN[i])
          byRow[i] = loadLanes(b, i, ms[r], n0, k0, count, useVector);
      for (int64_t j = 0; j < tile.cols; ++j) {
        Lanes lanes = byColumn[u][j];
        for (unsigned i = 0; i < numInputs; ++i) {
          if (!byRow[i].empty())
            lanes[i] = byRow[i];
          else if (isTensor(i) && match.byM[i])
            lanes[i] = loadLanes(b, i, ms[r], ns[j], k0, count, useVector);
        }
        for (int64_t l = 0; l < count; ++l) {
          SmallVector<Value> args(op->getNumOperands());
          for (unsigned i = 0; i < numInputs; ++i)
            if (!lanes[i].empty())
              args[i] = lanes[i][l];
          Value &acc = accs[accIndex(u, r, j)];
          args[numInputs] = acc;
          Value k = l ? add(b, k0, c(b, l)) : k0;
          acc = payload.apply(b, args, loopIndices(b, ms[r], ns[j], k))[0];
        }
      }
    }
  return accs;
}

/// One tile (rows m0.., columns n0..) : a main loop of U vectors of V per lane,
/// a scalar tail, the warp's combination and lane 0's stores.
void SkinnyKernelBody::buildTile(OpBuilder &b, Value lane) {
  Value M = sizes[match.batchDims], N = sizes[match.batchDims + 1];
  Value K = sizes[match.batchDims + 2];
  // Enough independent loads in flight per lane: 2 vectors or 8 scalars (half
  // with more than 4 outputs: registers); an FMA chain per step for one
  // output, one chain per output for more.
  const int64_t outputs = tile.rows * tile.cols;
  const int64_t V = tile.V, U = (tile.vector ? 2 : 8) / (outputs > 4 ? 2 : 1), span = 32 * V * U;
  chains = outputs == 1 ? U : 1;
  Value kFull = mul(b, arith::DivUIOp::create(b, loc, K, c(b, span)), c(b, span));
  Value lastRow = arith::SubIOp::create(b, loc, M, c(b, 1));
  Value lastCol = arith::SubIOp::create(b, loc, N, c(b, 1));
  // Rows and columns past M and N compute on the last one and are not stored.
  ms.clear();
  ns.clear();
  for (int64_t r = 0; r < tile.rows; ++r)
    ms.push_back(arith::MinUIOp::create(b, loc, add(b, m0, c(b, r)), lastRow));
  for (int64_t j = 0; j < tile.cols; ++j)
    ns.push_back(arith::MinUIOp::create(b, loc, add(b, n0, c(b, j)), lastCol));
  Value identity = arith::ConstantOp::create(b, loc, combiner.identity);
  SmallVector<Value> accs(chains * outputs, identity);
  accs = buildForLoop(b, loc, c(b, 0), kFull, c(b, span), accs,
                      [&](OpBuilder &b, Value kb, ValueRange a) {
                        Value first = add(b, kb, mul(b, lane, c(b, V)));
                        SmallVector<Value> k0s;
                        for (int64_t u = 0; u < U; ++u)
                          k0s.push_back(u ? add(b, first, c(b, u * 32 * V)) : first);
                        return buildStep(b, k0s, V, tile.vector, a);
                      });
  // The chains of the main loop, then the tail on the first.
  SmallVector<Value> outAccs(accs.begin(), accs.begin() + outputs);
  for (int64_t u = 1; u < chains; ++u)
    for (int64_t o = 0; o < outputs; ++o)
      outAccs[o] = buildCombine(b, loc, combiner, outAccs[o], accs[u * outputs + o]);
  chains = 1;
  outAccs = buildForLoop(b, loc, add(b, kFull, lane), K, c(b, 32), outAccs,
                         [&](OpBuilder &b, Value k, ValueRange a) {
                           return buildStep(b, {k}, 1, false, a);
                         });
  Value isLane0 = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, c(b, 0));
  Value C = op.getDpsInits()[0];
  auto less = [&](OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  };
  for (int64_t r = 0; r < tile.rows; ++r)
    for (int64_t j = 0; j < tile.cols; ++j) {
      Value total =
          buildBlockReduce(b, loc, combiner, outAccs[accIndex(0, r, j)], Value(), lane, 32);
      Value m = add(b, m0, c(b, r)), n = add(b, n0, c(b, j));
      Value store = arith::AndIOp::create(
          b, loc, isLane0, arith::AndIOp::create(b, loc, less(b, m, M), less(b, n, N)));
      scf::IfOp::create(b, loc, store, [&](OpBuilder &nb, Location l) {
        SmallVector<Value> idx(batchIdx);
        idx.append({m, n});
        Value old = cInit ? cInit : memref::LoadOp::create(nb, l, C, idx).getResult();
        memref::StoreOp::create(nb, l, buildCombine(nb, l, combiner, old, total), C, idx);
        scf::YieldOp::create(nb, l);
      });
    }
}

void SkinnyKernelBody::build(OpBuilder &b, gpu::LaunchOp launch) {
  SmallVector<Value> uniform(op->getNumOperands());
  for (OpOperand &o : op->getOpOperands())
    if (!isa<ShapedType>(o.get().getType()))
      uniform[o.getOperandNumber()] = o.get();
  payload.hoist(b, uniform);
  Value tid = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, loc, tid, c(b, 32));
  Value warp = arith::DivUIOp::create(b, loc, tid, c(b, 32));
  Value M = sizes[match.batchDims], N = sizes[match.batchDims + 1];
  // A warp's work item: (z..., a group of tile.cols columns), row-major.
  Value groups = arith::CeilDivUIOp::create(b, loc, N, c(b, tile.cols));
  Value items = mul(b, buildProduct(b, loc, sizes.take_front(match.batchDims)), groups);
  Value first = add(b, mul(b, launch.getBlockIds().x, c(b, kWarpsPerBlock)), warp);
  Value stride = mul(b, launch.getGridSize().x, c(b, kWarpsPerBlock));
  buildForLoop(b, loc, first, items, stride, {}, [&](OpBuilder &b, Value item, ValueRange) {
    n0 = mul(b, arith::RemUIOp::create(b, loc, item, groups), c(b, tile.cols));
    Value rest = arith::DivUIOp::create(b, loc, item, groups);
    batchIdx.assign(match.batchDims, Value());
    for (int d = static_cast<int>(match.batchDims) - 1; d >= 0; --d) {
      batchIdx[d] = d ? arith::RemUIOp::create(b, loc, rest, sizes[d]).getResult() : rest;
      if (d)
        rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
    }
    buildForLoop(b, loc, c(b, 0), M, c(b, tile.rows), {},
                 [&](OpBuilder &b, Value mTile, ValueRange) {
                   m0 = mTile;
                   buildTile(b, lane);
                   return SmallVector<Value>{};
                 });
    return SmallVector<Value>{};
  });
}

/// The run-time choice: which ops take these kernels, which variants exist.
struct SkinnyPlan {
  int64_t V = 1;        ///< k values per lane per vector (16 bytes of the widest)
  Value aligned;        ///< i1: vector loads of V are aligned
  bool manyRows = true; ///< the 16 x 4 tile exists (not for tensor-core ops)
  Value applies;        ///< i1: these kernels run
};

/// `K >= kSkinnyMinK` and `M <= 4`, or `M <= kSkinnyRows` with aligned vector
/// loads (the 16 x 4 tile has no scalar variant: its code is the largest).
/// Ops the tensor-core matmul kernels take (GpuMatmulMatch.h) have no 16 x 4
/// tile: from 5 rows on those stream the weight faster than FMAs do.
SkinnyPlan planSkinny(OpBuilder &b, Location loc, linalg::GenericOp op, const SkinnyMatch &match,
                      ArrayRef<Value> sizes) {
  SkinnyPlan plan;
  plan.V = std::max<int64_t>(1, std::min<int64_t>(8, kVectorBytes / match.widestLaneBytes));
  SmallVector<Value> laneOperands;
  Value aligned = buildIsMultipleOf(b, loc, sizes[match.batchDims + 2], plan.V);
  for (unsigned i = 0; i < op.getNumDpsInputs(); ++i)
    if (match.kLanes[i]) {
      Value x = op->getOperand(i);
      laneOperands.push_back(x);
      auto rank = cast<MemRefType>(x.getType()).getRank();
      Value last = memref::DimOp::create(b, loc, x, rank - 1);
      aligned = arith::AndIOp::create(b, loc, aligned, buildIsMultipleOf(b, loc, last, plan.V));
    }
  plan.aligned = arith::AndIOp::create(b, loc, aligned, buildAllAligned(b, loc, laneOperands));
  std::optional<MatmulMatch> matmul = matchMatmul(op);
  plan.manyRows = !(matmul && isMmaMatmul(op, *matmul));
  Value M = sizes[match.batchDims], K = sizes[match.batchDims + 2];
  auto compare = [&](arith::CmpIPredicate p, Value x, int64_t v) {
    return arith::CmpIOp::create(b, loc, p, x, constantIndex(b, loc, v)).getResult();
  };
  // The most rows taken: 16 when aligned (and the 16 x 4 tile exists), else 4
  // (a select of sizes, not `few || (aligned && many)`: the C++ output of that
  // trips -Wparentheses).
  Value maxRows = constantIndex(b, loc, kSkinnyFewRows);
  if (plan.manyRows)
    maxRows = arith::SelectOp::create(b, loc, plan.aligned, constantIndex(b, loc, kSkinnyRows),
                                      maxRows);
  Value rows = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, M, maxRows);
  plan.applies =
      arith::AndIOp::create(b, loc, rows, compare(arith::CmpIPredicate::uge, K, kSkinnyMinK));
  return plan;
}

/// The kernels' launches, chosen at run time: 1 row per m tile when M is 1, 4
/// when M <= 4 (each with vector loads when `plan.aligned`, scalar loads
/// otherwise), 16 x 4 otherwise (every row in one pass: the weight is read
/// once; vectors of at most 4 values: 256 payloads per step already).
void buildSkinnyLaunches(OpBuilder &b, Location loc, linalg::GenericOp op,
                         const SkinnyMatch &match, ArrayRef<Value> sizes, Value cInit,
                         const SkinnyPlan &plan) {
  Value batch = buildProduct(b, loc, sizes.take_front(match.batchDims));
  auto launch = [&](OpBuilder &b, SkinnyTile tile) {
    Value groups = arith::CeilDivUIOp::create(b, loc, sizes[match.batchDims + 1],
                                              constantIndex(b, loc, tile.cols));
    Value items = arith::MulIOp::create(b, loc, batch, groups);
    Value blocks = arith::CeilDivUIOp::create(b, loc, items, constantIndex(b, loc, kWarpsPerBlock));
    // At least one block (no outputs: its warps find no work); at most kMaxBlocks.
    blocks = arith::MaxUIOp::create(
        b, loc, arith::MinUIOp::create(b, loc, blocks, constantIndex(b, loc, kMaxBlocks)),
        constantIndex(b, loc, 1));
    gpu::LaunchOp l = buildLaunch(b, loc, blocks, constantIndex(b, loc, 1), 32 * kWarpsPerBlock,
                                  {}, [&](OpBuilder &k, gpu::LaunchOp l) {
                                    SkinnyKernelBody(op, match, sizes, cInit, tile).build(k, l);
                                  });
    // Multiply-adds contract to FMA, as in the matmul kernels.
    auto contract = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
    l.walk([&](arith::ArithFastMathInterface o) {
      o->setAttr(o.getFastMathAttrName(), contract);
    });
    return SmallVector<Value>{};
  };
  auto launches = [&](OpBuilder &b, int64_t rows) {
    return buildIfElse(
        b, loc, plan.aligned, [&](OpBuilder &b) { return launch(b, {rows, 1, plan.V, true}); },
        [&](OpBuilder &b) { return launch(b, {rows, 1, 1, false}); });
  };
  Value M = sizes[match.batchDims];
  auto atMost = [&](int64_t v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, M, constantIndex(b, loc, v));
  };
  auto fewRows = [&](OpBuilder &b) {
    return buildIfElse(
        b, loc, atMost(1), [&](OpBuilder &b) { return launches(b, 1); },
        [&](OpBuilder &b) { return launches(b, kSkinnyFewRows); });
  };
  if (!plan.manyRows) {
    fewRows(b);
    return;
  }
  SkinnyTile many{kSkinnyRows, kSkinnyColumns, std::min<int64_t>(plan.V, 4), true};
  buildIfElse(b, loc, atMost(kSkinnyFewRows), fewRows,
              [&](OpBuilder &b) { return launch(b, many); });
}

struct SkinnyContractionPattern : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!op->getParentOfType<func::FuncOp>() || op->getParentOfType<gpu::LaunchOp>() ||
        op->hasAttr(kSkinnyCheckedAttr))
      return failure();
    std::optional<SkinnyMatch> match = matchSkinny(op);
    if (!match)
      return failure();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t staticM = ranges[match->batchDims], staticK = ranges[match->batchDims + 2];
    if ((!ShapedType::isDynamic(staticM) && staticM > kSkinnyRows) ||
        (!ShapedType::isDynamic(staticK) && staticK < kSkinnyMinK))
      return failure();
    MatmulEpilogue epilogue = matchMatmulEpilogue(op);
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(epilogue.fill ? epilogue.fill.getOperation() : op.getOperation());
    SmallVector<Value> sizes = buildLoopSizes(rewriter, loc, op);
    SkinnyPlan plan = planSkinny(rewriter, loc, op, *match, sizes);
    auto choice = scf::IfOp::create(rewriter, loc, plan.applies, /*withElseRegion=*/true);
    choice->setAttr(kSkinnyDispatchAttr, rewriter.getUnitAttr());
    // Then: the fill's value starts each output; the consumer reads c after.
    rewriter.setInsertionPoint(choice.thenBlock()->getTerminator());
    Value cInit = epilogue.fill ? epilogue.fill.getInputs()[0] : Value();
    buildSkinnyLaunches(rewriter, loc, op, *match, sizes, cInit, plan);
    if (epilogue.generic)
      rewriter.clone(*epilogue.generic);
    // Else: the fill, the op and the consumer as they were, for the others.
    Operation *elseEnd = choice.elseBlock()->getTerminator();
    for (Operation *moved : {epilogue.fill.getOperation(), op.getOperation(),
                             epilogue.generic.getOperation()})
      if (moved)
        rewriter.moveOpBefore(moved, elseEnd);
    rewriter.modifyOpInPlace(op, [&] { op->setAttr(kSkinnyCheckedAttr, rewriter.getUnitAttr()); });
    return success();
  }
};

} // namespace

void populateGpuSkinnyContractionKernelPatterns(RewritePatternSet &patterns) {
  patterns.add<SkinnyContractionPattern>(patterns.getContext());
}

} // namespace vibee
