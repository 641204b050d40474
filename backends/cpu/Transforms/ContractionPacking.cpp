//===- ContractionPacking.cpp - a linalg.contract's roles and packed operands //
//
// See ContractionPacking.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/ContractionPacking.h"
#include "backends/cpu/Transforms/ComputedOperand.h"
#include "transforms/RowGroupAnalysis.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace vibee::packing {

std::optional<unsigned> position(AffineMap map, unsigned dim) {
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == dim)
      return i;
  return std::nullopt;
}

std::optional<Roles> classify(linalg::ContractOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Roles roles;
  for (AffineExpr e : maps[2].getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    bool inA = position(maps[0], d).has_value(), inB = position(maps[1], d).has_value();
    if (inA && inB)
      roles.batch.push_back(d);
    else if (inA)
      roles.m.push_back(d);
    else if (inB)
      roles.n.push_back(d);
    else
      return std::nullopt;
  }
  for (AffineExpr e : maps[1].getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (!position(maps[2], d) && position(maps[0], d))
      roles.k.push_back(d);
  }
  if (roles.k.size() + roles.batch.size() + roles.m.size() + roles.n.size() != op.getNumLoops())
    return std::nullopt;
  return roles;
}

/// B's value at one point, in f32, from one element of each source, in a
/// generic whose loop `loopOf[d]` is the contract's loop d (the prologue's
/// linalg.index, the nibble `k % 2` selects, reads that loop).
static Value emitB(OpBuilder &b, Location l, const Dequant &dq, ValueRange args,
            ArrayRef<unsigned> loopOf) {
  linalg::GenericOp prologue = dq.prologue;
  if (!prologue)
    return Packer::toF32(b, l, args[0]);
  Block &body = prologue.getRegion().front();
  IRMapping map;
  for (auto [i, v] : llvm::enumerate(args))
    map.map(body.getArgument(i), v);
  for (Operation &o : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(o)) {
      unsigned loop = loopOf[dq.prologueLoops[index.getDim()]];
      map.map(index.getResult(), linalg::IndexOp::create(b, l, loop).getResult());
      continue;
    }
    b.clone(o, map);
  }
  return map.lookupOrDefault(body.getTerminator()->getOperand(0));
}

/// The generic that writes `buffer`, an allocation, for `op` alone (the
/// contraction's prologue), or null; `why` says why it cannot run inside the
/// packing, which reads its inputs later, once per panel.
static linalg::GenericOp prologueOf(Value buffer, linalg::ContractOp op, std::string &why) {
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return {};
  linalg::GenericOp writer;
  for (Operation *user : buffer.getUsers())
    if (auto g = dyn_cast<linalg::GenericOp>(user);
        g && llvm::is_contained(g.getDpsInits(), buffer))
      writer = g;
  if (!writer)
    return {};
  auto fail = [&](const char *reason) {
    why = reason;
    return linalg::GenericOp();
  };
  for (Operation *user : buffer.getUsers())
    if (user != writer && user != op && !isa<memref::DeallocOp>(user))
      return fail("its buffer has other users");
  if (op.getInputs()[0] == buffer || op.getOutputs()[0] == buffer || writer.getNumDpsInits() != 1 ||
      llvm::is_contained(writer.getDpsInputs(), buffer) || writer->getBlock() != op->getBlock() ||
      !writer->isBeforeInBlock(op))
    return fail("its buffer is not only written by the dequantization");
  Block &body = writer.getRegion().front();
  if (writer.getNumReductionLoops() ||
      !writer.getMatchingIndexingMap(writer.getDpsInitOperand(0)).isPermutation() ||
      !body.getArguments().back().use_empty())
    return fail("the operand is not an elementwise function of its reads");
  for (Operation &o : body.without_terminator())
    if (o.getNumRegions() || !isMemoryEffectFree(&o))
      return fail("the operand's computation reads memory");
  SmallVector<Value> roots;
  for (Value in : writer.getDpsInputs())
    if (isa<MemRefType>(in.getType()))
      roots.push_back(vibee::bufferOf(in));
  if (llvm::is_contained(roots, vibee::bufferOf(op.getOutputs()[0])))
    return fail("the contraction writes what its operand reads");
  // Only fresh buffers or other arguments (distinct, docs/abi.md) written between.
  auto harmless = [&](Value v) {
    Value r = vibee::bufferOf(v);
    return !llvm::is_contained(roots, r) &&
           (isa<BlockArgument>(r) || r.getDefiningOp<memref::AllocOp>());
  };
  for (Operation *o = writer->getNextNode(); o != op.getOperation(); o = o->getNextNode()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(o);
    if (isMemoryEffectFree(o) || isa<memref::AllocOp>(o) ||
        (linalgOp && linalgOp.hasPureBufferSemantics() &&
         llvm::all_of(linalgOp.getDpsInits(), harmless)))
      continue;
    return fail("an operation between its computation and the contraction may write its inputs");
  }
  return writer;
}

/// `map` (over the contract's loops) over (m, n, k), the loops of the packed matmul.
AffineMap toMNK(AffineMap map, const Roles &roles) {
  MLIRContext *ctx = map.getContext();
  SmallVector<AffineExpr> loops(map.getNumDims(), getAffineConstantExpr(0, ctx));
  for (unsigned d : roles.m)
    loops[d] = getAffineDimExpr(0, ctx);
  for (unsigned d : roles.n)
    loops[d] = getAffineDimExpr(1, ctx);
  for (unsigned d : roles.k)
    loops[d] = getAffineDimExpr(2, ctx);
  return map.replaceDimsAndSymbols(loops, {}, 3, 0);
}

/// How B can be computed while packing where it would otherwise be copied to
/// f32 (narrow, or written by a prologue). std::nullopt with an empty `why`
/// when B is f32 data already.
std::optional<Dequant> dequantizedB(linalg::ContractOp op, const Roles &roles, std::string &why) {
  Value b = op.getInputs()[1];
  AffineMap bMap = op.getIndexingMapsArray()[1];
  linalg::GenericOp prologue = prologueOf(b, op, why);
  if (!why.empty())
    return std::nullopt;
  // A plain f32 B is packed from itself, or, transposed (w[n, k], the
  // nn.Linear layout), from its panels: each read along k and written along n,
  // transposed in registers (vibee-cpu-vectorize), rather than from an f32
  // copy transposed to [K][N] first. Where panels cannot be packed, the copy,
  // without a remark (nothing is converted).
  bool panels = roles.batch.empty() && roles.n.size() == 1 && roles.k.size() == 1;
  if (!prologue && cast<MemRefType>(b.getType()).getElementType().isF32()) {
    auto inner = dyn_cast<AffineDimExpr>(bMap.getResults().back());
    if (!panels || !inner || !llvm::is_contained(roles.k, inner.getPosition()))
      return std::nullopt;
  }
  if (!panels) {
    why = "batch loops, or several N or K loops (the panels are packed from one N and one K loop)";
    return std::nullopt;
  }
  Dequant dq{{b}, {bMap}, prologue};
  if (prologue) {
    AffineMap out = prologue.getMatchingIndexingMap(prologue.getDpsInitOperand(0));
    AffineMap toLoops = inversePermutation(out).compose(bMap);
    dq.sources.clear();
    dq.maps.clear();
    for (AffineExpr e : toLoops.getResults()) {
      auto loop = dyn_cast<AffineDimExpr>(e);
      if (!loop) {
        why = "the operand's loops are not the contraction's";
        return std::nullopt;
      }
      dq.prologueLoops.push_back(loop.getPosition());
    }
    for (OpOperand *in : prologue.getDpsInputOperands()) {
      dq.sources.push_back(in->get());
      dq.maps.push_back(prologue.getMatchingIndexingMap(in).compose(toLoops));
    }
  }
  SmallVector<int64_t> groups;
  for (auto [source, map] : llvm::zip(dq.sources, dq.maps)) {
    if (!isa<MemRefType>(source.getType()))
      continue;
    std::string bad = vibee::unsupportedComputedRead(toMNK(map, roles), 0, 1, 2, groups);
    if (!bad.empty()) {
      why = "a read of its weights does not pack by panels: " + bad;
      return std::nullopt;
    }
  }
  return dq;
}

/// The generic over `maps` (A, the sources of B, C) with `iterators` that adds
/// cast(A) * b(sources) into C; its loop `loopOf[d]` is the contract's loop d.
linalg::GenericOp buildComputedGeneric(RewriterBase &rw, Location loc, const Dequant &dq, Value a,
                                       Value c, ArrayRef<AffineMap> maps,
                                       ArrayRef<utils::IteratorType> iterators,
                                       ArrayRef<unsigned> loopOf) {
  SmallVector<Value> ins = {a};
  llvm::append_range(ins, dq.sources);
  return linalg::GenericOp::create(
      rw, loc, ins, ValueRange{c}, maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        Value bv = emitB(b, l, dq, args.slice(1, dq.sources.size()), loopOf);
        Value p = arith::MulFOp::create(b, l, Packer::toF32(b, l, args[0]), bv);
        linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, p, args.back()).getResult());
      });
}

/// Erases the prologue that `dq` computes B with, and its buffer.
void erasePrologue(RewriterBase &rw, const Dequant &dq) {
  linalg::GenericOp prologue = dq.prologue;
  if (!prologue)
    return;
  Value buffer = prologue.getDpsInits()[0];
  rw.eraseOp(prologue);
  for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
    rw.eraseOp(user); // its deallocations
  rw.eraseOp(buffer.getDefiningOp());
}

} // namespace vibee::packing
