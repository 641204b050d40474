//===- GpuDeviceMemory.cpp - vibee-gpu-device-memory: host-side temporaries in device memory
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
#define GEN_PASS_DEF_GPUDEVICEMEMORYPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct GpuDeviceMemoryPass : vibee::impl::GpuDeviceMemoryPassBase<GpuDeviceMemoryPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>() || op->getParentOfType<gpu::GPUModuleOp>())
        return;
      if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op))
        ops.push_back(op);
    });
    // gpu-to-llvm lowers only asynchronous allocations: each one gets its own
    // token chain `gpu.wait async` -> `gpu.alloc async` -> `gpu.wait`. Every
    // mgpu* stream is the caller's stream (runtime/cuda), so this is stream order.
    auto tokenType = gpu::AsyncTokenType::get(&getContext());
    auto allocAsync = [&](OpBuilder &b, Location loc, MemRefType type, ValueRange sizes,
                          ValueRange symbols) {
      Value start = gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
      auto g = gpu::AllocOp::create(b, loc, type, tokenType, ValueRange{start}, sizes, symbols,
                                    /*hostShared=*/false);
      gpu::WaitOp::create(b, loc, Type(), ValueRange{g.getAsyncToken()});
      return g.getMemref();
    };
    auto deallocAsync = [&](OpBuilder &b, Location loc, Value memref) {
      Value start = gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
      auto d = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{start}, memref);
      gpu::WaitOp::create(b, loc, Type(), ValueRange{d.getAsyncToken()});
    };
    for (Operation *op : ops) {
      OpBuilder b(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        Value m = allocAsync(b, op->getLoc(), alloc.getType(), alloc.getDynamicSizes(),
                             alloc.getSymbolOperands());
        alloc.replaceAllUsesWith(m);
        op->erase();
      } else if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
        // Host stack buffers read by kernels must live on the device too; their
        // lifetime is the function's, so free them before each return.
        Value m = allocAsync(b, op->getLoc(), alloca.getType(), alloca.getDynamicSizes(),
                             alloca.getSymbolOperands());
        alloca.replaceAllUsesWith(m);
        Region *region = m.getParentRegion();
        region->walk([&](func::ReturnOp ret) {
          OpBuilder rb(ret);
          deallocAsync(rb, ret.getLoc(), m);
        });
        op->erase();
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        deallocAsync(b, op->getLoc(), dealloc.getMemref());
        op->erase();
      }
    }
  }
};

} // namespace
