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

// vibee.schedule = {tile = {M = 64 : i64, ...}, vector = 16 : i64,
//                   parallel = ["N", ...], threads = 2 : i64}, every key optional.
// Names must be symbolic dims of the op (its dim_names / vibee.dim_names) when it
// has them.
LogicalResult VibeeDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() != kScheduleAttrName)
    return success();
  auto sched = dyn_cast<DictionaryAttr>(attr.getValue());
  if (!sched)
    return op->emitOpError() << "'" << kScheduleAttrName << "' must be a dictionary";
  ArrayAttr dimNames = op->getAttrOfType<ArrayAttr>("dim_names");
  if (!dimNames)
    dimNames = op->getAttrOfType<ArrayAttr>("vibee.dim_names");
  auto checkName = [&](StringRef name) -> LogicalResult {
    if (!dimNames || llvm::any_of(dimNames, [&](Attribute a) {
          auto s = dyn_cast<StringAttr>(a);
          return s && s.getValue() == name;
        }))
      return success();
    return op->emitOpError() << "schedule names '" << name << "', not a size symbol";
  };
  auto positive = [](Attribute a) {
    auto i = dyn_cast<IntegerAttr>(a);
    return i && i.getType().isInteger(64) && i.getInt() > 0;
  };
  for (NamedAttribute entry : sched) {
    StringRef key = entry.getName().getValue();
    Attribute value = entry.getValue();
    if (key == "tile") {
      auto tiles = dyn_cast<DictionaryAttr>(value);
      if (!tiles)
        return op->emitOpError("schedule 'tile' must be a dictionary of sizes");
      for (NamedAttribute t : tiles) {
        if (!positive(t.getValue()))
          return op->emitOpError() << "schedule tile size of '" << t.getName().getValue()
                                   << "' must be a positive i64";
        if (failed(checkName(t.getName().getValue())))
          return failure();
      }
    } else if (key == "vector") {
      auto w = dyn_cast<IntegerAttr>(value);
      if (!positive(value) || w.getInt() > 64 || !llvm::isPowerOf2_64(w.getInt()))
        return op->emitOpError("schedule 'vector' must be a power of two from 1 to 64");
    } else if (key == "parallel") {
      auto dims = dyn_cast<ArrayAttr>(value);
      if (!dims)
        return op->emitOpError("schedule 'parallel' must be an array of size symbols");
      for (Attribute d : dims) {
        auto name = dyn_cast<StringAttr>(d);
        if (!name)
          return op->emitOpError("schedule 'parallel' must be an array of size symbols");
        if (failed(checkName(name.getValue())))
          return failure();
      }
    } else if (key == "threads") {
      if (!positive(value))
        return op->emitOpError("schedule 'threads' must be a positive i64");
    } else {
      return op->emitOpError() << "unknown schedule entry '" << key << "'";
    }
  }
  return success();
}

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
