//===- DividedReads.cpp - reads through `k floordiv c` in vector tiles ----===//
//
// See DividedReads.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/DividedReads.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

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

namespace {

/// `value` as `tileStart + i` (an affine.apply of the two, i the tile's
/// linalg.index of its innermost loop): i, else null.
Value indexWithinTile(Value value, Value tileStart, unsigned inner) {
  auto apply = value.getDefiningOp<affine::AffineApplyOp>();
  if (!apply || apply.getAffineMap().getNumResults() != 1)
    return {};
  auto sum = dyn_cast<AffineBinaryOpExpr>(apply.getAffineMap().getResult(0));
  if (!sum || sum.getKind() != AffineExprKind::Add)
    return {};
  unsigned numDims = apply.getAffineMap().getNumDims();
  auto operandOf = [&](AffineExpr e) -> Value {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return apply.getOperand(d.getPosition());
    if (auto s = dyn_cast<AffineSymbolExpr>(e))
      return apply.getOperand(numDims + s.getPosition());
    return {};
  };
  Value lhs = operandOf(sum.getLHS()), rhs = operandOf(sum.getRHS());
  if (!lhs || !rhs)
    return {};
  if (rhs == tileStart)
    std::swap(lhs, rhs);
  auto index = rhs.getDefiningOp<linalg::IndexOp>();
  if (lhs != tileStart || !index || index.getDim() != inner)
    return {};
  return rhs;
}

} // namespace

void foldAlignedRemainders(RewriterBase &rw, linalg::GenericOp tile, Value tileStart,
                           int64_t width) {
  unsigned inner = tile.getNumLoops() - 1;
  SmallVector<Operation *> remainders;
  tile.getRegion().walk([&](Operation *op) {
    if (isa<arith::RemSIOp, arith::RemUIOp>(op))
      remainders.push_back(op);
  });
  for (Operation *rem : remainders) {
    APInt divisor;
    if (!matchPattern(rem->getOperand(1), m_ConstantInt(&divisor)) || divisor.isNegative() ||
        divisor.isZero() || width % divisor.getSExtValue() != 0)
      continue;
    // Through a cast to i64 (the language's index values) or none: a narrower
    // cast could wrap the sum to a negative remainder.
    Value dividend = rem->getOperand(0);
    auto cast = dividend.getDefiningOp<arith::IndexCastOp>();
    if (cast && !cast.getType().isInteger(64))
      continue;
    Value local = indexWithinTile(cast ? cast.getIn() : dividend, tileStart, inner);
    if (!local)
      continue;
    rw.setInsertionPoint(rem);
    Value folded =
        cast ? arith::IndexCastOp::create(rw, rem->getLoc(), cast.getType(), local).getResult()
             : local;
    rw.modifyOpInPlace(rem, [&] { rem->setOperand(0, folded); });
  }
}

namespace {

/// op(broadcast a, splat c, ...) -> broadcast(op(a, c, ...)) for the
/// elementwise arith and math ops, at least one operand a broadcast scalar.
struct ScalarizeUniformElementwise : RewritePattern {
  ScalarizeUniformElementwise(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    if (!op->hasTrait<OpTrait::Elementwise>() || op->getNumResults() != 1 ||
        op->getNumRegions() != 0 || !isa<arith::ArithDialect, math::MathDialect>(op->getDialect()))
      return failure();
    auto resultType = dyn_cast<VectorType>(op->getResult(0).getType());
    if (!resultType)
      return failure();
    // Every operand a broadcast scalar or a splat, checked before any rewrite.
    SmallVector<Value> sources;
    SmallVector<TypedAttr> splats;
    bool broadcast = false;
    for (Value operand : op->getOperands()) {
      // A scalar, or a one-element vector (a uniform read: a 0-d transfer).
      auto b = operand.getDefiningOp<vector::BroadcastOp>();
      auto single = b ? dyn_cast<VectorType>(b.getSource().getType()) : VectorType();
      if (b && (!single || (single.getRank() <= 1 && single.getNumElements() == 1))) {
        sources.push_back(b.getSource());
        splats.push_back({});
        broadcast = true;
        continue;
      }
      DenseElementsAttr splat;
      if (!matchPattern(operand, m_Constant(&splat)) || !splat.isSplat())
        return failure();
      sources.push_back({});
      splats.push_back(cast<TypedAttr>(splat.getSplatValue<Attribute>()));
    }
    if (!broadcast)
      return failure();
    SmallVector<Value> scalars;
    for (auto [source, splat] : llvm::zip(sources, splats)) {
      if (!source) {
        scalars.push_back(arith::ConstantOp::create(rw, op->getLoc(), splat));
      } else if (auto single = dyn_cast<VectorType>(source.getType())) {
        SmallVector<int64_t> origin(single.getRank(), 0);
        scalars.push_back(vector::ExtractOp::create(rw, op->getLoc(), source, origin));
      } else {
        scalars.push_back(source);
      }
    }
    OperationState state(op->getLoc(), op->getName(), scalars,
                         TypeRange{resultType.getElementType()}, op->getAttrs());
    Operation *scalar = rw.create(state);
    rw.replaceOpWithNewOp<vector::BroadcastOp>(op, resultType, scalar->getResult(0));
    return success();
  }
};

} // namespace

void populateUniformLanePatterns(RewritePatternSet &patterns) {
  patterns.add<ScalarizeUniformElementwise>(patterns.getContext());
}

} // namespace vibee
