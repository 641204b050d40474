//===- GpuGatherChecks.cpp - vibee-gpu-gather-checks: gathered indices on CUDA
//
// On the CPU the JIT checks every gathered index before the call. On CUDA the
// indices are in device memory, so the kernels check them where they use them
// (docs/language.md, "Gathers"): each `vibee.gather_index` inside a gpu.launch
// keeps its position inside the axis, as everywhere, and an index outside also
// sets a device-side flag. The host function owns the flag: a buffer of two i64
// ([outside, index]) allocated and zeroed on the caller's stream at entry
// (vibee_cuda_gather_flags_clear) and read back before each return
// (vibee_cuda_gather_flags_check, runtime/cuda), which records the error the
// launcher turns into the call's exception. Threads that find an index outside
// race to store the same 1 and one of their indices: any of them is a true report.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace vibee {
#define GEN_PASS_DEF_GPUGATHERCHECKSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

constexpr StringLiteral kClearFlags = "vibee_cuda_gather_flags_clear";
constexpr StringLiteral kCheckFlags = "vibee_cuda_gather_flags_check";

/// `name(i64) -> ()`, declared in `module` once.
void declareFlagFunction(OpBuilder &b, ModuleOp module, StringRef name) {
  if (module.lookupSymbol<func::FuncOp>(name))
    return;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType({b.getI64Type()}, {}));
  fn.setPrivate();
}

/// Replaces `op` (inside a launch) by its clamped position, storing 1 and the
/// index into `flags` when the index is outside.
void lowerInKernel(GatherIndexOp op, Value flags) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value outside = op.buildOutside(b);
  scf::IfOp::create(b, loc, outside, [&](OpBuilder &t, Location l) {
    Value one = arith::ConstantIntOp::create(t, l, 1, 64);
    Value index = arith::IndexCastOp::create(t, l, t.getI64Type(), op.getIndex());
    memref::StoreOp::create(t, l, one, flags, ValueRange{arith::ConstantIndexOp::create(t, l, 0)});
    memref::StoreOp::create(t, l, index, flags,
                            ValueRange{arith::ConstantIndexOp::create(t, l, 1)});
    scf::YieldOp::create(t, l);
  });
  op.replaceAllUsesWith(op.buildClamped(b));
  op.erase();
}

/// The flag buffer of `fn`, cleared at entry and checked (then freed) before every
/// return; every gather index of its launches reports into it.
void addFlags(OpBuilder &b, func::FuncOp fn, ArrayRef<GatherIndexOp> inKernels) {
  Location loc = fn.getLoc();
  b.setInsertionPointToStart(&fn.getBody().front());
  Value flags = memref::AllocOp::create(b, loc, MemRefType::get({2}, b.getI64Type()));
  Value address = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, flags);
  address = arith::IndexCastOp::create(b, loc, b.getI64Type(), address);
  func::CallOp::create(b, loc, kClearFlags, TypeRange{}, ValueRange{address});
  fn.walk([&](func::ReturnOp ret) {
    b.setInsertionPoint(ret);
    func::CallOp::create(b, ret.getLoc(), kCheckFlags, TypeRange{}, ValueRange{address});
    memref::DeallocOp::create(b, ret.getLoc(), flags);
  });
  for (GatherIndexOp op : inKernels)
    lowerInKernel(op, flags);
}

struct GpuGatherChecksPass : vibee::impl::GpuGatherChecksPassBase<GpuGatherChecksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    bool declared = false;
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (fn.isExternal())
        continue;
      SmallVector<GatherIndexOp> inKernels;
      fn.walk([&](GatherIndexOp op) {
        if (op->getParentOfType<gpu::LaunchOp>())
          inKernels.push_back(op);
      });
      if (inKernels.empty())
        continue;
      if (!declared) {
        declareFlagFunction(b, module, kClearFlags);
        declareFlagFunction(b, module, kCheckFlags);
        declared = true;
      }
      addFlags(b, fn, inKernels);
    }
  }
};

} // namespace
