//===- GpuSerialLeftovers.cpp - what no kernel strategy took, on the GPU --===//
//
// Every kernel strategy and the parallel-loops route map parallel loops; a
// statement with none (a reduction to a scalar, `s = sum(i) x[i]`) was left as a
// host loop over device memory, which the host cannot read (gpu_check died with
// SIGSEGV on tests/e2e/constructs.vibee). Each top-level operation that reads or
// writes memory and launches nothing now runs in a kernel of one thread: slow but
// correct, with a --verbose remark saying so at the statement.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace vibee {
#define GEN_PASS_DEF_GPUSERIALLEFTOVERSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// Reads or writes memory through loads and stores, launches nothing, calls
/// nothing, and defines no value the host uses after it.
bool isLeftoverDeviceWork(Operation &op) {
  if (!isa<scf::ForOp, memref::LoadOp, memref::StoreOp>(op) || !op.use_empty())
    return false;
  bool touchesMemory = false, hostOnly = false;
  op.walk([&](Operation *inner) {
    if (isa<memref::LoadOp, memref::StoreOp>(inner))
      touchesMemory = true;
    if (isa<gpu::GPUDialect>(inner->getDialect()) || isa<func::CallOp>(inner) ||
        isa<memref::AllocOp, memref::DeallocOp>(inner))
      hostOnly = true;
  });
  return touchesMemory && !hostOnly;
}

struct GpuSerialLeftoversPass : vibee::impl::GpuSerialLeftoversPassBase<GpuSerialLeftoversPass> {
  void runOnOperation() override {
    if (getOperation().isExternal()) // vibee_cuda_sm_count and other declarations
      return;
    SmallVector<Operation *> leftovers;
    for (Operation &op : getOperation().getBody().front())
      if (isLeftoverDeviceWork(op))
        leftovers.push_back(&op);
    for (Operation *op : leftovers) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (isa<scf::ForOp>(op))
        emitRemark(loc) << "statement runs on one GPU thread: no kernel strategy maps a "
                           "loop without parallel iterations (a reduction to a scalar)";
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
      Block &body = launch.getBody().front();
      op->moveBefore(&body, body.end());
      OpBuilder end = OpBuilder::atBlockEnd(&body);
      gpu::TerminatorOp::create(end, loc);
    }
  }
};

} // namespace
