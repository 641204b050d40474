//===- ReductionPartials.h - vector partial sums carried by a loop --------===//
//
// vibee-cpu-vectorize's reductions along the innermost loop: each tile of W
// lanes reduces into the accumulator, which would read and write C every
// step. carryPartials keeps W lanes of partial results in registers across
// the tile loop instead, and reduces them into C once after it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {

/// In a loop over reduction tiles: acc = read C; r = multi_reduction(v, acc);
/// write r, C (C at loop-invariant indices) -> vector partials carried by the
/// loop, combined elementwise, and one multi_reduction into C after it.
void carryPartials(mlir::RewriterBase &rw, mlir::scf::ForOp loop);

} // namespace vibee
