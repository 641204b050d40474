//===- ComputedOperand.cpp - matmuls whose B is computed while packing -----===//
//
// See ComputedOperand.h. The generic's body is
//     ^bb0(%a, %src..., %c):  <ops of %src only> -> %b;  %c + %a * %b
// and the ops that compute %b are cloned into the pack of each panel, so the
// narrow weights are read, converted and scaled once per panel element, as
// the f32 copy was packed before.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/ComputedOperand.h"
#include "backends/cpu/Transforms/DividedReads.h"
#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <algorithm>

using namespace mlir;

namespace {

// K blocks of a computed B: at least a vector's worth of k, at most what a
// panel of it keeps in L2.
constexpr int64_t kMinKBlock = 16, kMaxKBlock = 4096;

/// The body split into its B value and the multiply-add around it.
struct Body {
  Value b;
  Operation *mul = nullptr, *add = nullptr;
};

std::optional<Body> splitBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  BlockArgument a = body.getArgument(0), c = body.getArguments().back();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getValues().size() != 1)
    return std::nullopt;
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || !add->hasOneUse())
    return std::nullopt;
  Value p = add.getLhs() == c ? add.getRhs() : add.getRhs() == c ? add.getLhs() : Value();
  auto mul = p ? p.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul || !p.hasOneUse())
    return std::nullopt;
  Value b = mul.getLhs() == a ? mul.getRhs() : mul.getRhs() == a ? mul.getLhs() : Value();
  if (!b || b == a || b == c || !b.getType().isF32() || !a.hasOneUse() || !c.hasOneUse())
    return std::nullopt;
  // The ops that compute B are cloned outside the matmul: plain values, and
  // indices of n and k (the pack's loops), not of m.
  for (Operation &o : body.without_terminator()) {
    auto index = dyn_cast<linalg::IndexOp>(o);
    if (&o != mul && &o != add &&
        (o.getNumRegions() || !isMemoryEffectFree(&o) || (index && index.getDim() == 0)))
      return std::nullopt;
  }
  return Body{b, mul, add};
}

bool isF32Memref(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isF32();
}

} // namespace

std::string vibee::unsupportedComputedRead(AffineMap map, unsigned m, unsigned n, unsigned k,
                                           SmallVectorImpl<int64_t> &groups) {
  // Tiles are views: a read stays exact under a tile offset only where the
  // offset passes through the map, i.e. n read plainly, k plainly or through
  // `k floordiv G` in K blocks that no group straddles (kBlockForGroups).
  MLIRContext *ctx = map.getContext();
  AffineExpr dn = getAffineDimExpr(n, ctx), dk = getAffineDimExpr(k, ctx);
  for (AffineExpr e : map.getResults()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << e;
    if (e.isFunctionOfDim(m))
      return "it reads the rows of A (" + text + ")";
    if (e == dn || e == dk || isa<AffineConstantExpr>(e))
      continue;
    if (e.isFunctionOfDim(n))
      return "it reads N through " + text + " (only a plain index packs by panels)";
    auto div = dyn_cast<AffineBinaryOpExpr>(e);
    auto g = div ? dyn_cast<AffineConstantExpr>(div.getRHS()) : AffineConstantExpr();
    if (!div || div.getKind() != AffineExprKind::FloorDiv || div.getLHS() != dk || !g ||
        g.getValue() <= 0)
      return "it reads K through " + text + " (only k or k / G pack by K blocks)";
    groups.push_back(g.getValue());
    if (!kBlockForGroups(groups, kMaxKBlock))
      return "its groups along K (" + text + " with the others) fit no K block";
  }
  return "";
}

std::optional<int64_t> vibee::kBlockForGroups(ArrayRef<int64_t> groups, int64_t target) {
  auto fits = [&](int64_t kc) {
    return llvm::all_of(groups, [&](int64_t g) { return kc % g == 0 || g % kc == 0; });
  };
  target = std::clamp<int64_t>(target, kMinKBlock, kMaxKBlock);
  for (int64_t kc = target; kc >= kMinKBlock; --kc)
    if (fits(kc))
      return kc;
  for (int64_t kc = target + 1; kc <= kMaxKBlock; ++kc)
    if (fits(kc))
      return kc;
  return std::nullopt;
}

bool vibee::isMatmulNest(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 3 || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() < 2)
    return false;
  auto par = utils::IteratorType::parallel;
  if (op.getIteratorTypesArray() !=
      SmallVector<utils::IteratorType>{par, par, utils::IteratorType::reduction})
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps.front() == AffineMap::get(3, 0, {m, k}, ctx) &&
         maps.back() == AffineMap::get(3, 0, {m, n}, ctx);
}

std::optional<SmallVector<int64_t>> vibee::computedMatmulKGroups(linalg::GenericOp op) {
  if (!isMatmulNest(op) || !isF32Memref(op.getDpsInputs()[0]) ||
      !isF32Memref(op.getDpsInits()[0]) || !splitBody(op))
    return std::nullopt;
  SmallVector<int64_t> groups;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in->getOperandNumber() == 0)
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!isa<MemRefType>(in->get().getType())
            ? map.getNumResults() != 0
            : !unsupportedComputedRead(map, 0, 1, 2, groups).empty())
      return std::nullopt;
  }
  return groups;
}

/// `source` (read through `map` over the tile's loops (m, n, k)) viewed with
/// its n axis split into (jb, jj) on its first nb * nr rows, and its map over
/// the pack's loops (jb, k, jj); std::nullopt unless n is one of its results,
/// read plainly, and no other result reads it.
static std::optional<std::pair<Value, AffineMap>>
panelView(OpBuilder &b, Location loc, Value source, AffineMap map, Value nb, int64_t nr) {
  MLIRContext *ctx = b.getContext();
  auto type = dyn_cast<MemRefType>(source.getType());
  AffineExpr n = getAffineDimExpr(1, ctx);
  std::optional<unsigned> axis;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (e == n && !axis)
      axis = i;
    else if (e.isFunctionOfDim(1))
      return std::nullopt;
  }
  if (!type || !axis)
    return std::nullopt;
  SmallVector<OpFoldResult> offsets, sizes, strides(type.getRank(), b.getIndexAttr(1)),
      shape;
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> staticShape;
  Value rows = arith::MulIOp::create(b, loc, nb, arith::ConstantIndexOp::create(b, loc, nr));
  for (int64_t i = 0; i < type.getRank(); ++i) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(i == *axis ? OpFoldResult(rows) : memref::getMixedSize(b, loc, source, i));
    ReassociationIndices group = {int64_t(shape.size())};
    if (i == *axis) {
      shape.append({nb, b.getIndexAttr(nr)});
      staticShape.append({ShapedType::kDynamic, nr});
      group.push_back(group.back() + 1);
    } else {
      shape.push_back(sizes.back());
      staticShape.push_back(type.getDimSize(i));
    }
    groups.push_back(group);
  }
  auto rowsView = memref::SubViewOp::create(b, loc, source, offsets, sizes, strides);
  FailureOr<MemRefType> expanded =
      memref::ExpandShapeOp::computeExpandedType(rowsView.getType(), staticShape, groups);
  if (failed(expanded))
    return std::nullopt;
  Value view = memref::ExpandShapeOp::create(b, loc, *expanded, rowsView, groups, shape);
  AffineExpr jb, k, jj;
  bindDims(ctx, jb, k, jj);
  SmallVector<AffineExpr> results;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (i == *axis)
      results.append({jb, jj});
    else
      results.push_back(e.replaceDims({getAffineConstantExpr(0, ctx), jb * nr + jj, k}));
  }
  return std::pair(view, AffineMap::get(3, 0, results, ctx));
}

linalg::GenericOp vibee::buildComputedPack(OpBuilder &b, Location loc, linalg::GenericOp tile,
                                           Value packView, int64_t nr) {
  MLIRContext *ctx = b.getContext();
  AffineExpr jb, k, jj;
  bindDims(ctx, jb, k, jj);
  SmallVector<AffineExpr> loops = {getAffineConstantExpr(0, ctx), jb * nr + jj, k};
  // Sources whose n is a plain index are read through a view that splits it
  // into (jb, jj): their maps become projected permutations, so
  // vibee-cpu-vectorize takes the pack (a transposed copy for w[n, k], the
  // nn.Linear layout) when every source's does; otherwise it stays scalar
  // loops (vibee.pack).
  Value nb = memref::DimOp::create(b, loc, packView, 0);
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : tile.getDpsInputOperands()) {
    if (in->getOperandNumber() == 0)
      continue;
    AffineMap map = tile.getMatchingIndexingMap(in);
    if (auto view = panelView(b, loc, in->get(), map, nb, nr)) {
      ins.push_back(view->first);
      maps.push_back(view->second);
      continue;
    }
    ins.push_back(in->get());
    maps.push_back(map.replaceDimsAndSymbols(loops, {}, 3, 0));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(3, ctx));
  Body parts = *splitBody(tile);
  Block &body = tile.getRegion().front();
  SmallVector<utils::IteratorType> par(3, utils::IteratorType::parallel);
  auto pointOf = [&](OpBuilder &bb, Location l, linalg::IndexOp index) -> Value {
    // The tile's n is jb * nr + jj, its k the pack's k (tiling already added
    // the tile's offsets to its indices).
    if (index.getDim() == 2)
      return linalg::IndexOp::create(bb, l, 1);
    Value block = linalg::IndexOp::create(bb, l, 0), lane = linalg::IndexOp::create(bb, l, 2);
    Value start = arith::MulIOp::create(bb, l, block, arith::ConstantIndexOp::create(bb, l, nr));
    return arith::AddIOp::create(bb, l, start, lane);
  };
  auto pack = linalg::GenericOp::create(b, loc, ins, ValueRange{packView}, maps, par,
                                        [&](OpBuilder &bb, Location l, ValueRange args) {
                                          IRMapping map;
                                          for (auto [i, arg] : llvm::enumerate(args.drop_back()))
                                            map.map(body.getArgument(i + 1), arg);
                                          for (Operation &o : body.without_terminator()) {
                                            if (&o == parts.mul || &o == parts.add)
                                              continue;
                                            if (auto index = dyn_cast<linalg::IndexOp>(o))
                                              map.map(index.getResult(), pointOf(bb, l, index));
                                            else
                                              bb.clone(o, map);
                                          }
                                          linalg::YieldOp::create(bb, l,
                                                                  map.lookupOrDefault(parts.b));
                                        });
  // Reads through `k floordiv c` (int4 nibbles, group scales) are vectorized as
  // transposed tiles too (DividedReads.h); other non-projected reads stay scalar.
  if (!llvm::all_of(maps, [](AffineMap m) {
        return m.isProjectedPermutation() || vibee::dividedReadDivisor(m, /*dim=*/1);
      }))
    pack->setAttr(vibee::attr::kPack, b.getUnitAttr());
  return pack;
}

SmallVector<AffineMap> vibee::plainMatmulMaps(MLIRContext *ctx) {
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  return {AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {k, n}, ctx),
          AffineMap::get(3, 0, {m, n}, ctx)};
}

linalg::GenericOp vibee::replaceByPlainMatmul(RewriterBase &rw, linalg::GenericOp tile,
                                              Value bRow) {
  SmallVector<AffineMap> maps = plainMatmulMaps(rw.getContext());
  rw.setInsertionPoint(tile);
  auto plain = linalg::GenericOp::create(
      rw, tile.getLoc(), ValueRange{tile.getDpsInputs()[0], bRow}, tile.getDpsInits(), maps,
      tile.getIteratorTypesArray(), [](OpBuilder &b, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(b, l, args[0], args[1]);
        linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, p, args[2]).getResult());
      });
  rw.eraseOp(tile);
  return plain;
}

void vibee::mapSlices(OpBuilder &b, Location loc, linalg::GenericOp op, OpFoldResult m0,
                      OpFoldResult ms, OpFoldResult n0, OpFoldResult ns, IRMapping &mapping) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()) || mapping.contains(operand.get()))
      continue;
    SmallVector<OpFoldResult> offsets, sizes, strides;
    bool sliced = false;
    for (auto [axis, e] : llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      unsigned loop = d ? d.getPosition() : ~0u;
      strides.push_back(b.getIndexAttr(1));
      if ((loop == 0 && m0) || (loop == 1 && n0)) {
        offsets.push_back(loop == 0 ? m0 : n0);
        sizes.push_back(loop == 0 ? ms : ns);
        sliced = true;
        continue;
      }
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(memref::getMixedSize(b, loc, operand.get(), axis));
    }
    if (sliced)
      mapping.map(operand.get(),
                  memref::SubViewOp::create(b, loc, operand.get(), offsets, sizes, strides));
  }
}
