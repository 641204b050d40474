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
static LogicalResult verifySchedule(Operation *op, DictionaryAttr sched) {
  ArrayAttr dimNames = op->getAttrOfType<ArrayAttr>("dim_names");
  if (!dimNames)
    dimNames = op->getAttrOfType<ArrayAttr>(VibeeDialect::DimNamesAttrHelper::getNameStr());
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

namespace {
bool isArrayOf(Attribute value, llvm::function_ref<bool(Attribute)> element) {
  auto array = dyn_cast<ArrayAttr>(value);
  return array && llvm::all_of(array, element);
}
bool isString(Attribute a) { return isa<StringAttr>(a); }
bool isI64(Attribute a) {
  auto i = dyn_cast<IntegerAttr>(a);
  return i && i.getType().isInteger(64);
}
} // namespace

// Every `vibee.*` attribute is one of the declared ones (VibeeDialect.td), of its
// declared type and form.
LogicalResult VibeeDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  auto expect = [&](bool ok, StringRef form) -> LogicalResult {
    if (ok)
      return success();
    return op->emitOpError() << "'" << name << "' must be " << form;
  };
  if (name == KernelAttrHelper::getNameStr() || name == PackAttrHelper::getNameStr() ||
      name == F16AttrHelper::getNameStr() || name == IndependentRowsAttrHelper::getNameStr() ||
      name == IndependentColumnsAttrHelper::getNameStr() ||
      name == ThreadsInBranchAttrHelper::getNameStr() ||
      name == ThreadContextAttrHelper::getNameStr())
    return expect(isa<UnitAttr>(value), "a unit attribute");
  if (name == SpecAttrHelper::getNameStr())
    return expect(isa<StringAttr>(value), "a string");
  if (name == DimNamesAttrHelper::getNameStr() || name == CudaKernelsAttrHelper::getNameStr())
    return expect(isArrayOf(value, isString), "an array of strings");
  if (name == ArgDimsAttrHelper::getNameStr())
    return expect(isArrayOf(value, [](Attribute axes) { return isArrayOf(axes, isI64); }),
                  "an array of arrays of i64 dim indices");
  if (name == DerivedDimsAttrHelper::getNameStr())
    return expect(isArrayOf(value, [](Attribute terms) { return isArrayOf(terms, isI64); }),
                  "an array of arrays of i64 (a constant, then one coefficient per dim name)");
  if (name == ModesAttrHelper::getNameStr())
    return expect(isArrayOf(value,
                            [](Attribute a) {
                              auto s = dyn_cast<StringAttr>(a);
                              return s && symbolizeParamMode(s.getValue()).has_value();
                            }),
                  "an array of parameter modes (\"in\", \"inout\")");
  if (name == CppArgsAttrHelper::getNameStr())
    return expect(isArrayOf(value, isI64), "an array of i64 ABI positions");
  if (name == CudaCallArgAttrHelper::getNameStr())
    return expect(isI64(value), "an i64");
  if (name == NoaliasPointersAttrHelper::getNameStr())
    return expect(isa<DenseI64ArrayAttr>(value), "an array<i64> of argument positions");
  if (name == ScheduleAttrHelper::getNameStr()) {
    auto sched = dyn_cast<DictionaryAttr>(value);
    if (!sched)
      return op->emitOpError() << "'" << name << "' must be a dictionary";
    return verifySchedule(op, sched);
  }
  // vibee.mode is an argument attribute (checked by vibee.kernel's verifier).
  return op->emitOpError() << "unknown vibee attribute '" << name << "'";
}

Value vibee::argDimValue(OpBuilder &b, Location loc, Operation *kernel, int64_t d, ValueRange dims,
                         int64_t staticSize) {
  Type i64 = b.getI64Type();
  if (d < 0)
    return arith::ConstantIntOp::create(b, loc, i64, staticSize);
  if (d < (int64_t)dims.size())
    return dims[d];
  auto derived = kernel->getAttrOfType<ArrayAttr>(attr::kDerivedDims);
  // The verifier of vibee.kernel checked the index; a func.func carries the attribute
  // its kernel had (vibee-lower-to-linalg).
  auto terms = cast<ArrayAttr>(derived[d - dims.size()]);
  Value value = arith::ConstantIntOp::create(b, loc, i64, cast<IntegerAttr>(terms[0]).getInt());
  for (auto [i, dim] : llvm::enumerate(dims)) {
    int64_t c = cast<IntegerAttr>(terms[i + 1]).getInt();
    if (c == 0)
      continue;
    Value coeff = arith::ConstantIntOp::create(b, loc, i64, c);
    value = arith::AddIOp::create(b, loc, value, arith::MulIOp::create(b, loc, coeff, dim));
  }
  return value;
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
