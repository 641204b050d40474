// Affine subscripts and body reads in MLIRGen (docs/language.md, "Affine
// subscripts"). A read whose subscripts are affine in the loop indices alone is an
// input of its `vibee.compute` with an affine access map (the fast path: linalg
// sees the map, vectorizers see strides). A read with a symbolic dim in a subscript
// (linalg's indexing maps take no symbols) or a clamped read under `where` is a
// `tensor.extract` in the body (a remark under --verbose says which and why).
#pragma once

#include "frontend/AST.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Builders.h"

namespace vibee::mlirgen {

// True when `e` (an Access) must be read in the body instead of through a map.
bool needsBodyRead(const ast::Expr &e);

// The access map's result for subscript `s` (a loop index, a literal, or an affine
// form over loop indices only).
mlir::AffineExpr subscriptExpr(const ast::Subscript &s, mlir::MLIRContext &ctx);

// Subscript `s` as an `index` value inside a compute body; clamped into
// [0, axisSize - 1] when `axisSize` is given. `dimValues`: the kernel dims as index.
mlir::Value subscriptValue(mlir::OpBuilder &b, mlir::Location loc, const ast::Subscript &s,
                           mlir::ArrayRef<mlir::Value> dimValues, mlir::Value axisSize);

// An element of constant tensor `e.ref` (docs/language.md, "Constant tensors") as
// scalar code in a compute body, converted to `e.type`. `codes`: per subscript, the
// value (i64) of a code subscript (`nf4[w[n, k] & 15]`), null for the others.
mlir::Value constAccess(mlir::OpBuilder &b, mlir::Location loc, const ast::Spec &spec,
                        const ast::Expr &e, mlir::ArrayRef<mlir::Value> dimValues,
                        mlir::ArrayRef<mlir::Value> codes);

// Result dims written as expressions (docs/language.md, "Dims as expressions"): the
// vibee.derived_dims entries of `kernel` (a constant, then one coefficient per dim
// name), numbering each derived dim in `symbolicIndex` after the `numNames` named
// ones; and every dim's `index` value (literal, from its parameter's tensor.dim,
// or derived from those).
llvm::SmallVector<mlir::Attribute> derivedDimsAttr(mlir::OpBuilder &b, const ast::Kernel &kernel,
                                                   std::vector<int> &symbolicIndex,
                                                   size_t numNames);
llvm::SmallVector<mlir::Value> kernelDimValues(mlir::OpBuilder &b, mlir::Location loc,
                                               const ast::Kernel &kernel,
                                               mlir::ArrayRef<mlir::Value> params);

} // namespace vibee::mlirgen
