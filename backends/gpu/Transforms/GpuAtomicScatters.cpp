//===- GpuAtomicScatters.cpp - vibee-gpu-atomic-scatters: atomic sums ------===//
//
// A scatter-add of i32 or i64 (a histogram, counts per bucket) gives the same
// bits in any order, since integer addition wraps associatively. vibee-lower-scatters
// leaves those to the GPU (keep-integer-sums), and after bufferization each
// becomes one scf.parallel over its points, each point one atomic add
// (memref.atomic_rmw addi) into the destination: no point reads another's
// position. The ordered lowering, which float sums keep, has each range of
// destination rows read every point's position (docs/gpu.md, "Scatter-adds").
// With vibeec --gpu-float-atomics, f32/f64 scatter-adds come here too (addf: the
// order of the adds, so the rounding, then varies from run to run).
// A gathered position outside its axis adds nothing; vibee.gather_index reports
// it to the device flag (vibee-gpu-gather-checks) and keeps the address inside.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_GPUATOMICSCATTERSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

// Where point `p` adds: its update, its position in the destination (the loops
// of directly indexed axes, the gathered indices of the others) and whether every
// gathered index is inside its axis (null: no gathered axis).
struct Point {
  Value update, inside;
  SmallVector<Value> position;
};

Point locatePoint(OpBuilder &b, Location loc, ScatterAddOp op, ValueRange p) {
  Value dest = op.getDest();
  Point point;
  point.update = memref::LoadOp::create(b, loc, op.getUpdates(), p);
  unsigned next = 0;
  for (auto [axis, loop] : llvm::enumerate(op.getAxes())) {
    if (loop >= 0) {
      point.position.push_back(p[loop]);
      continue;
    }
    SmallVector<Value> at;
    for (AffineExpr e : op.getIndexMap(next).getResults())
      at.push_back(p[cast<AffineDimExpr>(e).getPosition()]);
    Value raw = memref::LoadOp::create(b, loc, op.getIndices()[next++], at);
    Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
    Value size = memref::DimOp::create(b, loc, dest, axis);
    // Unsigned: a negative position is a huge one.
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, size);
    point.inside = point.inside ? arith::AndIOp::create(b, loc, point.inside, ok).getResult() : ok;
    point.position.push_back(GatherIndexOp::create(b, loc, b.getIndexType(), index, size));
  }
  return point;
}

// `memref[indices] += update` atomically, when `inside` (null: always).
void addAtomically(OpBuilder &b, Location loc, Value update, Value memref, ValueRange indices,
                   Value inside) {
  auto add = [&](OpBuilder &ib, Location il) {
    auto kind =
        isa<FloatType>(update.getType()) ? arith::AtomicRMWKind::addf : arith::AtomicRMWKind::addi;
    memref::AtomicRMWOp::create(ib, il, kind, update, memref, indices);
  };
  if (!inside) {
    add(b, loc);
    return;
  }
  scf::IfOp::create(b, loc, inside, [&](OpBuilder &ib, Location il) {
    add(ib, il);
    scf::YieldOp::create(ib, il);
  });
}

// The extents of `op`'s points, an empty gathered axis making them none (as in the
// ordered lowering: no point runs nor reports its index).
SmallVector<Value> pointExtents(OpBuilder &b, Location loc, ScatterAddOp op) {
  Value zero = constantIndex(b, loc, 0);
  auto updates = cast<MemRefType>(op.getUpdates().getType());
  SmallVector<Value> extents;
  for (int64_t l = 0; l < updates.getRank(); ++l)
    extents.push_back(memref::DimOp::create(b, loc, op.getUpdates(), l));
  for (auto [axis, loop] : llvm::enumerate(op.getAxes()))
    if (loop < 0) {
      Value size = memref::DimOp::create(b, loc, op.getDest(), axis);
      Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size, zero);
      extents[0] = arith::SelectOp::create(b, loc, empty, zero, extents[0]);
    }
  return extents;
}

// Every point adds into global memory: a parallel loop (the generic route then
// maps it to threads).
void buildGlobalAtomics(OpBuilder &b, Location loc, ScatterAddOp op, ArrayRef<Value> extents) {
  Value zero = constantIndex(b, loc, 0), one = constantIndex(b, loc, 1);
  SmallVector<Value> lbs(extents.size(), zero), steps(extents.size(), one);
  scf::ParallelOp::create(
      b, loc, lbs, extents, steps, [&](OpBuilder &pb, Location l, ValueRange p) {
        Point point = locatePoint(pb, l, op, p);
        addAtomically(pb, l, point.update, op.getDest(), point.position, point.inside);
      });
}

// A small integer destination (a histogram of few bins) with many points per
// element: atomics on one address serialize in L2, so each block counts into its
// own copy in workgroup memory (zeroed, a barrier, shared-memory atomics, a
// barrier) and adds the copy's non-zero elements to the destination once.
constexpr int64_t kPrivateBytes = 32 * 1024;
constexpr int64_t kPointsPerElement = 16;

void buildPrivatized(OpBuilder &b, Location loc, ScatterAddOp op, ArrayRef<Value> extents,
                     ArrayRef<Value> dims, Value elements, int64_t capacity) {
  GpuKernelOptions options;
  int64_t threads = options.blockSize;
  Value points = buildProduct(b, loc, extents);
  Value need = arith::CeilDivUIOp::create(b, loc, points, constantIndex(b, loc, threads));
  Value grid = buildCappedGrid(b, loc, op, need, options);
  auto destType = cast<MemRefType>(op.getDest().getType());
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Type privateType = MemRefType::get({capacity}, destType.getElementType(),
                                     MemRefLayoutAttrInterface(), workgroup);
  Value one = constantIndex(b, loc, 1);
  buildLaunch(b, loc, grid, one, threads, {privateType}, [&](OpBuilder &k, gpu::LaunchOp launch) {
    Value counts = launch.getWorkgroupAttributions()[0];
    Value tid = launch.getThreadIds().x, block = launch.getBlockIds().x;
    Value width = constantIndex(k, loc, threads);
    Value zero = arith::ConstantOp::create(k, loc, k.getZeroAttr(destType.getElementType()));
    buildForLoop(k, loc, tid, elements, width, {}, [&](OpBuilder &fb, Value i, ValueRange) {
      memref::StoreOp::create(fb, loc, zero, counts, i);
      return SmallVector<Value>{};
    });
    gpu::BarrierOp::create(k, loc);
    Value first = arith::AddIOp::create(k, loc, arith::MulIOp::create(k, loc, block, width), tid);
    Value stride = arith::MulIOp::create(k, loc, launch.getGridSize().x, width);
    buildForLoop(k, loc, first, points, stride, {}, [&](OpBuilder &fb, Value flat, ValueRange) {
      Point point = locatePoint(fb, loc, op, buildDelinearize(fb, loc, flat, extents));
      Value at = constantIndex(fb, loc, 0);
      for (auto [axis, q] : llvm::enumerate(point.position))
        at = arith::AddIOp::create(fb, loc, arith::MulIOp::create(fb, loc, at, dims[axis]), q);
      addAtomically(fb, loc, point.update, counts, at, point.inside);
      return SmallVector<Value>{};
    });
    gpu::BarrierOp::create(k, loc);
    buildForLoop(k, loc, tid, elements, width, {}, [&](OpBuilder &fb, Value i, ValueRange) {
      Value count = memref::LoadOp::create(fb, loc, counts, i);
      Value nonzero = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::ne, count, zero);
      addAtomically(fb, loc, count, op.getDest(), buildDelinearize(fb, loc, i, dims), nonzero);
      return SmallVector<Value>{};
    });
  });
}

void lowerAtomically(RewriterBase &rewriter, ScatterAddOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> extents = pointExtents(rewriter, loc, op);
  auto destType = cast<MemRefType>(op.getDest().getType());
  Type element = destType.getElementType();
  if (!isa<IntegerType>(element)) {
    buildGlobalAtomics(rewriter, loc, op, extents);
    rewriter.eraseOp(op);
    return;
  }
  // Integer counts: privatized per block when the destination fits its workgroup
  // memory and each element takes many points on average (otherwise zeroing and
  // flushing every block's copy costs more than the atomics save).
  int64_t capacity = kPrivateBytes / (element.getIntOrFloatBitWidth() / 8);
  SmallVector<Value> dims;
  for (int64_t a = 0; a < destType.getRank(); ++a)
    dims.push_back(memref::DimOp::create(rewriter, loc, op.getDest(), a));
  Value elements = buildProduct(rewriter, loc, dims);
  Value points = buildProduct(rewriter, loc, extents);
  Value fits = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ule, elements,
                                     constantIndex(rewriter, loc, capacity));
  Value crowded =
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ule,
                            arith::MulIOp::create(rewriter, loc, elements,
                                                  constantIndex(rewriter, loc, kPointsPerElement)),
                            points);
  Value privatize = arith::AndIOp::create(rewriter, loc, fits, crowded);
  scf::IfOp::create(
      rewriter, loc, privatize,
      [&](OpBuilder &b, Location l) {
        buildPrivatized(b, l, op, extents, dims, elements, capacity);
        scf::YieldOp::create(b, l);
      },
      [&](OpBuilder &b, Location l) {
        buildGlobalAtomics(b, l, op, extents);
        scf::YieldOp::create(b, l);
      });
  rewriter.eraseOp(op);
}

struct GpuAtomicScattersPass : vibee::impl::GpuAtomicScattersPassBase<GpuAtomicScattersPass> {
  void runOnOperation() override {
    SmallVector<ScatterAddOp> ops;
    getOperation()->walk([&](ScatterAddOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScatterAddOp op : ops) {
      if (!isa<MemRefType>(op.getDest().getType())) {
        op.emitOpError("reached the GPU's atomic lowering before bufferization");
        return signalPassFailure();
      }
      lowerAtomically(rewriter, op);
    }
  }
};

} // namespace
