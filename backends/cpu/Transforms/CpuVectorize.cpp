//===- CpuVectorize.cpp - elementwise and row loops to the vector dialect -===//
//
// vibee-cpu-vectorize, on bufferized linalg after vibee-cpu-tile-matmul and
// vibee-cpu-parallelize (so it also vectorizes each thread's chunk and each
// block of a row group), before linalg-to-loops. For every linalg.generic
// whose innermost loop walks its operands at unit stride:
//
//   innermost loop parallel (elementwise; outer reductions such as the online
//   softmax lanes or the i-k-j matmul fallback):
//     scf::tileUsingSCF with sizes [1, ..., 1, W]: a loop per outer dim and a
//     W-wide tile loop (no tile loop when the innermost extent is static and
//     small: the online softmax's 32 lanes are one vector<32xf32>);
//   innermost loop a reduction (RMSNorm's sum of squares, row max/sum):
//     the same tiling, W wide over the reduced dim.
//   Then the tile loop is peeled (scf::peelForLoopAndSimplifyBounds): full
//   tiles in the main loop, the remainder (< W elements) one masked vector
//   step for all-parallel generics, else a scalar generic (linalg-to-loops,
//   LLVM's vectorizer). Unit loops of the full tile's generic are
//   dropped (rank-reducing subviews; outer reductions of extent 1 vanish, so
//   the tile is an elementwise read-modify-write) and it is vectorized with
//   linalg::vectorize (static vector sizes, no masks: every tile is full).
//   Reductions: the per-tile vector.multi_reduction into the accumulator
//   becomes an elementwise combine into loop-carried vector partials (W lanes),
//   reduced once after the loop (vector.reduction).
//
// W = vibee::chooseVectorTile: lanes of the target's widest registers
// (vector-bits / 32: bf16/f16 are computed in f32) for elementwise tiles, twice
// that for reductions (two independent partial registers); a schedule hint
// vector(w) sets W = w. vector-bits: the option, else the target's
// (the host's for the JIT and host-CPU objects, 128 for --portable objects).
// Inputs read through a division of the innermost loop (int4 nibbles
// w[n, k floordiv 2], group scales s[n, k floordiv G]) are rewritten in each
// full tile into projected reads (DividedReads.h); their remainder tiles stay
// scalar. Generics this pass leaves alone (strided innermost access, other
// non-projected maps such as the matmul B packing, unrecognized reduction
// combiners such as the online softmax tail) stay scalar loops for LLVM's
// vectorizers.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuTarget.h"
#include "backends/cpu/Transforms/DividedReads.h"
#include "backends/cpu/Transforms/Passes.h"
#include "backends/cpu/Transforms/ReductionPartials.h"
#include "backends/cpu/Transforms/ScheduleHints.h"
#include "ir/VibeeDialect.h"
#include "ir/VibeeOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/ADT/SmallBitVector.h"

namespace vibee {
#define GEN_PASS_DEF_CPUVECTORIZEPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// Bits the body computes in: bf16/f16 are emulated in f32.
static unsigned computeBits(Type type) {
  if (isa<BFloat16Type, Float16Type>(type))
    return 32;
  if (type.isIntOrFloat())
    return std::max(8u, type.getIntOrFloatBitWidth());
  return 0;
}

struct Plan {
  linalg::GenericOp op;
  int64_t width = 0; // tile of the innermost loop; 0: the whole (static) extent
  bool innerReduction = false;
  // A transposed copy: the loop along which the transposed inputs are
  // contiguous; it and the innermost loop are tiled `width` x `width`.
  std::optional<unsigned> transposedLoop;
  // Inputs read through `inner floordiv c` (DividedReads.h), rewritten in each
  // full tile of this many lanes; remainder tiles stay scalar.
  int64_t dividedWidth = 0;
};

/// Whether `op` is one this pass vectorizes, and how.
static std::optional<Plan> planFor(linalg::GenericOp op, unsigned vectorBits) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 || op->getNumResults() ||
      op->hasAttr(vibee::attr::kPack))
    return std::nullopt;
  unsigned loops = op.getNumLoops(), inner = loops - 1;
  AffineExpr innerDim = getAffineDimExpr(inner, op.getContext());
  unsigned bits = 0;
  bool touchesInner = false;
  std::optional<unsigned> transposed;
  bool allParallel = op.getNumReductionLoops() == 0;
  bool divided = false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    Type type = operand.get().getType();
    if (!map.isProjectedPermutation()) {
      // Quantized weights and group scales: `w[n, k floordiv 2]`, vectorized
      // tile by tile where the division fits the tile (DividedReads.h): along
      // the innermost loop, or along the loop before it in a transposed copy
      // (the matmul's computed panel of nn.Linear's int4 w[n, k]).
      if (!op.isDpsInput(&operand))
        return std::nullopt;
      if (!vibee::dividedReadDivisor(map, inner)) {
        if (!allParallel || loops < 2 || !vibee::dividedReadDivisor(map, loops - 2) ||
            (transposed && *transposed != loops - 2))
          return std::nullopt;
        transposed = loops - 2;
      }
      divided = true;
      bits = std::max(bits, computeBits(getElementTypeOrSelf(type)));
      continue;
    }
    bits = std::max(bits, computeBits(getElementTypeOrSelf(type)));
    auto memref = dyn_cast<MemRefType>(type);
    // bool buffers hold a byte per element; a vector<Nxi1> store packs bits.
    if (memref && memref.getElementType().isInteger(1))
      return std::nullopt;
    if (!memref || !map.isFunctionOfDim(inner))
      continue;
    // The innermost loop must walk this operand's last dim, at unit stride;
    // or, for an input of an elementwise generic, another loop must (a
    // transposed read, done in square tiles).
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(memref.getStridesAndOffset(strides, offset)) || strides.back() != 1)
      return std::nullopt;
    if (map.getResults().back() != innerDim) {
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      // The two tiled loops innermost: a loop of extent 1 between them would
      // leave a transfer whose map skips a dim, which the transfer patterns
      // below rewrite back and forth without end.
      if (!allParallel || !op.isDpsInput(&operand) || !last || last.getPosition() + 2 != loops ||
          (transposed && *transposed != last.getPosition()))
        return std::nullopt;
      transposed = last.getPosition();
      continue;
    }
    touchesInner = true;
  }
  if (!touchesInner || bits == 0 || bits > 64)
    return std::nullopt;
  // Bodies of plain arithmetic (the math functions are polynomials by now) and
  // table lookups (vibee-cpu-lookup-permutes or a tree of selects); indices only where the tiles
  // are 1-D, or in a transposed tile with divided reads (the computed panel of int4 weights: `4 *
  // (k % 2)`, its k offset by the K block's start, an affine.apply that linalg::vectorize expands).
  for (Operation &bodyOp : op.getRegion().front())
    if (!isa<arith::ArithDialect, math::MathDialect>(bodyOp.getDialect()) &&
        !isa<linalg::YieldOp, vibee::LookupOp>(bodyOp) &&
        !((!transposed || divided) && isa<linalg::IndexOp>(bodyOp)) &&
        !(transposed && divided && isa<affine::AffineApplyOp>(bodyOp)))
      return std::nullopt;
  if (transposed) {
    // Square tiles of a vector's lanes: rows read along one loop, written
    // along the other, transposed in registers.
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t lanes = vibee::chooseVectorLanes(vectorBits, bits);
    for (unsigned d : {*transposed, inner})
      if (!ShapedType::isDynamic(ranges[d]) && ranges[d] < lanes)
        return std::nullopt;
    // bf16/f16 results stay scalar loops: the shuffled tile's narrow stores
    // were not tried (topk's bf16 column copy, the one such copy in the spec
    // library, also has a loop between its two tiled ones).
    for (Value init : op.getDpsInits())
      if (isa<BFloat16Type, Float16Type>(getElementTypeOrSelf(init.getType())))
        return std::nullopt;
    Plan plan{op, lanes, false, transposed};
    if (divided) {
      if (!vibee::dividedReadsFit(op, *transposed, lanes))
        return std::nullopt;
      plan.dividedWidth = lanes;
    }
    return plan;
  }

  Plan plan;
  plan.op = op;
  plan.innerReduction = op.getIteratorTypesArray()[inner] == utils::IteratorType::reduction;
  int64_t lanes = vibee::chooseVectorLanes(vectorBits, bits);
  // The tile: vibee::chooseVectorTile, or the kernel's schedule hint vector(w).
  vibee::ScheduleHints hints = vibee::ScheduleHints::of(op);
  plan.width = hints.vectorWidth && *hints.vectorWidth > 0
                   ? *hints.vectorWidth
                   : vibee::chooseVectorTile(vectorBits, bits, plan.innerReduction);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t extent = ranges[inner];
  if (!ShapedType::isDynamic(extent)) {
    int64_t unit = std::min(lanes, plan.width);
    if (extent < unit)
      return std::nullopt; // a few scalars: not worth a vector
    if (extent <= plan.width && extent % unit == 0)
      plan.width = 0; // one tile: the whole static extent
  }
  if (divided) {
    plan.dividedWidth = plan.width ? plan.width : extent;
    if (ShapedType::isDynamic(plan.dividedWidth) ||
        !vibee::dividedReadsFit(op, inner, plan.dividedWidth))
      return std::nullopt;
    return plan;
  }
  if (plan.innerReduction) {
    // The reduction must have a combiner linalg::vectorize recognizes.
    SmallVector<int64_t> sizes(loops, 1);
    sizes[inner] = plan.width ? plan.width : extent;
    if (failed(linalg::vectorizeOpPrecondition(op, sizes, SmallVector<bool>(loops, false))))
      return std::nullopt;
  }
  return plan;
}

/// `tile` without its loops of extent 1: every memref operand becomes a
/// rank-reducing subview without those dims. (Upstream's unit-dim folding only
/// handles tensors.) An outer reduction of extent 1 then disappears, so a tile
/// of the online softmax's lanes is an elementwise read-modify-write.
static linalg::GenericOp dropUnitLoops(RewriterBase &rw, linalg::GenericOp tile) {
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  llvm::SmallBitVector unit(ranges.size());
  for (auto [i, r] : llvm::enumerate(ranges))
    unit[i] = r == 1;
  if (unit.none())
    return tile;
  Location loc = tile.getLoc();
  rw.setInsertionPoint(tile);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : tile->getOpOperands()) {
    AffineMap map = tile.getMatchingIndexingMap(&operand);
    Value value = operand.get();
    auto type = dyn_cast<MemRefType>(value.getType());
    SmallVector<AffineExpr> kept;
    if (type) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      SmallVector<int64_t> shape;
      for (auto [d, expr] : llvm::enumerate(map.getResults())) {
        offsets.push_back(rw.getIndexAttr(0));
        strides.push_back(rw.getIndexAttr(1));
        auto dim = dyn_cast<AffineDimExpr>(expr);
        if (dim && unit[dim.getPosition()]) {
          sizes.push_back(rw.getIndexAttr(1));
          continue;
        }
        sizes.push_back(memref::getMixedSize(rw, loc, value, d));
        shape.push_back(type.getDimSize(d));
        kept.push_back(expr);
      }
      if (kept.size() != map.getNumResults()) {
        auto reduced = cast<MemRefType>(
            memref::SubViewOp::inferRankReducedResultType(shape, type, offsets, sizes, strides));
        value = memref::SubViewOp::create(rw, loc, reduced, value, offsets, sizes, strides);
      }
    } else {
      kept.append(map.getResults().begin(), map.getResults().end());
    }
    operands.push_back(value);
    maps.push_back(compressDims(AffineMap::get(map.getNumDims(), 0, kept, rw.getContext()), unit));
  }
  SmallVector<utils::IteratorType> iterators;
  for (auto [i, it] : llvm::enumerate(tile.getIteratorTypesArray()))
    if (!unit[i])
      iterators.push_back(it);
  unsigned numInputs = tile.getNumDpsInputs();
  auto flat =
      linalg::GenericOp::create(rw, loc, TypeRange{}, ArrayRef(operands).take_front(numInputs),
                                ArrayRef(operands).drop_front(numInputs), maps, iterators);
  rw.inlineRegionBefore(tile.getRegion(), flat.getRegion(), flat.getRegion().begin());
  // linalg.index of a dropped loop is 0 (in the tile), the others renumbered.
  SmallVector<linalg::IndexOp> indices(flat.getRegion().front().getOps<linalg::IndexOp>());
  for (linalg::IndexOp index : indices) {
    uint64_t d = index.getDim();
    rw.setInsertionPoint(index);
    if (unit[d]) {
      rw.replaceOp(index, arith::ConstantIndexOp::create(rw, index.getLoc(), 0));
      continue;
    }
    uint64_t before = 0;
    for (uint64_t i = 0; i < d; ++i)
      before += unit[i] ? 1 : 0;
    rw.modifyOpInPlace(index, [&] { index.setDim(d - before); });
  }
  rw.eraseOp(tile);
  return flat;
}

/// The generic after tiling and peeling: unit loops dropped, then vectorized
/// with static vector sizes: the dynamic extent of a full tile is `width`; a
/// remainder tile (`masked`) is shorter, its transfers get a mask.
static LogicalResult vectorizeFlat(RewriterBase &rw, linalg::GenericOp flat,
                                   ArrayRef<int64_t> sizes, bool masked) {
  rw.setInsertionPoint(flat);
  FailureOr<linalg::VectorizationResult> result =
      linalg::vectorize(rw, flat, sizes, SmallVector<bool>(sizes.size(), false), false, false,
                        /*assumeDynamicDimsMatchVecSizes=*/!masked);
  if (failed(result))
    return failure();
  rw.eraseOp(flat);
  return success();
}

static LogicalResult vectorizeTile(RewriterBase &rw, linalg::GenericOp tile, int64_t width,
                                   bool masked) {
  linalg::GenericOp flat = dropUnitLoops(rw, tile);
  SmallVector<int64_t> sizes;
  for (int64_t r : flat.getStaticLoopRanges())
    sizes.push_back(ShapedType::isDynamic(r) ? width : r);
  return vectorizeFlat(rw, flat, sizes, masked);
}

// Side of the blocks a transposed copy is swept in (vectorizeTransposed).
constexpr int64_t kTransposeBlock = 64;

/// `op` tiled by `size` along the two loops of a transposed copy (1 along the
/// others); the tile loops, one per loop of `op`.
static FailureOr<scf::SCFTilingResult> tileTransposed(RewriterBase &rw, linalg::GenericOp op,
                                                      unsigned transposedLoop, int64_t size) {
  SmallVector<OpFoldResult> tileSizes(op.getNumLoops(), rw.getIndexAttr(1));
  tileSizes[transposedLoop] = tileSizes.back() = rw.getIndexAttr(size);
  scf::SCFTilingOptions options;
  options.setTileSizes(tileSizes);
  rw.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rw, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitError("vibee-cpu-vectorize: tiling failed");
  rw.eraseOp(op);
  return tiled;
}

/// A transposed copy (Plan::transposedLoop): tiles of `width` x `width` over
/// that loop and the innermost one, both peeled; each full tile is read as
/// `width` rows of its transposed inputs and written as `width` rows of its
/// outputs, with a vector.transpose between (shuffles in registers). Partial
/// tiles at the edges stay scalar loops.
static LogicalResult vectorizeTransposed(RewriterBase &rw, const Plan &plan) {
  // Blocks first: a sweep of register tiles along one loop reads (or writes)
  // one row per tile, so over a whole row of a large matrix each load touches
  // a new page and cache line, and a line's other half is gone before the
  // next band reads it. Within a block of kTransposeBlock x kTransposeBlock
  // elements both sides stay in L1, the L1 TLB and whole lines.
  linalg::GenericOp op = plan.op;
  unsigned loops = op.getNumLoops();
  FailureOr<scf::SCFTilingResult> blocks =
      tileTransposed(rw, op, *plan.transposedLoop, kTransposeBlock);
  if (failed(blocks))
    return failure();
  FailureOr<scf::SCFTilingResult> tiled = tileTransposed(
      rw, cast<linalg::GenericOp>(blocks->tiledOps.back()), *plan.transposedLoop, plan.width);
  if (failed(tiled))
    return failure();
  auto tile = cast<linalg::GenericOp>(tiled->tiledOps.back());
  // The outer of the two tile loops first: its remainder holds a copy of the
  // inner loop, whose tiles are all partial. (Peeling fails where every tile
  // is full: no remainder.)
  for (unsigned d : {*plan.transposedLoop, loops - 1}) {
    scf::ForOp remainder;
    (void)scf::peelForLoopAndSimplifyBounds(rw, cast<scf::ForOp>(tiled->loops[d].getOperation()),
                                            remainder);
  }
  if (plan.dividedWidth &&
      failed(vibee::materializeDividedReads(rw, tile, *plan.transposedLoop, plan.width, loops - 1)))
    return failure();
  vibee::foldAlignedRemainders(rw, tile, *plan.transposedLoop);
  // The full tile's loops other than the two tiled ones have extent 1.
  linalg::GenericOp flat = dropUnitLoops(rw, tile);
  if (flat.getNumLoops() != 2 ||
      failed(vectorizeFlat(rw, flat, {plan.width, plan.width}, /*masked=*/false)))
    return flat.emitError("vibee-cpu-vectorize: vectorization failed");
  return success();
}

/// A 0-d transfer_read (one element at its indices, so never out of bounds)
/// from a memref whose innermost stride is not 1, such as b[k, n] read as
/// w[n, k] through a transposed view: upstream's lowering to vector.load wants
/// a unit stride, and the read would reach the LLVM conversion unlowered.
struct ZeroDimReadToLoad : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp op, PatternRewriter &rw) const override {
    if (op.getVectorType().getRank() != 0 || op.getMask() ||
        !isa<MemRefType>(op.getBase().getType()))
      return failure();
    Value element = memref::LoadOp::create(rw, op.getLoc(), op.getBase(), op.getIndices());
    rw.replaceOpWithNewOp<vector::BroadcastOp>(op, op.getVectorType(), element);
    return success();
  }
};

struct CpuVectorizePass : vibee::impl::CpuVectorizePassBase<CpuVectorizePass> {
  using CpuVectorizePassBase::CpuVectorizePassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    CpuVectorizePassBase::getDependentDialects(registry);
    linalg::registerTilingInterfaceExternalModels(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    unsigned bits = vectorBits ? vectorBits : vibee::detectHostCpu().vectorBits;
    SmallVector<Plan> plans;
    module.walk([&](linalg::GenericOp op) {
      if (std::optional<Plan> plan = planFor(op, bits))
        plans.push_back(*plan);
    });
    IRRewriter rw(&getContext());
    SmallVector<scf::ForOp> reductionLoops;
    for (const Plan &plan : plans) {
      if (plan.transposedLoop) {
        if (failed(vectorizeTransposed(rw, plan)))
          return signalPassFailure();
        continue;
      }
      linalg::GenericOp op = plan.op;
      unsigned loops = op.getNumLoops();
      bool allParallel = op.getNumReductionLoops() == 0;
      // bf16/f16 buffers: a masked load or store of them is not legal on every
      // x86 target and gets split into scalar float conversions, libcalls
      // (__truncsfbf2) included, on the SSE2 baseline.
      bool narrowFloats = llvm::any_of(op->getOperandTypes(), [](Type t) {
        return isa<BFloat16Type, Float16Type>(getElementTypeOrSelf(t));
      });
      bool intDivision = false;
      op.getRegion().walk([&](Operation *bodyOp) {
        intDivision |= isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
                           arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(bodyOp);
      });
      SmallVector<OpFoldResult> tileSizes(loops, rw.getIndexAttr(1));
      tileSizes.back() = rw.getIndexAttr(plan.width);
      linalg::GenericOp tile = op;
      scf::ForOp tileLoop;
      if (loops > 1 || plan.width) {
        scf::SCFTilingOptions options;
        options.setTileSizes(tileSizes);
        rw.setInsertionPoint(op);
        FailureOr<scf::SCFTilingResult> tiled =
            scf::tileUsingSCF(rw, cast<TilingInterface>(op.getOperation()), options);
        if (failed(tiled)) {
          op.emitError("vibee-cpu-vectorize: tiling failed");
          return signalPassFailure();
        }
        rw.eraseOp(op);
        tile = cast<linalg::GenericOp>(tiled->tiledOps.back());
        if (plan.width) {
          tileLoop = cast<scf::ForOp>(tiled->loops.back().getOperation());
          scf::ForOp remainder;
          // Fails when every tile is full (static extent divisible by W).
          if (succeeded(scf::peelForLoopAndSimplifyBounds(rw, tileLoop, remainder)) &&
              allParallel) {
            // Elementwise remainders: one masked vector step instead of scalars.
            // Not with bf16/f16 buffers (above), integer division (masked-off
            // lanes hold poison), nor with reductions: an outer one (i-k-j
            // matmul edges) would store and reload the masked accumulator every
            // step, which store forwarding cannot serve (slower than scalars,
            // docs/performance.md), an inner one would need a masked combine.
            SmallVector<linalg::GenericOp> rest(remainder.getBody()->getOps<linalg::GenericOp>());
            if (rest.size() == 1 && !intDivision && !narrowFloats && !plan.dividedWidth &&
                failed(vectorizeTile(rw, rest.front(), plan.width, /*masked=*/true))) {
              rest.front().emitError("vibee-cpu-vectorize: vectorization failed");
              return signalPassFailure();
            }
          }
        }
      }
      if (plan.dividedWidth &&
          failed(vibee::materializeDividedReads(rw, tile, loops - 1, plan.dividedWidth)))
        return signalPassFailure();
      vibee::foldAlignedRemainders(rw, tile, loops - 1);
      if (failed(vectorizeTile(rw, tile, plan.width, /*masked=*/false))) {
        tile.emitError("vibee-cpu-vectorize: vectorization failed");
        return signalPassFailure();
      }
      if (plan.innerReduction && tileLoop)
        reductionLoops.push_back(tileLoop);
    }
    for (scf::ForOp loop : reductionLoops)
      vibee::carryPartials(rw, loop);
    if (plans.empty())
      return;
    // Transfers on the base memrefs, 1-D, lowered to plain vector loads and
    // stores; multi-dim reductions to vector.reduction.
    auto apply = [&](function_ref<void(RewritePatternSet &)> populate) {
      RewritePatternSet patterns(&getContext());
      populate(patterns);
      // One function at a time: over the whole module, a rewrite in any function
      // made the driver simplify every function's regions again.
      FrozenRewritePatternSet frozen(std::move(patterns));
      for (auto func : module.getOps<func::FuncOp>())
        if (failed(applyPatternsGreedily(func, frozen)))
          return failure();
      return success();
    };
    if (failed(apply([](RewritePatternSet &patterns) {
          // vector.mask { transfer } (remainder tiles) -> masked transfers.
          vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
          memref::populateFoldMemRefAliasOpPatterns(patterns);
          vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
          vector::populateVectorTransferDropUnitDimsPatterns(patterns);
          vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
          vibee::populateUniformLanePatterns(patterns);
        })) ||
        failed(apply([](RewritePatternSet &patterns) {
          vector::populateVectorMultiReductionLoweringPatterns(
              patterns, vector::VectorMultiReductionLowering::InnerReduction);
          vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
          // A transposed copy's tile: one shuffle of its rows' lanes.
          vector::populateVectorTransposeLoweringPatterns(
              patterns, vector::VectorTransposeLowering::Shuffle1D);
          vector::populateScalarVectorTransferLoweringPatterns(patterns, 1, true);
          patterns.add<ZeroDimReadToLoad>(patterns.getContext());
        })))
      return signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> vibee::createCpuVectorizePass(const vibee::CpuTarget &target) {
  CpuVectorizePassOptions options;
  options.vectorBits = target.vectorBits;
  return createCpuVectorizePass(std::move(options));
}
