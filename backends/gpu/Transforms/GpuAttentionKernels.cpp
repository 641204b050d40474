//===- GpuAttentionKernels.cpp - vibee.attention as one kernel ------------===//
//
// The attention strategy of vibee-gpu-map-kernels: each bufferized
// vibee.attention becomes one launch, FlashAttention's forward pass (Dao et al.
// 2022) with no score matrix in memory. Ops the tensor-core kernels can take
// (GpuAttentionWgmmaKernel.cpp on sm_90a, GpuAttentionMmaKernel.cpp elsewhere
// and for decoding) choose at run time between them and the CUDA-core kernel
// (GpuAttentionSimtKernel.cpp), which takes everything else.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuAttention.h"
#include "backends/gpu/Transforms/GpuKernelPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace vibee {

using Role = AttentionOp::LoopRole;

SmallVector<Value> attentionIndices(AffineMap map, ArrayRef<Value> loopIndices) {
  SmallVector<Value> idx;
  for (AffineExpr e : map.getResults())
    idx.push_back(loopIndices[cast<AffineDimExpr>(e).getPosition()]);
  return idx;
}

AttentionShape AttentionShape::build(OpBuilder &b, AttentionOp op) {
  Location loc = op.getLoc();
  AttentionShape shape;
  shape.op = op;
  for (OpFoldResult s : op.getLoopSizes(b))
    shape.size.push_back(getValueOrCreateConstantIndexOp(b, loc, s));
  int64_t causalQuery = op.getCausal() ? (*op.getCausal())[0] : -1;
  for (auto [l, role] : llvm::enumerate(*op.getLoopRoles())) {
    if (role == Role::batch)
      shape.batchLoops.push_back(l);
    if (role == Role::query && (int64_t)l != causalQuery)
      shape.queryLoops.push_back(l);
    if (role == Role::key)
      shape.keyLoop = l;
    if (role == Role::head)
      shape.headLoop = l;
    if (role == Role::value)
      shape.valueLoop = l;
  }
  if (causalQuery >= 0)
    shape.queryLoops.push_back(causalQuery);
  SmallVector<Value> batchSizes, querySizes;
  for (unsigned l : shape.batchLoops)
    batchSizes.push_back(shape.size[l]);
  for (unsigned l : shape.queryLoops)
    querySizes.push_back(shape.size[l]);
  shape.items = buildProduct(b, loc, batchSizes);
  shape.rowsPerItem = buildProduct(b, loc, querySizes);
  return shape;
}

SmallVector<Value> AttentionShape::batchIndices(OpBuilder &b, Location loc, Value item) const {
  SmallVector<Value> indices(size.size(), constantIndex(b, loc, 0));
  for (unsigned l : llvm::reverse(batchLoops)) {
    indices[l] = arith::RemUIOp::create(b, loc, item, size[l]);
    item = arith::DivUIOp::create(b, loc, item, size[l]);
  }
  return indices;
}

void AttentionShape::setRow(OpBuilder &b, Location loc, Value row,
                            SmallVectorImpl<Value> &indices) const {
  Value last = arith::SubIOp::create(b, loc, rowsPerItem, constantIndex(b, loc, 1));
  Value rest = arith::MinSIOp::create(b, loc, row, last);
  for (unsigned l : llvm::reverse(queryLoops)) {
    indices[l] = arith::RemUIOp::create(b, loc, rest, size[l]);
    rest = arith::DivUIOp::create(b, loc, rest, size[l]);
  }
}

/// One past the diagonal of the rows r0 .. r0 + rows - 1 with the largest (or
/// the smallest) i, within [0, keys]: for the last row (the first), unless the
/// rows wrap around i's extent (i is the fastest query loop), then for i's last
/// value (its first).
static Value diagonalEnd(OpBuilder &b, Location loc, const AttentionShape &shape, Value r0,
                         int64_t rows, bool largest) {
  auto causal = *shape.op.getCausal();
  auto c = [&](int64_t x) { return constantIndex(b, loc, x); };
  Value extent = shape.size[causal[0]];
  Value lastRow = arith::SubIOp::create(b, loc, shape.rowsPerItem, c(1));
  Value blockLast =
      arith::MinSIOp::create(b, loc, arith::AddIOp::create(b, loc, r0, c(rows - 1)), lastRow);
  Value sameRun = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        arith::DivUIOp::create(b, loc, r0, extent),
                                        arith::DivUIOp::create(b, loc, blockLast, extent));
  Value i = largest ? arith::SelectOp::create(b, loc, sameRun,
                                              arith::RemUIOp::create(b, loc, blockLast, extent),
                                              arith::SubIOp::create(b, loc, extent, c(1)))
                    : arith::SelectOp::create(b, loc, sameRun,
                                              arith::RemUIOp::create(b, loc, r0, extent), c(0));
  Value end =
      arith::MaxSIOp::create(b, loc, arith::AddIOp::create(b, loc, i, c(causal[2] + 1)), c(0));
  return arith::MinSIOp::create(b, loc, shape.size[shape.keyLoop], end);
}

Value AttentionShape::keysEnd(OpBuilder &b, Location loc, Value r0, int64_t rows) const {
  return op.getCausal() ? diagonalEnd(b, loc, *this, r0, rows, /*largest=*/true) : size[keyLoop];
}

Value AttentionShape::keysKept(OpBuilder &b, Location loc, Value r0, int64_t rows) const {
  return op.getCausal() ? diagonalEnd(b, loc, *this, r0, rows, /*largest=*/false) : size[keyLoop];
}

Value AttentionShape::keepsKey(OpBuilder &b, Location loc, ArrayRef<Value> indices, Value j) const {
  auto causal = *op.getCausal();
  Value diagonal =
      arith::AddIOp::create(b, loc, indices[causal[0]], constantIndex(b, loc, causal[2]));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j, diagonal);
}

namespace {

struct AttentionKernelPattern : OpRewritePattern<AttentionOp> {
  AttentionKernelPattern(MLIRContext *ctx, bool wgmma) : OpRewritePattern(ctx), wgmma(wgmma) {}
  bool wgmma; ///< sm_90a: the tensor-core kernel is the wgmma one but for decoding

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    if (op.getNumResults() != 0 || op->getParentOfType<gpu::LaunchOp>())
      return rewriter.notifyMatchFailure(op, "not a bufferized attention outside kernels");
    if (failed(op.getLoopRoles()))
      return rewriter.notifyMatchFailure(op, "loop without a role");
    Location loc = op.getLoc();
    AttentionShape shape = AttentionShape::build(rewriter, op);
    // No launch for an empty grid (CUDA refuses one).
    Value rows = arith::MulIOp::create(rewriter, loc, shape.items, shape.rowsPerItem);
    Value any = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ugt, rows,
                                      constantIndex(rewriter, loc, 0));
    auto ifOp = scf::IfOp::create(rewriter, loc, any, /*withElseRegion=*/false);
    rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    if (!isMmaAttention(shape)) {
      buildSimtAttentionLaunch(rewriter, loc, shape);
    } else {
      auto dispatch = scf::IfOp::create(rewriter, loc, buildMmaAttentionApplies(rewriter, loc, shape),
                                        /*withElseRegion=*/true);
      rewriter.setInsertionPoint(dispatch.thenBlock()->getTerminator());
      if (wgmma && isWgmmaAttention(shape)) {
        auto decoding = scf::IfOp::create(rewriter, loc, buildIsDecoding(rewriter, loc, shape),
                                          /*withElseRegion=*/true);
        rewriter.setInsertionPoint(decoding.thenBlock()->getTerminator());
        buildMmaDecodingLaunch(rewriter, loc, shape);
        rewriter.setInsertionPoint(decoding.elseBlock()->getTerminator());
        buildWgmmaAttentionLaunch(rewriter, loc, shape,
                                  [&] { buildSimtAttentionLaunch(rewriter, loc, shape); });
      } else {
        buildMmaAttentionLaunch(rewriter, loc, shape);
      }
      rewriter.setInsertionPoint(dispatch.elseBlock()->getTerminator());
      buildSimtAttentionLaunch(rewriter, loc, shape);
    }
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateGpuAttentionKernelPatterns(RewritePatternSet &patterns, bool wgmma) {
  patterns.add<AttentionKernelPattern>(patterns.getContext(), wgmma);
}

} // namespace vibee
