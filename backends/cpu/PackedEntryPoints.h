//===- PackedEntryPoints.h - void(void **) entry points for the JIT -------===//
//
// MLIR's ExecutionEngine calls a compiled function `f` through an interface
// function `_mlir_f(void **args)` that it adds before optimization: each
// argument is loaded through the pointer args[i], and a result stored through
// args[n]. An object that the JIT loads instead of compiling (a spec compiled
// in kernel groups: runtime/KernelGroups.h) needs the same entry points, built
// the same way.
//
//===----------------------------------------------------------------------===//
#pragma once

namespace llvm {
class Module;
} // namespace llvm

namespace vibee {

/// Defines `_mlir_<name>(ptr)` for every function of `module` defined with
/// external linkage whose name does not start with `_mlir_` already.
void addPackedEntryPoints(llvm::Module &module);

} // namespace vibee
