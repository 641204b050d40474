// The vibee dialect: tensor index notation at the language's level.
#pragma once

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "ir/VibeeDialect.h.inc"
#include "ir/VibeeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "ir/VibeeAttrs.h.inc"

namespace vibee::attr {
// The names of the dialect's discardable attributes (VibeeDialect.td), for code
// that tests or copies them by name; typed access goes through the helpers
// (e.g. VibeeDialect::DimNamesAttrHelper(ctx).getAttr(op)).
inline constexpr llvm::StringLiteral kKernel = VibeeDialect::KernelAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kDimNames = VibeeDialect::DimNamesAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kArgDims = VibeeDialect::ArgDimsAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kDerivedDims =
    VibeeDialect::DerivedDimsAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kModes = VibeeDialect::ModesAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kMode = VibeeDialect::ModeAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kSpec = VibeeDialect::SpecAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kSchedule = VibeeDialect::ScheduleAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kPack = VibeeDialect::PackAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kIndependentRows =
    VibeeDialect::IndependentRowsAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kIndependentColumns =
    VibeeDialect::IndependentColumnsAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kThreadsInBranch =
    VibeeDialect::ThreadsInBranchAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kThreadContext =
    VibeeDialect::ThreadContextAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kF16 = VibeeDialect::F16AttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kCppArgs = VibeeDialect::CppArgsAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kCudaKernels =
    VibeeDialect::CudaKernelsAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kCudaCallArg =
    VibeeDialect::CudaCallArgAttrHelper::getNameStr();
inline constexpr llvm::StringLiteral kNoaliasPointers =
    VibeeDialect::NoaliasPointersAttrHelper::getNameStr();
} // namespace vibee::attr

namespace vibee {
/// The size of axis entry `d` of a kernel's vibee.arg_dims as an i64 value: a
/// literal (`d` = -1: `staticSize`), a symbolic dim (`dims[d]`, the i64 values of
/// vibee.dim_names in order) or a derived dim (`d` >= dims.size(), computed from
/// the others as vibee.derived_dims says). Used wherever the C ABI's pointers and
/// dims become memrefs (vibee-expose-c-abi, vibee-prepare-emitc).
mlir::Value argDimValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *kernel, int64_t d,
                        mlir::ValueRange dims, int64_t staticSize);
} // namespace vibee
