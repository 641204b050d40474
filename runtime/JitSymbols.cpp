// The runtime functions that JIT-compiled code calls, given to the engines by
// address: a process's symbol table has them only when this library was loaded
// globally, and a Python extension's dependencies are loaded locally.
#include "runtime/JitEngine.h"
#include "runtime/cuda/CudaDriver.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"

namespace vibee {

extern "C" {
void *mgpuModuleLoad(void *, size_t);
void *mgpuModuleLoadJIT(void *, int);
void mgpuModuleUnload(void *);
void *mgpuModuleGetFunction(void *, const char *);
void mgpuLaunchKernel(void *, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, int32_t,
                      void *, void **, void **, size_t);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *);
void mgpuStreamSynchronize(void *);
void *mgpuMemAlloc(uint64_t, void *, bool);
void mgpuMemFree(void *, void *);
void mgpuSetDefaultDevice(int32_t);
}

// The host code of a cuda kernel calls the mgpu* and vibee_cuda_* functions of
// runtime/cuda.
void registerCudaRuntimeSymbols(mlir::ExecutionEngine &engine) {
  engine.registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    auto add = [&](const char *name, void *address) {
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                             llvm::JITSymbolFlags::Exported};
    };
    add("mgpuModuleLoad", (void *)&mgpuModuleLoad);
    add("mgpuModuleLoadJIT", (void *)&mgpuModuleLoadJIT);
    add("mgpuModuleUnload", (void *)&mgpuModuleUnload);
    add("mgpuModuleGetFunction", (void *)&mgpuModuleGetFunction);
    add("mgpuLaunchKernel", (void *)&mgpuLaunchKernel);
    add("mgpuStreamCreate", (void *)&mgpuStreamCreate);
    add("mgpuStreamDestroy", (void *)&mgpuStreamDestroy);
    add("mgpuStreamSynchronize", (void *)&mgpuStreamSynchronize);
    add("mgpuMemAlloc", (void *)&mgpuMemAlloc);
    add("mgpuMemFree", (void *)&mgpuMemFree);
    add("mgpuSetDefaultDevice", (void *)&mgpuSetDefaultDevice);
    add("vibee_cuda_sm_count", (void *)&vibee_cuda_sm_count);
    add("vibee_cuda_tensor_map", (void *)&vibee_cuda_tensor_map);
    add("vibee_cuda_gather_flags_clear", (void *)&vibee_cuda_gather_flags_clear);
    add("vibee_cuda_gather_flags_check", (void *)&vibee_cuda_gather_flags_check);
    return map;
  });
}

extern "C" {
int64_t vibee_cpu_parallel_enter(int64_t);
int64_t vibee_cpu_parallel_enter_max(int64_t, int64_t);
void vibee_cpu_parallel_exit(int64_t);
void vibee_cpu_parallel_for(void (*)(int64_t, int64_t, void *), void *, int64_t, int64_t, int64_t,
                            int64_t, int64_t);
void *vibee_cpu_temp_alloc(int64_t, int64_t);
void vibee_cpu_temp_free(void *);
}

// CPU kernels call the thread admission and the temporaries cache of
// backends/cpu/CpuRuntime.c.
llvm::orc::SymbolMap cpuRuntimeSymbols(llvm::orc::MangleAndInterner &interner) {
  llvm::orc::SymbolMap map;
  auto add = [&](const char *name, void *address) {
    map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                           llvm::JITSymbolFlags::Exported};
  };
  add("vibee_cpu_parallel_enter", (void *)&vibee_cpu_parallel_enter);
  add("vibee_cpu_parallel_enter_max", (void *)&vibee_cpu_parallel_enter_max);
  add("vibee_cpu_parallel_exit", (void *)&vibee_cpu_parallel_exit);
  add("vibee_cpu_parallel_for", (void *)&vibee_cpu_parallel_for);
  add("vibee_cpu_temp_alloc", (void *)&vibee_cpu_temp_alloc);
  add("vibee_cpu_temp_free", (void *)&vibee_cpu_temp_free);
  return map;
}

void registerCpuRuntimeSymbols(mlir::ExecutionEngine &engine) {
  engine.registerSymbols(
      [](llvm::orc::MangleAndInterner interner) { return cpuRuntimeSymbols(interner); });
}

} // namespace vibee
