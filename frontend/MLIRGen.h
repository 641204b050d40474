// MLIR generation: a checked AST -> a module of `vibee.kernel` ops, one
// `vibee.compute` per statement. The module carries `vibee.spec = "<name>"`.
#pragma once

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
class MLIRContext;
class Type;
} // namespace mlir

namespace vibee {

// Registers the dialects the generated IR uses (vibee, arith, math, tensor).
void loadFrontendDialects(mlir::MLIRContext &context);

// `spec` must have passed analyzeSpec. Returns null (after emitting an MLIR
// diagnostic) only for constructs the lowering does not support yet. `kernels`
// selects the kernels the module holds (a spec compiled in groups on threads:
// runtime/KernelGroups.h).
mlir::OwningOpRef<mlir::ModuleOp> generateMLIR(mlir::MLIRContext &context, const ast::Spec &spec,
                                               ast::KernelRange kernels = {});

mlir::Type toMLIRType(mlir::MLIRContext &context, ast::DType dtype);

} // namespace vibee
