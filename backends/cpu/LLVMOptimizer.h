// LLVM's optimization pipeline as the CPU backend runs it, for object files
// (ObjectEmitter) and the JIT (runtime/Jit.cpp) alike.
#pragma once

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace vibee {

/// Runs LLVM's default per-module pipeline at `optLevel` (0 to 3) on `module`,
/// tuned for `machine` (null: generic cost models), with one change: loops are
/// not unrolled by a runtime trip count (see LLVMOptimizer.cpp); then defines
/// what code generation may call for bf16 (Bf16Truncation.h).
void optimizeLLVMModule(llvm::Module &module, llvm::TargetMachine *machine, unsigned optLevel);

} // namespace vibee
