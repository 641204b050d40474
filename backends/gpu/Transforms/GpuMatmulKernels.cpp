//===- GpuMatmulKernels.cpp - Matmul generics as shared-memory tiled kernels ===//
//
// c[m, n] (+)= sum_k f(a[m, k], b[k, n]) over contiguous 2-D memrefs (f32,
// bf16 operands extended to f32, scalars): one block per 64 x 64 tile of c,
// 256 threads of 4 x 4 outputs (rows ty + 16 i, columns tx + 16 j:
// conflict-free shared-memory reads, coalesced stores). k advances 16 values
// at a time: the a and b tiles are staged in shared memory (each element
// loaded from global memory once per block instead of once per output, zeros
// outside the matrices), then every thread runs its 16 payloads per k from
// registers, multiply-adds contracted to FMA. Partial sums start at the
// combiner's identity and are combined with c's old value at the end.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"

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

/// Operand numbers of a and b in c[m, n] (+)= sum_k f(a[m, k], b[k, n]): a 2-D
/// generic over (m, n, k) with one combinable output, any elementwise payload
/// and uniform scalars.
std::optional<std::pair<unsigned, unsigned>> matchMatmul(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 3 || op.getNumReductionLoops() != 1 ||
      !linalg::isReductionIterator(op.getIteratorTypesArray()[2]) || !hasClonablePayload(op) ||
      op.getNumDpsInits() != 1 || !matchReductionCombiner(op, 0))
    return std::nullopt;
  // Padded rows and columns compute on zeros (never stored).
  if (hasIntegerDivision(op))
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  auto mapOf = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(3, 0, e, ctx); };
  std::optional<unsigned> a, b;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Type t = in->get().getType();
    if (!isa<ShapedType>(t))
      continue;
    if (!isContiguousMemRef(t) || elementBytes(t) == 0)
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(in);
    if (map == mapOf({m, k}) && !a)
      a = in->getOperandNumber();
    else if (map == mapOf({k, n}) && !b)
      b = in->getOperandNumber();
    else
      return std::nullopt;
  }
  OpOperand *c = op.getDpsInitOperand(0);
  if (!a || !b || !isContiguousMemRef(c->get().getType()) ||
      elementBytes(c->get().getType()) == 0 || op.getMatchingIndexingMap(c) != mapOf({m, n}))
    return std::nullopt;
  return std::make_pair(*a, *b);
}

/// The kernel body of one matmul, built at the start of its launch.
class MatmulKernelBody {
public:
  MatmulKernelBody(linalg::GenericOp op, unsigned aIdx, unsigned bIdx, gpu::LaunchOp launch,
                   ArrayRef<Value> sizes, Value tileSize)
      : op(op), loc(op.getLoc()), aIdx(aIdx), bIdx(bIdx), launch(launch), M(sizes[0]), N(sizes[1]),
        K(sizes[2]), tileSize(tileSize), payload(op), combiner(*matchReductionCombiner(op, 0)) {}

  void build(OpBuilder &k);

private:
  Value add(OpBuilder &b, Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  }
  Value lessThan(OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y).getResult();
  }
  Value stage(OpBuilder &b, Value src, Value row, Value col, Value rows, Value cols);
  SmallVector<Value> step(OpBuilder &b, Value kk, SmallVector<Value> accs);
  SmallVector<Value> tile(OpBuilder &b, Value k0, Value count, bool full, ValueRange in);
  void storeOutputs(OpBuilder &k, ArrayRef<Value> accs);

  linalg::GenericOp op;
  Location loc;
  unsigned aIdx, bIdx;
  gpu::LaunchOp launch;
  Value M, N, K, tileSize;
  PayloadCloner payload;
  ReductionCombiner combiner;
  // Set by build: shared-memory tiles, thread coordinates, tile origin,
  // staging coordinates.
  Value aTile, bTile, tx, ty, m0, n0, aRow, aCol, bRow, bCol;
};

void MatmulKernelBody::build(OpBuilder &k) {
  const int64_t S = kMatmulStep, P = kMatmulPerThread, lanes = kMatmulLanes;
  const int64_t perThread = kMatmulStagedPerThread;
  aTile = launch.getWorkgroupAttributions()[0];
  bTile = launch.getWorkgroupAttributions()[1];
  Value tid = launch.getThreadIds().x;
  tx = arith::RemUIOp::create(k, loc, tid, constantIndex(k, loc, lanes));
  ty = arith::DivUIOp::create(k, loc, tid, constantIndex(k, loc, lanes));
  m0 = arith::MulIOp::create(k, loc, launch.getBlockIds().y, tileSize);
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
  Value identity = arith::ConstantOp::create(k, loc, combiner.identity);
  SmallVector<Value> accs(P * P, identity);
  Value stepSize = constantIndex(k, loc, S);
  Value kFull =
      arith::MulIOp::create(k, loc, arith::DivUIOp::create(k, loc, K, stepSize), stepSize);
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

/// src[row, col], or zero outside the matrix.
Value MatmulKernelBody::stage(OpBuilder &b, Value src, Value row, Value col, Value rows,
                              Value cols) {
  Type elementType = getElementTypeOrSelf(src.getType());
  Value valid = arith::AndIOp::create(b, loc, lessThan(b, row, rows), lessThan(b, col, cols));
  return buildIfElse(
      b, loc, valid,
      [&](OpBuilder &b) {
        return SmallVector<Value>{memref::LoadOp::create(b, loc, src, ValueRange{row, col})};
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
      args[bIdx] = bs[j];
      args[accIdx] = accs[i * P + j];
      accs[i * P + j] = payload.apply(b, args)[0];
    }
  return accs;
}

/// The tile at k0 with `count` k values (`full`: kMatmulStep, unrolled).
SmallVector<Value> MatmulKernelBody::tile(OpBuilder &b, Value k0, Value count, bool full,
                                          ValueRange in) {
  Value A = op->getOperand(aIdx), B = op->getOperand(bIdx);
  for (int64_t e = 0; e < kMatmulStagedPerThread; ++e) {
    Value ke = add(b, aCol, constantIndex(b, loc, e));
    Value v = stage(b, A, add(b, m0, aRow), add(b, k0, ke), M, K);
    memref::StoreOp::create(b, loc, v, aTile, ValueRange{ke, aRow});
    Value ne = add(b, bCol, constantIndex(b, loc, e));
    Value w = stage(b, B, add(b, k0, bRow), add(b, n0, ne), K, N);
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
        Value old = memref::LoadOp::create(nb, l, C, ValueRange{m, n});
        memref::StoreOp::create(nb, l, buildCombine(nb, l, combiner, old, acc), C,
                                ValueRange{m, n});
        scf::YieldOp::create(nb, l);
      });
    }
}

struct MatmulKernelPattern : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!op->getParentOfType<func::FuncOp>() || op->getParentOfType<gpu::LaunchOp>())
      return failure();
    std::optional<std::pair<unsigned, unsigned>> ab = matchMatmul(op);
    if (!ab)
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    OpBuilder &b = rewriter;
    b.setInsertionPoint(op);
    Value A = op->getOperand(ab->first), B = op->getOperand(ab->second);
    SmallVector<Value> sizes = buildLoopSizes(b, loc, op);
    Value M = sizes[0], N = sizes[1];
    const int64_t T = kMatmulTile, S = kMatmulStep, lanes = kMatmulLanes;
    Value tileSize = constantIndex(b, loc, T), one = constantIndex(b, loc, 1);
    Value gridX = arith::CeilDivUIOp::create(b, loc, N, tileSize);
    Value gridY = arith::CeilDivUIOp::create(b, loc, M, tileSize);
    auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type aType = getElementTypeOrSelf(A.getType()), bType = getElementTypeOrSelf(B.getType());
    SmallVector<Type> tiles{MemRefType::get({S, T}, aType, MemRefLayoutAttrInterface(), workgroup),
                            MemRefType::get({S, T}, bType, MemRefLayoutAttrInterface(), workgroup)};
    auto launch =
        gpu::LaunchOp::create(b, loc, gridX, gridY, one, constantIndex(b, loc, lanes * lanes), one,
                              one, nullptr, nullptr, {}, tiles);
    OpBuilder kernel = OpBuilder::atBlockBegin(&launch.getBody().front());
    MatmulKernelBody(op, ab->first, ab->second, launch, sizes, tileSize).build(kernel);
    gpu::TerminatorOp::create(kernel, loc);
    // Multiply-adds contract to FMA, as in the CPU micro-kernel (vector.contract
    // -> FMA outer products): one rounding per step instead of two.
    auto contract = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
    launch.walk(
        [&](arith::ArithFastMathInterface o) { o->setAttr(o.getFastMathAttrName(), contract); });
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateGpuMatmulKernelPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulKernelPattern>(patterns.getContext());
}

} // namespace vibee
