//===- CpuBlockReductions.cpp - long f32 sums in blocks, f64 across them --===//
//
// vibee-cpu-block-reductions, on bufferized linalg after
// vibee-cpu-prepare-vectorization (the reductions are in their final loop
// order, their combiners reassociable) and before vibee-cpu-vectorize.
//
// A vectorized f32 sum accumulates the whole reduced axis in W vector lanes:
// each lane adds N / W terms into one f32 running value, so the rounding error
// grows with the axis (global-norm clipping's 2^24 squares: 1.4e-4 relative,
// where PyTorch's pairwise sum is about 1e-6). This pass cuts every long f32
// `sum` into blocks of `block` elements of its innermost reduced loop:
//
//   total(f64) = out[p]                          // before the reduced loops
//   for each outer reduced index, each block:
//     partial(f32) = 0
//     partial += sum of the block               // the generic, vectorized later
//     total += f64(partial)
//   out[p] = f32(total)                          // after them
//
// so each vector lane adds only block / W terms in f32 (the error of the
// whole sum is then about sqrt(block / W) ulps) and the blocks meet in f64,
// whose error no realistic length reaches. The f64 work is a load, a
// conversion and an add per block (a few thousand elements): nothing beside
// the block's loads. The block keeps vibee-cpu-vectorize's fresh vector
// partials, so a short row (softmax, RMSNorm) is one block with the same code
// as before plus that scalar step.
//
// Which reductions: a generic whose innermost loops are reductions (the "run")
// combined by one `arith.addf` into an f32 output (f32 sums and bf16/f16
// inputs accumulated in f32; f64 sums are accurate enough, max/min are
// exact), when the run's extent is dynamic or longer than `block`. The
// output's dims are parallel loops outside the run, each tiled by 1, so the
// output element a block adds to is one scalar. Column sums (the reduction
// outside the last parallel loop after the interchange) are not innermost
// reductions and stay as they are: still open.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"
#include "ir/VibeeDialect.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_CPUBLOCKREDUCTIONSPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// A constant bound on an index value built as `c - (c / l) * l` (the tail of
/// a split into blocks of `l`: vibee-cpu-online-softmax's rows), or a constant.
static std::optional<int64_t> constantUpperBound(Value v) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return c;
  auto sub = v.getDefiningOp<arith::SubIOp>();
  auto mul = sub ? sub.getRhs().getDefiningOp<arith::MulIOp>() : nullptr;
  if (!mul)
    return std::nullopt;
  for (auto [q, l] : {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())}) {
    auto div = q.getDefiningOp<arith::DivUIOp>();
    std::optional<int64_t> lanes = getConstantIntValue(l);
    if (div && lanes && div.getLhs() == sub.getLhs() && div.getRhs() == l)
      return lanes;
  }
  return std::nullopt;
}

/// The extent of loop `d` of `op` as an SSA value: the size of a subview that
/// some operand's map indexes by `d` alone.
static std::optional<int64_t> loopUpperBound(linalg::GenericOp op, unsigned d) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto subview = operand.get().getDefiningOp<memref::SubViewOp>();
    if (!subview || subview.getSourceType().getRank() != subview.getType().getRank())
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, e] : llvm::enumerate(map.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(e); dim && dim.getPosition() == d)
        if (auto size = dyn_cast<Value>(subview.getMixedSizes()[i]))
          if (std::optional<int64_t> bound = constantUpperBound(size))
            return bound;
  }
  return std::nullopt;
}

/// The first loop of `op`'s innermost run of reduction loops when `op` is a
/// long f32 sum this pass blocks (see the file comment).
static std::optional<unsigned> longSumRun(linalg::GenericOp op, int64_t block) {
  if (!op.hasPureBufferSemantics() || op->getNumResults() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() == 0 || op->hasAttr(vibee::attr::kPack))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned loops = iterators.size();
  if (iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  unsigned run = loops - 1;
  while (run > 0 && iterators[run - 1] == utils::IteratorType::reduction)
    --run;
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(init->get().getType());
  if (!outType || !outType.getElementType().isF32())
    return std::nullopt;
  // The output is written once per element, after the run: no input may read it.
  for (OpOperand *input : op.getDpsInputOperands())
    if (input->get() == init->get())
      return std::nullopt;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation())
      return std::nullopt;
  // A sum: the accumulator's one combiner is an addf (so a block may start
  // from 0 and be added to the total afterwards).
  SmallVector<BlockArgument> accumulators(op.getRegionOutputArgs());
  SmallVector<Operation *> combiners;
  if (!matchReduction(accumulators, 0, combiners) || combiners.size() != 1 ||
      !isa<arith::AddFOp>(combiners.front()))
    return std::nullopt;
  // Long: a dynamic run (it may be), or a static one beyond a block.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t length = 1;
  for (unsigned i = run; i < loops; ++i) {
    int64_t range = ranges[i];
    if (ShapedType::isDynamic(range)) {
      std::optional<int64_t> bound = loopUpperBound(op, i);
      if (!bound)
        return run;
      range = *bound;
    }
    length *= range;
  }
  if (length <= block)
    return std::nullopt;
  return run;
}

/// Where the scalars go: the entry of the enclosing function, or of a thread's
/// body (scf.forall / scf.parallel: one per thread). Not a loop's body
/// (scf.for is an allocation scope too): an alloca there would grow the stack
/// every iteration once it is LLVM.
static Block *scalarBlock(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent; parent = parent->getParentOp())
    if (isa<func::FuncOp, scf::ForallOp, scf::ParallelOp>(parent))
      return &parent->getRegion(0).front();
  return nullptr;
}

/// Blocks `op` (longSumRun said yes, `run` its first reduced loop).
static LogicalResult blockSum(RewriterBase &rw, linalg::GenericOp op, unsigned run,
                              int64_t block) {
  Location loc = op.getLoc();
  unsigned loops = op.getNumLoops();
  Block *scalars = scalarBlock(op);
  if (!scalars)
    return emitError(loc, "vibee-cpu-block-reductions: no function or thread body around");
  Value out = op.getDpsInitOperand(0)->get();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));

  // Every loop by 1 but the innermost, by `block`: each tile's output is one
  // element; the loops come back outermost first, one per loop of `op`.
  SmallVector<OpFoldResult> sizes(loops, rw.getIndexAttr(1));
  sizes.back() = rw.getIndexAttr(block);
  scf::SCFTilingOptions options;
  options.setTileSizes(sizes);
  rw.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rw, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return emitError(loc, "vibee-cpu-block-reductions: tiling failed");
  rw.eraseOp(op);
  auto tile = cast<linalg::GenericOp>(tiled->tiledOps.back());
  OpOperand *tileOut = tile.getDpsInitOperand(0);
  auto tileOutType = cast<MemRefType>(tileOut->get().getType());
  if (tiled->loops.size() != loops ||
      !llvm::all_of(tileOutType.getShape(), [](int64_t d) { return d == 1; }))
    return emitError(loc, "vibee-cpu-block-reductions: unexpected tiles");

  // The two scalars: the f64 total and the block's f32 partial (a buffer of
  // the tile's output shape, all ones, so the generic keeps its maps).
  rw.setInsertionPointToStart(scalars);
  Type f32 = rw.getF32Type(), f64 = rw.getF64Type();
  Value total = memref::AllocaOp::create(rw, loc, MemRefType::get({}, f64));
  Value partial = memref::AllocaOp::create(rw, loc, MemRefType::get(tileOutType.getShape(), f32));

  // The output element's indices: the induction variables of its (parallel,
  // outside the run) loops, tiled by 1.
  SmallVector<Value> index;
  for (AffineExpr e : outMap.getResults())
    index.push_back(*tiled->loops[cast<AffineDimExpr>(e).getPosition()].getSingleInductionVar());
  Operation *runLoop = tiled->loops[run];
  rw.setInsertionPoint(runLoop);
  Value start = memref::LoadOp::create(rw, loc, out, index);
  memref::StoreOp::create(rw, loc, arith::ExtFOp::create(rw, loc, f64, start), total);
  rw.setInsertionPointAfter(runLoop);
  Value sum = memref::LoadOp::create(rw, loc, total);
  memref::StoreOp::create(rw, loc, arith::TruncFOp::create(rw, loc, f32, sum), out, index);

  // Each block: from 0 into the partial, then into the total.
  rw.setInsertionPoint(tile);
  Value zero = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(f32));
  SmallVector<Value> zeros(tileOutType.getRank(), arith::ConstantIndexOp::create(rw, loc, 0));
  memref::StoreOp::create(rw, loc, zero, partial, zeros);
  rw.modifyOpInPlace(tile, [&] { tileOut->assign(partial); });
  rw.setInsertionPointAfter(tile);
  Value blockValue = memref::LoadOp::create(rw, loc, partial, zeros);
  Value before = memref::LoadOp::create(rw, loc, total);
  Value after =
      arith::AddFOp::create(rw, loc, before, arith::ExtFOp::create(rw, loc, f64, blockValue));
  memref::StoreOp::create(rw, loc, after, total);
  return success();
}

struct CpuBlockReductionsPass
    : vibee::impl::CpuBlockReductionsPassBase<CpuBlockReductionsPass> {
  using CpuBlockReductionsPassBase::CpuBlockReductionsPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    CpuBlockReductionsPassBase::getDependentDialects(registry);
    linalg::registerTilingInterfaceExternalModels(registry);
  }

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, unsigned>> sums;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (std::optional<unsigned> run = longSumRun(op, block))
        sums.push_back({op, *run});
    });
    IRRewriter rw(&getContext());
    for (auto [op, run] : sums)
      if (failed(blockSum(rw, op, run, block)))
        return signalPassFailure();
  }
};

} // namespace
