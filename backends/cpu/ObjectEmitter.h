// Turns an LLVM-dialect module into an optimized ELF object file.
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace llvm {
class raw_fd_ostream;
class raw_pwrite_stream;
} // namespace llvm

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
  /// What to write: the object file, its assembly, or the LLVM IR after the
  /// optimization pipeline (what code generation starts from).
  enum Kind { Object, Assembly, OptimizedIR } kind = Object;
  /// A large module's code generation in parts on threads (ParallelCodeGen.h);
  /// off where the caller runs several modules on threads already.
  bool codeGenInParts = true;
  /// Also `_mlir_<name>(void **)` for each exported function, as MLIR's
  /// ExecutionEngine defines them (PackedEntryPoints.h): an object for the JIT.
  bool packedEntryPoints = false;
};

/// Translates `module` (LLVM dialect only, e.g. the output of
/// buildLinalgToLLVMPipeline) to LLVM IR, optimizes it and writes an object
/// file to `path`.
llvm::Error emitObjectFile(mlir::ModuleOp module, llvm::StringRef path,
                           const ObjectOptions &options = {});

/// The same, written to `out` (a file or stdout: an object goes through a
/// buffer when `out` cannot seek, e.g. a pipe).
llvm::Error emitObjectFile(mlir::ModuleOp module, llvm::raw_fd_ostream &out,
                           const ObjectOptions &options = {});

/// The same, written to a stream that can seek (e.g. memory).
llvm::Error emitObjectFile(mlir::ModuleOp module, llvm::raw_pwrite_stream &out,
                           const ObjectOptions &options = {});

} // namespace vibee
