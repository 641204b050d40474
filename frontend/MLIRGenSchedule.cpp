// A kernel's checked schedule hints as its `vibee.schedule` attribute
// (docs/language.md, "Schedule hints"; ir/VibeeDialect.cpp verifies the form).
#include "frontend/MLIRGenScalar.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace vibee::mlirgen {

DictionaryAttr scheduleAttr(Builder &b, const ast::Kernel &kernel, const ast::Schedule &sched) {
  SmallVector<NamedAttribute> entries;
  if (!sched.tiles.empty()) {
    SmallVector<NamedAttribute> tiles;
    for (auto [dim, size] : sched.tiles)
      tiles.push_back(b.getNamedAttr(kernel.dims[dim].name, b.getI64IntegerAttr(size)));
    entries.push_back(b.getNamedAttr("tile", b.getDictionaryAttr(tiles)));
  }
  if (sched.vectorWidth)
    entries.push_back(b.getNamedAttr("vector", b.getI64IntegerAttr(*sched.vectorWidth)));
  if (sched.parallelDims) {
    SmallVector<Attribute> dims;
    for (int dim : *sched.parallelDims)
      dims.push_back(b.getStringAttr(kernel.dims[dim].name));
    entries.push_back(b.getNamedAttr("parallel", b.getArrayAttr(dims)));
  }
  if (sched.threads)
    entries.push_back(b.getNamedAttr("threads", b.getI64IntegerAttr(*sched.threads)));
  return b.getDictionaryAttr(entries);
}

} // namespace vibee::mlirgen
