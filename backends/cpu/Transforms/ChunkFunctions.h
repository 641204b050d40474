//===- ChunkFunctions.h - one copy of a threaded loop body -----------------===//
//
// A threaded op runs either on the runtime's threads (scf.forall, each thread a
// range of one loop) or serially (the whole range). Both branches call one
// private function, `@<kernel>__chunk<N>(lo, hi, captured...)`, so the body is
// optimized and compiled once. The function is `no_inline` (LLVM would
// otherwise copy it back into both branches).
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_CHUNKFUNCTIONS_H
#define VIBEE_BACKENDS_CPU_CHUNKFUNCTIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace vibee {

/// A chunk function and the caller's values its calls pass after (lo, hi).
struct ChunkFunction {
  mlir::func::FuncOp func;
  llvm::SmallVector<mlir::Value> captured;
};

/// Creates the chunk function beside `parent`. `captured` are the caller's values
/// the body uses. Those computed without effects (constants, views, dims, index
/// arithmetic) are recomputed in the function from their operands, so that LLVM
/// still sees them; what remains (block arguments, allocations, call results)
/// become arguments, listed in ChunkFunction::captured. A memref argument gets
/// `llvm.noalias` when its root buffer, a kernel argument or an allocation, is no
/// other argument's. `build` fills the body for iterations [lo, hi), reading the
/// captured values through `mapping`. The allocations in `privatized` are made
/// (and freed) by each call instead of passed: one buffer per thread.
/// `symbols`, the module's table, makes naming the function O(1): without it
/// each name probe scans the module, quadratic over a pass that creates one
/// chunk function per statement or kernel.
ChunkFunction createChunkFunction(
    mlir::OpBuilder &b, mlir::func::FuncOp parent, llvm::ArrayRef<mlir::Value> captured,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Value lo, mlir::Value hi,
                            const mlir::IRMapping &mapping)>
        build,
    llvm::ArrayRef<mlir::Operation *> privatized = {}, mlir::SymbolTable *symbols = nullptr);

/// The values `ops` read from outside themselves: operands and values their
/// regions use from above, without duplicates, in order.
llvm::SmallVector<mlir::Value> capturedValues(llvm::ArrayRef<mlir::Operation *> ops);

/// A chunk function running `op` on iterations [lo, hi) of its loop `loop`
/// (TilingInterface::getTiledImplementation: subviews of the operands,
/// linalg.index shifted). `tiled` receives the op inside the function.
ChunkFunction createLoopChunkFunction(mlir::OpBuilder &b, mlir::linalg::LinalgOp op, unsigned loop,
                                      mlir::Operation **tiled = nullptr,
                                      mlir::SymbolTable *symbols = nullptr);

/// func.call of the chunk function on [lo, hi).
void callChunk(mlir::OpBuilder &b, mlir::Location loc, const ChunkFunction &chunk, mlir::Value lo,
               mlir::Value hi);

} // namespace vibee

#endif
