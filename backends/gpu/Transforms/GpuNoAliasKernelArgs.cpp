//===- GpuNoAliasKernelArgs.cpp - vibee-gpu-noalias-kernel-args -----------===//
//
// An outlined kernel's memref argument gets `llvm.noalias` when, at every
// gpu.launch_func of the kernel, it is the only operand viewing its root buffer
// and that root is distinct: a kernel argument (the C ABI, docs/abi.md: an
// output overlaps no other tensor) or an allocation. vibee-noalias-pointers
// then carries the attribute through gpu-to-nvvm, and LLVM may reorder a
// thread's loads ahead of its stores and read inputs through the read-only
// path (ld.global.nc): a thread's several points (vibee-gpu-tile-loops'
// coarsening) keep several loads in flight instead of one.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"
#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/SymbolTable.h"

namespace vibee {
#define GEN_PASS_DEF_GPUNOALIASKERNELARGSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// A buffer that overlaps no other distinct root.
bool isDistinctRoot(Value root) {
  if (auto arg = dyn_cast<BlockArgument>(root)) {
    auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    return fn && fn->hasAttr(vibee::attr::kKernel) && arg.getOwner() == &fn.getBody().front();
  }
  return isa_and_present<memref::AllocOp, memref::AllocaOp, gpu::AllocOp>(root.getDefiningOp());
}

/// Per operand of `launch`: whether it may be noalias in the kernel.
SmallVector<bool> distinctOperands(gpu::LaunchFuncOp launch) {
  ValueRange operands = launch.getKernelOperands();
  llvm::DenseMap<Value, unsigned> rootUses;
  SmallVector<Value> roots;
  for (Value v : operands) {
    auto buffer = dyn_cast<TypedValue<MemRefType>>(v);
    roots.push_back(buffer ? memref::skipViewLikeOps(buffer) : Value());
    if (roots.back())
      ++rootUses[roots.back()];
  }
  SmallVector<bool> distinct;
  for (Value root : roots)
    distinct.push_back(root && rootUses[root] == 1 && isDistinctRoot(root));
  return distinct;
}

struct GpuNoAliasKernelArgsPass
    : vibee::impl::GpuNoAliasKernelArgsPassBase<GpuNoAliasKernelArgsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbols;
    llvm::MapVector<gpu::GPUFuncOp, SmallVector<bool>> noalias;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto kernel = symbols.lookupNearestSymbolFrom<gpu::GPUFuncOp>(launch, launch.getKernel());
      if (!kernel)
        return;
      SmallVector<bool> distinct = distinctOperands(launch);
      auto [it, inserted] = noalias.try_emplace(kernel, distinct);
      if (!inserted)
        for (auto [all, here] : llvm::zip(it->second, distinct))
          all = all && here;
    });
    for (auto &[kernel, distinct] : noalias)
      for (auto [i, isDistinct] : llvm::enumerate(distinct))
        if (isDistinct && i < kernel.getNumArguments())
          kernel.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                            UnitAttr::get(&getContext()));
  }
};

} // namespace
