//===- GpuTileLoops.cpp - vibee-gpu-tile-loops: each outermost scf.parallel tiled for one GPU block
//
// Part of the GPU pipeline (backends/gpu/GpuPipeline.cpp) around MLIR's own
// parallel-loops -> gpu -> NVVM path; docs/gpu.md. A loop nest of several dims
// is collapsed to one dim first (row-major, so consecutive threads still touch
// consecutive innermost elements): gpu-map-parallel-loops would otherwise map
// dim i to block and grid dim x, y, z in order, and a third dim of 256 threads
// exceeds blockDim.z <= 64 (CUDA_ERROR_INVALID_VALUE), a second or third of
// more than 65535 tiles gridDim.y/z. One dim leaves only gridDim.x <= 2^31 - 1
// blocks of block-size points, more than any output that fits in memory.
//
// A body without loops of its own (elementwise statements, gathers,
// broadcasts) is coarsened: each thread handles `coarsen` points, block-size
// apart (each of its steps still coalesced across the warp), written out
// interleaved op by op. One point per thread keeps one load in flight per
// operand and thread, far too few bytes to cover the memory latency (the
// gather of an embedding reached 39 % of copy); with several, and the
// kernel's arguments noalias (vibee-gpu-noalias-kernel-args), the loads of
// all points issue before the first store. A full tile runs the points
// unguarded; only the last tile checks each point against the bound.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

#include <numeric>

namespace vibee {
#define GEN_PASS_DEF_GPUTILELOOPSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct GpuTileLoopsPass : vibee::impl::GpuTileLoopsPassBase<GpuTileLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp op : outermostLoops())
      if (op.getNumLoops() > 1) {
        std::vector<unsigned> all(op.getNumLoops());
        std::iota(all.begin(), all.end(), 0u);
        rewriter.setInsertionPoint(op);
        collapseParallelLoops(rewriter, op, {all});
      }
    for (scf::ParallelOp op : outermostLoops()) {
      if (coarsen > 1 && isCoarsenable(op))
        tileCoarsened(rewriter, op);
      else
        scf::tileParallelLoop(op, {blockSize}, /*noMinMaxBounds=*/true);
    }
  }

  /// A one-dim loop from 0 by 1 whose body has no loops: worth replicating.
  static bool isCoarsenable(scf::ParallelOp op) {
    if (op.getNumLoops() != 1 || !isConstantIntValue(op.getLowerBound()[0], 0) ||
        !isConstantIntValue(op.getStep()[0], 1) || !op.getInitVals().empty())
      return false;
    return !op.getBody()
                ->walk([](LoopLikeOpInterface) { return WalkResult::interrupt(); })
                .wasInterrupted();
  }

  /// scf.parallel (t) = (0) to (n) step (B * V) {
  ///   scf.parallel (i) = (0) to (B) step (1) {
  ///     if (n - t >= B * V) { body(t + i), body(t + B + i), ... interleaved }
  ///     else { for each j: if (t + j * B + i < n) body(t + j * B + i) } } }
  void tileCoarsened(IRRewriter &rewriter, scf::ParallelOp op) {
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value n = op.getUpperBound()[0];
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value block = arith::ConstantIndexOp::create(rewriter, loc, blockSize);
    Value tile = arith::ConstantIndexOp::create(rewriter, loc, blockSize * coarsen);
    Value iv = op.getInductionVars()[0];
    Block *body = op.getBody();
    auto pointAt = [&](OpBuilder &b, Location l, Value first, int64_t j) -> Value {
      if (j == 0)
        return first;
      Value offset = arith::ConstantIndexOp::create(b, l, j * blockSize);
      return arith::AddIOp::create(b, l, first, offset);
    };
    // A full tile: the points' bodies interleaved op by op (the first op of
    // every point, then the second, ...), so that every point's loads come
    // before any point's stores. scf.parallel's iterations are independent, so
    // any interleaving is one of its orders.
    auto fullTile = [&](OpBuilder &b, Location l, Value first) {
      SmallVector<IRMapping> mappings(coarsen);
      for (int64_t j = 0; j < coarsen; ++j)
        mappings[j].map(iv, pointAt(b, l, first, j));
      for (Operation &inner : body->without_terminator())
        for (IRMapping &mapping : mappings)
          b.clone(inner, mapping);
    };
    auto lastTile = [&](OpBuilder &b, Location l, Value first) {
      for (int64_t j = 0; j < coarsen; ++j) {
        Value point = pointAt(b, l, first, j);
        Value inside = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, point, n);
        scf::IfOp::create(b, l, inside, [&](OpBuilder &tb, Location tl) {
          IRMapping mapping;
          mapping.map(iv, point);
          for (Operation &inner : body->without_terminator())
            tb.clone(inner, mapping);
          scf::YieldOp::create(tb, tl);
        });
      }
    };
    scf::ParallelOp::create(rewriter, loc, ValueRange{zero}, ValueRange{n}, ValueRange{tile},
                            [&](OpBuilder &ob, Location ol, ValueRange tiles) {
                              scf::ParallelOp::create(
                                  ob, ol, ValueRange{zero}, ValueRange{block}, ValueRange{one},
                                  [&](OpBuilder &b, Location l, ValueRange threads) {
                                    Value first = arith::AddIOp::create(b, l, tiles[0], threads[0]);
                                    Value left = arith::SubIOp::create(b, l, n, tiles[0]);
                                    Value full = arith::CmpIOp::create(
                                        b, l, arith::CmpIPredicate::uge, left, tile);
                                    scf::IfOp::create(
                                        b, l, full,
                                        [&](OpBuilder &tb, Location tl) {
                                          fullTile(tb, tl, first);
                                          scf::YieldOp::create(tb, tl);
                                        },
                                        [&](OpBuilder &eb, Location el) {
                                          lastTile(eb, el, first);
                                          scf::YieldOp::create(eb, el);
                                        });
                                  });
                            });
    rewriter.eraseOp(op);
  }

  SmallVector<scf::ParallelOp> outermostLoops() {
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>())
        outermost.push_back(op);
    });
    return outermost;
  }
};

} // namespace
