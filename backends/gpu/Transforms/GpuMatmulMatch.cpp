//===- GpuMatmulMatch.cpp - Which generics the matmul kernels take --------===//
#include "backends/gpu/Transforms/GpuMatmulMatch.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace vibee {
namespace {

bool isIntegerDivision(Operation *o) {
  return isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp, arith::CeilDivSIOp,
             arith::CeilDivUIOp, arith::FloorDivSIOp>(o);
}

/// The block arguments and linalg.index dims that `v` depends on, and whether
/// an integer division computes it.
struct Reads {
  llvm::SmallDenseSet<unsigned> args, loops;
  bool division = false;
};
Reads readsOf(Value v, Block &body) {
  Reads reads;
  SmallVector<Value> work = {v};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(x)) {
      if (arg.getOwner() == &body)
        reads.args.insert(arg.getArgNumber());
      continue;
    }
    Operation *def = x.getDefiningOp();
    if (!def || def->getBlock() != &body || !seen.insert(def).second)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(def))
      reads.loops.insert(index.getDim());
    reads.division |= isIntegerDivision(def);
    llvm::append_range(work, def->getOperands());
  }
  return reads;
}

/// c[m, n] += f(a) * g(the other inputs, n, k): MatmulMatch::computedB.
std::optional<MatmulMatch> matchComputedB(linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || !hasClonablePayload(op, /*allowIndex=*/true))
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  std::optional<SmallVector<OpOperand *>> inputs = contiguousMemRefInputs(op);
  if (!inputs)
    return std::nullopt;
  MatmulMatch match;
  std::optional<unsigned> a;
  for (OpOperand *in : *inputs) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!map.isFunctionOfDim(0))
      continue;
    match.aKm = map == AffineMap::get(3, 0, {k, m}, ctx);
    if (a || !(match.aKm || map == AffineMap::get(3, 0, {m, k}, ctx)))
      return std::nullopt;
    a = in->getOperandNumber();
  }
  OpOperand *c = op.getDpsInitOperand(0);
  if (!a || !isContiguousMemRef(c->get().getType()) || elementBytes(c->get().getType()) == 0 ||
      op.getMatchingIndexingMap(c) != AffineMap::get(3, 0, {m, n}, ctx))
    return std::nullopt;
  // The payload: acc + x * y, x of a alone (padded rows compute on zeros: no
  // integer division), y of the rest and of loops n and k.
  Block &body = op.getRegion().front();
  BlockArgument acc = body.getArguments().back();
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value product = add.getLhs() == acc ? add.getRhs() : add.getRhs() == acc ? add.getLhs() : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul || !product.hasOneUse())
    return std::nullopt;
  for (auto [x, y] : {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())}) {
    Reads rx = readsOf(x, body), ry = readsOf(y, body);
    auto shaped = [&](unsigned arg) { return isa<ShapedType>(op->getOperand(arg).getType()); };
    bool xOfA = rx.loops.empty() && !rx.division && llvm::all_of(rx.args, [&](unsigned arg) {
      return arg == *a || (arg < op.getNumDpsInputs() && !shaped(arg));
    });
    bool yOfRest = !ry.loops.contains(0) && llvm::all_of(ry.args, [&](unsigned arg) {
      return arg != *a && arg < op.getNumDpsInputs();
    });
    if (xOfA && yOfRest && y.getType() == acc.getType()) {
      match.a = *a;
      match.computedB = y;
      return match;
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<MatmulMatch> matchMatmul(linalg::GenericOp op) {
  unsigned loops = op.getNumLoops();
  if (!op.hasPureBufferSemantics() || loops < 3 || op.getNumReductionLoops() != 1 ||
      !linalg::isReductionIterator(op.getIteratorTypesArray()[loops - 1]) ||
      op.getNumDpsInits() != 1 || !matchReductionCombiner(op, 0))
    return std::nullopt;
  // Padded rows and columns compute on zeros (never stored).
  if (!hasClonablePayload(op) || hasIntegerDivision(op))
    return matchComputedB(op);
  MLIRContext *ctx = op.getContext();
  MatmulMatch match;
  match.batchDims = loops - 3;
  SmallVector<AffineExpr> batch;
  for (unsigned d = 0; d < match.batchDims; ++d)
    batch.push_back(getAffineDimExpr(d, ctx));
  AffineExpr m = getAffineDimExpr(loops - 3, ctx), n = getAffineDimExpr(loops - 2, ctx),
             k = getAffineDimExpr(loops - 1, ctx);
  // The map of an operand indexed by (x, y), with or without the batch dims.
  auto is = [&](AffineMap map, AffineExpr x, AffineExpr y, bool &batched) {
    SmallVector<AffineExpr> full(batch);
    full.append({x, y});
    if (map == AffineMap::get(loops, 0, full, ctx))
      return batched = true;
    batched = false;
    return map == AffineMap::get(loops, 0, {x, y}, ctx);
  };
  std::optional<unsigned> a, b;
  std::optional<SmallVector<OpOperand *>> inputs = contiguousMemRefInputs(op);
  if (!inputs)
    return std::nullopt;
  for (OpOperand *in : *inputs) {
    AffineMap map = op.getMatchingIndexingMap(in);
    bool batched;
    if (!a && (is(map, m, k, batched) || (is(map, k, m, batched) && (match.aKm = true)))) {
      a = in->getOperandNumber();
      match.aBatched = batched;
    } else if (!b && (is(map, k, n, batched) || (is(map, n, k, batched) && (match.bNk = true)))) {
      b = in->getOperandNumber();
      match.bBatched = batched;
    } else {
      return matchComputedB(op); // a weight with its group scale, say
    }
  }
  OpOperand *c = op.getDpsInitOperand(0);
  SmallVector<AffineExpr> cExprs(batch);
  cExprs.append({m, n});
  if (!a || !b || !isContiguousMemRef(c->get().getType()) ||
      elementBytes(c->get().getType()) == 0 ||
      op.getMatchingIndexingMap(c) != AffineMap::get(loops, 0, cExprs, ctx))
    return std::nullopt;
  match.a = *a;
  match.b = *b;
  return match;
}

MatmulEpilogue matchMatmulEpilogue(linalg::GenericOp op) {
  MatmulEpilogue epilogue;
  Value C = op.getDpsInits()[0];
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || fill.getOutputs()[0] != C ||
      !(matchPattern(fill.getInputs()[0], m_AnyZeroFloat()) ||
        matchPattern(fill.getInputs()[0], m_Zero())))
    return epilogue;
  epilogue.fill = fill;
  auto next = dyn_cast_or_null<linalg::GenericOp>(op->getNextNode());
  auto rank = cast<MemRefType>(C.getType()).getRank();
  if (!C.getDefiningOp<memref::AllocOp>() || !next || !next.hasPureBufferSemantics() ||
      next.getNumDpsInits() != 1 || next.getNumLoops() != rank ||
      next.getNumParallelLoops() != rank || !hasClonablePayload(next))
    return epilogue;
  OpOperand *out = next.getDpsInitOperand(0);
  if (out->get() == C || !isContiguousMemRef(out->get().getType()) ||
      !next.getMatchingIndexingMap(out).isIdentity() || next.payloadUsesValueFromOperand(out))
    return epilogue;
  std::optional<unsigned> cInput;
  for (OpOperand *in : next.getDpsInputOperands()) {
    AffineMap map = next.getMatchingIndexingMap(in);
    if (in->get() == C) {
      if (cInput || !map.isIdentity())
        return epilogue;
      cInput = in->getOperandNumber();
    } else if (isa<ShapedType>(in->get().getType()) && !map.isProjectedPermutation()) {
      return epilogue;
    }
  }
  // c is a temporary: written by the fill and the matmul, read by `next` only
  // (on this branch of a few-rows dispatch).
  auto skinny = dyn_cast<scf::IfOp>(op->getParentOp());
  if (skinny && !skinny->hasAttr(kSkinnyDispatchAttr))
    skinny = nullptr;
  for (Operation *user : C.getUsers())
    if (user != fill && user != op && user != next && !isa<memref::DeallocOp>(user) &&
        !(skinny && skinny.getThenRegion().isAncestor(user->getParentRegion())))
      return epilogue;
  if (cInput) {
    epilogue.generic = next;
    epilogue.cInput = *cInput;
  }
  return epilogue;
}

MatmulGrid buildMatmulGrid(OpBuilder &b, Location loc, ArrayRef<Value> sizes, unsigned batchDims,
                           int64_t tileM, int64_t tileN) {
  MatmulGrid grid;
  Value M = sizes[batchDims], N = sizes[batchDims + 1];
  Value limit = constantIndex(b, loc, 65535);
  grid.gridX = arith::CeilDivUIOp::create(b, loc, N, constantIndex(b, loc, tileN));
  grid.tilesM = arith::CeilDivUIOp::create(b, loc, M, constantIndex(b, loc, tileM));
  grid.gridY = arith::MinUIOp::create(b, loc, grid.tilesM, limit);
  grid.batch = buildProduct(b, loc, sizes.take_front(batchDims));
  grid.gridZ = arith::MinUIOp::create(b, loc, grid.batch, limit);
  return grid;
}

void buildMatmulTileLoops(OpBuilder &b, Location loc, gpu::LaunchOp launch, ArrayRef<Value> sizes,
                          unsigned batchDims, const MatmulGrid &grid, MatmulTileBody body) {
  buildForLoop(b, loc, launch.getBlockIds().z, grid.batch, launch.getGridSize().z, {},
               [&](OpBuilder &b, Value z, ValueRange) {
                 // z -> the batch indices, row-major.
                 SmallVector<Value> batchIdx(batchDims);
                 Value rest = z;
                 for (int d = static_cast<int>(batchDims) - 1; d >= 0; --d) {
                   batchIdx[d] =
                       d ? arith::RemUIOp::create(b, loc, rest, sizes[d]).getResult() : rest;
                   if (d)
                     rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
                 }
                 buildForLoop(b, loc, launch.getBlockIds().y, grid.tilesM, launch.getGridSize().y,
                              {}, [&](OpBuilder &b, Value t, ValueRange) {
                                body(b, batchIdx, t);
                                return SmallVector<Value>{};
                              });
                 return SmallVector<Value>{};
               });
}

namespace {
/// `x` with dim `k` replaced by S * k + e (0 <= e < S): a floordiv or mod by a
/// multiple of S of something that is a multiple of S plus e drops e (mod adds
/// it back).
AffineExpr inSegment(AffineExpr x, unsigned k, int64_t S, int64_t e, unsigned numDims) {
  MLIRContext *ctx = x.getContext();
  AffineExpr base = S * getAffineDimExpr(k, ctx);
  auto at = [&](AffineExpr y, AffineExpr kValue) {
    return simplifyAffineExpr(y.replace(getAffineDimExpr(k, ctx), kValue), numDims, 0);
  };
  auto bin = dyn_cast<AffineBinaryOpExpr>(x);
  if (!bin)
    return at(x, base + e);
  AffineExpr lhs = inSegment(bin.getLHS(), k, S, e, numDims);
  AffineExpr rhs = inSegment(bin.getRHS(), k, S, e, numDims);
  auto c = dyn_cast<AffineConstantExpr>(bin.getRHS());
  bool divides = c && c.getValue() > 0 && c.getValue() % S == 0;
  if (divides && (x.getKind() == AffineExprKind::FloorDiv || x.getKind() == AffineExprKind::Mod)) {
    AffineExpr lhs0 = at(bin.getLHS(), base);
    auto offset = dyn_cast<AffineConstantExpr>(simplifyAffineExpr(lhs - lhs0, numDims, 0));
    if (offset && offset.getValue() == e && lhs0.getLargestKnownDivisor() % S == 0)
      return x.getKind() == AffineExprKind::FloorDiv ? lhs0.floorDiv(c) : lhs0 % c + e;
  }
  switch (x.getKind()) {
  case AffineExprKind::Add: return lhs + rhs;
  case AffineExprKind::Mul: return lhs * rhs;
  case AffineExprKind::FloorDiv: return lhs.floorDiv(rhs);
  case AffineExprKind::CeilDiv: return lhs.ceilDiv(rhs);
  default: return lhs % rhs;
  }
}

/// `map` with dim `kDim` the aligned segment index q of the point k = segment *
/// q + offset (0 <= offset < segment), through inSegment: the values of one
/// segment get equal indices where they read the same element (k / 2 of int4
/// codes, k / 128 of group scales), so their loads fold.
AffineMap segmentIndexMap(AffineMap map, unsigned kDim, int64_t segment, int64_t offset) {
  SmallVector<AffineExpr> results;
  for (AffineExpr r : map.getResults())
    results.push_back(inSegment(r, kDim, segment, offset, map.getNumDims()));
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results, map.getContext());
}
} // namespace

SmallVector<unsigned> computedBInputs(linalg::GenericOp op, const MatmulMatch &match) {
  SmallVector<unsigned> inputs;
  for (OpOperand *in : op.getDpsInputOperands())
    if (in->getOperandNumber() != match.a && isa<MemRefType>(in->get().getType()))
      inputs.push_back(in->getOperandNumber());
  return inputs;
}

SmallVector<Value> loadComputedBOperands(OpBuilder &b, Location loc, linalg::GenericOp op,
                                         const MatmulMatch &match, Value n, Value k,
                                         int64_t segmentOffset) {
  Value kPoint = segmentOffset < 0 ? k : arith::DivUIOp::create(b, loc, k, constantIndex(b, loc, 8));
  SmallVector<Value> point = {constantIndex(b, loc, 0), n, kPoint}; // (m, n, k); B reads no m
  SmallVector<Value> args(op->getNumOperands());
  for (unsigned i : computedBInputs(op, match)) {
    AffineMap map = op.getMatchingIndexingMap(&op->getOpOperand(i));
    if (segmentOffset >= 0)
      map = segmentIndexMap(map, 2, 8, segmentOffset);
    SmallVector<Value> idx = *affine::expandAffineMap(b, loc, map, point);
    args[i] = memref::LoadOp::create(b, loc, op->getOperand(i), idx);
  }
  return args;
}

Value applyComputedB(OpBuilder &b, Location loc, const MatmulMatch &match, PayloadCloner &payload,
                     ArrayRef<Value> operands, Value n, Value k) {
  SmallVector<Value> point = {constantIndex(b, loc, 0), n, k};
  return payload.applyTo(b, match.computedB, operands, point);
}

Value buildComputedBAt(OpBuilder &b, Location loc, linalg::GenericOp op, const MatmulMatch &match,
                       PayloadCloner &payload, Value n, Value k, Value N, Value K) {
  auto below = [&](Value x, Value bound) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, bound);
  };
  Value valid = arith::AndIOp::create(b, loc, below(k, K), below(n, N));
  Type type = match.computedB.getType();
  return buildIfElse(
      b, loc, valid,
      [&](OpBuilder &b) {
        SmallVector<Value> args = loadComputedBOperands(b, loc, op, match, n, k);
        return SmallVector<Value>{applyComputedB(b, loc, match, payload, args, n, k)};
      },
      [&](OpBuilder &b) {
        return SmallVector<Value>{
            arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(type)))};
      })[0];
}

SmallVector<Value> matmulIndices(ValueRange batchIdx, bool batched, Value r, Value c) {
  SmallVector<Value> idx;
  if (batched)
    idx.append(batchIdx.begin(), batchIdx.end());
  idx.append({r, c});
  return idx;
}

} // namespace vibee
