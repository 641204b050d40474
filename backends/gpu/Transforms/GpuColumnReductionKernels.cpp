//===- GpuColumnReductionKernels.cpp - Reductions over outer dims ---------===//
//
// out[p...] (+)= sum_{r...} f(x[r..., p...], ...): reductions over dims that
// are outer in memory (column sums, bias gradients, statistics over a batch),
// every tensor input indexed (r..., p...), the output (p...). Viewed as x[R, P]
// and out[P] (contiguous memrefs collapse), two launches:
//
// 1. grid (ceil(P / CW), S), 256 threads = 8 warps of 32 lanes. Block (bx, s)
//    takes the columns [bx CW, bx CW + CW), CW = 32 V (V = 16 bytes / widest
//    input element: each lane loads V consecutive columns, one 16-byte vector
//    when aligned, so a warp reads 512 contiguous bytes of a row), and the
//    rows of split s; warp w takes rows w, w + 8, ..., four rows per step
//    (four independent loads in flight per thread). The 8 warps' partial sums
//    meet in shared memory and the block writes partial[s, columns].
// 2. out[p] = out[p] <combine> partial[0, p] <combine> ... partial[S - 1, p],
//    one thread per column.
//
// S (the second stage) spreads a long reduced axis over the multiprocessors:
// S = min(ceil(8 SMs / blocks along P), ceil(R / 64)), at least 1, at most
// 65535 (gridDim.y), so a narrow, tall input (16384 x 4096 f32: 32 column
// tiles, S = 33) still fills the chip. partial is a stream-ordered temporary of S x P
// accumulators.
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

constexpr int64_t kWarps = 8, kMaxSplits = 65535, kMinRowsPerSplit = 64;
/// Rows each thread loads per step (independent loads in flight); with
/// kBlocksPerSm, the faster of the two settings measured on the H200
/// (docs/performance.md, "Column reductions").
constexpr int64_t kRowUnroll = 4;
/// Blocks of 256 threads per multiprocessor that the splits aim for.
constexpr int64_t kBlocksPerSm = 8;

/// The reduction and parallel loop counts of a column reduction.
std::optional<std::pair<unsigned, unsigned>> matchColumnReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || !hasClonablePayload(op) || op.getNumDpsInits() != 1 ||
      !matchReductionCombiner(op, 0) || hasIntegerDivision(op))
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  unsigned loops = op.getNumLoops();
  SmallVector<AffineExpr> reductions, parallels;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    (linalg::isReductionIterator(it) ? reductions : parallels).push_back(getAffineDimExpr(d, ctx));
  if (reductions.empty() || parallels.empty())
    return std::nullopt;
  SmallVector<AffineExpr> inExprs(reductions);
  inExprs.append(parallels);
  AffineMap inMap = AffineMap::get(loops, 0, inExprs, ctx);
  bool anyInput = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Type t = in->get().getType();
    if (!isa<ShapedType>(t))
      continue;
    if (!isContiguousMemRef(t) || elementBytes(t) == 0 || op.getMatchingIndexingMap(in) != inMap)
      return std::nullopt;
    anyInput = true;
  }
  OpOperand *out = op.getDpsInitOperand(0);
  if (!anyInput || !isContiguousMemRef(out->get().getType()) ||
      elementBytes(out->get().getType()) == 0 ||
      op.getMatchingIndexingMap(out) != AffineMap::get(loops, 0, parallels, ctx))
    return std::nullopt;
  return std::make_pair(static_cast<unsigned>(reductions.size()),
                        static_cast<unsigned>(parallels.size()));
}

/// `v` collapsed to one dim per group of `groups` consecutive dims.
Value collapse(OpBuilder &b, Location loc, Value v, ArrayRef<unsigned> groups) {
  auto type = cast<MemRefType>(v.getType());
  if (static_cast<int64_t>(groups.size()) == type.getRank())
    return v;
  SmallVector<ReassociationIndices> reassociation;
  int64_t d = 0;
  for (unsigned g : groups) {
    reassociation.emplace_back();
    for (unsigned i = 0; i < g; ++i)
      reassociation.back().push_back(d++);
  }
  return memref::CollapseShapeOp::create(b, loc, v, reassociation);
}

class ColumnReductionBuilder {
public:
  ColumnReductionBuilder(linalg::GenericOp op, unsigned reductionDims, unsigned parallelDims)
      : op(op), loc(op.getLoc()), reductionDims(reductionDims), parallelDims(parallelDims),
        payload(op), combiner(*matchReductionCombiner(op, 0)) {}

  void build(OpBuilder &b);

private:
  void buildPartials(OpBuilder &b, gpu::LaunchOp launch);
  SmallVector<Value> loadRow(OpBuilder &b, unsigned input, Value row, Value col, int mode);
  SmallVector<Value> buildRows(OpBuilder &b, Value col, Value first, Value end, int mode);
  void buildFinal(OpBuilder &b, gpu::LaunchOp launch);
  Value lessThan(OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value add(OpBuilder &b, Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(OpBuilder &b, Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }

  linalg::GenericOp op;
  Location loc;
  unsigned reductionDims, parallelDims;
  PayloadCloner payload;
  ReductionCombiner combiner;
  int64_t V = 1;
  SmallVector<Value> operands; // inputs [R, P], output [P]; scalars as they are
  Value R, P, splits, rowsPerSplit, partial, out;
  Value warp; // of the thread, set by buildPartials
};

void ColumnReductionBuilder::build(OpBuilder &b) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> sizes = buildLoopSizes(b, loc, op);
  SmallVector<Value> reductionSizes, parallelSizes;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    (linalg::isReductionIterator(it) ? reductionSizes : parallelSizes).push_back(sizes[d]);
  R = buildProduct(b, loc, reductionSizes);
  P = buildProduct(b, loc, parallelSizes);
  int64_t widest = 1;
  for (OpOperand &o : op->getOpOperands()) {
    Value v = o.get();
    if (isa<MemRefType>(v.getType()) && op.isDpsInput(&o)) {
      widest = std::max(widest, elementBytes(v.getType()));
      v = collapse(b, loc, v, {reductionDims, parallelDims});
    } else if (isa<MemRefType>(v.getType())) {
      v = collapse(b, loc, v, {parallelDims});
    }
    operands.push_back(v);
  }
  out = operands.back();
  V = std::max<int64_t>(1, kVectorBytes / widest);
  Value one = constantIndex(b, loc, 1), threads = constantIndex(b, loc, kWarps * 32);
  Value gridX = arith::CeilDivUIOp::create(b, loc, P, constantIndex(b, loc, 32 * V));
  Value sms = buildSmCount(b, loc, op);
  Value wanted =
      arith::CeilDivUIOp::create(b, loc, mul(b, sms, constantIndex(b, loc, kBlocksPerSm)),
                                 arith::MaxUIOp::create(b, loc, gridX, one));
  Value useful = arith::CeilDivUIOp::create(b, loc, R, constantIndex(b, loc, kMinRowsPerSplit));
  splits = arith::MinUIOp::create(b, loc, wanted, useful);
  splits = arith::MinUIOp::create(b, loc, splits, constantIndex(b, loc, kMaxSplits));
  splits = arith::MaxUIOp::create(b, loc, splits, one);
  rowsPerSplit = arith::CeilDivUIOp::create(b, loc, R, splits);
  Type accType = cast<MemRefType>(out.getType()).getElementType();
  partial = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, accType),
      ValueRange{splits, P});
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type slots = MemRefType::get({kWarps, 32 * V}, accType, MemRefLayoutAttrInterface(), workgroup);
  buildLaunch(b, loc, gridX, splits, kWarps * 32, {slots},
              [&](OpBuilder &k, gpu::LaunchOp launch) { buildPartials(k, launch); });
  Value gridP = arith::CeilDivUIOp::create(b, loc, P, threads);
  buildLaunch(b, loc, gridP, one, kWarps * 32, {},
              [&](OpBuilder &k, gpu::LaunchOp launch) { buildFinal(k, launch); });
  memref::DeallocOp::create(b, loc, partial);
}

/// Lane values of input `input` at [row, col, col + V): mode 0 one aligned
/// vector, 1 V scalar loads, 2 scalar loads of the columns inside P (zeros
/// beyond: computed on, never stored).
SmallVector<Value> ColumnReductionBuilder::loadRow(OpBuilder &b, unsigned input, Value row,
                                                   Value col, int mode) {
  Value x = operands[input];
  if (mode != 2)
    return buildLoadLanes(b, loc, x, ValueRange{row, col}, V, mode == 0);
  Type elementType = cast<MemRefType>(x.getType()).getElementType();
  SmallVector<Value> lanes;
  for (int64_t l = 0; l < V; ++l) {
    Value c = add(b, col, constantIndex(b, loc, l));
    lanes.push_back(buildIfElse(
        b, loc, lessThan(b, c, P),
        [&](OpBuilder &b) {
          return SmallVector<Value>{memref::LoadOp::create(b, loc, x, ValueRange{row, c})};
        },
        [&](OpBuilder &b) {
          return SmallVector<Value>{
              arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(elementType)))};
        })[0]);
  }
  return lanes;
}

/// This thread's V partial sums over the rows [first, end) with stride 8
/// (kRowUnroll rows per step, then the rest one by one).
SmallVector<Value> ColumnReductionBuilder::buildRows(OpBuilder &b, Value col, Value first,
                                                     Value end, int mode) {
  unsigned inputs = op.getNumDpsInputs();
  Value identity = arith::ConstantOp::create(b, loc, combiner.identity);
  SmallVector<Value> accs(V, identity);
  auto step = [&](OpBuilder &b, ArrayRef<Value> rows, ValueRange in) {
    // Every load first, then the payloads: the loads are independent.
    SmallVector<SmallVector<SmallVector<Value>>> lanes(rows.size(),
                                                       SmallVector<SmallVector<Value>>(inputs));
    for (auto [u, row] : llvm::enumerate(rows))
      for (unsigned i = 0; i < inputs; ++i)
        if (isa<MemRefType>(operands[i].getType()))
          lanes[u][i] = loadRow(b, i, row, col, mode);
    SmallVector<Value> accs(in);
    for (size_t u = 0; u < rows.size(); ++u)
      for (int64_t l = 0; l < V; ++l) {
        SmallVector<Value> args(op->getNumOperands());
        for (unsigned i = 0; i < inputs; ++i)
          if (!lanes[u][i].empty())
            args[i] = lanes[u][i][l];
        args[inputs] = accs[l];
        accs[l] = payload.apply(b, args)[0];
      }
    return accs;
  };
  Value stride = constantIndex(b, loc, kWarps);
  Value bigStride = constantIndex(b, loc, kWarps * kRowUnroll);
  // Rows first + w + 32 j + 8 u (u < 4) while all four are below `full`,
  // then first + w + 8 j up to `end`.
  Value count = arith::SubIOp::create(b, loc, end, first);
  Value full = add(b, first, mul(b, arith::DivUIOp::create(b, loc, count, bigStride), bigStride));
  accs = buildForLoop(b, loc, add(b, first, warp), full, bigStride, accs,
                      [&](OpBuilder &b, Value row, ValueRange in) {
                        SmallVector<Value> rows;
                        for (int64_t u = 0; u < kRowUnroll; ++u)
                          rows.push_back(add(b, row, constantIndex(b, loc, u * kWarps)));
                        return step(b, rows, in);
                      });
  return buildForLoop(b, loc, add(b, full, warp), end, stride, accs,
                      [&](OpBuilder &b, Value row, ValueRange in) { return step(b, {row}, in); });
}

/// Kernel 1: block (bx, s) -> partial[s, bx CW + [0, CW)].
void ColumnReductionBuilder::buildPartials(OpBuilder &b, gpu::LaunchOp launch) {
  Value tid = launch.getThreadIds().x;
  warp = arith::DivUIOp::create(b, loc, tid, constantIndex(b, loc, 32));
  Value lane = arith::RemUIOp::create(b, loc, tid, constantIndex(b, loc, 32));
  Value tileCols = constantIndex(b, loc, 32 * V);
  Value col0 = mul(b, launch.getBlockIds().x, tileCols);
  Value col = add(b, col0, mul(b, lane, constantIndex(b, loc, V)));
  Value split = launch.getBlockIds().y;
  Value first = arith::MinUIOp::create(b, loc, mul(b, split, rowsPerSplit), R);
  Value end = arith::MinUIOp::create(b, loc, add(b, first, rowsPerSplit), R);
  SmallVector<Value> memrefs = hoistScalarOperands(b, payload, operands);
  // Mode 0 (vectors) when every input is aligned and rows start aligned
  // (P % V == 0); mode 1 for whole lanes otherwise; mode 2 at the right edge.
  Value whole = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                      add(b, col, constantIndex(b, loc, V)), P);
  Value aligned = arith::AndIOp::create(b, loc, buildAllAligned(b, loc, memrefs),
                                        buildIsMultipleOf(b, loc, P, V));
  Value vector = arith::AndIOp::create(b, loc, whole, aligned);
  SmallVector<Value> accs = buildIfElse(
      b, loc, vector, [&](OpBuilder &b) { return buildRows(b, col, first, end, 0); },
      [&](OpBuilder &b) {
        return buildIfElse(
            b, loc, whole, [&](OpBuilder &b) { return buildRows(b, col, first, end, 1); },
            [&](OpBuilder &b) { return buildRows(b, col, first, end, 2); });
      });
  // The 8 warps' sums meet in shared memory; thread t < CW adds up column t.
  Value slots = launch.getWorkgroupAttributions()[0];
  for (int64_t l = 0; l < V; ++l)
    memref::StoreOp::create(
        b, loc, accs[l], slots,
        ValueRange{warp, add(b, mul(b, lane, constantIndex(b, loc, V)), constantIndex(b, loc, l))});
  gpu::BarrierOp::create(b, loc);
  Value c = add(b, col0, tid);
  Value mine = arith::AndIOp::create(b, loc, lessThan(b, tid, tileCols), lessThan(b, c, P));
  scf::IfOp::create(b, loc, mine, [&](OpBuilder &b, Location l) {
    Value total = memref::LoadOp::create(b, l, slots, ValueRange{constantIndex(b, l, 0), tid});
    for (int64_t w = 1; w < kWarps; ++w)
      total = buildCombine(
          b, l, combiner, total,
          memref::LoadOp::create(b, l, slots, ValueRange{constantIndex(b, l, w), tid}));
    memref::StoreOp::create(b, l, total, partial, ValueRange{split, c});
    scf::YieldOp::create(b, l);
  });
}

/// Kernel 2: out[p] = out[p] <combine> partial[0, p] <combine> ... .
void ColumnReductionBuilder::buildFinal(OpBuilder &b, gpu::LaunchOp launch) {
  Value p = add(b, mul(b, launch.getBlockIds().x, constantIndex(b, loc, kWarps * 32)),
                launch.getThreadIds().x);
  scf::IfOp::create(b, loc, lessThan(b, p, P), [&](OpBuilder &b, Location l) {
    Value identity = arith::ConstantOp::create(b, l, combiner.identity);
    Value total = buildForLoop(b, l, constantIndex(b, l, 0), splits, constantIndex(b, l, 1),
                               {identity}, [&](OpBuilder &b, Value s, ValueRange in) {
                                 Value v = memref::LoadOp::create(b, l, partial, ValueRange{s, p});
                                 return SmallVector<Value>{buildCombine(b, l, combiner, in[0], v)};
                               })[0];
    Value old = memref::LoadOp::create(b, l, out, ValueRange{p});
    memref::StoreOp::create(b, l, buildCombine(b, l, combiner, old, total), out, ValueRange{p});
    scf::YieldOp::create(b, l);
  });
}

struct ColumnReductionPattern : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!op->getParentOfType<func::FuncOp>() || op->getParentOfType<gpu::LaunchOp>())
      return failure();
    std::optional<std::pair<unsigned, unsigned>> dims = matchColumnReduction(op);
    if (!dims)
      return failure();
    rewriter.setInsertionPoint(op);
    ColumnReductionBuilder(op, dims->first, dims->second).build(rewriter);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateGpuColumnReductionKernelPatterns(RewritePatternSet &patterns) {
  patterns.add<ColumnReductionPattern>(patterns.getContext());
}

} // namespace vibee
