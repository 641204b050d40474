//===- GpuFullReductionKernels.cpp - Reductions of whole tensors to one value
//
// out[] (+)= sum_{i...} f(x[i...], ...): every loop reduced, every tensor input
// indexed by all loops in order (a norm's sum of squares, a loss's mean, a
// count), the output rank 0. Without a parallel loop neither the other strategies
// nor the parallel-loops route map it (it would run on one thread,
// vibee-gpu-serial-leftovers). Viewed as x[N] (contiguous memrefs collapse), two
// launches, deterministic (no atomics: the same bits on every run):
//
// 1. G blocks of T threads; thread t of block b takes the V-element chunks
//    b T + t, + G T, ... (V = 16 bytes / widest input element: one 16-byte load
//    when every input is aligned and N % V == 0, scalar loads otherwise), V
//    running accumulators combined at the end, then a block-wide reduction
//    (warp shuffles, one shared-memory exchange): partial[b].
// 2. One block: out[] = out[] <combine> (partial[0] <combine> ... partial[G-1]).
//
// G = min(ceil(N / (T V)), blocks-per-SM x SMs): enough blocks to fill the chip,
// few enough that the second launch is short.
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

/// Whether `op` reduces every loop into a rank-0 output, reading each tensor
/// input at all its loops in order.
bool isFullReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || !hasClonablePayload(op) || op.getNumDpsInits() != 1 ||
      !matchReductionCombiner(op, 0) || hasIntegerDivision(op) || op.getNumLoops() == 0)
    return false;
  if (!llvm::all_of(op.getIteratorTypesArray(),
                    [](utils::IteratorType it) { return linalg::isReductionIterator(it); }))
    return false;
  OpOperand *out = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(out->get().getType());
  if (!outType || outType.getRank() != 0 || elementBytes(outType) == 0)
    return false;
  bool anyInput = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Type t = in->get().getType();
    if (!isa<ShapedType>(t))
      continue;
    if (!isContiguousMemRef(t) || elementBytes(t) == 0 ||
        !op.getMatchingIndexingMap(in).isIdentity())
      return false;
    anyInput = true;
  }
  return anyInput;
}

/// `v` (rank >= 1, contiguous) as one dim.
Value flatten(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  if (type.getRank() == 1)
    return v;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return memref::CollapseShapeOp::create(b, loc, v, ArrayRef<ReassociationIndices>{all});
}

class FullReductionBuilder {
public:
  FullReductionBuilder(linalg::GenericOp op, const GpuKernelOptions &options)
      : op(op), loc(op.getLoc()), threads(options.blockSize), blocksPerSm(options.blocksPerSm),
        payload(op), combiner(*matchReductionCombiner(op, 0)) {}

  void build(OpBuilder &b);

private:
  void buildPartials(OpBuilder &b, gpu::LaunchOp launch);
  SmallVector<Value> buildChunks(OpBuilder &b, Value first, Value end, Value stride, bool vector);
  void buildFinal(OpBuilder &b, gpu::LaunchOp launch);
  Value combineAll(OpBuilder &b, ArrayRef<Value> values) {
    Value total = values.front();
    for (Value v : values.drop_front())
      total = buildCombine(b, loc, combiner, total, v);
    return total;
  }
  Value add(OpBuilder &b, Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(OpBuilder &b, Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }

  linalg::GenericOp op;
  Location loc;
  int64_t threads, blocksPerSm;
  PayloadCloner payload;
  ReductionCombiner combiner;
  int64_t V = 1;
  SmallVector<Value> operands; // inputs as [N]; scalars as they are; the rank-0 output
  Value N, grid, partial;
  Type accType;
};

void FullReductionBuilder::build(OpBuilder &b) {
  MLIRContext *ctx = b.getContext();
  N = buildProduct(b, loc, buildLoopSizes(b, loc, op));
  int64_t widest = 1;
  for (OpOperand &o : op->getOpOperands()) {
    Value v = o.get();
    if (isa<MemRefType>(v.getType()) && op.isDpsInput(&o)) {
      widest = std::max(widest, elementBytes(v.getType()));
      v = flatten(b, loc, v);
    }
    operands.push_back(v);
  }
  V = std::max<int64_t>(1, kVectorBytes / widest);
  accType = cast<MemRefType>(operands.back().getType()).getElementType();
  Value one = constantIndex(b, loc, 1);
  Value sms = buildSmCount(b, loc, op);
  Value useful = arith::CeilDivUIOp::create(b, loc, N, constantIndex(b, loc, threads * V));
  grid = arith::MinUIOp::create(b, loc, useful, mul(b, sms, constantIndex(b, loc, blocksPerSm)));
  grid = arith::MaxUIOp::create(b, loc, grid, one);
  partial = memref::AllocOp::create(b, loc, MemRefType::get({ShapedType::kDynamic}, accType),
                                    ValueRange{grid});
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type slots = MemRefType::get({threads / 32}, accType, MemRefLayoutAttrInterface(), workgroup);
  buildLaunch(b, loc, grid, one, threads, {slots},
              [&](OpBuilder &k, gpu::LaunchOp launch) { buildPartials(k, launch); });
  buildLaunch(b, loc, one, one, threads, {slots},
              [&](OpBuilder &k, gpu::LaunchOp launch) { buildFinal(k, launch); });
  memref::DeallocOp::create(b, loc, partial);
}

/// This thread's V accumulators over the chunks [first, end) with `stride`
/// (chunk c: elements [c V, c V + V)).
SmallVector<Value> FullReductionBuilder::buildChunks(OpBuilder &b, Value first, Value end,
                                                     Value stride, bool vector) {
  unsigned inputs = op.getNumDpsInputs();
  Value identity = arith::ConstantOp::create(b, loc, combiner.identity);
  SmallVector<Value> inits(V, identity);
  return buildForLoop(b, loc, first, end, stride, inits,
                      [&](OpBuilder &b, Value chunk, ValueRange in) {
                        Value at = mul(b, chunk, constantIndex(b, loc, V));
                        SmallVector<SmallVector<Value>> lanes(inputs);
                        for (unsigned i = 0; i < inputs; ++i)
                          if (isa<MemRefType>(operands[i].getType()))
                            lanes[i] = buildLoadLanes(b, loc, operands[i], ValueRange{at}, V,
                                                      vector);
                        SmallVector<Value> accs(in);
                        for (int64_t l = 0; l < V; ++l) {
                          SmallVector<Value> args(op->getNumOperands());
                          for (unsigned i = 0; i < inputs; ++i)
                            if (!lanes[i].empty())
                              args[i] = lanes[i][l];
                          args[inputs] = accs[l];
                          accs[l] = payload.apply(b, args)[0];
                        }
                        return accs;
                      });
}

/// Kernel 1: block b -> partial[b].
void FullReductionBuilder::buildPartials(OpBuilder &b, gpu::LaunchOp launch) {
  Value tid = launch.getThreadIds().x;
  Value blockThreads = constantIndex(b, loc, threads);
  Value first = add(b, mul(b, launch.getBlockIds().x, blockThreads), tid);
  Value stride = mul(b, launch.getGridSize().x, blockThreads);
  SmallVector<Value> memrefs = hoistScalarOperands(b, payload, operands);
  // Whole chunks as vectors when every input is aligned and N % V == 0, as V
  // scalar loads otherwise; the last N % V elements one by one, by thread 0 of
  // block 0 (fewer than V).
  Value chunks = arith::DivUIOp::create(b, loc, N, constantIndex(b, loc, V));
  Value aligned = arith::AndIOp::create(b, loc, buildAllAligned(b, loc, memrefs),
                                        buildIsMultipleOf(b, loc, N, V));
  SmallVector<Value> accs = buildIfElse(
      b, loc, aligned,
      [&](OpBuilder &b) { return buildChunks(b, first, chunks, stride, true); },
      [&](OpBuilder &b) { return buildChunks(b, first, chunks, stride, false); });
  Value total = combineAll(b, accs);
  if (V > 1) {
    Value tailStart = mul(b, chunks, constantIndex(b, loc, V));
    Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, first,
                                          constantIndex(b, loc, 0));
    Value tailEnd = arith::SelectOp::create(b, loc, isFirst, N, tailStart);
    unsigned inputs = op.getNumDpsInputs();
    total = buildForLoop(b, loc, tailStart, tailEnd, constantIndex(b, loc, 1), {total},
                         [&](OpBuilder &b, Value i, ValueRange in) {
                           SmallVector<Value> args(op->getNumOperands());
                           for (unsigned k = 0; k < inputs; ++k)
                             if (isa<MemRefType>(operands[k].getType()))
                               args[k] = memref::LoadOp::create(b, loc, operands[k], ValueRange{i});
                           args[inputs] = in[0];
                           return payload.apply(b, args);
                         })[0];
  }
  Value slots = launch.getWorkgroupAttributions()[0];
  total = buildBlockReduce(b, loc, combiner, total, slots, tid, threads);
  Value leader =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, constantIndex(b, loc, 0));
  scf::IfOp::create(b, loc, leader, [&](OpBuilder &b, Location l) {
    memref::StoreOp::create(b, l, total, partial, ValueRange{launch.getBlockIds().x});
    scf::YieldOp::create(b, l);
  });
}

/// Kernel 2: out[] = out[] <combine> partial[0] <combine> ... partial[G - 1].
void FullReductionBuilder::buildFinal(OpBuilder &b, gpu::LaunchOp launch) {
  Value tid = launch.getThreadIds().x;
  Value identity = arith::ConstantOp::create(b, loc, combiner.identity);
  Value mine = buildForLoop(b, loc, tid, grid, constantIndex(b, loc, threads), {identity},
                            [&](OpBuilder &b, Value g, ValueRange in) {
                              Value v = memref::LoadOp::create(b, loc, partial, ValueRange{g});
                              return SmallVector<Value>{buildCombine(b, loc, combiner, in[0], v)};
                            })[0];
  Value total =
      buildBlockReduce(b, loc, combiner, mine, launch.getWorkgroupAttributions()[0], tid, threads);
  Value leader =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, constantIndex(b, loc, 0));
  Value out = operands.back();
  scf::IfOp::create(b, loc, leader, [&](OpBuilder &b, Location l) {
    Value old = memref::LoadOp::create(b, l, out, ValueRange{});
    memref::StoreOp::create(b, l, buildCombine(b, l, combiner, old, total), out, ValueRange{});
    scf::YieldOp::create(b, l);
  });
}

struct FullReductionPattern : OpRewritePattern<linalg::GenericOp> {
  FullReductionPattern(MLIRContext *ctx, const GpuKernelOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!op->getParentOfType<func::FuncOp>() || op->getParentOfType<gpu::LaunchOp>() ||
        !isFullReduction(op))
      return failure();
    rewriter.setInsertionPoint(op);
    FullReductionBuilder(op, options).build(rewriter);
    rewriter.eraseOp(op);
    return success();
  }

  GpuKernelOptions options;
};

} // namespace

void populateGpuFullReductionKernelPatterns(RewritePatternSet &patterns,
                                            const GpuKernelOptions &options) {
  patterns.add<FullReductionPattern>(patterns.getContext(), options);
}

} // namespace vibee
