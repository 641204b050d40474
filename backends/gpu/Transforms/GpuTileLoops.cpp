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
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

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
    for (scf::ParallelOp op : outermostLoops())
      scf::tileParallelLoop(op, {blockSize}, /*noMinMaxBounds=*/true);
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
