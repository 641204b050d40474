//===- LoopPreparation.h - linalg rewrites that make host loops fast ------===//
//
// Shared by the two host-CPU backends, which reach loops differently: the CPU
// pipeline (vibee-cpu-prepare-vectorization, then its own vectorizer and LLVM's)
// and the C++ output (vibee-cpp-prepare-loops, then the user's C++ compiler).
// Both apply to bufferized or tensor linalg alike.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace vibee {

/// Rewrites the math functions under `root` that have an accurate polynomial
/// approximation in MLIR (exp, log, tanh, erf, ...; not sin and cos) into plain
/// arith, which vectorizes where a libm call stays scalar.
mlir::LogicalResult approximateMathFunctions(mlir::Operation *root);

/// Moves the reduction loops of every linalg.generic under `root` outside its
/// last parallel loop when the innermost reduction walks an operand at a stride
/// (matmul becomes i-k-j, a column sum walks rows outside): the innermost loop
/// then walks the output at unit stride.
void interchangeReductionsOutward(mlir::Operation *root);

} // namespace vibee
