//===- CpuCacheTemporaries.cpp - temporaries through the runtime's cache --===//
//
// vibee-cpu-cache-temporaries, on the LLVM dialect after memref lowering: every
// call of aligned_alloc and free (a kernel's temporaries: locals, accumulators,
// packed operands) calls vibee_cpu_temp_alloc / vibee_cpu_temp_free instead when
// the runtime is linked (backends/cpu/CpuRuntime.c; referenced extern_weak like
// the thread admission, so an object linked on its own keeps calling the C
// library). The runtime keeps freed blocks of 64 KiB and more in a small
// per-thread cache: glibc maps such a block afresh on each allocation and unmaps
// it on free, so a kernel called in a loop faulted its temporaries in, page by
// page, on every call (RoPE's angles: half its time).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace vibee {
#define GEN_PASS_DEF_CPUCACHETEMPORARIESPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

constexpr const char *kTempAlloc = "vibee_cpu_temp_alloc";
constexpr const char *kTempFree = "vibee_cpu_temp_free";

/// The weak declaration of `name` with `callee`'s type.
LLVM::LLVMFuncOp declareWeakLike(ModuleOp module, StringRef name, LLVM::LLVMFuncOp callee) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  auto f = LLVM::LLVMFuncOp::create(b, module.getLoc(), name, callee.getFunctionType());
  f.setLinkage(LLVM::Linkage::ExternWeak);
  return f;
}

/// `call @libc(args)` -> `call (runtime linked ? @runtime : @libc)(args)`.
void redirect(LLVM::CallOp call, LLVM::LLVMFuncOp runtime) {
  OpBuilder b(call);
  Location loc = call.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value cached = LLVM::AddressOfOp::create(b, loc, ptr, runtime.getSymName());
  Value libc = LLVM::AddressOfOp::create(b, loc, ptr, *call.getCallee());
  Value linked = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, cached,
                                      LLVM::ZeroOp::create(b, loc, ptr));
  Value target = LLVM::SelectOp::create(b, loc, linked, cached, libc);
  SmallVector<Value> operands{target};
  llvm::append_range(operands, call.getArgOperands());
  auto indirect = LLVM::CallOp::create(b, loc, runtime.getFunctionType(), operands);
  call.replaceAllUsesWith(indirect.getResults());
  call.erase();
}

struct CpuCacheTemporariesPass
    : vibee::impl::CpuCacheTemporariesPassBase<CpuCacheTemporariesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The C library's functions, declared by the memref lowering when it used them.
    llvm::StringMap<LLVM::LLVMFuncOp> runtimeFor;
    if (auto alloc = module.lookupSymbol<LLVM::LLVMFuncOp>("aligned_alloc"))
      runtimeFor["aligned_alloc"] = declareWeakLike(module, kTempAlloc, alloc);
    if (auto release = module.lookupSymbol<LLVM::LLVMFuncOp>("free"))
      runtimeFor["free"] = declareWeakLike(module, kTempFree, release);
    SmallVector<std::pair<LLVM::CallOp, LLVM::LLVMFuncOp>> calls;
    module.walk([&](LLVM::CallOp call) {
      if (std::optional<StringRef> callee = call.getCallee())
        if (auto it = runtimeFor.find(*callee); it != runtimeFor.end())
          calls.push_back({call, it->second});
    });
    for (auto [call, runtime] : calls)
      redirect(call, runtime);
  }
};

} // namespace
