//===- CpuAttention.cpp - blocked online-softmax attention on the CPU -----===//
//
// vibee.attention on memrefs (after bufferization) becomes FlashAttention's loop
// nest (Dao et al. 2022, Algorithm 1, forward): per block of kQueryBlock query
// rows, key blocks of kKeyBlock keys stream through; each row keeps a running
// max m, a running sum l and an f32 accumulator of E values, rescaled by
// exp(m_old - m_new) when the max grows. Extra memory per thread: the blocks
// (Q, K^T, V, scores, accumulator), O(block x D) -- never S x T. Work items are
// batch x other query loops x query blocks, spread over the runtime's threads
// (ThreadRuntime.h). A causal mask stops each query block's key loop at its
// last row's diagonal: the key blocks above it are never visited.
//
// The innermost loops run over contiguous f32 blocks with unit stride and no
// reduction (scores: S[r, :] += q[r, d] K^T[d, :]; output: acc[r, :] += p v[c, :]),
// so LLVM vectorizes them at the target's width; exp() becomes a polynomial in
// vibee-cpu-prepare-vectorization, which runs after this pass.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"

#include "backends/cpu/Transforms/ChunkFunctions.h"
#include "backends/cpu/Transforms/ThreadRuntime.h"
#include "ir/VibeeOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

namespace vibee {
#define GEN_PASS_DEF_CPUATTENTIONPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

constexpr int64_t kQueryBlock = 32; // rows sharing each K/V block load
constexpr int64_t kKeyBlock = 64;   // keys per block: a score row is 4 AVX-512 vectors

using Role = AttentionOp::LoopRole;

// Emits the loop nest of one attention op inside a chunk function.
struct Emitter {
  OpBuilder &b;
  Location loc;
  AttentionOp op;
  SmallVector<Role> roles;
  Value q, k, v, bias, out, scale;
  SmallVector<Value> size; // per loop
  int iq = -1;             // the blocked query loop (-1: none, a decode)
  unsigned jl = 0, dl = 0, el = 0;

  Value c(int64_t x) { return arith::ConstantIndexOp::create(b, loc, x); }
  Value f(double x) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)x)); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }

  // for (iv = lb; iv < ub; ++iv) body(iv)
  void loop(Value lb, Value ub, function_ref<void(Value)> body, Value step = {}) {
    auto forOp = scf::ForOp::create(b, loc, lb, ub, step ? step : c(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
  }
  // A loop carrying one f32 value.
  Value reduce(Value lb, Value ub, Value init, function_ref<Value(Value, Value)> body) {
    auto forOp = scf::ForOp::create(b, loc, lb, ub, c(1), ValueRange{init});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value next = body(forOp.getInductionVar(), forOp.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, next);
    return forOp.getResult(0);
  }

  SmallVector<Value> indices(AffineMap map, ArrayRef<Value> env) {
    SmallVector<Value> idx;
    for (AffineExpr e : map.getResults())
      idx.push_back(env[cast<AffineDimExpr>(e).getPosition()]);
    return idx;
  }
  Value load(Value memref, AffineMap map, ArrayRef<Value> env) {
    Value x = memref::LoadOp::create(b, loc, memref, indices(map, env));
    if (x.getType() != b.getF32Type())
      x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return x;
  }
  Value at(Value block, Value r, Value col) {
    return memref::LoadOp::create(b, loc, block, ValueRange{r, col});
  }
  void put(Value x, Value block, Value r, Value col) {
    memref::StoreOp::create(b, loc, x, block, ValueRange{r, col});
  }

  void emitItem(Value w, Value nqb, ArrayRef<Value> blocks);
  void emitKeyBlock(SmallVector<Value> &env, Value i0, Value bq, Value j0, Value bk,
                    ArrayRef<Value> blocks);
};

void Emitter::emitItem(Value w, Value nqb, ArrayRef<Value> blocks) {
  Value qt = blocks[0], acc = blocks[4], rows = blocks[5];
  SmallVector<Value> env(roles.size());
  Value rest = w, qb = c(0);
  if (iq >= 0) {
    qb = arith::RemUIOp::create(b, loc, rest, nqb);
    rest = arith::DivUIOp::create(b, loc, rest, nqb);
  }
  for (int l = (int)roles.size() - 1; l >= 0; --l)
    if ((roles[l] == Role::batch || roles[l] == Role::query) && l != iq) {
      env[l] = arith::RemUIOp::create(b, loc, rest, size[l]);
      rest = arith::DivUIOp::create(b, loc, rest, size[l]);
    }
  Value i0 = mul(qb, c(kQueryBlock));
  Value bq = iq >= 0 ? min(c(kQueryBlock), arith::SubIOp::create(b, loc, size[iq], i0)) : c(1);
  Value zero = c(0), one = c(1), ninf = f(-std::numeric_limits<float>::infinity());
  // Q block, scaled once: Qt[r, d] = scale * q[.., i0 + r, .., d].
  loop(zero, bq, [&](Value r) {
    if (iq >= 0)
      env[iq] = add(i0, r);
    loop(zero, size[dl], [&](Value d) {
      env[dl] = d;
      put(arith::MulFOp::create(b, loc, load(q, op.getQueryMap(), env), scale), qt, r, d);
    });
    loop(zero, size[el], [&](Value e) { put(f(0), acc, r, e); });
    put(ninf, rows, r, zero); // running max
    put(f(0), rows, r, one);  // running sum
  });
  // Keys up to the block's last row's diagonal when causal: blocks above it are skipped.
  Value keys = size[jl];
  if (auto causal = op.getCausal()) {
    Value last = add(add(i0, bq), c((*causal)[2]));
    keys = min(keys, arith::MaxSIOp::create(b, loc, last, zero));
  }
  loop(
      zero, keys,
      [&](Value j0) {
        Value bk = min(c(kKeyBlock), arith::SubIOp::create(b, loc, keys, j0));
        emitKeyBlock(env, i0, bq, j0, bk, blocks);
      },
      c(kKeyBlock));
  // o = acc / l, in o's type.
  Type outType = getElementTypeOrSelf(out.getType());
  loop(zero, bq, [&](Value r) {
    if (iq >= 0)
      env[iq] = add(i0, r);
    Value l = at(rows, r, one);
    loop(zero, size[el], [&](Value e) {
      env[el] = e;
      Value o = arith::DivFOp::create(b, loc, at(acc, r, e), l);
      if (outType != o.getType())
        o = arith::TruncFOp::create(b, loc, outType, o);
      memref::StoreOp::create(b, loc, o, out, indices(op.getOutputMap(), env));
    });
  });
}

void Emitter::emitKeyBlock(SmallVector<Value> &env, Value i0, Value bq, Value j0, Value bk,
                           ArrayRef<Value> blocks) {
  Value qt = blocks[0], kt = blocks[1], vb = blocks[2], sb = blocks[3], acc = blocks[4],
        rows = blocks[5];
  Value zero = c(0), one = c(1);
  // K^T and V blocks in f32 (each key row read once per query block).
  loop(zero, bk, [&](Value cc) {
    env[jl] = add(j0, cc);
    loop(zero, size[dl], [&](Value d) {
      env[dl] = d;
      put(load(k, op.getKeyMap(), env), kt, d, cc);
    });
    loop(zero, size[el], [&](Value e) {
      env[el] = e;
      put(load(v, op.getValueMap(), env), vb, cc, e);
    });
  });
  loop(zero, bq, [&](Value r) {
    if (iq >= 0)
      env[iq] = add(i0, r);
    // Scores: S[r, :] = sum_d Qt[r, d] K^T[d, :] (+ bias, masked).
    loop(zero, bk, [&](Value cc) { put(f(0), sb, r, cc); });
    loop(zero, size[dl], [&](Value d) {
      Value x = at(qt, r, d);
      loop(zero, bk, [&](Value cc) {
        Value s = at(sb, r, cc);
        put(math::FmaOp::create(b, loc, x, at(kt, d, cc), s), sb, r, cc);
      });
    });
    Value ninf = f(-std::numeric_limits<float>::infinity());
    if (bias || op.getCausal()) {
      loop(zero, bk, [&](Value cc) {
        env[jl] = add(j0, cc);
        Value s = at(sb, r, cc);
        if (bias)
          s = arith::AddFOp::create(b, loc, s, load(bias, op.getBiasMap(), env));
        if (auto causal = op.getCausal()) {
          Value keep = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, env[jl],
                                             add(env[(*causal)[0]], c((*causal)[2])));
          s = arith::SelectOp::create(b, loc, keep, s, ninf);
        }
        put(s, sb, r, cc);
      });
    }
    // Online softmax: the new max, the rescale of what came before, p = exp(s - m).
    Value mOld = at(rows, r, zero);
    Value mBlock = reduce(zero, bk, ninf, [&](Value cc, Value m) {
      return arith::MaximumFOp::create(b, loc, m, at(sb, r, cc));
    });
    Value mNew = arith::MaximumFOp::create(b, loc, mOld, mBlock);
    // A row masked so far entirely keeps m = -inf: subtract 0 then (p = 0, alpha = 1).
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf);
    Value shift = arith::SelectOp::create(b, loc, masked, f(0), mNew);
    Value alpha = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld, shift));
    Value sum = reduce(zero, bk, f(0), [&](Value cc, Value s) {
      Value p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, at(sb, r, cc), shift));
      put(p, sb, r, cc);
      return arith::AddFOp::create(b, loc, s, p);
    });
    Value l = at(rows, r, one);
    put(arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, l, alpha), sum), rows, r, one);
    put(mNew, rows, r, zero);
    loop(zero, size[el],
         [&](Value e) { put(arith::MulFOp::create(b, loc, at(acc, r, e), alpha), acc, r, e); });
    // acc[r, :] += p[c] V[c, :].
    loop(zero, bk, [&](Value cc) {
      Value p = at(sb, r, cc);
      loop(zero, size[el], [&](Value e) {
        put(math::FmaOp::create(b, loc, p, at(vb, cc, e), at(acc, r, e)), acc, r, e);
      });
    });
  });
}

struct CpuAttentionPass : vibee::impl::CpuAttentionPassBase<CpuAttentionPass> {
  using CpuAttentionPassBase::CpuAttentionPassBase;

  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) {
      if (op.getNumResults() == 0)
        ops.push_back(op);
    });
    SymbolTable symbols(getOperation());
    for (AttentionOp op : ops)
      rewrite(op, symbols);
  }

  void rewrite(AttentionOp op, SymbolTable &symbols) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    SmallVector<Role> roles = *op.getLoopRoles();
    SmallVector<Value> operands = {op.getQuery(), op.getKey(), op.getValue(), op.getScale(),
                                   op.getInit()};
    if (op.getBias())
      operands.push_back(op.getBias());
    // The work items: batch and query loops but the blocked one, times query blocks.
    int iq = -1;
    for (int l = 0; l < (int)roles.size(); ++l)
      if (roles[l] == Role::query)
        iq = l;
    if (auto causal = op.getCausal())
      iq = (int)(*causal)[0];
    auto body = [&, iq](OpBuilder &nb, Value lo, Value hi, const IRMapping &mapping) {
      Emitter em{nb, loc, op, roles};
      em.q = mapping.lookupOrDefault(op.getQuery());
      em.k = mapping.lookupOrDefault(op.getKey());
      em.v = mapping.lookupOrDefault(op.getValue());
      em.scale = mapping.lookupOrDefault(op.getScale());
      em.out = mapping.lookupOrDefault(op.getInit());
      em.bias = op.getBias() ? mapping.lookupOrDefault(op.getBias()) : Value();
      em.iq = iq;
      for (unsigned l = 0; l < roles.size(); ++l) {
        if (roles[l] == Role::key)
          em.jl = l;
        if (roles[l] == Role::head)
          em.dl = l;
        if (roles[l] == Role::value)
          em.el = l;
      }
      // Sizes from the (mapped) operands.
      em.size.resize(roles.size());
      SmallVector<std::pair<Value, AffineMap>> sources = {{em.q, op.getQueryMap()},
                                                          {em.k, op.getKeyMap()},
                                                          {em.v, op.getValueMap()},
                                                          {em.out, op.getOutputMap()}};
      for (auto [memref, map] : sources)
        for (unsigned a = 0; a < map.getNumResults(); ++a) {
          unsigned l = cast<AffineDimExpr>(map.getResult(a)).getPosition();
          if (!em.size[l])
            em.size[l] = memref::DimOp::create(nb, loc, memref, a);
        }
      Value nqb =
          iq >= 0 ? arith::CeilDivUIOp::create(nb, loc, em.size[iq], em.c(kQueryBlock)) : em.c(1);
      // Per-call blocks (one set per thread): Q, K^T, V, scores, accumulator, (m, l).
      auto alloc = [&](Value rowsOf, Value cols) {
        auto type = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, nb.getF32Type());
        return memref::AllocOp::create(nb, loc, type, ValueRange{rowsOf, cols}).getResult();
      };
      Value qbk = em.c(kQueryBlock), kbk = em.c(kKeyBlock);
      SmallVector<Value> blocks = {alloc(qbk, em.size[em.dl]), alloc(em.size[em.dl], kbk),
                                   alloc(kbk, em.size[em.el]), alloc(qbk, kbk),
                                   alloc(qbk, em.size[em.el]), alloc(qbk, em.c(2))};
      em.loop(lo, hi, [&](Value w) { em.emitItem(w, nqb, blocks); });
      for (Value block : blocks)
        memref::DeallocOp::create(nb, loc, block);
    };
    // The number of work items, computed before the chunk function exists.
    Value items = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<OpFoldResult> sizes = op.getLoopSizes(b);
    for (int l = 0; l < (int)roles.size(); ++l) {
      Value s = getValueOrCreateConstantIndexOp(b, loc, sizes[l]);
      if (l == iq)
        s = arith::CeilDivUIOp::create(b, loc, s,
                                       arith::ConstantIndexOp::create(b, loc, kQueryBlock));
      if (roles[l] == Role::batch || roles[l] == Role::query)
        items = arith::MulIOp::create(b, loc, items, s);
    }
    ChunkFunction chunk =
        createChunkFunction(b, op->getParentOfType<func::FuncOp>(), operands, body, {}, &symbols);
    b.setInsertionPoint(op);
    if (threads) {
      Value work = emitIterationCount(b, loc, sizes);
      emitChunkCalls(b, loc, work, std::nullopt, chunk, items, /*chunkSize=*/1, &symbols);
    } else {
      callChunk(b, loc, chunk, arith::ConstantIndexOp::create(b, loc, 0), items);
    }
    op->erase();
  }
};

} // namespace
