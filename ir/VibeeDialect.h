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
