//===- FormAttention.cpp - recognise attention statement chains -----------===//
//
// Users write attention as the paper's "standard attention" reads:
//   s = sum(d) q k;  [t = where(j <= i, scale * s + bias, -1e30);]  m = max(j) t;
//   p = exp([scale *] (t - m));  l = sum(j) p;  o = sum(j) p v / l
// (the division before or after the contraction or as its own statement, casts
// of bf16/f16 storage, any index names and orders, a GQA group axis, or a
// vibee.softmax formed from the middle). This pass turns the chain into one
// vibee.attention, whose targets run it with a running max and sum (no score
// matrix in memory). A chain that fails stays on the generic path, and the
// statement of the second contraction gets a remark naming the step that broke
// the match (`vibeec compile --verbose`).
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_FORMATTENTIONPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

AffineMap mapOf(ComputeOp op, unsigned input) {
  return cast<AffineMapAttr>(op.getIndexingMaps()[input]).getValue();
}

// The input of `op` that body value `v` is (through an extf), or -1.
int inputOf(ComputeOp op, Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  auto arg = dyn_cast<BlockArgument>(v);
  return arg && arg.getOwner() == &op.getBody().front() ? (int)arg.getArgNumber() : -1;
}

Value yielded(ComputeOp op) {
  return cast<YieldOp>(op.getBody().front().getTerminator()).getValue();
}

// A float constant in a body (`-1e30` arrives as negf of 1e30).
std::optional<double> constantOf(Value v) {
  bool negate = false;
  if (auto neg = v.getDefiningOp<arith::NegFOp>()) {
    negate = true;
    v = neg.getOperand();
  }
  auto c = v.getDefiningOp<arith::ConstantOp>();
  auto f = c ? dyn_cast<FloatAttr>(c.getValue()) : nullptr;
  if (!f)
    return std::nullopt;
  return negate ? -f.getValueAsDouble() : f.getValueAsDouble();
}

// A scalar factor of a body: a scalar input or a constant; as a value outside.
struct Scale {
  Value input;                  // a scalar operand of the compute, or
  std::optional<double> number; // a constant
  bool reciprocal = false;      // divides instead of multiplies
};

std::optional<Scale> scaleOf(ComputeOp op, Value v) {
  if (std::optional<double> c = constantOf(v))
    return Scale{Value(), c};
  int i = inputOf(op, v);
  if (i < 0 || isa<ShapedType>(op.getInputs()[i].getType()) ||
      v.getType() != op.getResult().getType().getElementType())
    return std::nullopt;
  return Scale{op.getInputs()[i], std::nullopt};
}

// The pieces of a chain, in the loops of the second contraction `pv`
// (its output loops, then its key loop) plus one more loop for the head dim.
struct Chain {
  ComputeOp pv, qk;
  Operation *root = nullptr; // the op the result replaces (pv or the final division)
  SmallVector<Operation *> dead;
  SmallVector<Scale> scales;
  Value q, k, v, bias;
  AffineMap qMap, kMap, vMap, biasMap, pMap;    // pMap: pv loops -> score axes
  std::optional<std::array<int64_t, 3>> causal; // in score axes until translated
  bool expScaled = false;                       // a scale inside exp()
};

// Matches `op` (a compute over score axes) as the logits `where(mask, scale * s
// + bias, -inf)` of the contraction `s`; fills the chain. Returns the failure.
std::string matchLogits(ComputeOp op, Chain &c) {
  if (op.getKind() != ReduceKind::none)
    return "the logits statement reduces";
  Value w = yielded(op);
  int base = -1;
  while (base < 0) {
    if (auto sel = w.getDefiningOp<arith::SelectOp>()) {
      std::optional<double> masked = constantOf(sel.getFalseValue());
      auto cmp = sel.getCondition().getDefiningOp<arith::CmpIOp>();
      if (!masked || *masked > -1e30 || !cmp || c.causal)
        return "a where() that is not a causal mask (index comparison, -1e30 or below)";
      auto loopOf = [](Value x) -> int {
        if (auto cast = x.getDefiningOp<arith::IndexCastOp>())
          x = cast.getIn();
        auto index = x.getDefiningOp<IndexOp>();
        return index ? (int)index.getDim() : -1;
      };
      int a = loopOf(cmp.getLhs()), b = loopOf(cmp.getRhs());
      using P = arith::CmpIPredicate;
      P pred = cmp.getPredicate();
      if (pred == P::sge || pred == P::sgt) // i >= j is j <= i
        std::swap(a, b), pred = pred == P::sge ? P::sle : P::slt;
      if (a < 0 || b < 0 || (pred != P::sle && pred != P::slt))
        return "a where() condition other than j <= i or j < i over loop indices";
      c.causal = std::array<int64_t, 3>{b, a, pred == P::sle ? 0 : -1}; // [i, j, offset]
      w = sel.getTrueValue();
    } else if (auto mul = w.getDefiningOp<arith::MulFOp>()) {
      std::optional<Scale> s = scaleOf(op, mul.getRhs());
      Value rest = mul.getLhs();
      if (!s) {
        s = scaleOf(op, mul.getLhs());
        rest = mul.getRhs();
      }
      if (!s)
        return "a product in the logits that is not a scalar scale";
      c.scales.push_back(*s);
      w = rest;
    } else if (auto div = w.getDefiningOp<arith::DivFOp>()) {
      std::optional<Scale> s = scaleOf(op, div.getRhs());
      if (!s)
        return "a division in the logits that is not by a scalar";
      s->reciprocal = true;
      c.scales.push_back(*s);
      w = div.getLhs();
    } else if (auto add = w.getDefiningOp<arith::AddFOp>()) {
      if (c.bias)
        return "more than one additive bias";
      for (auto [biasSide, rest] :
           {std::pair(add.getRhs(), add.getLhs()), std::pair(add.getLhs(), add.getRhs())}) {
        int i = inputOf(op, biasSide);
        if (i >= 0 && isa<ShapedType>(op.getInputs()[i].getType()) &&
            !op.getInputs()[i].getDefiningOp<ComputeOp>()) {
          c.bias = op.getInputs()[i];
          c.biasMap = mapOf(op, i);
          w = rest;
          break;
        }
      }
      if (!c.bias)
        return "an addition in the logits that is not a bias tensor parameter";
    } else {
      base = inputOf(op, w);
      if (base < 0 || w.getDefiningOp<arith::ExtFOp>())
        return "the logits are not built from the scores by scale, bias and a causal where()";
    }
  }
  c.qk = op.getInputs()[base].getDefiningOp<ComputeOp>();
  if (!c.qk || mapOf(op, base) != op.getResultMap())
    return "the logits do not read the scores elementwise";
  c.dead.push_back(op);
  return "";
}

// Matches `op` as s = sum(d) q k [* scale]: returns the failure.
std::string matchScores(ComputeOp op, Chain &c) {
  if (op.getKind() != ReduceKind::sum || op.getNumLoops() != op.getNumParallelLoops() + 1)
    return "the scores are not a sum over one head-dim index";
  SmallVector<Value> work = {yielded(op)};
  SmallVector<int> tensors;
  while (!work.empty()) {
    Value w = work.pop_back_val();
    if (auto mul = w.getDefiningOp<arith::MulFOp>()) {
      work.push_back(mul.getLhs());
      work.push_back(mul.getRhs());
    } else if (std::optional<Scale> s = scaleOf(op, w)) {
      c.scales.push_back(*s);
    } else if (int i = inputOf(op, w); i >= 0 && isa<ShapedType>(op.getInputs()[i].getType())) {
      tensors.push_back(i);
    } else {
      return "the scores' sum is not a product of q, k and scalars";
    }
  }
  if (tensors.size() != 2)
    return "the scores' sum is not a product of two tensors";
  c.q = op.getInputs()[tensors[1]];
  c.qMap = mapOf(op, tensors[1]);
  c.k = op.getInputs()[tensors[0]];
  c.kMap = mapOf(op, tensors[0]);
  c.dead.push_back(op);
  return "";
}

// p and its row sum l, from `pOp` (exp(scale * (x - max x)) or a softmax). On
// success `x` is the logits or scores the softmax runs over.
std::string matchProbabilities(Operation *pOp, unsigned jAxis, bool normalized, Chain &c,
                               Value &x) {
  if (auto softmax = dyn_cast_or_null<SoftmaxOp>(pOp)) {
    if (softmax.getAxis() != jAxis)
      return "the softmax runs over another axis than the contraction with v";
    if (!normalized)
      return "the softmax's probabilities are divided again";
    x = softmax.getInput();
    c.dead.push_back(softmax);
    return "";
  }
  auto p = dyn_cast_or_null<ComputeOp>(pOp);
  if (!p || p.getKind() != ReduceKind::none || yielded(p).getDefiningOp<math::ExpOp>() == nullptr)
    return "the probabilities are not exp(...) of the row-max-subtracted scores";
  Value z = yielded(p).getDefiningOp<math::ExpOp>().getOperand();
  if (auto mul = z.getDefiningOp<arith::MulFOp>()) {
    std::optional<Scale> s = scaleOf(p, mul.getLhs());
    z = mul.getRhs();
    if (!s) {
      s = scaleOf(p, mul.getRhs());
      z = mul.getLhs();
    }
    if (!s)
      return "exp() of a product that is not a scalar times (x - max x)";
    c.scales.push_back(*s);
    c.expScaled = true;
  }
  auto sub = z.getDefiningOp<arith::SubFOp>();
  int xi = sub ? inputOf(p, sub.getLhs()) : -1, mi = sub ? inputOf(p, sub.getRhs()) : -1;
  if (xi < 0 || mi < 0 || mapOf(p, xi) != p.getResultMap())
    return "exp() of something other than (x - max x)";
  auto mx = p.getInputs()[mi].getDefiningOp<ComputeOp>();
  x = p.getInputs()[xi];
  unsigned rank = p.getNumParallelLoops();
  if (!mx || mx.getKind() != ReduceKind::max || mx.getInputs().size() != 1 ||
      mx.getInputs()[0] != x || yielded(mx) != mx.getBody().front().getArgument(0) ||
      mapOf(p, mi) != p.getResultMap().dropResult(jAxis))
    return "the subtracted value is not the max of x over the key index";
  SmallVector<AffineExpr> reduced;
  for (unsigned a = 0, o = 0; a < rank; ++a)
    reduced.push_back(getAffineDimExpr(a == jAxis ? rank - 1 : o++, p.getContext()));
  if (mapOf(mx, 0) != AffineMap::get(rank, 0, reduced, p.getContext()))
    return "the max runs over another index than the contraction with v";
  c.dead.push_back(p);
  c.dead.push_back(mx);
  return "";
}

// Whether `pv` looks like the second contraction of an attention: a sum with a
// factor produced by exp(), a softmax or a division of one. Only those get a
// remark when they do not form.
bool isCandidate(ComputeOp pv) {
  if (pv.getKind() != ReduceKind::sum)
    return false;
  Value y = yielded(pv);
  if (auto div = y.getDefiningOp<arith::DivFOp>())
    y = div.getLhs();
  if (!y.getDefiningOp<arith::MulFOp>())
    return false; // a plain sum (the row sum of the chain)
  auto fromExp = [](Value v) {
    Operation *def = v.getDefiningOp();
    if (isa_and_nonnull<SoftmaxOp>(def))
      return true;
    auto c = dyn_cast_or_null<ComputeOp>(def);
    return c && !c.getBody().front().getOps<math::ExpOp>().empty();
  };
  for (Value in : pv.getInputs()) {
    if (fromExp(in))
      return true;
    if (auto div = in.getDefiningOp<ComputeOp>())
      if (div.getKind() == ReduceKind::none && div.getInputs().size() == 2 &&
          yielded(div).getDefiningOp<arith::DivFOp>() && fromExp(div.getInputs()[0]))
        return true;
  }
  return false;
}

// Whether `l` is sum(j) p over the key axis `jAxis` of p.
bool isRowSum(Value l, Value p, unsigned jAxis) {
  auto op = l.getDefiningOp<ComputeOp>();
  if (!op || op.getKind() != ReduceKind::sum || op.getInputs().size() != 1 ||
      op.getInputs()[0] != p || yielded(op) != op.getBody().front().getArgument(0))
    return false;
  unsigned rank = cast<RankedTensorType>(p.getType()).getRank();
  SmallVector<AffineExpr> reduced;
  for (unsigned a = 0, o = 0; a < rank; ++a)
    reduced.push_back(getAffineDimExpr(a == jAxis ? rank - 1 : o++, op.getContext()));
  return mapOf(op, 0) == AffineMap::get(rank, 0, reduced, op.getContext());
}

// The division `a / l` (then a cast) by the row sum, as the whole body of `op`;
// returns the input index of l, or -1.
int divisionBy(ComputeOp op, int numerator) {
  Value y = yielded(op);
  if (auto t = y.getDefiningOp<arith::TruncFOp>())
    y = t.getIn();
  auto div = y.getDefiningOp<arith::DivFOp>();
  if (!div || op.getKind() != ReduceKind::none || inputOf(op, div.getLhs()) != numerator)
    return -1;
  return inputOf(op, div.getRhs());
}

std::string matchChain(ComputeOp pv, Chain &c) {
  unsigned r = pv.getNumParallelLoops();
  if (pv.getNumLoops() != r + 1)
    return "the contraction with v sums over more than the key index";
  if (!pv.getResult().getType().getElementType().isF32())
    return "the contraction with v is not in f32";
  c.pv = pv;
  Value y = yielded(pv), divisor;
  int li = -1;
  if (auto div = y.getDefiningOp<arith::DivFOp>()) {
    li = inputOf(pv, div.getRhs());
    if (li < 0)
      return "the contraction with v divides by something other than the row sum";
    divisor = pv.getInputs()[li];
    y = div.getLhs();
  }
  auto mul = y.getDefiningOp<arith::MulFOp>();
  int a = mul ? inputOf(pv, mul.getLhs()) : -1, b = mul ? inputOf(pv, mul.getRhs()) : -1;
  if (a < 0 || b < 0)
    return "the contraction with v is not p * v (divided by the row sum)";
  auto isP = [&](int i) {
    Operation *def = pv.getInputs()[i].getDefiningOp();
    auto c = dyn_cast_or_null<ComputeOp>(def);
    return isa_and_nonnull<SoftmaxOp>(def) ||
           (c && (!c.getBody().front().getOps<math::ExpOp>().empty() ||
                  yielded(c).getDefiningOp<arith::DivFOp>()));
  };
  int pi = isP(a) ? a : b, vi = pi == a ? b : a;
  if (!isP(pi))
    return "no factor of the contraction with v is computed probabilities";
  c.v = pv.getInputs()[vi];
  c.vMap = mapOf(pv, vi);
  c.pMap = mapOf(pv, pi);
  auto jAxisIt = llvm::find(c.pMap.getResults(), getAffineDimExpr(r, pv.getContext()));
  if (!c.pMap.isProjectedPermutation() || jAxisIt == c.pMap.getResults().end() ||
      !c.vMap.isFunctionOfDim(r))
    return "p and v are not both read along the summed key index";
  unsigned jAxis = jAxisIt - c.pMap.getResults().begin();
  AffineMap rows = c.pMap.dropResult(jAxis);
  if (li >= 0 && mapOf(pv, li) != rows)
    return "the contraction with v divides by something other than the row sum";
  Value p = pv.getInputs()[pi];
  // Division before the contraction: pn = p / l.
  if (auto div = p.getDefiningOp<ComputeOp>();
      div && !divisor && divisionBy(div, 0) == 1 && mapOf(div, 0) == div.getResultMap()) {
    divisor = div.getInputs()[1];
    p = div.getInputs()[0];
    c.dead.push_back(div);
  }
  Value x;
  bool softmax = isa_and_nonnull<SoftmaxOp>(p.getDefiningOp());
  if (std::string why = matchProbabilities(p.getDefiningOp(), jAxis, softmax, c, x); !why.empty())
    return why;
  c.root = pv;
  if (!softmax) {
    if (!divisor) {
      // o = acc / l as a statement of its own.
      if (!pv->hasOneUse())
        return "the unnormalized contraction with v has other uses than o = acc / l";
      auto o = dyn_cast<ComputeOp>(*pv->getUsers().begin());
      int l = o ? divisionBy(o, 0) : -1;
      if (l < 0 || o.getInputs()[0] != pv.getResult() || mapOf(o, 0) != o.getResultMap() ||
          mapOf(o, l) != AffineMap::get(r, 0, rows.getResults(), pv.getContext()))
        return "the contraction with v is not divided by the row sum";
      divisor = o.getInputs()[l];
      c.dead.push_back(pv);
      c.root = o;
    }
    if (!isRowSum(divisor, p, jAxis))
      return "the divisor is not the sum over the key index of the probabilities";
    c.dead.push_back(divisor.getDefiningOp());
  } else if (divisor) {
    return "the softmax's probabilities are divided again";
  }
  auto xOp = x.getDefiningOp<ComputeOp>();
  if (!xOp)
    return "the softmax does not run over computed scores";
  if (xOp.getKind() == ReduceKind::none) {
    if (std::string why = matchLogits(xOp, c); !why.empty())
      return why;
    xOp = c.qk;
  }
  if (std::string why = matchScores(xOp, c); !why.empty())
    return why;
  if (c.bias && c.expScaled)
    return "a scale inside exp() together with a bias (scales the bias too)";
  return "";
}

} // namespace

/// Translates the chain into the op's loops (pv's loops, then the head dim) and
/// replaces its root. Returns false when an intermediate has other uses.
static std::string rewriteChain(Chain &c, IRRewriter &rewriter) {
  llvm::SmallPtrSet<Operation *, 8> chain(c.dead.begin(), c.dead.end());
  chain.insert(c.root);
  for (Operation *op : c.dead)
    for (Operation *user : op->getUsers())
      if (!chain.contains(user))
        return "an intermediate of the chain has other uses";
  ComputeOp pv = c.pv;
  MLIRContext *ctx = pv.getContext();
  unsigned r = pv.getNumParallelLoops(), n = r + 2;
  auto fromScores = [&](AffineMap m, bool hasHead) {
    SmallVector<AffineExpr> results;
    unsigned scoreRank = c.pMap.getNumResults();
    for (AffineExpr e : m.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (hasHead && d == scoreRank)
        results.push_back(getAffineDimExpr(r + 1, ctx));
      else
        results.push_back(
            getAffineDimExpr(cast<AffineDimExpr>(c.pMap.getResult(d)).getPosition(), ctx));
    }
    return AffineMap::get(n, 0, results, ctx);
  };
  for (AffineMap m : {c.qMap, c.kMap, c.vMap})
    if (!m.isProjectedPermutation())
      return "q, k or v is read through a subscript that is not a plain index";
  SmallVector<Attribute> maps = {
      AffineMapAttr::get(fromScores(c.qMap, true)), AffineMapAttr::get(fromScores(c.kMap, true)),
      AffineMapAttr::get(AffineMap::get(n, 0, c.vMap.getResults(), ctx))};
  if (c.bias)
    maps.push_back(AffineMapAttr::get(fromScores(c.biasMap, false)));
  maps.push_back(AffineMapAttr::get(
      AffineMap::get(n, 0, AffineMap::getMultiDimIdentityMap(r, ctx).getResults(), ctx)));
  DenseI64ArrayAttr causal;
  if (c.causal) {
    auto loop = [&](int64_t axis) {
      return (int64_t)cast<AffineDimExpr>(c.pMap.getResult(axis)).getPosition();
    };
    causal =
        DenseI64ArrayAttr::get(ctx, {loop((*c.causal)[0]), loop((*c.causal)[1]), (*c.causal)[2]});
  }

  auto root = cast<ComputeOp>(c.root);
  rewriter.setInsertionPoint(root);
  Location loc = root.getLoc();
  Value scale = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(1.0f));
  for (const Scale &s : c.scales) {
    Value v = s.input ? s.input
                      : arith::ConstantOp::create(rewriter, loc,
                                                  rewriter.getF32FloatAttr((float)*s.number))
                            .getResult();
    scale = s.reciprocal ? arith::DivFOp::create(rewriter, loc, scale, v).getResult()
                         : arith::MulFOp::create(rewriter, loc, scale, v).getResult();
  }
  RankedTensorType type = root.getResult().getType();
  SmallVector<Value> dynamic;
  for (unsigned a = 0; a < type.getRank(); ++a)
    if (type.isDynamicDim(a))
      dynamic.push_back(root.getExtents()[a]);
  Value init = tensor::EmptyOp::create(rewriter, loc, type, dynamic);
  auto op = AttentionOp::create(rewriter, loc, TypeRange{type}, c.q, c.k, c.v, scale, c.bias, init,
                                rewriter.getArrayAttr(maps), causal);
  FailureOr<SmallVector<AttentionOp::LoopRole>> roles = op.getLoopRoles();
  auto one = [&](AttentionOp::LoopRole role) { return llvm::count(*roles, role) == 1; };
  if (failed(roles) || !one(AttentionOp::LoopRole::key) || !one(AttentionOp::LoopRole::head) ||
      !one(AttentionOp::LoopRole::value)) {
    rewriter.eraseOp(op);
    return "the chain's loops do not have the roles of attention (batch, query, key, head, value)";
  }
  rewriter.replaceOp(root, op.getResult()[0]);
  // Erase in an order that frees every operand: repeat until nothing is left.
  bool erased = true;
  while (erased) {
    erased = false;
    for (Operation *&dead : c.dead)
      if (dead && dead->getBlock() && dead->use_empty()) {
        rewriter.eraseOp(dead);
        dead = nullptr;
        erased = true;
      }
  }
  return "";
}

namespace {
struct FormAttentionPass : vibee::impl::FormAttentionPassBase<FormAttentionPass> {
  void runOnOperation() override {
    SmallVector<ComputeOp> candidates;
    getOperation()->walk([&](ComputeOp op) {
      if (isCandidate(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (ComputeOp pv : candidates) {
      Chain chain;
      std::string why = matchChain(pv, chain);
      if (why.empty())
        why = rewriteChain(chain, rewriter);
      if (!why.empty())
        mlir::emitRemark(pv.getLoc()) << "attention not formed (generic loops): " << why;
    }
  }
};
} // namespace
