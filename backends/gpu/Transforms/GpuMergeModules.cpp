//===- GpuMergeModules.cpp - vibee-gpu-merge-modules: every outlined kernel in one gpu.module
//
// Part of the GPU pipeline (backends/gpu/GpuPipeline.cpp) around MLIR's own
// parallel-loops -> gpu -> NVVM path; docs/gpu.md.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"
#include "ir/VibeeDialect.h"

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
#define GEN_PASS_DEF_GPUMERGEMODULESPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

struct GpuMergeModulesPass : vibee::impl::GpuMergeModulesPassBase<GpuMergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    std::string spec = "vibee";
    if (auto name = module->getAttrOfType<StringAttr>(vibee::attr::kSpec))
      spec = name.str();
    // Kernels without statements launch nothing: an empty module all the same,
    // so that every GPU output (PTX, cubin, the host file's images) has one.
    if (gpuModules.empty()) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      auto empty = gpu::GPUModuleOp::create(b, module.getLoc(), spec + "_kernels");
      SymbolTable(module).insert(empty);
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
      return;
    }
    if (gpuModules.size() == 1)
      return;
    OpBuilder b(gpuModules.front());
    auto merged = gpu::GPUModuleOp::create(b, gpuModules.front().getLoc(), spec + "_kernels");
    SymbolTable::setSymbolVisibility(merged, SymbolTable::Visibility::Public);
    // Ensure a unique name for the merged module.
    SymbolTable table(module);
    table.insert(merged);
    Block &body = merged.getBodyRegion().front();
    StringAttr mergedName = merged.getSymNameAttr();

    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp gm : gpuModules) {
      StringAttr moduleName = gm.getSymNameAttr();
      for (Operation &op : llvm::make_early_inc_range(gm.getBodyRegion().front())) {
        auto fn = dyn_cast<gpu::GPUFuncOp>(op);
        if (!fn)
          continue; // no other symbols are produced by the outlining
        StringAttr old = SymbolTable::getSymbolName(fn);
        SymbolTable::setSymbolName(fn, moduleName);
        renamed[{moduleName, old}] = moduleName;
        fn->moveBefore(&body, body.end());
      }
      gm.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr ref = launch.getKernel();
      auto it = renamed.find({ref.getRootReference(), ref.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(mergedName, {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};

} // namespace
