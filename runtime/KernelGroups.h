// A spec of many kernels compiled in groups of kernels on threads. Kernels share
// nothing but the spec's text (no kernel calls another, each one's helpers are
// internal), so each group goes down the whole pipeline on its own: a Compilation
// with its own MLIRContext and module, its own LLVMContext, O3 and code
// generation, into an object of its own; `ld -r` joins the objects
// (backends/cpu/ParallelCodeGen.h). The MLIR passes that see the whole module
// and LLVM's O3, which run serially on one module, then run in parallel too
// (docs/performance.md, "Compile time of large specs"). `vibeec compile` writes
// the object; the JIT loads it (runtime/Jit.cpp).
#pragma once

#include "llvm/Support/Error.h"

#include <string>

namespace vibee {

class Compilation;
struct ObjectOptions;

// How many groups a CPU object of `whole` is compiled in, and whether the user
// asked for that number (VIBEE_KERNEL_GROUPS=n, 1 to 256: a failure is then an
// error, not a fallback to one module). Otherwise one group per
// kMinStatementsPerGroup statements, at most four per hardware thread, and one
// (the whole module) on a single thread, with --verbose or --mlir-print-ir-*
// (their output stays in order), or without `ld` and `objcopy`.
struct KernelGroups {
  unsigned groups = 1;
  bool forced = false;
};
KernelGroups kernelGroups(const Compilation &whole);

// The object of every kernel of `whole` (a CPU compilation that has not been
// lowered yet), compiled in `groups` groups of consecutive kernels of about the
// same number of statements, on as many threads as there are cores. A group's
// failure to compile throws its CompileError; a failure to join the objects is
// the returned error.
llvm::Expected<std::string> emitObjectInKernelGroups(const Compilation &whole, unsigned groups,
                                                     const ObjectOptions &options);

} // namespace vibee
