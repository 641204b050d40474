//===- ThreadRuntime.h - threaded calls of a chunk function ----------------===//
//
// How the CPU passes run a body on the runtime's threads. The body exists once,
// as a chunk function (ChunkFunctions.h); a threaded op becomes one call
//
//   vibee_cpu_parallel_for(@<chunk>_entry, &context, work, extent, chunk,
//                          max_threads, balanced)
//
// where the context record holds the chunk function's captured values and
// `@<chunk>_entry(lo, hi, context)` loads them and calls the chunk function. The
// runtime (backends/cpu/CpuRuntime.c) picks the thread count (all cores, or 1 when
// the work is small, when another kernel call holds the threads or inside an
// OpenMP region), splits [0, extent) and runs the ranges on an OpenMP team. It
// is referenced extern_weak: an AOT object linked on its own calls the chunk
// function once, on the whole range.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_THREADRUNTIME_H
#define VIBEE_BACKENDS_CPU_THREADRUNTIME_H

#include "backends/cpu/Transforms/ChunkFunctions.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace vibee {

/// Which grants of the runtime a split takes. `Any`: every grant of more than one
/// thread. `Balanced`: only one whose threads get equal shares within 25 % (items
/// of equal cost, `extent` of them: a batch of matmuls); another grant is handed
/// back at once and the chunk runs serially, so that the threaded ops inside it
/// (each matmul's N panels) take the threads instead.
enum class ThreadAdmission { Any, Balanced };

/// The iteration count of loops of `sizes` (their product): the work the runtime
/// weighs when it picks the thread count.
mlir::Value emitIterationCount(mlir::OpBuilder &b, mlir::Location loc,
                               llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// Calls `chunk` on [0, extent) of its loop: once per thread, on a range of
/// whole `chunkSize`-long chunks (the last one shorter; without `chunkSize`,
/// equal ranges) when the runtime grants more than one thread for `work`
/// iterations, else once on the whole range. `maxThreads` (a threads(n) schedule hint) caps the
/// thread count. The call is built at `b`'s insertion point; `symbols`, the module's table, names
/// the chunk's entry function in O(1) (ChunkFunctions.h).
void emitChunkCalls(mlir::OpBuilder &b, mlir::Location loc, mlir::Value work,
                    std::optional<int64_t> maxThreads, const ChunkFunction &chunk,
                    mlir::Value extent, std::optional<int64_t> chunkSize,
                    mlir::SymbolTable *symbols = nullptr,
                    ThreadAdmission admission = ThreadAdmission::Any);

/// Replaces the linalg op `op` by a chunk function on ranges of its loop
/// `loop` (createLoopChunkFunction: one copy of the op) and its threaded
/// calls, the op's iteration count the work; `chunkSize` as for
/// emitChunkCalls.
void emitOpOverThreads(mlir::RewriterBase &rw, mlir::linalg::LinalgOp op, unsigned loop,
                       std::optional<int64_t> maxThreads, std::optional<int64_t> chunkSize,
                       mlir::SymbolTable *symbols = nullptr);

/// Replaces `loop` (from 0, step 1, no results) by a chunk function on ranges of
/// its iterations, each in order, and its threaded calls: one range per thread
/// when the runtime grants threads for `work`, else the whole loop. `rw` is left
/// where the loop was.
void emitLoopOverThreads(mlir::RewriterBase &rw, mlir::scf::ForOp loop, mlir::Value work,
                         std::optional<int64_t> maxThreads, ThreadAdmission admission,
                         mlir::SymbolTable *symbols = nullptr);

} // namespace vibee

#endif
