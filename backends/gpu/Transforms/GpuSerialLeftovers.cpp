//===- GpuSerialLeftovers.cpp - what no kernel strategy took, on the GPU --===//
//
// Every kernel strategy and the parallel-loops route map parallel loops; a
// statement with none (a reduction to a scalar, `s = sum(i) x[i]`) was left as a
// host loop over device memory, which the host cannot read (gpu_check died with
// SIGSEGV on tests/e2e/constructs.vibee). Each top-level operation that reads or
// writes memory and launches nothing now runs in a kernel of one thread: slow but
// correct, with a --verbose remark saying so at the statement. A loop-free
// statement on scalars (`norm = sqrt(sq)` after `sq = sum(i) ...`) is a store
// whose value the host computed from loads of device memory: the loads and the
// arithmetic on them go into the kernel with it.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

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

/// The operations of `op`'s block that compute a value `op` reads from a load of
/// device memory: the loads and the side-effect-free arithmetic on them, in block
/// order. Constants and sizes (memref.dim) stay on the host and become operands.
SmallVector<Operation *> deviceValueSlice(Operation *op, bool withOperands) {
  Block *block = op->getBlock();
  DenseMap<Operation *, bool> readsDevice;
  std::function<bool(Value)> fromDevice = [&](Value v) -> bool {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != block)
      return false;
    auto [it, inserted] = readsDevice.try_emplace(def, false);
    if (!inserted)
      return it->second;
    bool reads = isa<memref::LoadOp>(def);
    if (!reads && isMemoryEffectFree(def) && def->getNumRegions() == 0)
      reads = llvm::any_of(def->getOperands(), fromDevice);
    readsDevice[def] = reads;
    return reads;
  };
  SetVector<Value> used;
  if (withOperands)
    used.insert(op->operand_begin(), op->operand_end());
  getUsedValuesDefinedAbove(op->getRegions(), used);
  for (Value v : used)
    fromDevice(v);
  SmallVector<Operation *> slice;
  for (auto [def, reads] : readsDevice)
    if (reads)
      slice.push_back(def);
  llvm::sort(slice, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return slice;
}

/// Moves `op` into a gpu.launch of one block of one thread, with clones of the
/// device-value slice it reads; originals nothing else uses are erased.
void launchOnOneThread(Operation *op, ArrayRef<Operation *> slice) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
  Block &body = launch.getBody().front();
  OpBuilder inside = OpBuilder::atBlockEnd(&body);
  IRMapping mapping;
  for (Operation *def : slice)
    inside.clone(*def, mapping);
  inside.clone(*op, mapping);
  gpu::TerminatorOp::create(inside, loc);
  op->erase();
  for (Operation *def : llvm::reverse(slice))
    if (def->use_empty())
      def->erase();
}

/// The buffer a view is of.
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Whether the kernel may write a buffer the slice loads (then a clone of the
/// load at the kernel's start could see another thread's write).
bool writesSliceBuffers(gpu::LaunchOp launch, ArrayRef<Operation *> slice) {
  DenseSet<Value> loaded;
  for (Operation *def : slice)
    if (auto load = dyn_cast<memref::LoadOp>(def))
      loaded.insert(rootBuffer(load.getMemRef()));
  WalkResult walk = launch.getBody().walk([&](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return WalkResult::advance();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (MemoryEffects::EffectInstance &effect : instances)
      if (isa<MemoryEffects::Write>(effect.getEffect()) &&
          (!effect.getValue() || loaded.contains(rootBuffer(effect.getValue()))))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}

/// A kernel that captures a scalar the host computed from device memory (a
/// statement's coefficient read by the next statement's kernel) computes it itself.
LogicalResult sinkDeviceValues(gpu::LaunchOp launch) {
  SmallVector<Operation *> slice = deviceValueSlice(launch, /*withOperands=*/false);
  if (slice.empty())
    return success();
  if (writesSliceBuffers(launch, slice))
    return emitError(launch.getLoc())
           << "the GPU target cannot run this statement: it reads a scalar computed from a "
              "buffer it also writes";
  OpBuilder inside = OpBuilder::atBlockBegin(&launch.getBody().front());
  IRMapping mapping;
  for (Operation *def : slice)
    inside.clone(*def, mapping);
  for (Operation *def : slice)
    for (Value result : def->getResults())
      result.replaceUsesWithIf(mapping.lookup(result), [&](OpOperand &use) {
        return launch->isProperAncestor(use.getOwner());
      });
  for (Operation *def : llvm::reverse(slice))
    if (def->use_empty())
      def->erase();
  return success();
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
      SmallVector<Operation *> slice = deviceValueSlice(op, /*withOperands=*/true);
      if (isa<scf::ForOp>(op))
        emitRemark(op->getLoc()) << "statement runs on one GPU thread: no kernel strategy maps "
                                    "a loop without parallel iterations (a reduction to a scalar)";
      else if (!slice.empty())
        emitRemark(op->getLoc()) << "statement runs on one GPU thread: a statement on scalars "
                                    "has no loop to map";
      launchOnOneThread(op, slice);
    }
    SmallVector<gpu::LaunchOp> launches(getOperation().getBody().front().getOps<gpu::LaunchOp>());
    for (gpu::LaunchOp launch : launches)
      if (failed(sinkDeviceValues(launch)))
        return signalPassFailure();
  }
};

} // namespace
