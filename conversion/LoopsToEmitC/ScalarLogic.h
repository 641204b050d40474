// Steps of vibee-prepare-emitc (PrepareEmitC.cpp) that rewrite scalar ops
// convert-to-emitc lacks or writes in a form a C++ compiler optimizes badly:
// integer min/max, float comparisons, bool logic, nsw index arithmetic.
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace vibee {

/// arith.maxsi & co. as a comparison and a select (a ternary in C++).
void expandIntegerMinMax(mlir::func::FuncOp func);

/// Float comparisons as one C comparison each (negated for the unordered ones).
void rewriteFloatComparisons(mlir::func::FuncOp func);

/// i1 and/or/xor as && / || / !=.
void rewriteBoolLogic(mlir::func::FuncOp func);

/// i32/i64 add, sub and mul marked nsw as C's signed arithmetic.
void rewriteSignedNoWrapArithmetic(mlir::func::FuncOp func);

} // namespace vibee
