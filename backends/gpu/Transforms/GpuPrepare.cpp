//===- GpuPrepare.cpp - vibee-gpu-prepare: host memref.copy -> linalg.copy, so that copies run as
//kernels
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

struct GpuPreparePass : vibee::impl::GpuPreparePassBase<GpuPreparePass> {
  void runOnOperation() override {
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
