//===- CpuMicroKernelLowering.h - the f32 micro-kernel's vector lowering ---===//
//
// vibee-cpu-tile-matmul builds the f32 register micro-kernel as a vectorized
// MR x NR x 1 linalg step inside the k loop; this lowers it, one function at a
// time, to what the CPU runs: vector.contract per accumulator row (unrolled to
// rows of the vector width), the accumulator rows hoisted into loop-carried
// registers across k, then broadcast + FMA outer products and 1-D transfers.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_CPUMICROKERNELLOWERING_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_CPUMICROKERNELLOWERING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace vibee {

/// Lowers the micro-kernels of `func` whose rows are `width` wide; `steps`
/// (0-5, the pass's lower-steps debug option) stops after that many stages:
/// 1 contractions, 2 unrolled rows, 3 accumulators in registers, 4 outer
/// products, 5 1-D transfers.
mlir::LogicalResult lowerMicroKernels(mlir::func::FuncOp func, int64_t width, int steps);

} // namespace vibee

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_CPUMICROKERNELLOWERING_H
