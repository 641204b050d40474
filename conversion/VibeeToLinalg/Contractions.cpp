//===- Contractions.cpp - sum-of-products statements as linalg.contract ---===//
//
// A `sum` statement whose body is a product of factors is a contraction when
// its factors split into two operands that each read the contracted loops:
//
//   y[m, n] = sum(k) f32(x[m, k]) * f32(w[n, k]) * s[n]
//     A = f32(x[m, k])     (a read, cast to the accumulator: the op's own cast)
//     B = f32(w[n, k])
//     epilogue: * s[n]     (reads no contracted loop: multiplies the result)
//
// Each factor (a leaf of the multiplication tree) reads a set of loops, the
// union of the maps of the body arguments it depends on. Factors that read no
// contracted loop (per-row, per-column, per-batch scales, scalars) move to an
// epilogue; the others are grouped into two operands, a factor joining another
// whose loops include its own (a per-group scale s[n, k / g] joins w[n, k]).
// An operand that is one read, possibly cast to the accumulator type, is the
// contraction's input as it is (linalg.contract casts with cast_signed: extf,
// sitofp, extsi); any other operand is a prologue generic over its own loops.
// A factor may read loop indices (the nibble of `w[n, k / 2] >> 4 * (k % 2)`):
// they count among its loops and become linalg.index in its prologue.
// Why a product is not a contraction (more than two operands, a contracted
// loop read by one operand only) goes back to the caller for the --verbose
// remark.
//
//===----------------------------------------------------------------------===//
#include "conversion/VibeeToLinalg/Contractions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using llvm::SmallBitVector;

namespace {

/// Factors multiplied together: one operand of the contraction, or the epilogue.
struct Factors {
  SmallVector<Value> leaves;
  SmallBitVector loops; // the loops the factors read
};

/// The leaves of the multiplication tree rooted at `v` (an inner product that
/// is also used elsewhere stays one leaf).
void collectLeaves(Value v, Block &body, bool root, SmallVectorImpl<Value> &leaves) {
  Operation *def = v.getDefiningOp();
  if (def && def->getBlock() == &body && isa<arith::MulFOp, arith::MulIOp>(def) &&
      (root || v.hasOneUse())) {
    collectLeaves(def->getOperand(0), body, false, leaves);
    collectLeaves(def->getOperand(1), body, false, leaves);
    return;
  }
  leaves.push_back(v);
}

/// The body arguments, body ops and loop indices (`vibee.index`, the nibble a
/// `k % 2` selects) that `v` depends on.
void dependencies(Value v, Block &body, SmallBitVector &args, SmallBitVector &indices,
                  llvm::SmallPtrSetImpl<Operation *> &ops) {
  SmallVector<Value> work = {v};
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(x)) {
      if (arg.getOwner() == &body)
        args.set(arg.getArgNumber());
      continue;
    }
    Operation *def = x.getDefiningOp();
    if (!def || def->getBlock() != &body || !ops.insert(def).second)
      continue;
    if (auto index = dyn_cast<vibee::IndexOp>(def))
      indices.set(index.getDim());
    llvm::append_range(work, def->getOperands());
  }
}

SmallBitVector loopsOf(const SmallBitVector &args, ArrayRef<AffineMap> maps, unsigned numLoops) {
  SmallBitVector loops(numLoops);
  for (unsigned a : args.set_bits())
    for (AffineExpr e : maps[a].getResults())
      e.walk([&](AffineExpr x) {
        if (auto d = dyn_cast<AffineDimExpr>(x))
          loops.set(d.getPosition());
      });
  return loops;
}

bool isSubset(const SmallBitVector &a, const SmallBitVector &b) {
  SmallBitVector rest = a;
  rest.reset(b);
  return rest.none();
}

/// The body argument that `leaf` reads, when it is that read, possibly cast to
/// the accumulator type the way linalg.contract casts (cast_signed).
std::optional<unsigned> directRead(Value leaf, Block &body, Type acc) {
  if (leaf.getType() != acc)
    return std::nullopt;
  Value source = leaf;
  if (Operation *def = leaf.getDefiningOp()) {
    if (!isa<arith::ExtFOp, arith::SIToFPOp, arith::ExtSIOp>(def))
      return std::nullopt;
    source = def->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(source);
  if (!arg || arg.getOwner() != &body)
    return std::nullopt;
  return arg.getArgNumber();
}

/// `map` (over all loops) over the loops `keep` only, renumbered in order.
AffineMap restrictTo(AffineMap map, ArrayRef<unsigned> keep) {
  MLIRContext *ctx = map.getContext();
  SmallVector<AffineExpr> replacement(map.getNumDims(), getAffineConstantExpr(0, ctx));
  for (auto [i, d] : llvm::enumerate(keep))
    replacement[d] = getAffineDimExpr(i, ctx);
  return map.replaceDimsAndSymbols(replacement, {}, keep.size(), map.getNumSymbols());
}

Value multiply(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value product = values.front();
  for (Value v : values.drop_front())
    product = isa<FloatType>(v.getType()) ? arith::MulFOp::create(b, loc, product, v).getResult()
                                          : arith::MulIOp::create(b, loc, product, v).getResult();
  return product;
}

struct ContractionBuilder {
  vibee::ComputeOp op;
  ValueRange inputs, extents;
  RewriterBase &rw;
  SmallVector<AffineMap> maps;
  Type acc;

  Block &body() { return op.getBody().front(); }

  /// A generic over the loops `keep` computing `leaves` (times `extra`, read
  /// through `extraMap`, when given) into a fresh tensor of `acc`.
  Value elementwise(ArrayRef<Value> leaves, ArrayRef<unsigned> keep, Value extra = {},
                    AffineMap extraMap = {}) {
    Location loc = op.getLoc();
    SmallBitVector args(body().getNumArguments()), indices(op.getNumLoops());
    llvm::SmallPtrSet<Operation *, 16> ops;
    for (Value leaf : leaves)
      dependencies(leaf, body(), args, indices, ops);
    SmallVector<Value> ins;
    SmallVector<AffineMap> inMaps;
    if (extra) {
      ins.push_back(extra);
      inMaps.push_back(extraMap);
    }
    for (unsigned a : args.set_bits()) {
      ins.push_back(inputs[a]);
      inMaps.push_back(restrictTo(maps[a], keep));
    }
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    for (unsigned d : keep) {
      std::optional<int64_t> size = getConstantIntValue(extents[d]);
      shape.push_back(size ? *size : ShapedType::kDynamic);
      if (!size)
        dynamic.push_back(extents[d]);
    }
    Value empty = tensor::EmptyOp::create(rw, loc, shape, acc, dynamic);
    inMaps.push_back(AffineMap::getMultiDimIdentityMap(keep.size(), rw.getContext()));
    SmallVector<utils::IteratorType> parallel(keep.size(), utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{empty.getType()}, ins, ValueRange{empty}, inMaps, parallel,
        [&](OpBuilder &b, Location l, ValueRange blockArgs) {
          IRMapping mapping;
          unsigned next = extra ? 1 : 0;
          for (unsigned a : args.set_bits())
            mapping.map(body().getArgument(a), blockArgs[next++]);
          for (Operation &inner : body().without_terminator()) {
            if (!ops.contains(&inner))
              continue;
            if (auto index = dyn_cast<vibee::IndexOp>(inner)) {
              // Loop `dim` of the statement is loop `position` of this generic
              // (`keep` holds every loop a factor's index reads).
              auto position = llvm::find(keep, index.getDim()) - keep.begin();
              mapping.map(index.getResult(), linalg::IndexOp::create(b, l, position));
              continue;
            }
            b.clone(inner, mapping);
          }
          SmallVector<Value> values;
          if (extra)
            values.push_back(blockArgs.front());
          for (Value leaf : leaves)
            values.push_back(mapping.lookupOrDefault(leaf));
          linalg::YieldOp::create(b, l, multiply(b, l, values));
        });
    return generic.getResult(0);
  }

  /// The contraction's input for one operand and its map over all loops.
  std::pair<Value, AffineMap> operand(const Factors &side) {
    if (side.leaves.size() == 1)
      if (std::optional<unsigned> arg = directRead(side.leaves.front(), body(), acc))
        if (isa<RankedTensorType>(inputs[*arg].getType()) && maps[*arg].isProjectedPermutation() &&
            maps[*arg].getNumSymbols() == 0)
          return {inputs[*arg], maps[*arg]};
    SmallVector<unsigned> keep(side.loops.set_bits_begin(), side.loops.set_bits_end());
    SmallVector<AffineExpr> exprs =
        llvm::map_to_vector(keep, [&](unsigned d) { return getAffineDimExpr(d, rw.getContext()); });
    return {elementwise(side.leaves, keep),
            AffineMap::get(op.getNumLoops(), 0, exprs, rw.getContext())};
  }
};

} // namespace

std::optional<Value> vibee::buildContraction(ComputeOp op, ValueRange inputs, ValueRange extents,
                                             Value init, RewriterBase &rw, std::string &why) {
  if (op.getKind() != ReduceKind::sum || op.getNumParallelLoops() == op.getNumLoops())
    return std::nullopt;
  Block &body = op.getBody().front();
  Value root = cast<YieldOp>(body.getTerminator()).getValue();
  Operation *rootDef = root.getDefiningOp();
  if (!rootDef || rootDef->getBlock() != &body || !isa<arith::MulFOp, arith::MulIOp>(rootDef))
    return std::nullopt; // not a product: a plain reduction
  Type acc = op.getResult().getType().getElementType();
  if (root.getType() != acc) {
    why = "the product's type differs from the result's";
    return std::nullopt;
  }
  unsigned numLoops = op.getNumLoops(), numParallel = op.getNumParallelLoops();
  SmallVector<AffineMap> maps = llvm::map_to_vector(
      op.getIndexingMaps(), [](Attribute a) { return cast<AffineMapAttr>(a).getValue(); });
  SmallBitVector contracted(numLoops);
  contracted.set(numParallel, numLoops);

  SmallVector<Value> leaves;
  collectLeaves(root, body, /*root=*/true, leaves);
  Factors epilogue;
  epilogue.loops = SmallBitVector(numLoops);
  SmallVector<Factors> sides;
  for (Value leaf : leaves) {
    SmallBitVector args(body.getNumArguments()), indices(numLoops);
    llvm::SmallPtrSet<Operation *, 16> ops;
    dependencies(leaf, body, args, indices, ops);
    SmallBitVector loops = loopsOf(args, maps, numLoops) | indices;
    if (!loops.anyCommon(contracted)) {
      epilogue.leaves.push_back(leaf);
      epilogue.loops |= loops;
    } else {
      sides.push_back({{leaf}, loops});
    }
  }
  // Two operands: a factor joins another whose loops include its own.
  while (sides.size() > 2) {
    bool merged = false;
    for (unsigned i = 0; i < sides.size() && !merged; ++i)
      for (unsigned j = 0; j < sides.size() && !merged; ++j)
        if (i != j && isSubset(sides[i].loops, sides[j].loops)) {
          llvm::append_range(sides[j].leaves, sides[i].leaves);
          sides.erase(sides.begin() + i);
          merged = true;
        }
    if (!merged) {
      why = "its factors form more than two operands over the contracted loops";
      return std::nullopt;
    }
  }
  if (sides.size() < 2) {
    why = "only one factor reads the contracted loops";
    return std::nullopt;
  }
  for (unsigned d = 0; d < numLoops; ++d) {
    bool inA = sides[0].loops.test(d), inB = sides[1].loops.test(d);
    if (d >= numParallel && !(inA && inB)) {
      why = "contracted loop #" + std::to_string(d) + " is read by one operand only";
      return std::nullopt;
    }
    if (d < numParallel && !inA && !inB) {
      why = "result loop #" + std::to_string(d) + " is read by neither operand";
      return std::nullopt;
    }
  }

  ContractionBuilder b{op, inputs, extents, rw, maps, acc};
  auto [a, mapA] = b.operand(sides[0]);
  auto [bOperand, mapB] = b.operand(sides[1]);
  AffineMap resultMap = op.getResultMap();
  SmallVector<Attribute> mapAttrs = {AffineMapAttr::get(mapA), AffineMapAttr::get(mapB),
                                     AffineMapAttr::get(resultMap)};
  auto contract = linalg::ContractOp::create(rw, op.getLoc(), TypeRange{init.getType()},
                                             ValueRange{a, bOperand}, ValueRange{init},
                                             rw.getArrayAttr(mapAttrs));
  Value result = contract.getResult(0);
  if (epilogue.leaves.empty())
    return result;
  SmallVector<unsigned> outer;
  for (unsigned d = 0; d < numParallel; ++d)
    outer.push_back(d);
  return b.elementwise(epilogue.leaves, outer, result,
                       AffineMap::getMultiDimIdentityMap(numParallel, rw.getContext()));
}
