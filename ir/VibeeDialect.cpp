#include "ir/VibeeDialect.h"
#include "ir/VibeeOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace vibee;

#include "ir/VibeeDialect.cpp.inc"
#include "ir/VibeeEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "ir/VibeeAttrs.cpp.inc"

void VibeeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/VibeeOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "ir/VibeeAttrs.cpp.inc"
      >();
}
