// The scalar code MLIRGen emits inside `vibee.compute` bodies: conversions between
// dtypes, constants, integer division and the math builtins, each with the semantics
// of docs/language.md ("Integer division and conversions").
#pragma once

#include "frontend/AST.h"

#include "mlir/IR/Builders.h"

namespace vibee::mlirgen {

// C-like conversion (truncation toward zero, integers widened by their signedness,
// bool = value != 0), except that float -> int saturates and maps NaN to 0.
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, ast::DType from,
                          ast::DType to);
mlir::Value constantOf(mlir::OpBuilder &b, mlir::Location loc, ast::DType dtype, double value);
// An integer or bool constant from its exact value (a double rounds above 2^53).
mlir::Value intConstantOf(mlir::OpBuilder &b, mlir::Location loc, ast::DType dtype, int64_t value);
// The values of constantOf and intConstantOf (a constant table's elements).
mlir::TypedAttr constantAttrOf(mlir::Builder &b, ast::DType dtype, double value);
mlir::TypedAttr intConstantAttrOf(mlir::Builder &b, ast::DType dtype, int64_t value);
// Integer `/` (isDiv) or `%` of x and y in `type`, with the defined edge cases.
mlir::Value emitIntDivRem(mlir::OpBuilder &b, bool isDiv, mlir::Value x, mlir::Value y,
                          ast::DType type, mlir::Location loc);
// A binary operator `op` (arithmetic, bitwise, shifts, division, comparisons,
// && ||) of x and y, both already in `type`; null for an unknown operator.
mlir::Value emitBinaryOp(mlir::OpBuilder &b, llvm::StringRef op, ast::DType type, mlir::Value x,
                         mlir::Value y, mlir::Location loc);
// A comparison `op` (< <= > >= == !=) of x and y in `type`, or null for another
// operator. Floats use ordered predicates (false on NaN) except `!=`; unsigned dtypes
// the unsigned ones.
mlir::Value emitComparison(mlir::OpBuilder &b, llvm::StringRef op, ast::DType type, mlir::Value x,
                           mlir::Value y, mlir::Location loc);
// `x << count` (left) or `x >> count` (arithmetic; logical for unsigned dtypes) in
// `type`, defined for every count.
mlir::Value emitShift(mlir::OpBuilder &b, bool left, mlir::Value x, mlir::Value count,
                      ast::DType type, mlir::Location loc);
// uniform / normal (Philox 4x32-10) of a seed and 1-4 counters, all i64; f32.
mlir::Value emitRandom(mlir::OpBuilder &b, ast::Builtin fn, mlir::ArrayRef<mlir::Value> v,
                       mlir::Location loc);
// A math builtin (not where or a cast) on operands already converted to `type`.
mlir::Value emitMath(mlir::OpBuilder &b, ast::Builtin fn, ast::DType type,
                     mlir::ArrayRef<mlir::Value> v, mlir::Location loc);

// The dtype a scan statement's running value has: its own, or f32 for f16/bf16
// (MLIRGenScan.cpp).
ast::DType scanAccumulatorType(const ast::Statement &stmt);
// The `vibee.scan` of a scan statement over its element tensors (acc-typed; a
// recurrence's A then B), its initial value (or null) and its destination.
mlir::Value buildScanOp(mlir::OpBuilder &b, mlir::Location loc, const ast::Statement &stmt,
                        ast::DType acc, mlir::ArrayRef<mlir::Value> inputs, mlir::Value init,
                        mlir::Value dest);

// An arg reduction's index candidate (MLIRGenArgReduce.cpp): loop `axis` as `target`
// where `element` equals `extremum` or is a NaN, else target's largest value.
mlir::Value argIndexOrNone(mlir::OpBuilder &b, mlir::Location loc, mlir::Value element,
                           mlir::Value extremum, int axis, ast::DType target);

// A top-k (MLIRGenTopK.cpp): the type of its elements, [outer..., 1, n] for values
// [outer..., k] and the reduction's dim n; its `vibee.topk` of `elements` into new
// destinations (`dimValues`: the size of every kernel dim).
mlir::RankedTensorType topKElementType(mlir::RankedTensorType values, const ast::Dim &n);
std::pair<mlir::Value, mlir::Value> buildTopKOp(mlir::OpBuilder &b, mlir::Location loc,
                                                const ast::Statement &stmt, mlir::Value elements,
                                                mlir::RankedTensorType values,
                                                mlir::RankedTensorType indices,
                                                mlir::ArrayRef<mlir::Value> dimValues);

// A scatter-add (MLIRGenScatter.cpp): the type of its updates (the statement's
// loops, the target's dtype); its `vibee.scatter_add` into `dest` (`params`: the
// kernel's parameter values, which hold the gathers' index tensors).
mlir::RankedTensorType scatterUpdateType(mlir::MLIRContext &ctx, const ast::Kernel &kernel,
                                         const ast::Statement &stmt);
mlir::Value buildScatterAdd(mlir::OpBuilder &b, mlir::Location loc, const ast::Statement &stmt,
                            mlir::Value updates, mlir::Value dest,
                            mlir::ArrayRef<mlir::Value> params);

// Unsigned order on the dialect's signed max/min, arg reductions, scans and top-k
// (MLIRGenUnsigned.cpp): x ^ 2^(w-1), which maps unsigned values onto signed ones in
// the same order; and that xor of every element of a tensor, as a vibee.compute.
mlir::Value flipSignBit(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
mlir::Value flipSignBits(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor);
// A tensor of unsigned scatter ids as i64 (zero-extended; u64 as it is, whose values
// above 2^63 - 1 read negative: outside every axis, as vibee.scatter_add skips them).
mlir::Value unsignedIndicesAsI64(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor);

// The kernel's checked schedule hints as `vibee.schedule` (MLIRGenSchedule.cpp).
mlir::DictionaryAttr scheduleAttr(mlir::Builder &b, const ast::Kernel &kernel,
                                  const ast::Schedule &sched);

} // namespace vibee::mlirgen
