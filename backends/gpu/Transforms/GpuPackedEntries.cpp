//===- GpuPackedEntries.cpp - vibee-gpu-packed-entries: a void** entry per C entry point
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
#define GEN_PASS_DEF_GPUPACKEDENTRIESPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct GpuPackedEntriesPass : vibee::impl::GpuPackedEntriesPassBase<GpuPackedEntriesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    SmallVector<func::FuncOp> entries;
    for (func::FuncOp fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && fn.getName().starts_with("vibee_") && !fn.isExternal() &&
          !fn.getName().ends_with("_packed"))
        entries.push_back(fn);
    OpBuilder b(ctx);
    for (func::FuncOp fn : entries) {
      b.setInsertionPointAfter(fn);
      Location loc = fn.getLoc();
      auto packed = func::FuncOp::create(b, loc, (fn.getName() + "_packed").str(),
                                         b.getFunctionType({ptr}, {}));
      Block *entry = packed.addEntryBlock();
      OpBuilder eb = OpBuilder::atBlockBegin(entry);
      Value args = entry->getArgument(0);
      SmallVector<Value> callArgs;
      for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
        Value slot =
            LLVM::GEPOp::create(eb, loc, ptr, ptr, args, ArrayRef<LLVM::GEPArg>{(int32_t)i});
        Value address = LLVM::LoadOp::create(eb, loc, ptr, slot);
        callArgs.push_back(LLVM::LoadOp::create(eb, loc, type, address));
      }
      func::CallOp::create(eb, loc, fn, callArgs);
      func::ReturnOp::create(eb, loc);
    }
  }
};

} // namespace
