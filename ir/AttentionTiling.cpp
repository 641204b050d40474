//===- AttentionTiling.cpp - vibee.attention's TilingInterface -----------===//
//
// A tile of the attention's loop space is itself an attention, over slices of
// q, k, v (and the bias) and into a slice of the destination, so upstream's
// tiling drivers (scf::tileUsingSCF, transform.structured.tile_using_*) and
// tile-and-fuse work on it as on a linalg op. Batch, query and value loops are
// parallel. The key and head loops are reductions that a tile spans whole: the
// softmax needs every key of a row, so a tile of them would not be an attention
// (splitting keys needs the running max and sum as results, which this op
// keeps internal).
//
//===----------------------------------------------------------------------===//
#include "ir/VibeeOps.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace vibee;

namespace {

using Role = AttentionOp::LoopRole;

bool isReduction(Role role) { return role == Role::key || role == Role::head; }

/// The slice of `operand` that the loop tile [offsets, offsets + sizes) reads
/// through `map` (a projected permutation).
Value sliceOperand(OpBuilder &b, Location loc, Value operand, AffineMap map,
                   ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
                   SmallVectorImpl<Operation *> &slices) {
  SmallVector<OpFoldResult> sliceOffsets, sliceSizes, strides;
  for (AffineExpr e : map.getResults()) {
    unsigned loop = cast<AffineDimExpr>(e).getPosition();
    sliceOffsets.push_back(offsets[loop]);
    sliceSizes.push_back(sizes[loop]);
    strides.push_back(b.getIndexAttr(1));
  }
  Operation *slice =
      isa<RankedTensorType>(operand.getType())
          ? tensor::ExtractSliceOp::create(b, loc, operand, sliceOffsets, sliceSizes, strides)
                .getOperation()
          : memref::SubViewOp::create(b, loc, operand, sliceOffsets, sliceSizes, strides)
                .getOperation();
  slices.push_back(slice);
  return slice->getResult(0);
}

} // namespace

SmallVector<utils::IteratorType> AttentionOp::getLoopIteratorTypes() {
  SmallVector<utils::IteratorType> types;
  FailureOr<SmallVector<Role>> roles = getLoopRoles(); // the verifier checked them
  for (Role role : *roles)
    types.push_back(isReduction(role) ? utils::IteratorType::reduction
                                      : utils::IteratorType::parallel);
  return types;
}

SmallVector<Range> AttentionOp::getIterationDomain(OpBuilder &b) {
  SmallVector<Range> domain;
  for (OpFoldResult size : getLoopSizes(b))
    domain.push_back(Range{b.getIndexAttr(0), size, b.getIndexAttr(1)});
  return domain;
}

FailureOr<TilingResult> AttentionOp::getTiledImplementation(OpBuilder &b,
                                                            ArrayRef<OpFoldResult> offsets,
                                                            ArrayRef<OpFoldResult> sizes) {
  SmallVector<Role> roles = *getLoopRoles();
  SmallVector<OpFoldResult> full = getLoopSizes(b);
  SmallVector<OpFoldResult> tileOffsets(offsets), tileSizes(sizes);
  for (unsigned l = 0; l < roles.size(); ++l) {
    if (!isReduction(roles[l]))
      continue;
    // A reduction loop is never split (tile size 0 gives offset 0 and the
    // full extent); only a tile that starts at 0 is taken to span it.
    if (!isConstantIntValue(offsets[l], 0))
      return emitOpError("cannot tile its key or head loop (the softmax needs every key)");
    tileOffsets[l] = b.getIndexAttr(0);
    tileSizes[l] = full[l];
  }
  // The mask j <= i + c in the tile's own indices (i = i0 + i', keys whole):
  // j <= i' + (c + i0), so a query tile must start at a constant.
  DenseI64ArrayAttr causal = getCausalAttr();
  if (causal) {
    std::optional<int64_t> start = getConstantIntValue(tileOffsets[causal[0]]);
    if (!start)
      return emitOpError("a causal attention tiles its query loop only at constant offsets");
    causal = b.getDenseI64ArrayAttr({causal[0], causal[1], causal[2] + *start});
  }
  Location loc = getLoc();
  TilingResult result;
  auto slice = [&](Value operand, AffineMap map) {
    return sliceOperand(b, loc, operand, map, tileOffsets, tileSizes, result.generatedSlices);
  };
  Value q = slice(getQuery(), getQueryMap());
  Value k = slice(getKey(), getKeyMap());
  Value v = slice(getValue(), getValueMap());
  Value bias = getBias() ? slice(getBias(), getBiasMap()) : Value();
  Value init = slice(getInit(), getOutputMap());
  SmallVector<Type> resultTypes;
  if (isa<RankedTensorType>(init.getType()))
    resultTypes.push_back(init.getType());
  auto tiled = AttentionOp::create(b, loc, resultTypes, q, k, v, getScale(), bias, init,
                                   getIndexingMaps(), causal);
  result.tiledOps.push_back(tiled);
  llvm::append_range(result.tiledValues, tiled->getResults());
  return result;
}

LogicalResult AttentionOp::getResultTilePosition(OpBuilder &b, unsigned resultNumber,
                                                 ArrayRef<OpFoldResult> offsets,
                                                 ArrayRef<OpFoldResult> sizes,
                                                 SmallVector<OpFoldResult> &resultOffsets,
                                                 SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.clear();
  resultSizes.clear();
  for (AffineExpr e : getOutputMap().getResults()) {
    unsigned loop = cast<AffineDimExpr>(e).getPosition();
    resultOffsets.push_back(offsets[loop]);
    resultSizes.push_back(sizes[loop]);
  }
  return success();
}

LogicalResult AttentionOp::getIterationDomainTileFromResultTile(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &iterDomainOffsets,
    SmallVectorImpl<OpFoldResult> &iterDomainSizes) {
  // The output reads every loop but the key and head loops, which stay whole.
  SmallVector<OpFoldResult> full = getLoopSizes(b);
  iterDomainOffsets.assign(full.size(), b.getIndexAttr(0));
  iterDomainSizes.assign(full.begin(), full.end());
  for (auto [axis, e] : llvm::enumerate(getOutputMap().getResults())) {
    unsigned loop = cast<AffineDimExpr>(e).getPosition();
    iterDomainOffsets[loop] = offsets[axis];
    iterDomainSizes[loop] = sizes[axis];
  }
  return success();
}

FailureOr<TilingResult> AttentionOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                                             ArrayRef<OpFoldResult> offsets,
                                                             ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> loopOffsets, loopSizes;
  if (failed(getIterationDomainTileFromResultTile(b, resultNumber, offsets, sizes, loopOffsets,
                                                  loopSizes)))
    return failure();
  return getTiledImplementation(b, loopOffsets, loopSizes);
}
