//===- GpuElementwiseKernels.cpp - Elementwise generics as grid-stride kernels ===//
//
// One all-parallel generic over contiguous memrefs (Lion, AdamW after
// vibee-fuse-elementwise; fills and copies) becomes one grid-stride kernel
// over the flattened domain: grid = min(ceil(N / (block * V)),
// blocks-per-sm * SMs), the SM count queried at run time. When every pointer
// is 16-byte aligned each thread moves V = 16 / (widest element) elements per
// operand per step through vector.load/store {alignment = 16}
// (ld/st.global.v4), then a scalar tail; otherwise a scalar grid-stride loop.
// Scalars and rank-0 operands are read once per thread, and the payload that
// depends only on them (AdamW's bias corrections) is computed once per thread.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace vibee {
namespace {

/// How a kernel reads an operand.
enum class OperandAccess { Scalar, Rank0, Lane };

bool isFlatElementwise(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() != 0 || op.getNumLoops() == 0 ||
      !hasClonablePayload(op))
    return false;
  for (OpOperand &o : op->getOpOperands()) {
    Type t = o.get().getType();
    AffineMap map = op.getMatchingIndexingMap(&o);
    if (!isa<ShapedType>(t)) {
      if (op.isDpsInit(&o))
        return false;
      continue;
    }
    if (!isContiguousMemRef(t) || elementBytes(t) == 0)
      return false;
    if (cast<MemRefType>(t).getRank() == 0 && !op.isDpsInit(&o) && map.getNumResults() == 0)
      continue;
    if (!map.isIdentity())
      return false;
  }
  return true;
}

/// The operands of the kernel: rank > 1 memrefs collapsed to 1-D (contiguous:
/// identity layout), with how each is read.
struct FlatOperands {
  SmallVector<Value> values;
  SmallVector<OperandAccess> access;
  int64_t maxElementBytes = 1;
};

FlatOperands flattenOperands(OpBuilder &b, Location loc, linalg::GenericOp op) {
  FlatOperands flat;
  for (OpOperand &o : op->getOpOperands()) {
    Value v = o.get();
    auto memrefType = dyn_cast<MemRefType>(v.getType());
    if (!memrefType) {
      flat.values.push_back(v);
      flat.access.push_back(OperandAccess::Scalar);
      continue;
    }
    if (memrefType.getRank() == 0 && !op.isDpsInit(&o)) {
      flat.values.push_back(v);
      flat.access.push_back(OperandAccess::Rank0);
      continue;
    }
    if (memrefType.getRank() > 1) {
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < memrefType.getRank(); ++d)
        all[0].push_back(d);
      v = memref::CollapseShapeOp::create(b, loc, v, all);
    }
    flat.values.push_back(v);
    flat.access.push_back(OperandAccess::Lane);
    flat.maxElementBytes = std::max(flat.maxElementBytes, elementBytes(memrefType));
  }
  return flat;
}

/// The body of the grid-stride kernel of `op` over `n` elements, V per
/// vector step, at `b` (the start of the launch body).
class ElementwiseKernelBody {
public:
  ElementwiseKernelBody(linalg::GenericOp op, const FlatOperands &flat, Value n, int64_t V)
      : op(op), loc(op.getLoc()), flat(flat), n(n), V(V), payload(op) {}

  void build(OpBuilder &b, gpu::LaunchOp launch, Value blockSize);

private:
  void buildChunk(OpBuilder &b, Value idx, int64_t width, bool vector);
  void buildScalarLoop(OpBuilder &b, Value from);

  linalg::GenericOp op;
  Location loc;
  const FlatOperands &flat;
  Value n, stride;
  int64_t V;
  PayloadCloner payload;
};

void ElementwiseKernelBody::build(OpBuilder &b, gpu::LaunchOp launch, Value blockSize) {
  Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
  Value gridSize = launch.getGridSize().x;
  Value gtid = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, bid, blockSize), tid);
  stride = arith::MulIOp::create(b, loc, gridSize, blockSize);
  // Uniform values: scalars, rank-0 loads; hoisted payload.
  SmallVector<Value> uniform(flat.values.size());
  for (auto [i, access] : llvm::enumerate(flat.access)) {
    if (access == OperandAccess::Scalar)
      uniform[i] = flat.values[i];
    else if (access == OperandAccess::Rank0)
      uniform[i] = memref::LoadOp::create(b, loc, flat.values[i], ValueRange{});
  }
  payload.hoist(b, uniform);
  SmallVector<Value> laneMemrefs;
  for (auto [i, access] : llvm::enumerate(flat.access))
    if (access == OperandAccess::Lane)
      laneMemrefs.push_back(flat.values[i]);
  Value aligned = buildAllAligned(b, loc, laneMemrefs);
  if (V == 1) {
    buildScalarLoop(b, gtid);
    return;
  }
  buildIfElse(
      b, loc, aligned,
      [&](OpBuilder &b) {
        Value vectors = arith::DivUIOp::create(b, loc, n, constantIndex(b, loc, V));
        buildForLoop(b, loc, gtid, vectors, stride, {}, [&](OpBuilder &b, Value i, ValueRange) {
          buildChunk(b, arith::MulIOp::create(b, loc, i, constantIndex(b, loc, V)), V, true);
          return SmallVector<Value>{};
        });
        Value tail = arith::MulIOp::create(b, loc, vectors, constantIndex(b, loc, V));
        buildScalarLoop(b, arith::AddIOp::create(b, loc, tail, gtid));
        return SmallVector<Value>{};
      },
      [&](OpBuilder &b) {
        buildScalarLoop(b, gtid);
        return SmallVector<Value>{};
      });
}

/// Elements [idx, idx + width): loads, payloads, stores.
void ElementwiseKernelBody::buildChunk(OpBuilder &b, Value idx, int64_t width, bool vector) {
  unsigned numInputs = op.getNumDpsInputs();
  Block &body = op.getRegion().front();
  SmallVector<SmallVector<Value>> lanes(flat.values.size());
  for (auto [i, access] : llvm::enumerate(flat.access)) {
    if (access != OperandAccess::Lane)
      continue;
    if (i >= numInputs && body.getArgument(i).use_empty())
      continue; // an output whose old value is not read
    lanes[i] = buildLoadLanes(b, loc, flat.values[i], ValueRange{idx}, width, vector);
  }
  SmallVector<SmallVector<Value>> results(op.getNumDpsInits());
  for (int64_t l = 0; l < width; ++l) {
    SmallVector<Value> args(flat.values.size());
    for (size_t i = 0; i < flat.values.size(); ++i)
      if (!lanes[i].empty())
        args[i] = lanes[i][l];
    SmallVector<Value> ys = payload.apply(b, args);
    for (auto [r, y] : llvm::enumerate(ys))
      results[r].push_back(y);
  }
  for (unsigned r = 0; r < op.getNumDpsInits(); ++r)
    buildStoreLanes(b, loc, flat.values[numInputs + r], ValueRange{idx}, results[r], vector);
}

void ElementwiseKernelBody::buildScalarLoop(OpBuilder &b, Value from) {
  buildForLoop(b, loc, from, n, stride, {}, [&](OpBuilder &b, Value i, ValueRange) {
    buildChunk(b, i, 1, false);
    return SmallVector<Value>{};
  });
}

/// Replaces `op` (a flat elementwise generic) by its kernel.
void buildElementwiseKernel(RewriterBase &rewriter, linalg::GenericOp op,
                            const GpuKernelOptions &options) {
  Location loc = op.getLoc();
  OpBuilder &b = rewriter;
  b.setInsertionPoint(op);
  FlatOperands flat = flattenOperands(b, loc, op);
  int64_t V = std::max<int64_t>(1, kVectorBytes / flat.maxElementBytes);
  Value n = buildProduct(b, loc, buildLoopSizes(b, loc, op));
  Value perBlock = constantIndex(b, loc, options.blockSize * V);
  Value need = arith::CeilDivUIOp::create(b, loc, n, perBlock);
  Value grid = buildCappedGrid(b, loc, op, need, options);
  Value one = constantIndex(b, loc, 1), blockSize = constantIndex(b, loc, options.blockSize);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, blockSize, one, one);
  OpBuilder kernel = OpBuilder::atBlockBegin(&launch.getBody().front());
  ElementwiseKernelBody(op, flat, n, V).build(kernel, launch, blockSize);
  gpu::TerminatorOp::create(kernel, loc);
  rewriter.eraseOp(op);
}

struct ElementwiseKernelPattern : OpRewritePattern<linalg::GenericOp> {
  ElementwiseKernelPattern(MLIRContext *ctx, const GpuKernelOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!isOutsideKernels(op) || !isFlatElementwise(op))
      return failure();
    buildElementwiseKernel(rewriter, op, options);
    return success();
  }

  GpuKernelOptions options;
};

/// Fills and copies as generics, mapped like any other elementwise generic
/// when they are flat (otherwise left generalized for the generic route).
template <typename NamedOp> struct NamedElementwiseKernelPattern : OpRewritePattern<NamedOp> {
  NamedElementwiseKernelPattern(MLIRContext *ctx, const GpuKernelOptions &options)
      : OpRewritePattern<NamedOp>(ctx), options(options) {}

  LogicalResult matchAndRewrite(NamedOp op, PatternRewriter &rewriter) const override {
    if (!isOutsideKernels(op) || !op.hasPureBufferSemantics())
      return failure();
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> generic =
        linalg::generalizeNamedOp(rewriter, cast<linalg::LinalgOp>(op.getOperation()));
    if (failed(generic))
      return failure();
    if (isFlatElementwise(*generic))
      buildElementwiseKernel(rewriter, *generic, options);
    return success();
  }

  GpuKernelOptions options;
};

} // namespace

void populateGpuElementwiseKernelPatterns(RewritePatternSet &patterns,
                                          const GpuKernelOptions &options) {
  patterns.add<ElementwiseKernelPattern, NamedElementwiseKernelPattern<linalg::FillOp>,
               NamedElementwiseKernelPattern<linalg::CopyOp>>(patterns.getContext(), options);
}

} // namespace vibee
