//===- CpuTiling.cpp - matmul micro-kernel and threads on CPUs ------------===//
//
// Two passes on bufferized linalg (after expose-c-abi, before loops), both
// through upstream machinery (TilingInterface / scf::tileUsingSCF, linalg
// vectorization, vector contraction lowering, transfer hoisting):
//
// vibee-cpu-tile-matmul: an f32 C[m,n] += A[m,k] * B[k,n] generic becomes
//   (on its full MR x NR tiles; the M % MR edge rows and N % NR edge columns
//   stay plain generics beside it, vectorized by vibee-cpu-vectorize)
//     threads: forall jc in N step NC: chunk(jc, jc + NC); serially: chunk(0, N)
//     chunk(lo, hi): for jc in [lo, hi) step NC         (one B panel per step)
//       for kc in K step KC
//         Bp[jb][k][jj] = B[kc + k][jc + jb*NR + jj]    (B panel packed)
//         for ic in M step MC
//           for jr in NC step NR, for ir in MC step MR
//             for k in KC:  C[MR x NR] += A[MR x 1] * Bp[jr/NR][k][0:NR]
//   The MR x NR x 1 step is vectorized (vector.contract), unrolled to one
//   NR-wide row per accumulator, lowered to outer products (broadcast + FMA),
//   and the accumulator tile is hoisted into registers across the k loop.
//
// vibee-cpu-parallelize: every other top-level linalg op whose first loop is
//   parallel is split into `nt` chunks of that loop (scf.forall), nt from the
//   runtime (CpuRuntime.c: all cores, or 1 when the work is small, when another
//   kernel call is already using the threads, or when the runtime is absent).
//
// Schedule hints (`vibee.schedule`, read through ScheduleHints.h) override the
// sizes per kernel: tile(M/N/K) -> MC/NC/KC and vector(w) -> the micro-kernel's
// vector width in applyScheduleHints; parallel/tile/threads pick the split loop,
// its chunk and the thread cap in CpuParallelizePass::chooseSplit.
//
// Each threaded body exists once, as a private noinline chunk function on a range
// of the split loop (ChunkFunctions.h): `scf.if (nt > 1)` calls it from a forall,
// once per thread's range, else once on the whole range. The foralls become
// OpenMP (scf-forall-to-parallel, convert-scf-to-openmp) in the CPU pipeline. The
// runtime functions are referenced extern_weak: without them (an AOT object linked
// on its own) nt is 1 and the serial call runs.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/ChunkFunctions.h"
#include "backends/cpu/Transforms/Passes.h"
#include "backends/cpu/Transforms/CpuTarget.h"
#include "backends/cpu/Transforms/ScheduleHints.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"

using namespace mlir;
using vibee::CpuTarget;

namespace {

constexpr const char *kEnter = "vibee_cpu_parallel_enter";
constexpr const char *kEnterMax = "vibee_cpu_parallel_enter_max"; // threads(n) hint
constexpr const char *kExit = "vibee_cpu_parallel_exit";

//===----------------------------------------------------------------------===//
// Runtime calls
//===----------------------------------------------------------------------===//

static LLVM::LLVMFuncOp declareWeak(ModuleOp module, StringRef name, Type result,
                                    ArrayRef<Type> args) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  auto f = LLVM::LLVMFuncOp::create(b, module.getLoc(), name,
                                    LLVM::LLVMFunctionType::get(result, args));
  f.setLinkage(LLVM::Linkage::ExternWeak);
  return f;
}

/// nt = the runtime is linked ? vibee_cpu_parallel_enter(work) : 1 (i64), or
/// vibee_cpu_parallel_enter_max(work, max) under a threads(max) schedule hint.
static Value emitEnter(OpBuilder &b, Location loc, ModuleOp module, Value work,
                       std::optional<int64_t> maxThreads) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  LLVM::LLVMFuncOp enter = maxThreads ? declareWeak(module, kEnterMax, i64, {i64, i64})
                                      : declareWeak(module, kEnter, i64, {i64});
  Value fp = LLVM::AddressOfOp::create(b, loc, ptrTy, enter.getSymName());
  Value null = LLVM::ZeroOp::create(b, loc, ptrTy);
  Value linked = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, fp, null);
  SmallVector<Value, 2> args = {arith::IndexCastOp::create(b, loc, i64, work)};
  if (maxThreads)
    args.push_back(arith::ConstantIntOp::create(b, loc, i64, *maxThreads));
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{i64}, linked, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value nt = LLVM::CallOp::create(b, loc, enter, args).getResult();
    scf::YieldOp::create(b, loc, nt);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc,
                         Value(arith::ConstantIntOp::create(b, loc, i64, 1)));
  }
  return ifOp.getResult(0);
}

static void emitExit(OpBuilder &b, Location loc, ModuleOp module, Value nt) {
  LLVM::LLVMFuncOp exit =
      declareWeak(module, kExit, LLVM::LLVMVoidType::get(b.getContext()), {b.getI64Type()});
  LLVM::CallOp::create(b, loc, exit, ValueRange{nt});
}

/// scf.if (nt > 1) { parallel } else { serial }, both built by the callbacks.
static void emitParallelOrSerial(OpBuilder &b, Location loc, ModuleOp module, Value work,
                                 std::optional<int64_t> maxThreads,
                                 function_ref<void(OpBuilder &, Value nt)> parallel,
                                 function_ref<void(OpBuilder &)> serial) {
  Value nt = emitEnter(b, loc, module, work, maxThreads);
  Value one = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 1);
  Value many = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, nt, one);
  auto ifOp = scf::IfOp::create(b, loc, many, /*withElse=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  parallel(b, arith::IndexCastOp::create(b, loc, b.getIndexType(), nt));
  emitExit(b, loc, module, nt);
  b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  serial(b);
}

static Value product(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes) {
  Value p = arith::ConstantIndexOp::create(b, loc, 1);
  for (OpFoldResult s : sizes)
    p = arith::MulIOp::create(b, loc, p, getValueOrCreateConstantIndexOp(b, loc, s));
  return p;
}

/// forall over the chunks of [0, extent) (`chunk` each, the last one shorter):
/// calls `body(lo, hi)` inside it.
static void emitChunks(OpBuilder &b, Location loc, Value extent, int64_t chunk,
                       function_ref<void(OpBuilder &, Value lo, Value hi)> body) {
  Value size = arith::ConstantIndexOp::create(b, loc, chunk);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value count = arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, extent, arith::SubIOp::create(b, loc, size, one)),
      size);
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{OpFoldResult(count)},
                                      ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value lo = arith::MulIOp::create(b, loc, forall.getInductionVar(0), size);
  Value hi = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, lo, size), extent);
  body(b, lo, hi);
}

/// forall over `nt` threads, thread t on [t * extent / nt, (t + 1) * extent / nt):
/// calls `body(lo, hi)` inside it.
static void emitThreadRanges(OpBuilder &b, Location loc, Value extent, Value nt,
                             function_ref<void(OpBuilder &, Value lo, Value hi)> body) {
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{OpFoldResult(nt)},
                                      ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value t = forall.getInductionVar(0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value lo = arith::DivUIOp::create(b, loc, arith::MulIOp::create(b, loc, t, extent), nt);
  Value hi = arith::DivUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, arith::AddIOp::create(b, loc, t, one), extent), nt);
  body(b, lo, hi);
}

/// The threaded form of a body built once, as a chunk function: the serial branch
/// calls it on [0, extent), the parallel one on each thread's range (chunks of
/// `chunk`, or one range per thread).
static void emitChunkCalls(OpBuilder &b, Location loc, ModuleOp module, Value work,
                           std::optional<int64_t> maxThreads, const vibee::ChunkFunction &fn,
                           Value extent, std::optional<int64_t> chunk) {
  auto call = [&](OpBuilder &b, Value lo, Value hi) { vibee::callChunk(b, loc, fn, lo, hi); };
  emitParallelOrSerial(
      b, loc, module, work, maxThreads,
      [&](OpBuilder &b, Value nt) {
        if (chunk)
          emitChunks(b, loc, extent, *chunk, call);
        else
          emitThreadRanges(b, loc, extent, nt, call);
      },
      [&](OpBuilder &b) { call(b, arith::ConstantIndexOp::create(b, loc, 0), extent); });
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

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
      op.emitRemark() << "schedule hint tile(" << *symbol << " = " << *size
                      << ") ignored: " << name << " must be a multiple of " << multipleOf;
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
    op.emitRemark() << "schedule hint tile(N = " << p.nc << ", K = " << p.kc
                    << ") ignored: the packed B panel would exceed 64 MiB";
    p.nc = base.nc;
    p.kc = base.kc;
  }
  if (hints.vectorWidth) {
    if (p.nr % *hints.vectorWidth)
      op.emitRemark() << "schedule hint vector(" << *hints.vectorWidth
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
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> expected = {AffineMap::get(3, 0, {m, k}, ctx),
                                     AffineMap::get(3, 0, {k, n}, ctx),
                                     AffineMap::get(3, 0, {m, n}, ctx)};
  if (op.getIndexingMapsArray() != expected)
    return false;
  for (OpOperand &operand : op->getOpOperands())
    if (!getElementTypeOrSelf(operand.get().getType()).isF32())
      return false;
  return true;
}

static FailureOr<scf::SCFTilingResult> tile(RewriterBase &rw, Operation *op,
                                            ArrayRef<int64_t> sizes,
                                            ArrayRef<int64_t> interchange) {
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
static LogicalResult buildMicroKernel(RewriterBase &rw, linalg::GenericOp op,
                                      const MatmulParams &p) {
  Location loc = op.getLoc();
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
  auto mLoop = cast<scf::ForOp>(l2->loops[1].getOperation());
  auto t2 = cast<linalg::GenericOp>(l2->tiledOps.back());
  (void)moveLoopInvariantCode(cast<LoopLikeOpInterface>(mLoop.getOperation()));
  Value bBlock = t2.getDpsInputs()[1];
  if (!mLoop.isDefinedOutsideOfLoop(bBlock))
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
  Value kcDyn = memref::DimOp::create(rw, loc, bBlock, 0);
  Value ncDyn = memref::DimOp::create(rw, loc, bBlock, 1);
  Value nb = arith::DivUIOp::create(rw, loc, ncDyn, arith::ConstantIndexOp::create(rw, loc, p.nr));
  SmallVector<OpFoldResult> zeros(3, rw.getIndexAttr(0)), ones(3, rw.getIndexAttr(1));
  Value packView = memref::SubViewOp::create(
      rw, loc, packed, zeros, SmallVector<OpFoldResult>{nb, kcDyn, rw.getIndexAttr(p.nr)},
      ones);
  MLIRContext *ctx = rw.getContext();
  AffineExpr jb, k, jj;
  bindDims(ctx, jb, k, jj);
  SmallVector<AffineMap> packMaps = {AffineMap::get(3, 0, {k, jb * p.nr + jj}, ctx),
                                     AffineMap::getMultiDimIdentityMap(3, ctx)};
  SmallVector<utils::IteratorType> par(3, utils::IteratorType::parallel);
  auto pack = linalg::GenericOp::create(
      rw, loc, ValueRange{bBlock}, ValueRange{packView}, packMaps, par,
      [](OpBuilder &b, Location l, ValueRange args) { linalg::YieldOp::create(b, l, args[0]); });
  pack->setAttr("vibee.pack", rw.getUnitAttr());

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
  SmallVector<OpFoldResult> sizes = {rw.getIndexAttr(1), rw.getIndexAttr(1),
                                     rw.getIndexAttr(p.nr)};
  auto rowType = memref::SubViewOp::inferRankReducedResultType({1, p.nr}, packType, offsets,
                                                               sizes, ones);
  Value bRow = memref::SubViewOp::create(rw, loc, cast<MemRefType>(rowType), packed, offsets,
                                         sizes, ones);
  rw.modifyOpInPlace(t4, [&] { t4.getDpsInputOperand(1)->set(bRow); });

  // Vectorize the MR x NR x 1 step (every tile is full on this path).
  FailureOr<linalg::VectorizationResult> vec =
      linalg::vectorize(rw, t4, {p.mr, p.nr, 1}, {false, false, false}, false, false,
                        /*assumeDynamicDimsMatchVecSizes=*/true);
  if (failed(vec))
    return failure();
  rw.eraseOp(t4);
  return success();
}

/// One row of width `w` (NR, or a vector(w) hint that divides it) per contraction /
/// transfer: the accumulator tile becomes separate 1-D vectors (registers) rather
/// than one 2-D aggregate.
static std::optional<SmallVector<int64_t>> nativeShape(Operation *op, int64_t w) {
  if (auto contract = dyn_cast<vector::ContractionOp>(op))
    return SmallVector<int64_t>{1, w, 1};
  if (auto xfer = dyn_cast<VectorTransferOpInterface>(op)) {
    ArrayRef<int64_t> shape = xfer.getVectorType().getShape();
    if (shape.size() == 2)
      return SmallVector<int64_t>{1, shape[1] % w == 0 ? w : shape[1]};
  }
  return std::nullopt;
}

/// The micro-kernel's k loop reads and writes each accumulator row of C at
/// loop-invariant indices, and nothing else in it touches C: the rows become
/// loop-carried values (registers), read before and written after the loop.
/// (linalg::hoistRedundantVectorTransfers refuses: C has other uses in the
/// function, e.g. its memref.dim, that dominate the loop.)
static LogicalResult hoistAccumulators(RewriterBase &rw, scf::ForOp loop) {
  SmallVector<vector::TransferReadOp> reads;
  SmallVector<vector::TransferWriteOp> writes;
  Value c;
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto w = dyn_cast<vector::TransferWriteOp>(op)) {
      if (c && w.getBase() != c)
        return success(); // not the shape we built: leave it
      c = w.getBase();
      writes.push_back(w);
    }
  if (!c)
    return success();
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto r = dyn_cast<vector::TransferReadOp>(op); r && r.getBase() == c)
      reads.push_back(r);
  if (reads.size() != writes.size())
    return success();
  SmallVector<vector::TransferWriteOp> paired;
  for (vector::TransferReadOp r : reads) {
    auto it = llvm::find_if(writes, [&](vector::TransferWriteOp w) {
      return llvm::equal(w.getIndices(), r.getIndices()) && w.getVectorType() == r.getVectorType() &&
             w.getPermutationMap() == r.getPermutationMap();
    });
    if (it == writes.end() || r.getMask() || it->getMask() ||
        !llvm::all_of(r->getOperands(), [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      return success();
    paired.push_back(*it);
  }
  // Loop-carried as 1-D vectors (one register row each, not an LLVM aggregate).
  SmallVector<Value> inits;
  for (vector::TransferReadOp r : reads) {
    r->moveBefore(loop);
    rw.setInsertionPointAfter(r);
    VectorType type = r.getVectorType();
    auto flat = VectorType::get({type.getNumElements()}, type.getElementType());
    inits.push_back(vector::ShapeCastOp::create(rw, r.getLoc(), flat, r.getResult()));
  }
  FailureOr<LoopLikeOpInterface> replaced =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rw, inits, /*replaceInitOperandUsesInLoop=*/false,
              [&](OpBuilder &b, Location l, ArrayRef<BlockArgument>) {
                SmallVector<Value> yielded;
                for (auto [w, init] : llvm::zip(paired, inits))
                  yielded.push_back(
                      vector::ShapeCastOp::create(b, l, init.getType(), w.getVector()));
                return yielded;
              });
  if (failed(replaced))
    return failure();
  auto result = cast<scf::ForOp>(replaced->getOperation());
  unsigned first = result.getNumResults() - paired.size();
  Block *body = result.getBody();
  rw.setInsertionPointToStart(body);
  for (auto [i, r] : llvm::enumerate(reads)) {
    Value row = vector::ShapeCastOp::create(rw, r.getLoc(), r.getVectorType(),
                                            result.getRegionIterArgs()[first + i]);
    rw.replaceUsesWithIf(r.getResult(), row, [&](OpOperand &use) {
      return result->isProperAncestor(use.getOwner());
    });
  }
  for (auto [i, w] : llvm::enumerate(paired)) {
    w->moveAfter(result);
    rw.setInsertionPoint(w);
    Value full = vector::ShapeCastOp::create(rw, w.getLoc(), w.getVectorType(),
                                             result.getResult(first + i));
    rw.modifyOpInPlace(w, [&] { w.getValueToStoreMutable().assign(full); });
  }
  return success();
}

static LogicalResult lowerMicroKernels(func::FuncOp func, int64_t width, int steps) {
  MLIRContext *ctx = func.getContext();
  if (steps >= 1) {
    // mul + multi_reduction over broadcast reads -> vector.contract.
    RewritePatternSet contract(ctx);
    vector::populateVectorReductionToContractPatterns(contract);
    vector::populateVectorTransferPermutationMapLoweringPatterns(contract);
    if (failed(applyPatternsGreedily(func, std::move(contract))))
      return failure();
  }
  if (steps >= 2) {
    RewritePatternSet patterns(ctx);
    vector::populateVectorUnrollPatterns(
        patterns, vector::UnrollVectorOptions().setNativeShapeFn(
                      [width](Operation *op) { return nativeShape(op, width); }));
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    // Transfers index the function's memrefs directly (no subviews): hoisting
    // refuses view-like sources.
    memref::populateFoldMemRefAliasOpPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return failure();
  }
  if (steps < 3)
    return success();
  // Accumulators into registers across the k loop.
  IRRewriter cseRewriter(ctx);
  DominanceInfo dom;
  eliminateCommonSubExpressions(cseRewriter, dom, func);
  func.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
  SmallVector<scf::ForOp> kLoops;
  func.walk([&](scf::ForOp loop) {
    if (!loop.getBody()->getOps<vector::ContractionOp>().empty())
      kLoops.push_back(loop);
  });
  IRRewriter rw(ctx);
  for (scf::ForOp loop : kLoops)
    if (failed(hoistAccumulators(rw, loop)))
      return failure();
  if (steps >= 4) {
    RewritePatternSet patterns(ctx);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(patterns,
                                                    vector::VectorTransposeLowering::EltWise);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return failure();
  }
  if (steps >= 5) {
    RewritePatternSet patterns(ctx);
    vector::populateScalarVectorTransferLoweringPatterns(patterns, 1, true);
    vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return failure();
  }
  return success();
}

struct CpuTileMatmulPass : PassWrapper<CpuTileMatmulPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuTileMatmulPass)
  CpuTileMatmulPass() = default;
  explicit CpuTileMatmulPass(const CpuTarget &target) : target(target) {}
  CpuTileMatmulPass(const CpuTileMatmulPass &other) : PassWrapper(other), target(other.target) {}
  /// Caches and vector width the default tiles are chosen for.
  CpuTarget target = vibee::detectHostCpu();
  StringRef getArgument() const override { return "vibee-cpu-tile-matmul"; }
  StringRef getDescription() const override {
    return "f32 matmul: cache tiles, packed B panel, vectorized MRxNR register "
           "micro-kernel; N panels over threads";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<affine::AffineDialect, arith::ArithDialect, LLVM::LLVMDialect,
                    linalg::LinalgDialect, memref::MemRefDialect, scf::SCFDialect,
                    vector::VectorDialect, omp::OpenMPDialect>();
    linalg::registerTilingInterfaceExternalModels(registry);
    registerOpenMPDialectTranslation(registry);
  }
  // 0: chosen by vibee::chooseMatmulTiles from the target's caches and vector
  // width and the matmul's static sizes; a value given here wins (a schedule
  // hint wins over both).
  Option<int64_t> mr{*this, "mr", llvm::cl::desc("register tile rows (0: chosen)"),
                     llvm::cl::init(0)};
  Option<int64_t> nr{*this, "nr", llvm::cl::desc("register tile columns (0: chosen)"),
                     llvm::cl::init(0)};
  Option<int64_t> mc{*this, "mc", llvm::cl::desc("M cache tile (0: chosen)"), llvm::cl::init(0)};
  Option<int64_t> nc{*this, "nc", llvm::cl::desc("N panel per thread (0: chosen)"),
                     llvm::cl::init(0)};
  Option<int64_t> kc{*this, "kc", llvm::cl::desc("K cache tile (0: chosen)"), llvm::cl::init(0)};
  Option<unsigned> vectorBits{*this, "vector-bits",
                              llvm::cl::desc("SIMD width for the chosen tiles (0: the target's)"),
                              llvm::cl::init(0)};
  Option<int64_t> minWork{*this, "min-work",
                          llvm::cl::desc("smallest M*N*K for the micro-kernel path"),
                          llvm::cl::init(32 * 32 * 32)};
  Option<int> lowerSteps{*this, "lower-steps",
                         llvm::cl::desc("debug: vector lowering steps to run (0-3)"),
                         llvm::cl::init(5)};
  Option<bool> threads{*this, "threads", llvm::cl::desc("N panels over threads"),
                       llvm::cl::init(true)};

  /// The target's choice for this matmul's static sizes, with the explicit
  /// options on top (schedule hints go on top of this).
  MatmulParams tilesFor(linalg::GenericOp op) const {
    CpuTarget t = target;
    if (vectorBits)
      t.vectorBits = vectorBits;
    auto staticDim = [](Value v, unsigned d) -> std::optional<int64_t> {
      int64_t size = cast<MemRefType>(v.getType()).getDimSize(d);
      return ShapedType::isDynamic(size) ? std::nullopt : std::optional<int64_t>(size);
    };
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
    MatmulParams p;
    static_cast<vibee::MatmulTiles &>(p) =
        vibee::chooseMatmulTiles(t, {staticDim(a, 0), staticDim(b, 1), staticDim(a, 1)});
    for (auto [value, option] : {std::pair{&p.mr, &mr}, {&p.nr, &nr}, {&p.mc, &mc},
                                 {&p.nc, &nc}, {&p.kc, &kc}})
      if (*option > 0)
        *value = *option;
    return p;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> matmuls;
    module.walk([&](linalg::GenericOp op) {
      if (isF32Matmul(op))
        matmuls.push_back(op);
    });
    IRRewriter rw(&getContext());
    llvm::MapVector<Operation *, int64_t> vectorWidths; // per function with matmuls
    for (linalg::GenericOp op : matmuls) {
      Location loc = op.getLoc();
      vibee::ScheduleHints hints = vibee::ScheduleHints::of(op);
      MatmulParams options = tilesFor(op);
      if (options.nc % options.nr || options.mc % options.mr) {
        op.emitError("vibee-cpu-tile-matmul: nc must be a multiple of nr, mc of mr");
        return signalPassFailure();
      }
      MatmulParams p = applyScheduleHints(op, options, hints);
      // The threads share the N panels (and nothing else).
      std::optional<std::string> nSymbol = vibee::loopSymbol(op, 1);
      bool panelThreads = threads && hints.allowsParallel(nSymbol);
      if (threads && hints.allowsThreads() && !panelThreads)
        op.emitRemark("schedule hint parallel(...) leaves the matmul serial: its threads "
                      "split only the N panels");
      rw.setInsertionPoint(op);
      Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
      Value m = memref::DimOp::create(rw, loc, a, 0);
      Value k = memref::DimOp::create(rw, loc, a, 1);
      Value n = memref::DimOp::create(rw, loc, b, 1);
      // The micro-kernel takes the full register tiles: rows [0, M - M % MR),
      // columns [0, N - N % NR). The edge strips (fewer than MR rows, fewer than
      // NR columns) stay plain generics, vectorized along N by vibee-cpu-vectorize.
      auto roundDown = [&](Value v, int64_t f) {
        return arith::SubIOp::create(
            rw, loc, v,
            arith::RemUIOp::create(rw, loc, v, arith::ConstantIndexOp::create(rw, loc, f)));
      };
      Value mFull = roundDown(m, p.mr), nFull = roundDown(n, p.nr);
      Value work = product(rw, loc, {m, n, k});
      Value fullWork = product(rw, loc, {mFull, nFull, k});
      Value fast = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sge, fullWork,
                                         arith::ConstantIndexOp::create(rw, loc, minWork));
      Value c = op.getDpsInits()[0];
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
      IRMapping edgeColumns, edgeRows;
      edgeColumns.map(a, view(a, zero, zero, edgeColumnRows, k));
      edgeColumns.map(b, view(b, zero, nFull, k, nEdge));
      edgeColumns.map(c, view(c, zero, nFull, edgeColumnRows, nEdge));
      edgeRows.map(a, view(a, mFull, zero, edgeRowRows, k));
      edgeRows.map(c, view(c, mFull, zero, edgeRowRows, n));
      auto ifOp = scf::IfOp::create(rw, loc, fast, /*withElse=*/true);
      rw.clone(*op, edgeColumns);
      rw.clone(*op, edgeRows);
      rw.setInsertionPoint(ifOp.elseBlock()->getTerminator());
      rw.clone(*op);
      rw.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      IRMapping fullTiles;
      fullTiles.map(a, view(a, zero, zero, mFull, k));
      fullTiles.map(b, view(b, zero, zero, k, nFull));
      fullTiles.map(c, view(c, zero, zero, mFull, nFull));
      auto kernel = cast<linalg::GenericOp>(rw.clone(*op, fullTiles));
      Operation *kernelFunc = op->getParentOfType<func::FuncOp>();
      if (panelThreads) {
        // One micro-kernel, in a chunk function on columns [lo, hi) of the full
        // tiles: the serial branch calls it on all of them, each thread on
        // NC-wide panels.
        Operation *tiled = nullptr;
        vibee::ChunkFunction chunk =
            vibee::createLoopChunkFunction(rw, kernel, /*loop=*/1, &tiled);
        rw.setInsertionPoint(kernel);
        emitChunkCalls(rw, loc, module, work, hints.maxThreads(), chunk, nFull, p.nc);
        rw.eraseOp(kernel);
        kernel = cast<linalg::GenericOp>(tiled);
        kernelFunc = chunk.func;
      }
      rw.eraseOp(op);
      vectorWidths[kernelFunc] = p.vw ? p.vw : p.nr;
      if (failed(buildMicroKernel(rw, kernel, p))) {
        kernel.emitError("vibee-cpu-tile-matmul: tiling failed");
        return signalPassFailure();
      }
    }
    for (auto [func, width] : vectorWidths)
      if (failed(lowerMicroKernels(cast<func::FuncOp>(func), width, lowerSteps)))
        return signalPassFailure();
  }
};

//===----------------------------------------------------------------------===//
// Other ops: chunks of the first parallel loop over threads
//===----------------------------------------------------------------------===//

struct CpuParallelizePass : PassWrapper<CpuParallelizePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuParallelizePass)
  StringRef getArgument() const override { return "vibee-cpu-parallelize"; }
  StringRef getDescription() const override {
    return "split the first parallel loop of top-level linalg ops over the runtime's "
           "threads (scf.forall), the body once as a chunk function that the threads and the "
           "serial branch (small work, busy threads) call";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<affine::AffineDialect, arith::ArithDialect, LLVM::LLVMDialect,
                    linalg::LinalgDialect, memref::MemRefDialect, scf::SCFDialect,
                    omp::OpenMPDialect>();
    linalg::registerTilingInterfaceExternalModels(registry);
    registerOpenMPDialectTranslation(registry);
  }

  /// Whether every memref operand of `op` is indexed by loop 0 in its dim 0,
  /// loop 0 being parallel (rows), so that a block of rows of the op reads and
  /// writes only that block of rows of its operands.
  static bool isRowWise(linalg::LinalgOp op) {
    if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
        op.getIteratorTypesArray()[0] != utils::IteratorType::parallel)
      return false;
    AffineExpr d0 = getAffineDimExpr(0, op.getContext());
    for (OpOperand &operand : op->getOpOperands()) {
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      if (!type)
        continue;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      if (type.getRank() == 0 || map.getNumResults() == 0 || map.getResult(0) != d0)
        return false;
      for (AffineExpr e : map.getResults().drop_front())
        if (e.isFunctionOfDim(0))
          return false;
    }
    return true;
  }

  /// The buffer `v` views (through subviews, reshapes).
  static Value rootBuffer(Value v) {
    while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
      v = view.getViewSource();
    return v;
  }

  /// Whether every use of `v` (through views) is an op of `group` or a dealloc.
  static bool onlyGroupUses(Value v, ArrayRef<linalg::LinalgOp> group) {
    for (Operation *user : v.getUsers()) {
      if (isa<memref::DeallocOp>(user) ||
          llvm::any_of(group, [&](linalg::LinalgOp g) { return g == user; }))
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (!view || view.getViewSource() != v ||
          !llvm::all_of(user->getResults(), [&](Value r) { return onlyGroupUses(r, group); }))
        return false;
    }
    return true;
  }

  /// The temporaries of a row group (allocations with a dynamic row count that
  /// only the group uses): each block of rows produces and consumes its rows of
  /// them, so one block-sized buffer serves every block and stays in the cache
  /// (softmax_bf16's exp, 8 x C f32, would otherwise be R x C written to DRAM).
  static SmallVector<memref::AllocOp> groupTemporaries(ArrayRef<linalg::LinalgOp> group) {
    llvm::SetVector<memref::AllocOp> temps;
    for (linalg::LinalgOp op : group)
      for (Value v : op->getOperands())
        if (auto alloc = rootBuffer(v).getDefiningOp<memref::AllocOp>())
          if (alloc.getType().getRank() > 0 && alloc.getType().isDynamicDim(0) &&
              onlyGroupUses(alloc, group))
            temps.insert(alloc);
    return temps.takeVector();
  }

  /// Erases `v`'s views and deallocs (no other uses left), then its op.
  static void eraseBuffer(IRRewriter &rw, Value v) {
    while (!v.use_empty())
      eraseWithUsers(rw, *v.user_begin());
    if (Operation *def = v.getDefiningOp(); def && def->use_empty())
      rw.eraseOp(def);
  }

  /// Erases the users of `op`'s results depth first, then `op`. Users are taken
  /// one at a time from the live use lists (never from a snapshot), so an op that
  /// uses several erased values is erased once.
  static void eraseWithUsers(IRRewriter &rw, Operation *op) {
    for (Value r : op->getResults())
      while (!r.use_empty())
        eraseWithUsers(rw, *r.user_begin());
    rw.eraseOp(op);
  }

  /// Clones `op` for rows [row, row + count) of every memref operand, reading the
  /// values it uses from outside through `outside`.
  static void cloneForRows(OpBuilder &b, Location loc, Operation *op, Value row, Value count,
                           const IRMapping &outside, ArrayRef<Value> blockBuffers = {}) {
    IRMapping map = outside;
    for (Value v : op->getOperands()) {
      auto type = dyn_cast<MemRefType>(v.getType());
      if (!type)
        continue;
      Value buffer = outside.lookupOrDefault(v);
      SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
          sizes = memref::getMixedSizes(b, loc, buffer),
          strides(type.getRank(), b.getIndexAttr(1));
      // A block buffer holds the current block of rows from its row 0.
      if (!llvm::is_contained(blockBuffers, rootBuffer(v)))
        offsets[0] = row;
      sizes[0] = count;
      map.map(v, memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides).getResult());
    }
    Operation *clone = b.clone(*op, map);
    clone->removeAttr("vibee.row_group");
  }

  /// The loop of `op` to split over threads under `hints` (the first parallel loop
  /// whose size symbol a parallel(...) hint lists; loop 0 without the hint), with
  /// its tile(...) chunk if any. Nullopt: `op` stays serial.
  struct Split {
    unsigned loop = 0;
    std::optional<int64_t> chunk; // rows per chunk; none: one chunk per thread
  };
  static std::optional<Split> chooseSplit(linalg::LinalgOp op,
                                          const vibee::ScheduleHints &hints,
                                          bool rowsOnly) {
    if (!hints.allowsThreads())
      return std::nullopt;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    for (unsigned loop = 0, e = rowsOnly ? 1 : iterators.size(); loop < e; ++loop) {
      if (iterators[loop] != utils::IteratorType::parallel)
        continue;
      std::optional<std::string> symbol = vibee::loopSymbol(op, loop);
      if (hints.allowsParallel(symbol))
        return Split{loop, hints.tile(symbol)};
      if (!hints.parallel)
        break;
    }
    op.emitRemark("schedule hint parallel(...) names no loop this op can split over "
                  "threads: it runs serially");
    return std::nullopt;
  }

  /// Ops of one `vibee.row_group` (vibee-cpu-online-softmax: softmax's passes over
  /// each row): one thread region, each thread a chunk of the rows, walked in
  /// blocks of kRowBlock rows through all the ops, so that later ops find the
  /// rows in the cache (serially, blocks still, when the hints allow no threads).
  /// False when the group cannot be run that way.
  static bool parallelizeRowGroup(IRRewriter &rw, ModuleOp module,
                                  ArrayRef<linalg::LinalgOp> group) {
    constexpr int64_t kRowBlock = 8;
    for (linalg::LinalgOp op : group)
      if (!isRowWise(op) || op->getBlock() != group.front()->getBlock())
        return false;
    Operation *last = group.back();
    // Every operand must be available at the last op (where the group goes).
    DominanceInfo dom(last->getParentOp());
    for (linalg::LinalgOp op : group)
      for (Value v : op->getOperands())
        if (!dom.properlyDominates(v, last) &&
            !llvm::any_of(group, [&](linalg::LinalgOp g) { return v.getDefiningOp() == g; }))
          return false;
    // Nothing between the first and the last op of the group may touch memory
    // (a dealloc of a group temporary, a write the group would reorder).
    for (Operation *op = group.front()->getNextNode(); op && op != last; op = op->getNextNode())
      if (!llvm::is_contained(group, op) && !isMemoryEffectFree(op) &&
          !isa<memref::AllocOp>(op))
        return false;
    Location loc = last->getLoc();
    rw.setInsertionPoint(last);
    linalg::LinalgOp outputOp = group.back();
    SmallVector<OpFoldResult> sizes;
    for (Range r : outputOp.createLoopRanges(rw, loc))
      sizes.push_back(r.size);
    Value rows = getValueOrCreateConstantIndexOp(rw, loc, sizes[0]);
    Value work = product(rw, loc, sizes);
    // Group temporaries shrink to one block of rows (made per chunk call when
    // threaded: one per thread); after the sizes above, which may read them.
    SmallVector<memref::AllocOp> temps = groupTemporaries(group);
    SmallVector<Value> blockBuffers;
    SmallVector<Operation *> privatized;
    for (memref::AllocOp alloc : temps) {
      rw.setInsertionPoint(alloc);
      Value rowsOfBlock = arith::ConstantIndexOp::create(rw, alloc.getLoc(), kRowBlock);
      rw.modifyOpInPlace(alloc, [&] { alloc.getDynamicSizesMutable()[0].assign(rowsOfBlock); });
      blockBuffers.push_back(alloc);
      privatized.push_back(alloc);
    }
    rw.setInsertionPoint(last);
    // for row in [lo, hi) step block: every op on rows [row, min(row + block, hi)).
    auto emitBlocks = [&](OpBuilder &b, Value lo, Value hi, const IRMapping &outside) {
      Value block = arith::ConstantIndexOp::create(b, loc, kRowBlock);
      auto loop = scf::ForOp::create(b, loc, lo, hi, block);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      Value row = loop.getInductionVar();
      Value count = arith::MinSIOp::create(b, loc, block, arith::SubIOp::create(b, loc, hi, row));
      for (linalg::LinalgOp op : group)
        cloneForRows(b, loc, op, row, count, outside, blockBuffers);
    };
    vibee::ScheduleHints hints = vibee::ScheduleHints::of(outputOp);
    // Thread t: rows [t * R / nt, (t + 1) * R / nt); or tile(R = n): chunks of n rows.
    if (std::optional<Split> split = chooseSplit(outputOp, hints, /*rowsOnly=*/true)) {
      SmallVector<Operation *> ops(group.begin(), group.end());
      vibee::ChunkFunction chunk = vibee::createChunkFunction(
          rw, last->getParentOfType<func::FuncOp>(), vibee::capturedValues(ops), emitBlocks,
          privatized);
      emitChunkCalls(rw, loc, module, work, hints.maxThreads(), chunk, rows, split->chunk);
      for (linalg::LinalgOp op : llvm::reverse(group))
        rw.eraseOp(op);
      for (Value buffer : blockBuffers)
        eraseBuffer(rw, buffer);
      return true;
    } else {
      emitBlocks(rw, arith::ConstantIndexOp::create(rw, loc, 0), rows, IRMapping());
    }
    for (linalg::LinalgOp op : llvm::reverse(group))
      rw.eraseOp(op);
    return true;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> ops;
    llvm::MapVector<Attribute, SmallVector<linalg::LinalgOp>> groups;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (Operation &op : func.getBody().getOps())
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op)) {
          if (Attribute g = op.getAttr("vibee.row_group")) {
            groups[g].push_back(linalgOp);
            continue;
          }
          if (linalgOp.hasPureBufferSemantics() && linalgOp.getNumLoops() > 0 &&
              linalgOp.getIteratorTypesArray()[0] == utils::IteratorType::parallel)
            ops.push_back(linalgOp);
        }
    IRRewriter rw(&getContext());
    for (auto &[attr, group] : groups)
      if (!parallelizeRowGroup(rw, module, group))
        for (linalg::LinalgOp op : group) {
          op->removeAttr("vibee.row_group");
          ops.push_back(op);
        }
    for (linalg::LinalgOp op : ops) {
      Location loc = op.getLoc();
      vibee::ScheduleHints hints = vibee::ScheduleHints::of(op);
      std::optional<Split> split = chooseSplit(op, hints, /*rowsOnly=*/false);
      if (!split)
        continue;
      rw.setInsertionPoint(op);
      SmallVector<OpFoldResult> sizes;
      for (Range r : op.createLoopRanges(rw, loc))
        sizes.push_back(r.size);
      Value work = product(rw, loc, sizes);
      // One copy of the op, in a chunk function on a range of the split loop.
      vibee::ChunkFunction chunk = vibee::createLoopChunkFunction(rw, op, split->loop);
      rw.setInsertionPoint(op);
      emitChunkCalls(rw, loc, module, work, hints.maxThreads(), chunk,
                     getValueOrCreateConstantIndexOp(rw, loc, sizes[split->loop]),
                     split->chunk);
      rw.eraseOp(op);
    }
  }
};

} // namespace

std::unique_ptr<Pass> vibee::createCpuTileMatmulPass(const CpuTarget &target, bool threads) {
  auto pass = std::make_unique<CpuTileMatmulPass>(target);
  pass->threads = threads;
  return pass;
}

std::unique_ptr<Pass> vibee::createCpuParallelizePass() {
  return std::make_unique<CpuParallelizePass>();
}

void vibee::registerCpuPasses() {
  PassRegistration<CpuTileMatmulPass>();
  PassRegistration<CpuParallelizePass>();
  registerCpuVectorizePass();
  registerVibeeCpuTransformsPasses();
}
