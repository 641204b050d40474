//===- ZeroInit.h - a contraction's result that starts from zero -----------===//
//
// A kernel's `y[...] = sum(k) ...` fills y with zero and then accumulates into
// it. On a large y with a short sum (attention scores: K = 64) that fill is a
// pass of its own over memory. The CPU contraction passes move it instead:
// vibee-cpu-pack-contractions puts the fill right before each matmul generic, on
// that generic's own C, and vibee-cpu-tile-matmul absorbs a fill found there
// (the register tiles of the first K block start from zero, the edge strips
// and the small-size branch are filled on their own).
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_ZEROINIT_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_ZEROINIT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace vibee {

/// The linalg.fill of +0 (or integer 0) into exactly `c` right before `op`, or
/// null; null too when another operand of `op` views the same buffer as `c`.
mlir::linalg::FillOp zeroFillBefore(mlir::Operation *op, mlir::Value c);

/// linalg.fill of +0 (integer 0) into the memref `c`, at `b`'s insertion point.
void emitZeroFill(mlir::OpBuilder &b, mlir::Location loc, mlir::Value c);

} // namespace vibee

#endif
