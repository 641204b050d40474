//===- GpuPrepare.cpp - vibee-gpu-prepare: copies as kernels, private allocas -===//
//
// Host memref.copy -> linalg.copy, so that copies run as kernels; small static
// allocations inside an scf.forall (a thread's own memory) -> memref.alloca.
//
// Part of the GPU pipeline (backends/gpu/GpuPipeline.cpp) around MLIR's own
// parallel-loops -> gpu -> NVVM path; docs/gpu.md.
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
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace vibee {
#define GEN_PASS_DEF_GPUPREPAREPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// A small allocation of static shape made inside a parallel loop's body (a
/// thread's own slots: TopKMergeTree.cpp) becomes a stack allocation, which the
/// GPU keeps in its thread's local memory; a heap allocation in a kernel would
/// call the device's malloc.
static void promoteThreadPrivateAllocations(func::FuncOp func) {
  constexpr int64_t kMaxBytes = 4096;
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp op) {
    MemRefType type = op.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !type.getElementType().isIntOrFloat() ||
        type.getNumElements() * type.getElementTypeBitWidth() / 8 > kMaxBytes ||
        !op->getParentOfType<scf::ForallOp>())
      return;
    allocs.push_back(op);
  });
  for (memref::AllocOp op : allocs) {
    for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    OpBuilder b(op);
    auto alloca = memref::AllocaOp::create(b, op.getLoc(), op.getType(), ValueRange(),
                                           op.getAlignmentAttr());
    op.replaceAllUsesWith(alloca.getResult());
    op.erase();
  }
}

struct GpuPreparePass : vibee::impl::GpuPreparePassBase<GpuPreparePass> {
  void runOnOperation() override {
    promoteThreadPrivateAllocations(getOperation());
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp op : copies) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};

} // namespace
