//===- NoAliasPointers.cpp - vibee-noalias-pointers -----------------------===//
//
// Memref arguments that do not alias carry `llvm.noalias`: the kernels' own
// (vibee-cpu-prepare-vectorization: the C ABI's distinct tensors), chunk
// functions' (ChunkFunctions.cpp) and GPU kernels' (vibee-gpu-noalias-kernel-args).
// The conversions to LLVM drop it when they expand a memref into its
// descriptor's values (func-to-llvm silently, gpu-to-nvvm with a warning), so
// LLVM saw every pointer as possibly aliasing: loops stayed scalar, loads were
// repeated after every store, and the GPU could not use read-only loads. This
// pass carries the attribute across the conversion. `stage=record`, before it:
// each function with such arguments gets `vibee.noalias_pointers`, the
// positions of their aligned pointers among the expanded arguments (allocated
// pointer, aligned pointer, offset, then a size and a stride per dim), and the
// argument attribute is removed. `stage=apply`, after it: those llvm.func
// arguments get `llvm.noalias`. The allocated pointer, never accessed, is left
// alone.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace vibee {
#define GEN_PASS_DEF_NOALIASPOINTERSPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// Records, and removes from the arguments, where `fn`'s noalias memrefs'
/// aligned pointers land among the expanded arguments.
void recordPositions(FunctionOpInterface fn) {
  if (fn.isExternal() || isa<LLVM::LLVMFuncOp>(fn.getOperation()))
    return;
  StringRef noalias = LLVM::LLVMDialect::getNoAliasAttrName();
  SmallVector<int64_t> positions;
  int64_t next = 0;
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
    auto memref = dyn_cast<MemRefType>(type);
    if (!memref) {
      ++next;
      continue;
    }
    if (fn.getArgAttr(i, noalias)) {
      positions.push_back(next + 1);
      fn.removeArgAttr(i, noalias);
    }
    next += 3 + 2 * memref.getRank();
  }
  if (!positions.empty())
    fn->setAttr(vibee::attr::kNoaliasPointers, DenseI64ArrayAttr::get(fn->getContext(), positions));
}

void applyPositions(LLVM::LLVMFuncOp fn) {
  auto positions = fn->getAttrOfType<DenseI64ArrayAttr>(vibee::attr::kNoaliasPointers);
  if (!positions)
    return;
  fn->removeAttr(vibee::attr::kNoaliasPointers);
  for (int64_t p : positions.asArrayRef())
    if (p < (int64_t)fn.getNumArguments() && isa<LLVM::LLVMPointerType>(fn.getArgumentTypes()[p]))
      fn.setArgAttr(p, LLVM::LLVMDialect::getNoAliasAttrName(), UnitAttr::get(fn.getContext()));
}

struct NoAliasPointersPass : vibee::impl::NoAliasPointersPassBase<NoAliasPointersPass> {
  using NoAliasPointersPassBase::NoAliasPointersPassBase;

  void runOnOperation() override {
    if (stage == "record") {
      getOperation()->walk([](FunctionOpInterface fn) { recordPositions(fn); });
    } else if (stage == "apply") {
      getOperation()->walk([](LLVM::LLVMFuncOp fn) { applyPositions(fn); });
    } else {
      getOperation()->emitError("vibee-noalias-pointers: stage must be record or apply");
      signalPassFailure();
    }
  }
};

} // namespace
