//===- ScheduleHints.cpp - vibee.schedule for the CPU passes ---------------===//
#include "backends/cpu/Transforms/ScheduleHints.h"

#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace vibee {

ScheduleHints ScheduleHints::of(Operation *op) {
  ScheduleHints hints;
  auto func = isa<func::FuncOp>(op) ? cast<func::FuncOp>(op) : op->getParentOfType<func::FuncOp>();
  if (!func)
    return hints;
  // The dialect verified the form (ir/VibeeDialect.cpp); read defensively anyway.
  auto sched = func->getAttrOfType<DictionaryAttr>(vibee::attr::kSchedule);
  if (!sched)
    return hints;
  if (auto tiles = sched.getAs<DictionaryAttr>("tile"))
    for (NamedAttribute t : tiles)
      if (auto size = dyn_cast<IntegerAttr>(t.getValue()))
        hints.tiles[t.getName().getValue()] = size.getInt();
  if (auto w = sched.getAs<IntegerAttr>("vector"))
    hints.vectorWidth = w.getInt();
  if (auto dims = sched.getAs<ArrayAttr>("parallel")) {
    hints.parallel.emplace();
    for (Attribute d : dims)
      if (auto name = dyn_cast<StringAttr>(d))
        hints.parallel->push_back(name.str());
  }
  if (auto n = sched.getAs<IntegerAttr>("threads"))
    hints.threads = n.getInt();
  return hints;
}

bool ScheduleHints::allowsThreads() const {
  return !(parallel && parallel->empty()) && !(threads && *threads <= 1);
}

bool ScheduleHints::allowsParallel(std::optional<StringRef> symbol) const {
  if (!allowsThreads())
    return false;
  if (!parallel)
    return true;
  return symbol && llvm::is_contained(*parallel, *symbol);
}

std::optional<int64_t> ScheduleHints::tile(std::optional<StringRef> symbol) const {
  if (!symbol)
    return std::nullopt;
  auto it = tiles.find(*symbol);
  if (it == tiles.end())
    return std::nullopt;
  return it->second;
}

static std::optional<std::string> symbolOfDim(Value memref, int64_t dim, func::FuncOp func,
                                              int depth);

// A size value: memref.dim of a memref at a constant axis.
static std::optional<std::string> symbolOfSize(Value size, func::FuncOp func, int depth) {
  auto dimOp = size.getDefiningOp<memref::DimOp>();
  if (!dimOp)
    return std::nullopt;
  std::optional<int64_t> axis = getConstantIntValue(dimOp.getDimension());
  if (!axis)
    return std::nullopt;
  return symbolOfDim(dimOp.getSource(), *axis, func, depth + 1);
}

static std::optional<std::string> symbolOfDim(Value memref, int64_t dim, func::FuncOp func,
                                              int depth) {
  if (depth > 8)
    return std::nullopt;
  if (auto arg = dyn_cast<BlockArgument>(memref)) {
    if (arg.getOwner() != &func.getBody().front())
      return std::nullopt;
    auto names = func->getAttrOfType<ArrayAttr>(vibee::attr::kDimNames);
    auto argDims = func->getAttrOfType<ArrayAttr>(vibee::attr::kArgDims);
    if (!names || !argDims || arg.getArgNumber() >= argDims.size())
      return std::nullopt;
    auto axes = dyn_cast<ArrayAttr>(argDims[arg.getArgNumber()]);
    if (!axes || dim >= (int64_t)axes.size())
      return std::nullopt;
    auto index = dyn_cast<IntegerAttr>(axes[dim]);
    if (!index || index.getInt() < 0 || index.getInt() >= (int64_t)names.size())
      return std::nullopt;
    auto name = dyn_cast<StringAttr>(names[index.getInt()]);
    return name ? std::optional<std::string>(name.str()) : std::nullopt;
  }
  Operation *def = memref.getDefiningOp();
  if (auto cast = dyn_cast_or_null<memref::CastOp>(def))
    return symbolOfDim(cast.getSource(), dim, func, depth + 1);
  // A part of an axis (the matmul's edge strips) is still that axis.
  if (auto view = dyn_cast_or_null<memref::SubViewOp>(def);
      view && view.getSourceType().getRank() == view.getType().getRank())
    return symbolOfDim(view.getSource(), dim, func, depth + 1);
  if (auto alloc = dyn_cast_or_null<memref::AllocOp>(def)) {
    MemRefType type = alloc.getType();
    if (dim >= type.getRank() || !type.isDynamicDim(dim))
      return std::nullopt;
    return symbolOfSize(alloc.getDynamicSizes()[type.getDynamicDimIndex(dim)], func, depth);
  }
  return std::nullopt;
}

std::optional<std::string> loopSymbol(linalg::LinalgOp op, unsigned loop) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [axis, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || d.getPosition() != loop)
        continue;
      if (auto symbol = symbolOfDim(operand.get(), axis, func, 0))
        return symbol;
    }
  }
  return std::nullopt;
}

} // namespace vibee
