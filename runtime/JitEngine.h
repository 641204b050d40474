// Inside the JIT (not installed): what holds a JitModule's code. Either MLIR's
// ExecutionEngine (compiled in this process) or an ORC LLJIT that loaded an
// object from the disk cache; `packed` holds the kernels' packed entry points
// of the latter.
#pragma once

#include "runtime/Jit.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <map>
#include <memory>
#include <string>

namespace llvm {
class MemoryBuffer;
namespace orc {
class LLJIT;
} // namespace orc
} // namespace llvm
namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace vibee {

struct JitModule::Engine {
  Engine();
  ~Engine();
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> loaded;
  std::map<std::string, void *> packed; // kernel name -> void(void **), for `loaded`
};

// The CPU runtime's functions that compiled kernels call, by address
// (JitSymbols.cpp), and their registration in an engine; the CUDA host code's
// mgpu* and vibee_cuda_* functions likewise.
llvm::orc::SymbolMap cpuRuntimeSymbols(llvm::orc::MangleAndInterner &interner);
void registerCpuRuntimeSymbols(mlir::ExecutionEngine &engine);
void registerCudaRuntimeSymbols(mlir::ExecutionEngine &engine);

// The disk cache's key of a compilation's JIT code: spec text, options, compiler
// build, host CPU, and whether OpenMP threads can be compiled in.
std::string jitCacheKey(const Compilation &compilation);

// Loads an object that an ExecutionEngine compiled (it holds the packed entry
// points `_mlir_vibee_<spec>_<kernel>`); null when it cannot be loaded or lacks
// an entry point (the caller then compiles again).
std::unique_ptr<JitModule::Engine> loadCachedObject(std::unique_ptr<llvm::MemoryBuffer> object,
                                                    const ast::Spec &spec);

} // namespace vibee
