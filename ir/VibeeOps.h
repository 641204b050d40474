// Operations of the vibee dialect (see VibeeOps.td).
#pragma once

#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

// Interface methods declared by linalg's ODS name these unqualified.
namespace vibee {
using mlir::FailureOr;
using mlir::OpBuilder;
using mlir::SmallVector;
using mlir::Value;

/// The memory effects of a destination-style op on memrefs (after
/// bufferization): it reads every memref operand and writes `dest`. Nothing on
/// tensors.
void getDestinationStyleEffects(
    mlir::Operation *op, mlir::OpOperand &dest,
    llvm::SmallVectorImpl<mlir::SideEffects::EffectInstance<mlir::MemoryEffects::Effect>> &effects);
} // namespace vibee

#define GET_OP_CLASSES
#include "ir/VibeeOps.h.inc"
