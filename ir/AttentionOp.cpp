//===- AttentionOp.cpp - vibee.attention: roles, decomposition, buffers ---===//
//
// The named attention op (VibeeOps.td). Its loops get their role from the
// operands that read them, so GQA (a query loop q and o read but k and v do not)
// and any index order need nothing of their own. The late decomposition gives
// back the statements users write (linalg generics, score matrix in memory):
// targets without their own rewrite (GPU and C++ for now) stay exact.
//
//===----------------------------------------------------------------------===//
#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace vibee;

unsigned AttentionOp::getNumLoops() { return getQueryMap().getNumDims(); }

FailureOr<SmallVector<AttentionOp::LoopRole>> AttentionOp::getLoopRoles() {
  SmallVector<LoopRole> roles;
  auto reads = [](AffineMap map, unsigned loop) { return map.isFunctionOfDim(loop); };
  for (unsigned l = 0, n = getNumLoops(); l < n; ++l) {
    bool q = reads(getQueryMap(), l), k = reads(getKeyMap(), l), v = reads(getValueMap(), l),
         o = reads(getOutputMap(), l);
    if (q && k && v && o)
      roles.push_back(LoopRole::batch);
    else if (q && o && !k && !v)
      roles.push_back(LoopRole::query);
    else if (k && v && !q && !o)
      roles.push_back(LoopRole::key);
    else if (q && k && !v && !o)
      roles.push_back(LoopRole::head);
    else if (v && o && !q && !k)
      roles.push_back(LoopRole::value);
    else
      return failure();
  }
  return roles;
}

LogicalResult AttentionOp::verify() {
  unsigned numMaps = getBias() ? 5 : 4;
  if (getIndexingMaps().size() != numMaps)
    return emitOpError("expects ") << numMaps << " indexing maps";
  SmallVector<Value> operands = {getQuery(), getKey(), getValue()};
  if (getBias())
    operands.push_back(getBias());
  operands.push_back(getInit());
  unsigned n = getNumLoops();
  for (auto [i, operand] : llvm::enumerate(operands)) {
    AffineMap map = getMap(i);
    auto type = dyn_cast<ShapedType>(operand.getType());
    if (map.getNumDims() != n || !map.isProjectedPermutation() || !type ||
        map.getNumResults() != type.getRank())
      return emitOpError("map ") << i << " is not a projection of the " << n
                                 << " loops onto its operand's axes";
  }
  FailureOr<SmallVector<LoopRole>> roles = getLoopRoles();
  if (failed(roles))
    return emitOpError("a loop is read by no valid set of operands (batch: q k v o, "
                       "query: q o, key: k v, head: q k, value: v o)");
  for (LoopRole one : {LoopRole::key, LoopRole::head, LoopRole::value})
    if (llvm::count(*roles, one) != 1)
      return emitOpError("expects exactly one key, one head and one value loop");
  if (getBias()) {
    for (unsigned l = 0; l < n; ++l)
      if (getBiasMap().isFunctionOfDim(l) &&
          ((*roles)[l] == LoopRole::head || (*roles)[l] == LoopRole::value))
        return emitOpError("the bias reads a head or value loop");
  }
  if (auto causal = getCausal()) {
    if (causal->size() != 3 || (*causal)[0] < 0 || (*causal)[0] >= n || (*causal)[1] < 0 ||
        (*causal)[1] >= n || (*roles)[(*causal)[0]] != LoopRole::query ||
        (*roles)[(*causal)[1]] != LoopRole::key)
      return emitOpError("causal must be [query loop, key loop, offset]");
  }
  bool tensors = isa<RankedTensorType>(getInit().getType());
  if (tensors != (getNumResults() == 1) ||
      (tensors && getResult()[0].getType() != getInit().getType()))
    return emitOpError("has one result, the destination's type, on tensors; none on memrefs");
  return success();
}

SmallVector<OpFoldResult> AttentionOp::getLoopSizes(OpBuilder &b) {
  SmallVector<OpFoldResult> sizes(getNumLoops());
  SmallVector<Value> operands = {getQuery(), getKey(), getValue(), getInit()};
  SmallVector<AffineMap> maps = {getQueryMap(), getKeyMap(), getValueMap(), getOutputMap()};
  for (auto [operand, map] : llvm::zip(operands, maps))
    for (unsigned axis = 0; axis < map.getNumResults(); ++axis) {
      unsigned loop = cast<AffineDimExpr>(map.getResult(axis)).getPosition();
      if (sizes[loop])
        continue;
      if (isa<RankedTensorType>(operand.getType()))
        sizes[loop] = tensor::getMixedSize(b, getLoc(), operand, axis);
      else
        sizes[loop] = memref::getMixedSize(b, getLoc(), operand, axis);
    }
  return sizes;
}

void AttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  getDestinationStyleEffects(*this, getInitMutable(), effects);
}

//===----------------------------------------------------------------------===//
// Late decomposition: the statement chain, as linalg generics
//===----------------------------------------------------------------------===//

namespace {

Value toF32(OpBuilder &b, Location loc, Value v) {
  Type f32 = b.getF32Type();
  if (v.getType() == f32)
    return v;
  if (cast<FloatType>(v.getType()).getWidth() < 32)
    return arith::ExtFOp::create(b, loc, f32, v);
  return arith::TruncFOp::create(b, loc, f32, v);
}

// The loops of `all` but those in `dropped`, as a bit vector for compressDims.
llvm::SmallBitVector loopSet(unsigned n, ArrayRef<unsigned> dropped) {
  llvm::SmallBitVector bits(n);
  for (unsigned d : dropped)
    bits.set(d);
  return bits;
}

// An empty f32 tensor over the loops of `all` not in `dropped`, in loop order.
Value emptyOver(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                ArrayRef<unsigned> dropped) {
  SmallVector<OpFoldResult> kept;
  for (unsigned l = 0; l < sizes.size(); ++l)
    if (!llvm::is_contained(dropped, l))
      kept.push_back(sizes[l]);
  return tensor::EmptyOp::create(b, loc, kept, b.getF32Type());
}

Value filled(OpBuilder &b, Location loc, Value empty, double value) {
  Value c = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  return linalg::FillOp::create(b, loc, c, empty).getResult(0);
}

// The identity-order map of the loops of `n` not in `dropped`, from the loops
// not in `space` (compressed: the generic's own numbering).
AffineMap over(unsigned n, ArrayRef<unsigned> space, ArrayRef<unsigned> dropped, MLIRContext *ctx) {
  SmallVector<AffineExpr> results;
  for (unsigned l = 0; l < n; ++l)
    if (!llvm::is_contained(dropped, l))
      results.push_back(getAffineDimExpr(l, ctx));
  return compressDims(AffineMap::get(n, 0, results, ctx), loopSet(n, space));
}

SmallVector<utils::IteratorType> iterators(unsigned n, ArrayRef<unsigned> space,
                                           ArrayRef<unsigned> reduced) {
  SmallVector<utils::IteratorType> types;
  for (unsigned l = 0; l < n; ++l)
    if (!llvm::is_contained(space, l))
      types.push_back(llvm::is_contained(reduced, l) ? utils::IteratorType::reduction
                                                     : utils::IteratorType::parallel);
  return types;
}

} // namespace

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &b) {
  if (getNumResults() != 1)
    return failure(); // memrefs: targets rewrite those themselves
  Location loc = getLoc();
  MLIRContext *ctx = getContext();
  unsigned n = getNumLoops();
  SmallVector<LoopRole> roles = *getLoopRoles();
  unsigned jl = llvm::find(roles, LoopRole::key) - roles.begin();
  unsigned dl = llvm::find(roles, LoopRole::head) - roles.begin();
  unsigned el = llvm::find(roles, LoopRole::value) - roles.begin();
  SmallVector<OpFoldResult> sizes = getLoopSizes(b);
  auto compressed = [&](AffineMap m, ArrayRef<unsigned> space) {
    return compressDims(m, loopSet(n, space));
  };
  auto scalarMap = [&](ArrayRef<unsigned> space) {
    return AffineMap::get(n - space.size(), 0, {}, ctx);
  };
  auto yield = [&](OpBuilder &nb, Location l, Value v) { linalg::YieldOp::create(nb, l, v); };

  // 1. Scores s = scale * sum_d q k (+ bias), masked: over every loop but e.
  SmallVector<unsigned> noE = {el}, scoreDrop = {dl, el};
  Value qk = linalg::GenericOp::create(
                 b, loc, TypeRange{emptyOver(b, loc, sizes, scoreDrop).getType()},
                 ValueRange{getQuery(), getKey()},
                 ValueRange{filled(b, loc, emptyOver(b, loc, sizes, scoreDrop), 0.0)},
                 ArrayRef<AffineMap>{compressed(getQueryMap(), noE), compressed(getKeyMap(), noE),
                                     over(n, noE, scoreDrop, ctx)},
                 iterators(n, noE, {dl}),
                 [&](OpBuilder &nb, Location l, ValueRange a) {
                   Value p = arith::MulFOp::create(nb, l, toF32(nb, l, a[0]), toF32(nb, l, a[1]));
                   yield(nb, l, arith::AddFOp::create(nb, l, a[2], p));
                 })
                 .getResult(0);
  SmallVector<Value> ins = {qk, getScale()};
  SmallVector<AffineMap> maps = {over(n, scoreDrop, scoreDrop, ctx), scalarMap(scoreDrop)};
  if (getBias()) {
    ins.push_back(getBias());
    maps.push_back(compressed(getBiasMap(), scoreDrop));
  }
  maps.push_back(over(n, scoreDrop, scoreDrop, ctx));
  std::optional<ArrayRef<int64_t>> causal = getCausal();
  auto position = [&](unsigned loop, ArrayRef<unsigned> space) {
    return loop - llvm::count_if(space, [&](unsigned s) { return s < loop; });
  };
  Value logits =
      linalg::GenericOp::create(
          b, loc, TypeRange{qk.getType()}, ins, ValueRange{emptyOver(b, loc, sizes, scoreDrop)},
          maps, iterators(n, scoreDrop, {}),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value x = arith::MulFOp::create(nb, l, a[0], a[1]);
            if (getBias())
              x = arith::AddFOp::create(nb, l, x, toF32(nb, l, a[2]));
            if (causal) {
              Value i = linalg::IndexOp::create(nb, l, position((*causal)[0], scoreDrop));
              Value j = linalg::IndexOp::create(nb, l, position((*causal)[1], scoreDrop));
              Value c = arith::ConstantIndexOp::create(nb, l, (*causal)[2]);
              Value keep = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, j,
                                                 arith::AddIOp::create(nb, l, i, c));
              Value inf = arith::ConstantOp::create(
                  nb, l, nb.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
              x = arith::SelectOp::create(nb, l, keep, x, inf);
            }
            yield(nb, l, x);
          })
          .getResult(0);

  // 2. Row max, exp of the difference, row sum.
  SmallVector<unsigned> rowDrop = {dl, el, jl};
  AffineMap scoreId = over(n, scoreDrop, scoreDrop, ctx), rowMap = over(n, scoreDrop, rowDrop, ctx);
  auto rowReduce = [&](Value in, double init, bool max) {
    return linalg::GenericOp::create(
               b, loc, TypeRange{emptyOver(b, loc, sizes, rowDrop).getType()}, ValueRange{in},
               ValueRange{filled(b, loc, emptyOver(b, loc, sizes, rowDrop), init)},
               ArrayRef<AffineMap>{scoreId, rowMap}, iterators(n, scoreDrop, {jl}),
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 yield(nb, l,
                       max ? arith::MaximumFOp::create(nb, l, a[0], a[1]).getResult()
                           : arith::AddFOp::create(nb, l, a[0], a[1]).getResult());
               })
        .getResult(0);
  };
  Value rowMax = rowReduce(logits, -std::numeric_limits<double>::infinity(), true);
  Value probs = linalg::GenericOp::create(
                    b, loc, TypeRange{qk.getType()}, ValueRange{logits, rowMax},
                    ValueRange{emptyOver(b, loc, sizes, scoreDrop)},
                    ArrayRef<AffineMap>{scoreId, rowMap, scoreId}, iterators(n, scoreDrop, {}),
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
                      yield(nb, l, math::ExpOp::create(nb, l, d));
                    })
                    .getResult(0);
  Value rowSum = rowReduce(probs, 0.0, false);

  // 3. acc = sum_j p v over every loop but d; o = acc / l, cast to o's type.
  SmallVector<unsigned> noD = {dl}, outDrop = {dl, jl};
  Value acc = linalg::GenericOp::create(
                  b, loc, TypeRange{emptyOver(b, loc, sizes, outDrop).getType()},
                  ValueRange{probs, getValue()},
                  ValueRange{filled(b, loc, emptyOver(b, loc, sizes, outDrop), 0.0)},
                  ArrayRef<AffineMap>{over(n, noD, scoreDrop, ctx), compressed(getValueMap(), noD),
                                      over(n, noD, outDrop, ctx)},
                  iterators(n, noD, {jl}),
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    Value p = arith::MulFOp::create(nb, l, a[0], toF32(nb, l, a[1]));
                    yield(nb, l, arith::AddFOp::create(nb, l, a[2], p));
                  })
                  .getResult(0);
  Type outType = getElementTypeOrSelf(getInit().getType());
  Value out =
      linalg::GenericOp::create(
          b, loc, TypeRange{getInit().getType()}, ValueRange{acc, rowSum}, ValueRange{getInit()},
          ArrayRef<AffineMap>{over(n, outDrop, outDrop, ctx), over(n, outDrop, rowDrop, ctx),
                              compressed(getOutputMap(), outDrop)},
          iterators(n, outDrop, {}),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value o = arith::DivFOp::create(nb, l, a[0], a[1]);
            if (outType != o.getType())
              o = cast<FloatType>(outType).getWidth() < 32
                      ? arith::TruncFOp::create(nb, l, outType, o).getResult()
                      : arith::ExtFOp::create(nb, l, outType, o).getResult();
            yield(nb, l, o);
          })
          .getResult(0);
  return SmallVector<Value>{out};
}

//===----------------------------------------------------------------------===//
// Bufferization: reads its inputs, writes its destination in place
//===----------------------------------------------------------------------===//

bool AttentionOp::bufferizesToMemoryRead(OpOperand &operand, const bufferization::AnalysisState &) {
  return &operand != &getInitMutable();
}

bool AttentionOp::bufferizesToMemoryWrite(OpOperand &operand,
                                          const bufferization::AnalysisState &) {
  return &operand == &getInitMutable();
}

bufferization::AliasingValueList
AttentionOp::getAliasingValues(OpOperand &operand, const bufferization::AnalysisState &) {
  if (&operand != &getInitMutable() || getNumResults() == 0)
    return {};
  return {{getResult()[0], bufferization::BufferRelation::Equivalent}};
}

LogicalResult AttentionOp::bufferize(RewriterBase &rewriter,
                                     const bufferization::BufferizationOptions &options,
                                     bufferization::BufferizationState &state) {
  rewriter.setInsertionPoint(*this);
  SmallVector<Value> buffers;
  for (Value operand : getOperands()) {
    if (!isa<TensorType>(operand.getType())) {
      buffers.push_back(operand);
      continue;
    }
    FailureOr<Value> buffer = bufferization::getBuffer(rewriter, operand, options, state);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  Value bias = getBias() ? buffers[4] : Value();
  Value init = buffers.back();
  AttentionOp::create(rewriter, getLoc(), TypeRange{}, buffers[0], buffers[1], buffers[2],
                      buffers[3], bias, init, getIndexingMaps(), getCausalAttr());
  bufferization::replaceOpWithBufferizedValues(rewriter, *this, init);
  return success();
}
