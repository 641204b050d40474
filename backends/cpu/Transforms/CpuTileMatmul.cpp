//===- CpuTileMatmul.cpp - f32 matmul micro-kernel on CPUs -----------------===//
//
// vibee-cpu-tile-matmul, on bufferized linalg (after expose-c-abi, before
// loops), through upstream machinery (TilingInterface / scf::tileUsingSCF,
// linalg vectorization, vector contraction lowering). An f32
// C[m,n] += A[m,k] * B[k,n] generic becomes (on its full MR x NR tiles; the
// M % MR edge rows and N % NR edge columns stay plain generics beside it,
// vectorized by vibee-cpu-vectorize)
//     threads: forall jc in N step NC: chunk(jc, jc + NC); serially: chunk(0, N)
//     chunk(lo, hi): for jc in [lo, hi) step NC         (one B panel per step)
//       for kc in K step KC
//         Bp[jb][k][jj] = B[kc + k][jc + jb*NR + jj]    (B panel packed)
//         for ic in M step MC
//           for jr in NC step NR, for ir in MC step MR
//             for k in KC:  C[MR x NR] += A[MR x 1] * Bp[jr/NR][k][0:NR]
// The MR x NR x 1 step is vectorized (vector.contract), unrolled to one
// NR-wide row per accumulator, lowered to outer products (broadcast + FMA),
// and the accumulator tile is hoisted into registers across the k loop.
// The chunk function and its threaded calls: ChunkFunctions.h, ThreadRuntime.h.
// A matmul whose B is computed from narrow weights (ComputedOperand.h, from
// vibee-cpu-pack-contractions) takes the same path: its B expression is
// evaluated while the panel is packed (dequantization fused into the packing),
// with KC a multiple of its scale groups.
//
// Sizes: schedule hints (`vibee.schedule`, ScheduleHints.h: tile(M/N/K) ->
// MC/NC/KC, vector(w) -> the micro-kernel's vector width; applyScheduleHints)
// over the pass options mr/nr/mc/nc/kc over vibee::chooseMatmulTiles for the
// machine of the target options.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/ComputedOperand.h"
#include "backends/cpu/Transforms/CpuMicroKernelLowering.h"
#include "backends/cpu/Transforms/CpuPackedDotMicroKernel.h"
#include "backends/cpu/Transforms/CpuTarget.h"
#include "backends/cpu/Transforms/Passes.h"
#include "backends/cpu/Transforms/ScheduleHints.h"
#include "backends/cpu/Transforms/ThreadRuntime.h"
#include "backends/cpu/Transforms/ZeroInit.h"
#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/ADT/MapVector.h"

namespace vibee {
#define GEN_PASS_DEF_CPUTILEMATMULPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using vibee::CpuTarget;

namespace {

/// The K block of the bf16 packed dot-product kernel with several register
/// columns, in elements (tilesFor).
constexpr int64_t kBf16BlockK = 1024;

struct MatmulParams : vibee::MatmulTiles {
  int64_t vw = 0; // vector width of the micro-kernel's ops; 0: one NR-wide vector
};

/// Schedule hints over the pass's sizes (precedence: hint > pass option > derived
/// default): tile(M/N/K = n) sets MC/NC/KC, vector(w) the width of the micro-kernel's
/// vectors. A hint the micro-kernel cannot take (MC % MR, NC % NR, NR % w, a packed
/// B panel over 64 MiB) is dropped with a remark.
static MatmulParams applyScheduleHints(linalg::GenericOp op, const MatmulParams &base,
                                       const vibee::ScheduleHints &hints) {
  MatmulParams p = base;
  auto take = [&](unsigned loop, int64_t &field, int64_t multipleOf, StringRef name) {
    std::optional<std::string> symbol = vibee::loopSymbol(op, loop);
    std::optional<int64_t> size = hints.tile(symbol);
    if (!size)
      return;
    if (*size % multipleOf) {
      mlir::emitRemark(op.getLoc())
          << "schedule hint tile(" << *symbol << " = " << *size << ") ignored: " << name
          << " must be a multiple of " << multipleOf;
      return;
    }
    field = *size;
  };
  take(0, p.mc, p.mr, "the M tile");
  take(1, p.nc, p.nr, "the N panel");
  take(2, p.kc, 1, "the K tile");
  // Each thread allocates an NC x KC packed panel: keep it to a sane size.
  constexpr int64_t kMaxPanelBytes = int64_t(64) << 20;
  if (p.nc * p.kc * 4 > kMaxPanelBytes) {
    mlir::emitRemark(op.getLoc()) << "schedule hint tile(N = " << p.nc << ", K = " << p.kc
                                  << ") ignored: the packed B panel would exceed 64 MiB";
    p.nc = base.nc;
    p.kc = base.kc;
  }
  if (hints.vectorWidth) {
    if (p.nr % *hints.vectorWidth)
      mlir::emitRemark(op.getLoc()) << "schedule hint vector(" << *hints.vectorWidth
                                    << ") ignored: the register tile is " << p.nr << " wide";
    else
      p.vw = *hints.vectorWidth;
  }
  return p;
}

static bool isF32Matmul(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return false;
  if (op.getIndexingMapsArray() != vibee::plainMatmulMaps(op.getContext()))
    return false;
  for (OpOperand &operand : op->getOpOperands())
    if (!getElementTypeOrSelf(operand.get().getType()).isF32())
      return false;
  return true;
}

static FailureOr<scf::SCFTilingResult>
tile(RewriterBase &rw, Operation *op, ArrayRef<int64_t> sizes, ArrayRef<int64_t> interchange) {
  scf::SCFTilingOptions options;
  SmallVector<OpFoldResult> tileSizes;
  for (int64_t s : sizes)
    tileSizes.push_back(rw.getIndexAttr(s));
  options.setTileSizes(tileSizes);
  if (!interchange.empty())
    options.setInterchange(interchange);
  rw.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rw, cast<TilingInterface>(op), options);
  if (succeeded(result))
    rw.eraseOp(op); // buffer semantics: nothing to replace
  return result;
}

/// Tiles, packs and vectorizes `op` (a clone inside the fast-path branch).
/// With `zeroInit` (C is zero before the matmul: ZeroInit.h), each MC x NC
/// block of C is zeroed by the first K block, right before its register tiles
/// read it, rather than by a pass of its own over all of C.
static LogicalResult buildMicroKernel(RewriterBase &rw, linalg::GenericOp op,
                                      const MatmulParams &p, bool zeroInit) {
  Location loc = op.getLoc();
  bool plain = isF32Matmul(op);
  // Level 1: N in NC panels (the loop the threads share).
  auto l1 = tile(rw, op, {0, p.nc, 0}, {});
  if (failed(l1))
    return failure();
  Operation *panelLoop = l1->loops.front().getOperation();
  auto t1 = cast<linalg::GenericOp>(l1->tiledOps.back());
  // Level 2: K in KC blocks, then M in MC blocks.
  auto l2 = tile(rw, t1, {p.mc, 0, p.kc}, {2, 0, 1});
  if (failed(l2) || l2->loops.size() != 2)
    return failure();
  auto kcLoop = cast<scf::ForOp>(l2->loops[0].getOperation());
  auto mLoop = cast<scf::ForOp>(l2->loops[1].getOperation());
  auto t2 = cast<linalg::GenericOp>(l2->tiledOps.back());
  (void)moveLoopInvariantCode(cast<LoopLikeOpInterface>(mLoop.getOperation()));
  if (zeroInit) {
    rw.setInsertionPoint(t2);
    Value first = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq,
                                        kcLoop.getInductionVar(), kcLoop.getLowerBound());
    auto ifFirst = scf::IfOp::create(rw, loc, first, /*withElse=*/false);
    rw.setInsertionPoint(ifFirst.thenBlock()->getTerminator());
    vibee::emitZeroFill(rw, loc, t2.getDpsInits()[0]);
  }
  Value bBlock = t2.getDpsInputs()[1];
  // getDpsInputs() is a temporary: drop_begin over it would outlive it.
  SmallVector<Value> inputs = t2.getDpsInputs();
  for (Value bSource : llvm::drop_begin(inputs))
    if (!mLoop.isDefinedOutsideOfLoop(bSource))
      return failure();

  // The packed panel: one per panel-loop iteration (per thread).
  Region &panelBody = panelLoop->getRegion(0);
  rw.setInsertionPointToStart(&panelBody.front());
  auto packType = MemRefType::get({p.nc / p.nr, p.kc, p.nr}, rw.getF32Type());
  Value packed = memref::AllocOp::create(rw, loc, packType, rw.getI64IntegerAttr(64));
  rw.setInsertionPoint(panelBody.front().getTerminator());
  memref::DeallocOp::create(rw, loc, packed);

  // Bp[jb][k][jj] = Bblock[k][jb * NR + jj], before the M loop.
  rw.setInsertionPoint(mLoop);
  // A computed B has no [KC][NC] block: the sizes are the tile loops' steps,
  // cut at their bounds.
  auto blockSize = [&](scf::ForOp loop) -> Value {
    return arith::MinSIOp::create(
        rw, loc, loop.getStep(),
        arith::SubIOp::create(rw, loc, loop.getUpperBound(), loop.getInductionVar()));
  };
  Value kcDyn = plain ? memref::DimOp::create(rw, loc, bBlock, 0).getResult() : blockSize(kcLoop);
  Value ncDyn = plain ? memref::DimOp::create(rw, loc, bBlock, 1).getResult()
                      : blockSize(cast<scf::ForOp>(panelLoop));
  Value nb = arith::DivUIOp::create(rw, loc, ncDyn, arith::ConstantIndexOp::create(rw, loc, p.nr));
  SmallVector<OpFoldResult> zeros(3, rw.getIndexAttr(0)), ones(3, rw.getIndexAttr(1));
  Value packView = memref::SubViewOp::create(
      rw, loc, packed, zeros, SmallVector<OpFoldResult>{nb, kcDyn, rw.getIndexAttr(p.nr)}, ones);
  MLIRContext *ctx = rw.getContext();
  AffineExpr jb, k, jj;
  bindDims(ctx, jb, k, jj);
  SmallVector<AffineMap> packMaps = {AffineMap::get(3, 0, {k, jb * p.nr + jj}, ctx),
                                     AffineMap::getMultiDimIdentityMap(3, ctx)};
  SmallVector<utils::IteratorType> par(3, utils::IteratorType::parallel);
  auto pack = plain ? linalg::GenericOp::create(rw, loc, ValueRange{bBlock}, ValueRange{packView},
                                                packMaps, par,
                                                [](OpBuilder &b, Location l, ValueRange args) {
                                                  linalg::YieldOp::create(b, l, args[0]);
                                                })
                    : vibee::buildComputedPack(rw, loc, t2, packView, p.nr);
  if (plain)
    pack->setAttr(vibee::attr::kPack, rw.getUnitAttr());

  // Level 3: register tiles, NR panels outside MR row blocks.
  auto l3 = tile(rw, t2, {p.mr, p.nr, 0}, {1, 0, 2});
  if (failed(l3) || l3->loops.size() != 2)
    return failure();
  auto jrLoop = cast<scf::ForOp>(l3->loops[0].getOperation());
  auto t3 = cast<linalg::GenericOp>(l3->tiledOps.back());
  // Level 4: one k at a time.
  auto l4 = tile(rw, t3, {0, 0, 1}, {});
  if (failed(l4) || l4->loops.size() != 1)
    return failure();
  auto kLoop = cast<scf::ForOp>(l4->loops[0].getOperation());
  auto t4 = cast<linalg::GenericOp>(l4->tiledOps.back());

  // The micro-kernel reads B from the packed panel.
  rw.setInsertionPoint(t4);
  Value jbIdx = arith::DivUIOp::create(rw, loc, jrLoop.getInductionVar(),
                                       arith::ConstantIndexOp::create(rw, loc, p.nr));
  SmallVector<OpFoldResult> offsets = {jbIdx, kLoop.getInductionVar(), rw.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {rw.getIndexAttr(1), rw.getIndexAttr(1), rw.getIndexAttr(p.nr)};
  auto rowType =
      memref::SubViewOp::inferRankReducedResultType({1, p.nr}, packType, offsets, sizes, ones);
  Value bRow =
      memref::SubViewOp::create(rw, loc, cast<MemRefType>(rowType), packed, offsets, sizes, ones);
  if (plain)
    rw.modifyOpInPlace(t4, [&] { t4.getDpsInputOperand(1)->set(bRow); });
  else
    t4 = vibee::replaceByPlainMatmul(rw, t4, bRow);

  // Vectorize the MR x NR x 1 step (every tile is full on this path).
  FailureOr<linalg::VectorizationResult> vec =
      linalg::vectorize(rw, t4, {p.mr, p.nr, 1}, {false, false, false}, false, false,
                        /*assumeDynamicDimsMatchVecSizes=*/true);
  if (failed(vec))
    return failure();
  rw.eraseOp(t4);
  return success();
}

/// A matmul cut into its full register tiles and its edge strips.
struct FullTiles {
  linalg::GenericOp kernel; // the op on C[0:M - M % MR, 0:N - N % NR]
  Value work;               // M * N * K, what the runtime weighs for threads
  Value mFull;              // M - M % MR, the rows of `kernel`
  Value nFull;              // N - N % NR, the columns of `kernel`
};

/// Builds, before `op` (which the caller erases), with M8 = M - M % MR and
/// N8 = N - N % NR:
///   if (M8 * N8 * K >= minWork) { kernel: op on C[0:M8, 0:N8] } else { op }
///   op on the edge columns C[0:M8, N8:N];  op on the edge rows C[M8:M, 0:N]
/// The micro-kernel takes the full register tiles; the edge strips (fewer than
/// MR rows, fewer than NR columns) stay plain generics, vectorized along N by
/// vibee-cpu-vectorize.
static FullTiles splitFullTiles(RewriterBase &rw, linalg::GenericOp op, const MatmulParams &p,
                                int64_t minWork, bool zeroInit) {
  Location loc = op.getLoc();
  rw.setInsertionPoint(op);
  bool plain = isF32Matmul(op);
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1], c = op.getDpsInits()[0];
  Value m = memref::DimOp::create(rw, loc, a, 0);
  Value k = memref::DimOp::create(rw, loc, a, 1);
  Value n = memref::DimOp::create(rw, loc, plain ? b : c, 1);
  auto roundDown = [&](Value v, int64_t f) {
    return arith::SubIOp::create(
        rw, loc, v, arith::RemUIOp::create(rw, loc, v, arith::ConstantIndexOp::create(rw, loc, f)));
  };
  Value mFull = roundDown(m, p.mr), nFull = roundDown(n, p.nr);
  Value work = vibee::emitIterationCount(rw, loc, {m, n, k});
  Value fullWork = vibee::emitIterationCount(rw, loc, {mFull, nFull, k});
  Value fast = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sge, fullWork,
                                     arith::ConstantIndexOp::create(rw, loc, minWork));
  OpFoldResult zero = rw.getIndexAttr(0);
  auto view = [&](Value v, OpFoldResult row, OpFoldResult col, OpFoldResult rows,
                  OpFoldResult cols) -> Value {
    return memref::SubViewOp::create(rw, loc, v, {row, col}, {rows, cols},
                                     {rw.getIndexAttr(1), rw.getIndexAttr(1)});
  };
  // The edge strips go after the scf.if, at the top level of the function, so
  // that vibee-cpu-parallelize splits their rows over the threads too; they
  // are empty when the plain generic runs instead.
  Value none = arith::ConstantIndexOp::create(rw, loc, 0);
  Value edgeColumnRows = arith::SelectOp::create(rw, loc, fast, mFull, none);
  Value edgeRowRows =
      arith::SelectOp::create(rw, loc, fast, arith::SubIOp::create(rw, loc, m, mFull), none);
  Value nEdge = arith::SubIOp::create(rw, loc, n, nFull);
  // An empty strip's views start at 0, not at its operand's end: folded to
  // constants (a static size that is whole tiles, also through a batch slice),
  // an offset at the end is one the subview verifier rejects.
  auto startIfAny = [&](Value count, Value start) -> Value {
    Value any = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::ne, count, none);
    return arith::SelectOp::create(rw, loc, any, start, none);
  };
  Value mStrip = startIfAny(edgeRowRows, mFull), nStrip = startIfAny(nEdge, nFull);
  IRMapping edgeColumns, edgeRows, fullTiles;
  if (plain) {
    edgeColumns.map(a, view(a, zero, zero, edgeColumnRows, k));
    edgeColumns.map(b, view(b, zero, nStrip, k, nEdge));
    edgeColumns.map(c, view(c, zero, nStrip, edgeColumnRows, nEdge));
    edgeRows.map(a, view(a, mStrip, zero, edgeRowRows, k));
    edgeRows.map(c, view(c, mStrip, zero, edgeRowRows, n));
  } else { // every B source sliced along its N axis
    vibee::mapSlices(rw, loc, op, zero, edgeColumnRows, nStrip, nEdge, edgeColumns);
    vibee::mapSlices(rw, loc, op, mStrip, edgeRowRows, OpFoldResult(), OpFoldResult(), edgeRows);
  }
  auto ifOp = scf::IfOp::create(rw, loc, fast, /*withElse=*/true);
  // No strip where the operand's static size is whole tiles: it would be
  // empty (empty strips that only fold to constants later start at 0, above).
  auto wholeTiles = [](Value v, unsigned axis, int64_t tile) {
    int64_t size = cast<MemRefType>(v.getType()).getDimSize(axis);
    return !ShapedType::isDynamic(size) && size % tile == 0;
  };
  // The strips are views: a computed B's indices (its nibble's `k % 2`) start
  // at the strip's offsets.
  // Under zeroInit (the fill absorbed: ZeroInit.h) each strip and the small
  // branch zero their own C.
  if (!wholeTiles(c, 1, p.nr)) {
    if (zeroInit)
      vibee::emitZeroFill(rw, loc, edgeColumns.lookup(c));
    linalg::offsetIndices(rw, cast<linalg::LinalgOp>(rw.clone(*op, edgeColumns)),
                          {zero, nStrip, zero});
  }
  if (!wholeTiles(c, 0, p.mr)) {
    if (zeroInit)
      vibee::emitZeroFill(rw, loc, edgeRows.lookup(c));
    auto rowsOp = cast<linalg::GenericOp>(rw.clone(*op, edgeRows));
    linalg::offsetIndices(rw, cast<linalg::LinalgOp>(rowsOp.getOperation()), {mStrip, zero, zero});
    // A computed B is read where it lies (w[n, k] for nn.Linear's layout): the
    // few edge rows go through each weight row in turn (n outside m), so the
    // weights stream from memory once, not once per edge row.
    if (!plain)
      (void)linalg::interchangeGenericOp(rw, rowsOp, {1, 0, 2});
  }
  rw.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  if (zeroInit)
    vibee::emitZeroFill(rw, loc, c);
  rw.clone(*op);
  rw.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  if (plain) {
    fullTiles.map(a, view(a, zero, zero, mFull, k));
    fullTiles.map(b, view(b, zero, zero, k, nFull));
    fullTiles.map(c, view(c, zero, zero, mFull, nFull));
  } else {
    vibee::mapSlices(rw, loc, op, zero, mFull, zero, nFull, fullTiles);
  }
  return {cast<linalg::GenericOp>(rw.clone(*op, fullTiles)), work, mFull, nFull};
}

struct CpuTileMatmulPass : vibee::impl::CpuTileMatmulPassBase<CpuTileMatmulPass> {
  using CpuTileMatmulPassBase::CpuTileMatmulPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    CpuTileMatmulPassBase::getDependentDialects(registry);
    linalg::registerTilingInterfaceExternalModels(registry);
    registerOpenMPDialectTranslation(registry);
  }

  /// The packed dot-product micro-kernel `op` takes on this target, if any.
  std::optional<vibee::PackedDot> packedDot(linalg::GenericOp op) const {
    std::optional<vibee::PackedDot> kind = vibee::packedDotMatmul(op);
    if (kind && ((*kind == vibee::PackedDot::Bf16Pairs && bf16Dot) ||
                 (*kind == vibee::PackedDot::Int8Quads && vnni)))
      return kind;
    return std::nullopt;
  }

  /// The machine of the target options, the host's values where they are unset.
  CpuTarget target() const {
    CpuTarget t = vibee::detectHostCpu();
    if (vectorBits)
      t.vectorBits = vectorBits;
    if (l1Bytes)
      t.l1dBytes = l1Bytes;
    if (l2Bytes)
      t.l2Bytes = l2Bytes;
    if (l3Bytes >= 0)
      t.l3Bytes = l3Bytes;
    if (cores)
      t.cores = cores;
    return t;
  }

  /// The machine's choice for this matmul's static sizes, with the explicit
  /// tile options on top (schedule hints go on top of this).
  MatmulParams tilesFor(linalg::GenericOp op, const CpuTarget &machine) const {
    auto staticDim = [](Value v, unsigned d) -> std::optional<int64_t> {
      int64_t size = cast<MemRefType>(v.getType()).getDimSize(d);
      return ShapedType::isDynamic(size) ? std::nullopt : std::optional<int64_t>(size);
    };
    Value a = op.getDpsInputs()[0];
    Value nSource = isF32Matmul(op) ? op.getDpsInputs()[1] : op.getDpsInits()[0];
    SmallVector<int64_t> aStrides;
    int64_t aOffset;
    bool aByColumns =
        succeeded(cast<MemRefType>(a.getType()).getStridesAndOffset(aStrides, aOffset)) &&
        aStrides.back() != 1;
    MatmulParams p;
    static_cast<vibee::MatmulTiles &>(p) = vibee::chooseMatmulTiles(
        machine, {staticDim(a, 0), staticDim(nSource, 1), staticDim(a, 1), aByColumns});
    // The packed dot-product kernels have the f32 one's register tile (32-bit
    // accumulators) and panels of 2-byte (bf16) or 1-byte (int8) elements: K
    // blocks 4 / bytes times as long fill the same cache.
    if (std::optional<vibee::PackedDot> packed = isF32Matmul(op) ? std::nullopt : packedDot(op)) {
      bool bf16 = *packed == vibee::PackedDot::Bf16Pairs;
      p.kc *= bf16 ? 2 : 4;
      // bf16 with several register columns: longer still. Each K block loads
      // and stores every C tile once, which with L1-sized blocks cost more
      // than vdpbf16ps saves; the B micro-panel then streams from L2, which
      // feeds 128 bytes per 16 dot products easily (docs/performance.md,
      // "Session 36").
      std::optional<int64_t> k = staticDim(a, 1), n = staticDim(nSource, 1);
      if (bf16 && !(n && *n <= p.nr))
        p.kc = std::max(p.kc, k ? vibee::balancedTile(*k, kBf16BlockK, 16) : kBf16BlockK);
    }
    for (auto [value, option] :
         {std::pair{&p.mr, &mr}, {&p.nr, &nr}, {&p.mc, &mc}, {&p.nc, &nc}, {&p.kc, &kc}})
      if (*option > 0)
        *value = *option;
    return p;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> matmuls;
    module.walk([&](linalg::GenericOp op) {
      if (isF32Matmul(op) || vibee::computedMatmulKGroups(op) || packedDot(op))
        matmuls.push_back(op);
    });
    CpuTarget machine = target();
    IRRewriter rw(&getContext());
    llvm::MapVector<Operation *, int64_t> vectorWidths; // per function with matmuls
    for (linalg::GenericOp op : matmuls) {
      vibee::ScheduleHints hints = vibee::ScheduleHints::of(op);
      MatmulParams options = tilesFor(op, machine);
      if (options.nc % options.nr || options.mc % options.mr) {
        op.emitError("vibee-cpu-tile-matmul: nc must be a multiple of nr, mc of mr");
        return signalPassFailure();
      }
      MatmulParams p = applyScheduleHints(op, options, hints);
      std::optional<vibee::PackedDot> packed = isF32Matmul(op) ? std::nullopt : packedDot(op);
      // `k floordiv G` reads of a computed B are exact in K blocks that no
      // group straddles (tiles keep the maps, on views); the packed dot
      // products take K blocks of whole groups.
      if (packed) {
        int64_t group = vibee::packedDotGroup(*packed);
        p.kc = std::max(group, p.kc / group * group);
      } else if (!isF32Matmul(op))
        p.kc = *vibee::kBlockForGroups(*vibee::computedMatmulKGroups(op), p.kc);
      // The threads share the N panels, or the M blocks where N is one panel
      // (a static N no wider than the register tile: the transposed product of
      // few rows).
      int64_t staticN = cast<MemRefType>(op.getDpsInits()[0].getType()).getDimSize(1);
      bool onePanel = !ShapedType::isDynamic(staticN) && staticN <= p.nr;
      unsigned threadLoop = onePanel ? 0 : 1;
      bool panelThreads = threads && hints.allowsParallel(vibee::loopSymbol(op, threadLoop));
      if (threads && hints.allowsThreads() && !panelThreads)
        mlir::emitRemark(op.getLoc())
            << "schedule hint parallel(...) leaves the matmul serial: its threads split only the "
            << (onePanel ? "M blocks" : "N panels");
      // A zero fill of exactly C right before the matmul is absorbed (ZeroInit.h).
      linalg::FillOp init = vibee::zeroFillBefore(op, op.getDpsInits()[0]);
      bool zeroInit = init != nullptr;
      FullTiles full = splitFullTiles(rw, op, p, minWork, zeroInit);
      if (init)
        rw.eraseOp(init);
      linalg::GenericOp kernel = full.kernel;
      Operation *kernelFunc = op->getParentOfType<func::FuncOp>();
      if (panelThreads) {
        // One micro-kernel, in a chunk function on columns [lo, hi) of the full
        // tiles (rows where N is one panel): the serial branch calls it on all
        // of them, each thread on NC-wide panels (MC-high blocks).
        Operation *tiled = nullptr;
        vibee::ChunkFunction chunk = vibee::createLoopChunkFunction(rw, kernel, threadLoop, &tiled);
        rw.setInsertionPoint(kernel);
        vibee::emitChunkCalls(rw, op.getLoc(), full.work, hints.maxThreads(), chunk,
                              onePanel ? full.mFull : full.nFull, onePanel ? p.mc : p.nc);
        rw.eraseOp(kernel);
        kernel = cast<linalg::GenericOp>(tiled);
        kernelFunc = chunk.func;
      }
      rw.eraseOp(op);
      if (packed) {
        if (failed(vibee::buildPackedDotMicroKernel(rw, kernel, p, *packed, zeroInit, onePanel))) {
          kernel.emitError("vibee-cpu-tile-matmul: the packed-dot register tile must be a "
                           "multiple of ")
              << vibee::kPackedDotLanes << " columns wide";
          return signalPassFailure();
        }
        continue;
      }
      // The narrowest register row of the function's matmuls: wider ones
      // unroll to several vectors of that width, the same instructions.
      int64_t width = p.vw ? p.vw : p.nr;
      auto [entry, fresh] = vectorWidths.try_emplace(kernelFunc, width);
      entry->second = std::min(entry->second, width);
      if (failed(buildMicroKernel(rw, kernel, p, zeroInit))) {
        kernel.emitError("vibee-cpu-tile-matmul: tiling failed");
        return signalPassFailure();
      }
    }
    for (auto [func, width] : vectorWidths)
      if (failed(vibee::lowerMicroKernels(cast<func::FuncOp>(func), width, lowerSteps)))
        return signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> vibee::createCpuTileMatmulPass(const CpuTarget &target, bool threads) {
  CpuTileMatmulPassOptions options;
  options.vectorBits = target.vectorBits;
  options.l1Bytes = target.l1dBytes;
  options.l2Bytes = target.l2Bytes;
  options.l3Bytes = target.l3Bytes;
  options.cores = target.cores;
  options.threads = threads;
  options.bf16Dot = target.bf16Dot;
  options.vnni = target.vnni;
  return createCpuTileMatmulPass(std::move(options));
}
