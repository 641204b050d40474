// Turns an LLVM-dialect module into an optimized ELF object file.
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace vibee {

struct ObjectOptions {
  /// Tune for and use every feature of the host CPU; otherwise target the
  /// portable x86-64 baseline (runs on any x86-64 machine).
  bool hostCpu = true;
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
};

/// Translates `module` (LLVM dialect only, e.g. the output of
/// buildLinalgToLLVMPipeline) to LLVM IR, optimizes it and writes an object
/// file to `path`.
llvm::Error emitObjectFile(mlir::ModuleOp module, llvm::StringRef path,
                           const ObjectOptions &options = {});

} // namespace vibee
