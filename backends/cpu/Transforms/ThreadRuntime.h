//===- ThreadRuntime.h - threaded calls of a chunk function ----------------===//
//
// How the CPU passes run a body on the runtime's threads. The body exists once,
// as a chunk function (ChunkFunctions.h); its calls are in a dispatch function,
// @<chunk>_threads(work, extent, captured...), that the kernel calls:
//
//   nt = vibee_cpu_parallel_enter(work)          (1 when the runtime is absent)
//   if (nt > 1) {
//     forall over the chunks (or one range per thread): chunk(lo, hi)
//     vibee_cpu_parallel_exit(nt)
//   } else {
//     chunk(0, extent)
//   }
//
// The runtime (backends/cpu/CpuRuntime.c) picks nt: all cores, or 1 when the
// work is small, when another kernel call holds the threads or inside an OpenMP
// region. Its functions are referenced extern_weak: an AOT object linked on its
// own runs serially. The foralls become OpenMP (scf-forall-to-parallel,
// convert-scf-to-openmp) in the CPU pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_THREADRUNTIME_H
#define VIBEE_BACKENDS_CPU_THREADRUNTIME_H

#include "backends/cpu/Transforms/ChunkFunctions.h"

#include <optional>

namespace vibee {

/// The iteration count of loops of `sizes` (their product): the work the runtime
/// weighs when it picks the thread count.
mlir::Value emitIterationCount(mlir::OpBuilder &b, mlir::Location loc,
                               llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// Calls `chunk` on [0, extent) of its loop: from a forall over `chunkSize`-long
/// chunks (or, without `chunkSize`, over one range per thread) when the runtime
/// grants more than one thread for `work` iterations, else once on the whole
/// range. `maxThreads` (a threads(n) schedule hint) caps the thread count.
/// The dispatch is a function of its own, `@<chunk>_threads(work, extent,
/// captured...)` (internal, noinline), that the caller calls at `b`'s insertion
/// point. `symbols`, the module's table, names it in O(1) (ChunkFunctions.h).
void emitChunkCalls(mlir::OpBuilder &b, mlir::Location loc, mlir::Value work,
                    std::optional<int64_t> maxThreads, const ChunkFunction &chunk,
                    mlir::Value extent, std::optional<int64_t> chunkSize,
                    mlir::SymbolTable *symbols = nullptr);

} // namespace vibee

#endif
