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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace vibee {

std::optional<int64_t> dividedReadDivisor(AffineMap map, unsigned dim) {
  if (map.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineBinaryOpExpr>(map.getResults().back());
  if (!last || last.getKind() != AffineExprKind::FloorDiv)
    return std::nullopt;
  auto divided = dyn_cast<AffineDimExpr>(last.getLHS());
  auto divisor = dyn_cast<AffineConstantExpr>(last.getRHS());
  if (!divided || divided.getPosition() != dim || !divisor || divisor.getValue() <= 1)
    return std::nullopt;
  AffineMap rest = map.dropResult(map.getNumResults() - 1);
  if (!rest.isProjectedPermutation() || rest.isFunctionOfDim(dim))
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

/// A stack buffer of `shape` at the function's entry.
Value scratchBuffer(RewriterBase &rw, Operation *tile, ArrayRef<int64_t> shape, Type element) {
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPointToStart(&entryBlock(tile));
  return memref::AllocaOp::create(rw, tile->getLoc(), MemRefType::get(shape, element));
}

/// For each row r of `rows` (one row without a row axis): `body(r, indices)`,
/// the operand's indices at its origin with the row axis at r.
void forEachRow(RewriterBase &rw, Location loc, int64_t rank, std::optional<unsigned> rowAxis,
                int64_t rows, function_ref<void(Value, ArrayRef<Value>)> body) {
  Value zero = arith::ConstantIndexOp::create(rw, loc, 0);
  SmallVector<Value> origin(rank, zero);
  if (!rowAxis)
    return body(zero, origin);
  auto loop = scf::ForOp::create(rw, loc, zero, arith::ConstantIndexOp::create(rw, loc, rows),
                                 arith::ConstantIndexOp::create(rw, loc, 1));
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPoint(loop.getBody()->getTerminator());
  origin[*rowAxis] = loop.getInductionVar();
  body(loop.getInductionVar(), origin);
}

} // namespace

bool dividedReadsFit(linalg::GenericOp op, unsigned dim, int64_t width) {
  if (width <= 0)
    return false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isProjectedPermutation())
      continue;
    auto type = dyn_cast<MemRefType>(input->get().getType());
    std::optional<int64_t> divisor = dividedReadDivisor(map, dim);
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

LogicalResult materializeDividedReads(RewriterBase &rw, linalg::GenericOp tile, unsigned dim,
                                      int64_t width, std::optional<unsigned> rowsLoop) {
  SmallVector<AffineMap> maps = tile.getIndexingMapsArray();
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  SmallVector<std::pair<OpOperand *, Value>> replaced;
  Location loc = tile.getLoc();
  MLIRContext *ctx = rw.getContext();
  for (OpOperand *input : tile.getDpsInputOperands()) {
    unsigned number = input->getOperandNumber();
    AffineMap map = maps[number];
    std::optional<int64_t> divisor = dividedReadDivisor(map, dim);
    if (!divisor)
      continue;
    Value value = input->get();
    auto type = cast<MemRefType>(value.getType());
    int64_t rank = type.getRank();
    // The axis read by the rows loop (`width` long), if any; every other loop
    // of the tile has extent 1.
    std::optional<unsigned> rowAxis;
    unsigned rowLoop = 0;
    int64_t rows = 1;
    for (auto [axis, e] : llvm::enumerate(map.getResults().drop_back())) {
      unsigned loop = cast<AffineDimExpr>(e).getPosition();
      if (rowsLoop && loop == *rowsLoop) {
        rowAxis = axis, rowLoop = loop, rows = width;
        continue;
      }
      if (ranges[loop] != 1)
        return tile.emitError("vibee-cpu-vectorize: a divided read along an untiled loop");
    }
    rw.setInsertionPoint(tile);
    Type element = type.getElementType();
    if (*divisor % width == 0 && !rowAxis) {
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
      maps[number] = map.dropResult(map.getNumResults() - 1);
      continue;
    }
    if (*divisor % width == 0) {
      // One element per row, copied to a contiguous column (the rows' own
      // stride is the group count).
      Value scratch = scratchBuffer(rw, tile, {rows}, element);
      forEachRow(rw, loc, rank, rowAxis, rows, [&](Value r, ArrayRef<Value> at) {
        Value v = memref::LoadOp::create(rw, loc, value, at);
        memref::StoreOp::create(rw, loc, v, scratch, ValueRange{r});
      });
      replaced.push_back({input, scratch});
      maps[number] = AffineMap::get(map.getNumDims(), 0, {getAffineDimExpr(rowLoop, ctx)}, ctx);
      continue;
    }
    // width / divisor elements per row, each repeated divisor times in lane order.
    SmallVector<int64_t> lanes;
    for (int64_t lane = 0; lane < width; ++lane)
      lanes.push_back(lane / *divisor);
    SmallVector<int64_t> shape =
        rowAxis ? SmallVector<int64_t>{rows, width} : SmallVector<int64_t>{width};
    Value scratch = scratchBuffer(rw, tile, shape, element);
    forEachRow(rw, loc, rank, rowAxis, rows, [&](Value r, ArrayRef<Value> at) {
      Value packed =
          vector::LoadOp::create(rw, loc, VectorType::get({width / *divisor}, element), value, at);
      Value spread = vector::ShuffleOp::create(rw, loc, packed, packed, lanes);
      Value zero = arith::ConstantIndexOp::create(rw, loc, 0);
      SmallVector<Value> to = rowAxis ? SmallVector<Value>{r, zero} : SmallVector<Value>{zero};
      vector::StoreOp::create(rw, loc, spread, scratch, to);
    });
    replaced.push_back({input, scratch});
    SmallVector<AffineExpr> results;
    if (rowAxis)
      results.push_back(getAffineDimExpr(rowLoop, ctx));
    results.push_back(getAffineDimExpr(dim, ctx));
    maps[number] = AffineMap::get(map.getNumDims(), 0, results, ctx);
  }
  if (replaced.empty())
    return success();
  rw.modifyOpInPlace(tile, [&] {
    for (auto [operand, value] : replaced)
      operand->set(value);
    tile.setIndexingMapsAttr(rw.getAffineMapArrayAttr(maps));
  });
  return success();
}

namespace {

/// Whether `v` is a multiple of `c` that is never negative: the variable of a
/// loop from 0 by a step that c divides.
bool nonNegativeMultiple(Value v, int64_t c) {
  auto loop = scf::getForInductionVarOwner(v);
  std::optional<int64_t> lower = loop ? getConstantIntValue(loop.getLowerBound()) : std::nullopt;
  std::optional<int64_t> step = loop ? getConstantIntValue(loop.getStep()) : std::nullopt;
  return lower && *lower == 0 && step && *step > 0 && *step % c == 0;
}

/// `value` as a sum of such multiples of `c` (tile and block starts, added by
/// tiling) and the tile's linalg.index of `dim`: that index, else null.
Value indexModulo(Value value, unsigned dim, int64_t c) {
  if (auto index = value.getDefiningOp<linalg::IndexOp>())
    return index.getDim() == dim ? value : Value();
  auto apply = value.getDefiningOp<affine::AffineApplyOp>();
  if (!apply || apply.getAffineMap().getNumResults() != 1)
    return {};
  // The map must be a plain sum of its operands, each once.
  AffineMap map = apply.getAffineMap();
  AffineExpr sum = getAffineConstantExpr(0, map.getContext());
  for (unsigned i = 0; i < map.getNumDims(); ++i)
    sum = sum + getAffineDimExpr(i, map.getContext());
  for (unsigned i = 0; i < map.getNumSymbols(); ++i)
    sum = sum + getAffineSymbolExpr(i, map.getContext());
  if (simplifyAffineExpr(map.getResult(0) - sum, map.getNumDims(), map.getNumSymbols()) !=
      getAffineConstantExpr(0, map.getContext()))
    return {};
  Value rest;
  for (Value operand : apply.getOperands()) {
    if (nonNegativeMultiple(operand, c))
      continue;
    if (rest)
      return {};
    rest = operand;
  }
  return rest ? indexModulo(rest, dim, c) : Value();
}

} // namespace

void foldAlignedRemainders(RewriterBase &rw, linalg::GenericOp tile, unsigned dim) {
  SmallVector<Operation *> remainders;
  tile.getRegion().walk([&](Operation *op) {
    if (isa<arith::RemSIOp, arith::RemUIOp>(op))
      remainders.push_back(op);
  });
  for (Operation *rem : remainders) {
    APInt divisor;
    if (!matchPattern(rem->getOperand(1), m_ConstantInt(&divisor)) || !divisor.isStrictlyPositive())
      continue;
    // Through a cast to i64 (the language's index values) or none: a narrower
    // cast could wrap the sum to a negative remainder.
    Value dividend = rem->getOperand(0);
    auto cast = dividend.getDefiningOp<arith::IndexCastOp>();
    if (cast && !cast.getType().isInteger(64))
      continue;
    Value local = indexModulo(cast ? cast.getIn() : dividend, dim, divisor.getSExtValue());
    if (!local || local == (cast ? cast.getIn() : dividend))
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
