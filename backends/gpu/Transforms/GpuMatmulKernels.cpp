//===- GpuMatmulKernels.cpp - Matmul generics as shared-memory tiled kernels ===//
//
// c[z..., m, n] (+)= sum_k f(a, b) over contiguous memrefs, any layout of
// GpuMatmulMatch.h (batch indices, transposed operands; f32, bf16 operands
// extended to f32, scalars) that the tensor-core kernel does not take: one
// block per 64 x 64 tile of c (the grid folded, GpuMatmulMatch.h),
// 256 threads of 4 x 4 outputs (rows ty + 16 i, columns tx + 16 j:
// conflict-free shared-memory reads, coalesced stores). k advances 16 values
// at a time: the a and b tiles are staged in shared memory (each element
// loaded from global memory once per block instead of once per output, zeros
// outside the matrices), then every thread runs its 16 payloads per k from
// registers, multiply-adds contracted to FMA. Partial sums start at the
// combiner's identity and are combined with c's old value at the end.
//
// A computed B (GpuMatmulMatch.h: a quantized weight's dequantization) is
// staged the same way: each thread evaluates the payload's B value at its
// (k, n) from the weights, scales and indices, so each weight is unpacked once
// per block of 64 rows, and the steps read it from shared memory like B.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"
#include "backends/gpu/Transforms/GpuMatmulMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace vibee {
namespace {

constexpr int64_t kMatmulTile = 64, kMatmulStep = 16, kMatmulPerThread = 4;
/// Threads along m and along n.
constexpr int64_t kMatmulLanes = kMatmulTile / kMatmulPerThread;
/// Elements of each staged tile one thread copies.
constexpr int64_t kMatmulStagedPerThread =
    kMatmulTile * kMatmulStep / (kMatmulLanes * kMatmulLanes);

/// The kernel body of one matmul, built at the start of its launch.
class MatmulKernelBody {
public:
  MatmulKernelBody(linalg::GenericOp op, const MatmulMatch &match, gpu::LaunchOp launch,
                   ArrayRef<Value> sizes, const MatmulGrid &grid, Value tileSize)
      : op(op), loc(op.getLoc()), match(match), aIdx(match.a), bIdx(match.b), launch(launch),
        sizes(sizes), grid(grid), M(sizes[match.batchDims]), N(sizes[match.batchDims + 1]),
        K(sizes[match.batchDims + 2]), tileSize(tileSize), payload(op),
        combiner(*matchReductionCombiner(op, 0)) {}

  void build(OpBuilder &k);

private:
  void buildTile(OpBuilder &k, Value kFull, Value stepSize);

  Value add(OpBuilder &b, Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  }
  Value lessThan(OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y).getResult();
  }
  Value stage(OpBuilder &b, Value src, bool batched, bool transposed, Value row, Value col,
              Value rows, Value cols);
  SmallVector<Value> step(OpBuilder &b, Value kk, SmallVector<Value> accs);
  SmallVector<Value> tile(OpBuilder &b, Value k0, Value count, bool full, ValueRange in);
  void storeOutputs(OpBuilder &k, ArrayRef<Value> accs);

  linalg::GenericOp op;
  Location loc;
  MatmulMatch match;
  unsigned aIdx, bIdx;
  gpu::LaunchOp launch;
  ArrayRef<Value> sizes;
  const MatmulGrid &grid;
  Value M, N, K, tileSize;
  ValueRange batchIdx; // of the tile being built
  PayloadCloner payload;
  ReductionCombiner combiner;
  // Set by build: shared-memory tiles, thread coordinates, tile origin,
  // staging coordinates.
  Value aTile, bTile, tx, ty, m0, n0, aRow, aCol, bRow, bCol;
};

void MatmulKernelBody::build(OpBuilder &k) {
  const int64_t S = kMatmulStep, lanes = kMatmulLanes;
  const int64_t perThread = kMatmulStagedPerThread;
  aTile = launch.getWorkgroupAttributions()[0];
  bTile = launch.getWorkgroupAttributions()[1];
  Value tid = launch.getThreadIds().x;
  tx = arith::RemUIOp::create(k, loc, tid, constantIndex(k, loc, lanes));
  ty = arith::DivUIOp::create(k, loc, tid, constantIndex(k, loc, lanes));
  n0 = arith::MulIOp::create(k, loc, launch.getBlockIds().x, tileSize);
  // Uniform operands (scalars) and the payload that depends only on them.
  SmallVector<Value> uniform(op->getNumOperands());
  for (OpOperand &o : op->getOpOperands())
    if (!isa<ShapedType>(o.get().getType()))
      uniform[o.getOperandNumber()] = o.get();
  payload.hoist(k, uniform);
  // Staging: each thread copies perThread elements of each tile, k-major in
  // shared memory.
  aRow = arith::DivUIOp::create(k, loc, tid, constantIndex(k, loc, S / perThread));
  aCol = arith::MulIOp::create(
      k, loc, arith::RemUIOp::create(k, loc, tid, constantIndex(k, loc, S / perThread)),
      constantIndex(k, loc, perThread));
  bRow = arith::DivUIOp::create(k, loc, tid, constantIndex(k, loc, kMatmulTile / perThread));
  bCol = arith::MulIOp::create(
      k, loc, arith::RemUIOp::create(k, loc, tid, constantIndex(k, loc, kMatmulTile / perThread)),
      constantIndex(k, loc, perThread));
  Value stepSize = constantIndex(k, loc, S);
  Value kFull =
      arith::MulIOp::create(k, loc, arith::DivUIOp::create(k, loc, K, stepSize), stepSize);
  buildMatmulTileLoops(k, loc, launch, sizes, match.batchDims, grid,
                       [&](OpBuilder &k, ValueRange batch, Value tileM) {
                         batchIdx = batch;
                         m0 = arith::MulIOp::create(k, loc, tileM, tileSize);
                         buildTile(k, kFull, stepSize);
                       });
}

/// One tile of c: the k loop, the tail, the stores.
void MatmulKernelBody::buildTile(OpBuilder &k, Value kFull, Value stepSize) {
  Value identity = arith::ConstantOp::create(k, loc, combiner.identity);
  SmallVector<Value> accs(kMatmulPerThread * kMatmulPerThread, identity);
  accs = buildForLoop(
      k, loc, constantIndex(k, loc, 0), kFull, stepSize, accs,
      [&](OpBuilder &b, Value k0, ValueRange a) { return tile(b, k0, stepSize, true, a); });
  accs = buildIfElse(
      k, loc, lessThan(k, kFull, K),
      [&](OpBuilder &b) {
        return tile(b, kFull, arith::SubIOp::create(b, loc, K, kFull), false, accs);
      },
      [&](OpBuilder &) { return accs; });
  storeOutputs(k, accs);
}

/// src[row, col] (src[col, row] when `transposed`), or zero outside the matrix.
Value MatmulKernelBody::stage(OpBuilder &b, Value src, bool batched, bool transposed, Value row,
                              Value col, Value rows, Value cols) {
  Type elementType = getElementTypeOrSelf(src.getType());
  Value valid = arith::AndIOp::create(b, loc, lessThan(b, row, rows), lessThan(b, col, cols));
  return buildIfElse(
      b, loc, valid,
      [&](OpBuilder &b) {
        SmallVector<Value> idx = transposed ? matmulIndices(batchIdx, batched, col, row)
                                            : matmulIndices(batchIdx, batched, row, col);
        return SmallVector<Value>{memref::LoadOp::create(b, loc, src, idx)};
      },
      [&](OpBuilder &b) {
        return SmallVector<Value>{
            arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(elementType)))};
      })[0];
}

/// One k step from shared memory: P * P payloads on P a and P b values.
SmallVector<Value> MatmulKernelBody::step(OpBuilder &b, Value kk, SmallVector<Value> accs) {
  const int64_t P = kMatmulPerThread, lanes = kMatmulLanes;
  unsigned accIdx = op.getNumDpsInputs();
  SmallVector<Value> as, bs;
  for (int64_t i = 0; i < P; ++i) {
    as.push_back(memref::LoadOp::create(
        b, loc, aTile, ValueRange{kk, add(b, ty, constantIndex(b, loc, i * lanes))}));
    bs.push_back(memref::LoadOp::create(
        b, loc, bTile, ValueRange{kk, add(b, tx, constantIndex(b, loc, i * lanes))}));
  }
  for (int64_t i = 0; i < P; ++i)
    for (int64_t j = 0; j < P; ++j) {
      SmallVector<Value> args(op->getNumOperands());
      args[aIdx] = as[i];
      args[accIdx] = accs[i * P + j];
      if (match.computedB) {
        accs[i * P + j] = payload.apply(b, args, {}, {{match.computedB, bs[j]}})[0];
        continue;
      }
      args[bIdx] = bs[j];
      accs[i * P + j] = payload.apply(b, args)[0];
    }
  return accs;
}

/// The tile at k0 with `count` k values (`full`: kMatmulStep, unrolled).
SmallVector<Value> MatmulKernelBody::tile(OpBuilder &b, Value k0, Value count, bool full,
                                          ValueRange in) {
  Value A = op->getOperand(aIdx);
  for (int64_t e = 0; e < kMatmulStagedPerThread; ++e) {
    Value ke = add(b, aCol, constantIndex(b, loc, e));
    Value v = stage(b, A, match.aBatched, match.aKm, add(b, m0, aRow), add(b, k0, ke), M, K);
    memref::StoreOp::create(b, loc, v, aTile, ValueRange{ke, aRow});
    Value ne = add(b, bCol, constantIndex(b, loc, e));
    Value w = match.computedB
                  ? buildComputedBAt(b, loc, op, match, payload, add(b, n0, ne), add(b, k0, bRow),
                                     N, K)
                  : stage(b, op->getOperand(bIdx), match.bBatched, match.bNk, add(b, k0, bRow),
                          add(b, n0, ne), K, N);
    memref::StoreOp::create(b, loc, w, bTile, ValueRange{bRow, ne});
  }
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> accs(in);
  if (full) {
    for (int64_t kk = 0; kk < kMatmulStep; ++kk)
      accs = step(b, constantIndex(b, loc, kk), accs);
  } else {
    accs = buildForLoop(
        b, loc, constantIndex(b, loc, 0), count, constantIndex(b, loc, 1), accs,
        [&](OpBuilder &b, Value kk, ValueRange a) { return step(b, kk, SmallVector<Value>(a)); });
  }
  // The next tile overwrites what this one read.
  gpu::BarrierOp::create(b, loc);
  return accs;
}

/// c[m, n] = c[m, n] <combiner> acc for the outputs inside c.
void MatmulKernelBody::storeOutputs(OpBuilder &k, ArrayRef<Value> accs) {
  const int64_t P = kMatmulPerThread, lanes = kMatmulLanes;
  Value C = op.getDpsInits()[0];
  for (int64_t i = 0; i < P; ++i)
    for (int64_t j = 0; j < P; ++j) {
      Value m = add(k, m0, add(k, ty, constantIndex(k, loc, i * lanes)));
      Value n = add(k, n0, add(k, tx, constantIndex(k, loc, j * lanes)));
      Value inside = arith::AndIOp::create(k, loc, lessThan(k, m, M), lessThan(k, n, N));
      Value acc = accs[i * P + j];
      scf::IfOp::create(k, loc, inside, [&](OpBuilder &nb, Location l) {
        SmallVector<Value> idx = matmulIndices(batchIdx, true, m, n);
        Value old = memref::LoadOp::create(nb, l, C, idx);
        memref::StoreOp::create(nb, l, buildCombine(nb, l, combiner, old, acc), C, idx);
        scf::YieldOp::create(nb, l);
      });
    }
}

struct MatmulKernelPattern : OpRewritePattern<linalg::GenericOp> {
  MatmulKernelPattern(MLIRContext *ctx, bool wgmma) : OpRewritePattern(ctx), wgmma(wgmma) {}
  bool wgmma; ///< sm_90a: the tensor-core kernel is the wgmma one

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!op->getParentOfType<func::FuncOp>() || op->getParentOfType<gpu::LaunchOp>())
      return failure();
    std::optional<MatmulMatch> match = matchMatmul(op);
    if (!match)
      return failure();
    // Before anything is built next to `op`: the neighbours it takes over.
    // The tensor-core kernels: mma.sync on bf16/f16, wgmma (sm_90a) on those,
    // FP8 and int8.
    bool useWgmma = wgmma && isWgmmaMatmul(op, *match);
    bool tensorCores = useWgmma || isMmaMatmul(op, *match);
    MatmulEpilogue epilogue;
    if (useWgmma)
      epilogue = matchMatmulEpilogue(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    OpBuilder &b = rewriter;
    b.setInsertionPoint(op);
    Value A = op->getOperand(match->a);
    SmallVector<Value> sizes = buildLoopSizes(b, loc, op);
    // Tensor-core products: the tensor-core kernel when the operands suit its
    // vector loads, this one otherwise.
    std::optional<OpBuilder::InsertionGuard> afterIf;
    if (tensorCores) {
      auto choice = scf::IfOp::create(b, loc, buildMmaApplies(b, loc, op, *match, sizes),
                                      /*withElseRegion=*/true);
      afterIf.emplace(b);
      b.setInsertionPoint(choice.thenBlock()->getTerminator());
      if (useWgmma)
        buildWgmmaLaunch(b, loc, op, *match, sizes, epilogue);
      else
        buildMmaLaunch(b, loc, op, *match, sizes);
      b.setInsertionPoint(choice.elseBlock()->getTerminator());
      // What the wgmma kernel took over runs around this one instead.
      if (epilogue.fill)
        rewriter.clone(*epilogue.fill);
    }
    const int64_t T = kMatmulTile, S = kMatmulStep, lanes = kMatmulLanes;
    Value tileSize = constantIndex(b, loc, T), one = constantIndex(b, loc, 1);
    MatmulGrid grid = buildMatmulGrid(b, loc, sizes, match->batchDims, T, T);
    auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type aType = getElementTypeOrSelf(A.getType());
    Type bType = match->computedB ? match->computedB.getType()
                                  : getElementTypeOrSelf(op->getOperand(match->b).getType());
    SmallVector<Type> tiles{MemRefType::get({S, T}, aType, MemRefLayoutAttrInterface(), workgroup),
                            MemRefType::get({S, T}, bType, MemRefLayoutAttrInterface(), workgroup)};
    auto launch = gpu::LaunchOp::create(b, loc, grid.gridX, grid.gridY, grid.gridZ,
                                        constantIndex(b, loc, lanes * lanes), one, one, nullptr,
                                        nullptr, {}, tiles);
    OpBuilder kernel = OpBuilder::atBlockBegin(&launch.getBody().front());
    MatmulKernelBody(op, *match, launch, sizes, grid, tileSize).build(kernel);
    gpu::TerminatorOp::create(kernel, loc);
    // Multiply-adds contract to FMA, as in the CPU micro-kernel (vector.contract
    // -> FMA outer products): one rounding per step instead of two.
    auto contract = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
    launch.walk(
        [&](arith::ArithFastMathInterface o) { o->setAttr(o.getFastMathAttrName(), contract); });
    if (epilogue.generic) {
      rewriter.clone(*epilogue.generic);
      rewriter.eraseOp(epilogue.generic);
    }
    if (epilogue.fill)
      rewriter.eraseOp(epilogue.fill);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateGpuMatmulKernelPatterns(RewritePatternSet &patterns, bool wgmma) {
  patterns.add<MatmulKernelPattern>(patterns.getContext(), wgmma);
}

} // namespace vibee
