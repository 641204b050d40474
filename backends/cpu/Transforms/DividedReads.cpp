//===- DividedReads.cpp - reads through `k floordiv c` in vector tiles ----===//
//
// See DividedReads.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/DividedReads.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace vibee {

std::optional<int64_t> dividedReadDivisor(AffineMap map, unsigned inner) {
  if (map.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineBinaryOpExpr>(map.getResults().back());
  if (!last || last.getKind() != AffineExprKind::FloorDiv)
    return std::nullopt;
  auto dim = dyn_cast<AffineDimExpr>(last.getLHS());
  auto divisor = dyn_cast<AffineConstantExpr>(last.getRHS());
  if (!dim || dim.getPosition() != inner || !divisor || divisor.getValue() <= 1)
    return std::nullopt;
  AffineMap rest = map.dropResult(map.getNumResults() - 1);
  if (!rest.isProjectedPermutation() || rest.isFunctionOfDim(inner))
    return std::nullopt;
  return divisor.getValue();
}

namespace {

bool unitInnerStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) && !strides.empty() &&
         strides.back() == 1;
}

/// The block (function entry) where a tile's scratch buffer lives: an alloca in
/// a loop would grow the stack on every iteration.
Block &entryBlock(Operation *op) {
  return op->getParentOfType<FunctionOpInterface>().getFunctionBody().front();
}

} // namespace

bool dividedReadsFit(linalg::GenericOp op, int64_t width) {
  if (width <= 0)
    return false;
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isProjectedPermutation())
      continue;
    auto type = dyn_cast<MemRefType>(input->get().getType());
    std::optional<int64_t> divisor = dividedReadDivisor(map, inner);
    if (!type || !divisor)
      return false;
    bool uniform = *divisor % width == 0;
    bool replicated = width % *divisor == 0 && unitInnerStride(type);
    if (!uniform && !replicated)
      return false;
  }
  // The combiners linalg::vectorize knows (its own precondition wants projected
  // maps, so it cannot be asked before the rewrite).
  if (op.getNumReductionLoops() == 0)
    return true;
  for (unsigned i = 0; i < op.getNumDpsInits(); ++i) {
    SmallVector<Operation *> combiners;
    if (!matchReduction(op.getRegionOutputArgs(), i, combiners) || combiners.size() != 1 ||
        !linalg::getCombinerOpKind(combiners.front()))
      return false;
  }
  return true;
}

void materializeDividedReads(RewriterBase &rw, linalg::GenericOp tile, int64_t width) {
  unsigned inner = tile.getNumLoops() - 1;
  SmallVector<AffineMap> maps = tile.getIndexingMapsArray();
  SmallVector<std::pair<OpOperand *, Value>> replaced;
  Location loc = tile.getLoc();
  for (OpOperand *input : tile.getDpsInputOperands()) {
    unsigned number = input->getOperandNumber();
    std::optional<int64_t> divisor = dividedReadDivisor(maps[number], inner);
    if (!divisor)
      continue;
    Value value = input->get();
    auto type = cast<MemRefType>(value.getType());
    int64_t rank = type.getRank();
    rw.setInsertionPoint(tile);
    if (*divisor % width == 0) {
      // One element for the whole tile: a view without the divided dim.
      SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)), strides(rank, rw.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes;
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d + 1 < rank; ++d) {
        sizes.push_back(memref::getMixedSize(rw, loc, value, d));
        shape.push_back(type.getDimSize(d));
      }
      sizes.push_back(rw.getIndexAttr(1));
      auto reduced = cast<MemRefType>(
          memref::SubViewOp::inferRankReducedResultType(shape, type, offsets, sizes, strides));
      replaced.push_back(
          {input, memref::SubViewOp::create(rw, loc, reduced, value, offsets, sizes, strides)});
      maps[number] = maps[number].dropResult(maps[number].getNumResults() - 1);
      continue;
    }
    // width / divisor elements, each repeated divisor times in lane order.
    Type element = type.getElementType();
    Value zero = arith::ConstantIndexOp::create(rw, loc, 0);
    SmallVector<Value> origin(rank, zero);
    Value packed = vector::LoadOp::create(
        rw, loc, VectorType::get({width / *divisor}, element), value, origin);
    SmallVector<int64_t> lanes;
    for (int64_t lane = 0; lane < width; ++lane)
      lanes.push_back(lane / *divisor);
    Value spread = vector::ShuffleOp::create(rw, loc, packed, packed, lanes);
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(&entryBlock(tile));
    Value scratch = memref::AllocaOp::create(rw, loc, MemRefType::get({width}, element));
    rw.setInsertionPoint(tile);
    vector::StoreOp::create(rw, loc, spread, scratch, ValueRange{zero});
    replaced.push_back({input, scratch});
    maps[number] = AffineMap::get(maps[number].getNumDims(), 0,
                                  {rw.getAffineDimExpr(inner)}, rw.getContext());
  }
  if (replaced.empty())
    return;
  rw.modifyOpInPlace(tile, [&] {
    for (auto [operand, value] : replaced)
      operand->set(value);
    tile.setIndexingMapsAttr(rw.getAffineMapArrayAttr(maps));
  });
}

} // namespace vibee
