//===- GpuLowering.cpp - vibee passes of the GPU backend ------------------===//
//
// The small transformations the GPU pipeline (backends/gpu/GpuPipeline.cpp) adds
// around MLIR's own parallel-loops -> gpu -> NVVM path; docs/gpu.md.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

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
#define GEN_PASS_DEF_GPUFUSESIBLINGSPASS
#define GEN_PASS_DEF_GPUPREPARELOOPSPASS
#define GEN_PASS_DEF_GPUTILELOOPSPASS
#define GEN_PASS_DEF_GPUDEVICEMEMORYPASS
#define GEN_PASS_DEF_GPUMERGEMODULESPASS
#define GEN_PASS_DEF_GPUPACKEDENTRIESPASS
#include "passes/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// Sibling fusion
//===----------------------------------------------------------------------===//

/// An all-parallel generic with identity output maps and tensor semantics.
static bool isFusibleElementwise(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumReductionLoops() != 0)
    return false;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    if (!op.getMatchingIndexingMap(&init).isIdentity())
      return false;
    // The init's values must not be read (outs are only shapes).
    if (op.payloadUsesValueFromOperand(&init))
      return false;
  }
  return true;
}

/// Both ops iterate over the same domain: same rank and init shapes given by
/// the same values (tensor.empty with identical dynamic sizes, or equal types).
static bool sameDomain(linalg::GenericOp a, linalg::GenericOp b) {
  if (a.getNumLoops() != b.getNumLoops())
    return false;
  Value ia = a.getDpsInits()[0], ib = b.getDpsInits()[0];
  auto ta = cast<RankedTensorType>(ia.getType()), tb = cast<RankedTensorType>(ib.getType());
  if (ta.getShape() != tb.getShape())
    return false;
  if (ta.hasStaticShape())
    return true;
  if (ia == ib)
    return true;
  auto ea = ia.getDefiningOp<tensor::EmptyOp>(), eb = ib.getDefiningOp<tensor::EmptyOp>();
  return ea && eb && ea.getDynamicSizes() == eb.getDynamicSizes();
}

/// Merges `second` into `first` (which precedes it; `second` does not use any
/// result of `first`). The merged op is created at `second`'s position.
static linalg::GenericOp mergeSiblings(RewriterBase &rewriter, linalg::GenericOp first,
                                       linalg::GenericOp second) {
  SmallVector<Value> inputs(first.getDpsInputs());
  llvm::append_range(inputs, second.getDpsInputs());
  SmallVector<Value> inits(first.getDpsInits());
  llvm::append_range(inits, second.getDpsInits());
  SmallVector<AffineMap> maps;
  for (OpOperand *in : first.getDpsInputOperands())
    maps.push_back(first.getMatchingIndexingMap(in));
  for (OpOperand *in : second.getDpsInputOperands())
    maps.push_back(second.getMatchingIndexingMap(in));
  for (OpOperand &init : first.getDpsInitsMutable())
    maps.push_back(first.getMatchingIndexingMap(&init));
  for (OpOperand &init : second.getDpsInitsMutable())
    maps.push_back(second.getMatchingIndexingMap(&init));
  SmallVector<Type> resultTypes(first.getResultTypes());
  llvm::append_range(resultTypes, second.getResultTypes());

  rewriter.setInsertionPoint(second);
  auto merged = linalg::GenericOp::create(rewriter, second.getLoc(), resultTypes, inputs,
                                          inits, maps, first.getIteratorTypesArray());
  Block *block = rewriter.createBlock(&merged.getRegion());
  Block &b1 = first.getRegion().front(), &b2 = second.getRegion().front();
  size_t n1in = first.getNumDpsInputs(), n2in = second.getNumDpsInputs();
  IRMapping map;
  auto addArgs = [&](Block &src, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
      map.map(src.getArgument(i),
              block->addArgument(src.getArgument(i).getType(), src.getArgument(i).getLoc()));
  };
  addArgs(b1, 0, n1in);
  addArgs(b2, 0, n2in);
  addArgs(b1, n1in, b1.getNumArguments());
  addArgs(b2, n2in, b2.getNumArguments());
  SmallVector<Value> yields;
  for (Block *src : {&b1, &b2})
    for (Operation &op : *src) {
      if (auto y = dyn_cast<linalg::YieldOp>(op)) {
        for (Value v : y.getValues())
          yields.push_back(map.lookupOrDefault(v));
        continue;
      }
      rewriter.clone(op, map);
    }
  linalg::YieldOp::create(rewriter, second.getLoc(), yields);
  unsigned n1 = first.getNumResults();
  rewriter.replaceOp(first, merged.getResults().take_front(n1));
  rewriter.replaceOp(second, merged.getResults().drop_front(n1));
  return merged;
}

struct GpuFuseSiblingsPass
    : vibee::impl::GpuFuseSiblingsPassBase<GpuFuseSiblingsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    bool changed = true;
    while (changed) {
      changed = false;
      for (Block &block : getOperation().getBody()) {
        SmallVector<linalg::GenericOp> ops;
        for (Operation &op : block)
          if (auto g = dyn_cast<linalg::GenericOp>(op))
            if (isFusibleElementwise(g))
              ops.push_back(g);
        for (size_t i = 0; i < ops.size() && !changed; ++i)
          for (size_t j = i + 1; j < ops.size() && !changed; ++j) {
            linalg::GenericOp a = ops[i], b = ops[j];
            if (!sameDomain(a, b))
              continue;
            // b must not depend on a, and b's operands must all be defined
            // before a... or at least before b (the merged op sits at b).
            bool dependent = false;
            for (Value operand : b->getOperands())
              if (operand.getDefiningOp() == a.getOperation())
                dependent = true;
            // Nothing between a and b may use a's results (they move to b).
            for (Operation *user : a->getUsers())
              if (user->getBlock() == &block && user->isBeforeInBlock(b))
                dependent = true;
            if (dependent)
              continue;
            mergeSiblings(rewriter, a, b);
            changed = true;
          }
      }
    }
  }
};

//===----------------------------------------------------------------------===//
// Preparation and tiling of the loops
//===----------------------------------------------------------------------===//

struct GpuPrepareLoopsPass
    : vibee::impl::GpuPrepareLoopsPassBase<GpuPrepareLoopsPass> {
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

struct GpuTileLoopsPass : vibee::impl::GpuTileLoopsPassBase<GpuTileLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>())
        outermost.push_back(op);
    });
    for (scf::ParallelOp op : outermost) {
      SmallVector<int64_t> sizes(op.getNumLoops(), 1);
      sizes.back() = blockSize;
      scf::tileParallelLoop(op, sizes, /*noMinMaxBounds=*/true);
    }
  }
};

//===----------------------------------------------------------------------===//
// Device memory for temporaries
//===----------------------------------------------------------------------===//

struct GpuDeviceMemoryPass
    : vibee::impl::GpuDeviceMemoryPassBase<GpuDeviceMemoryPass> {
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
      auto g = gpu::AllocOp::create(b, loc, type, tokenType, ValueRange{start}, sizes,
                                    symbols, /*hostShared=*/false);
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

//===----------------------------------------------------------------------===//
// One gpu.module per spec
//===----------------------------------------------------------------------===//

struct GpuMergeModulesPass
    : vibee::impl::GpuMergeModulesPassBase<GpuMergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.size() <= 1)
      return;
    std::string spec = "vibee";
    if (auto name = module->getAttrOfType<StringAttr>("vibee.spec"))
      spec = name.str();
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
      launch.setKernelAttr(
          SymbolRefAttr::get(mergedName, {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};

//===----------------------------------------------------------------------===//
// Packed entry points
//===----------------------------------------------------------------------===//

struct GpuPackedEntriesPass
    : vibee::impl::GpuPackedEntriesPassBase<GpuPackedEntriesPass> {
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
        Value slot = LLVM::GEPOp::create(eb, loc, ptr, ptr, args,
                                         ArrayRef<LLVM::GEPArg>{(int32_t)i});
        Value address = LLVM::LoadOp::create(eb, loc, ptr, slot);
        callArgs.push_back(LLVM::LoadOp::create(eb, loc, type, address));
      }
      func::CallOp::create(eb, loc, fn, callArgs);
      func::ReturnOp::create(eb, loc);
    }
  }
};

} // namespace
