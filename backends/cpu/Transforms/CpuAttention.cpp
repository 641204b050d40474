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
// Both products are register-tiled (the matmul micro-kernel's shape, on the
// f32 blocks): S = Qt K^T in tiles of mr rows x 4 vectors of keys, the head
// dim the reduction (mr FMAs per K vector loaded); acc += P V in tiles of mr
// rows x 4 vectors of values, the keys the reduction. The rows past the last
// whole tile and the value columns past the last whole tile run as row loops
// over contiguous f32 blocks with unit stride (S[r, :] += q[r, d] K^T[d, :],
// acc[r, :] += p v[c, :]), which LLVM vectorizes; exp() becomes a polynomial
// in vibee-cpu-prepare-vectorization, which runs after this pass.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"

#include "backends/cpu/Transforms/ChunkFunctions.h"
#include "backends/cpu/Transforms/CpuTarget.h"
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
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

namespace vibee {
#define GEN_PASS_DEF_CPUATTENTIONPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

constexpr int64_t kQueryBlock = 64; // rows sharing each K/V block load
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
  int64_t lanes = 4, mr = 2; // f32 lanes of a register; rows of a register tile
  static constexpr int64_t kTileVectors = 4; // vectors per register-tile row

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
  VectorType vectorType() { return VectorType::get({lanes}, b.getF32Type()); }
  Value vload(Value block, Value r, Value col) {
    return vector::LoadOp::create(b, loc, vectorType(), block, ValueRange{r, col});
  }
  void vstore(Value x, Value block, Value r, Value col) {
    vector::StoreOp::create(b, loc, x, block, ValueRange{r, col});
  }
  /// A register tile: mr x kTileVectors accumulators `init`, and for each iv
  /// in [0, ub) acc[i][j] += broadcast(scalar(iv, i)) * vectorAt(iv, j) (the
  /// kTileVectors vectors loaded once for the mr rows); returns them.
  SmallVector<Value> tileLoop(Value ub, ArrayRef<Value> init,
                              function_ref<Value(Value, int64_t)> vectorAt,
                              function_ref<Value(Value, int64_t)> scalar) {
    auto forOp = scf::ForOp::create(b, loc, c(0), ub, c(1), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value iv = forOp.getInductionVar();
    ValueRange in = forOp.getRegionIterArgs();
    SmallVector<Value> row, next;
    for (int64_t j = 0; j < kTileVectors; ++j)
      row.push_back(vectorAt(iv, j));
    for (int64_t i = 0; i < mr; ++i) {
      Value x = vector::BroadcastOp::create(b, loc, vectorType(), scalar(iv, i));
      for (int64_t j = 0; j < kTileVectors; ++j)
        next.push_back(vector::FMAOp::create(b, loc, x, row[j], in[i * kTileVectors + j]));
    }
    scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(forOp.getResults());
  }

  void emitItem(Value w, Value nqb, ArrayRef<Value> blocks);
  void emitKeyBlock(SmallVector<Value> &env, Value i0, Value bq, Value j0, Value bk,
                    ArrayRef<Value> blocks);
  void emitScoreTiles(Value rows, ArrayRef<Value> blocks);
  void emitValueTiles(Value rows, Value bk, Value columns, ArrayRef<Value> blocks);
};

// S[r0 .. r0 + mr - 1, every key of the block] = Qt K^T on register tiles (the
// block's 64 columns whatever bk: the columns past bk are not read after).
void Emitter::emitScoreTiles(Value rows, ArrayRef<Value> blocks) {
  Value qt = blocks[0], kt = blocks[1], sb = blocks[3];
  int64_t cols = kTileVectors * lanes;
  Value zero = arith::ConstantOp::create(b, loc, vectorType(),
                                         DenseElementsAttr::get(vectorType(), 0.0f));
  loop(
      c(0), rows,
      [&](Value r0) {
        for (int64_t c0 = 0; c0 < kKeyBlock; c0 += cols) {
          SmallVector<Value> accs = tileLoop(
              size[dl], SmallVector<Value>(mr * kTileVectors, zero),
              [&](Value d, int64_t j) { return vload(kt, d, c(c0 + j * lanes)); },
              [&](Value d, int64_t i) { return at(qt, add(r0, c(i)), d); });
          for (int64_t i = 0; i < mr; ++i)
            for (int64_t j = 0; j < kTileVectors; ++j)
              vstore(accs[i * kTileVectors + j], sb, add(r0, c(i)), c(c0 + j * lanes));
        }
      },
      c(mr));
}

// acc[r0 .. r0 + mr - 1, e0 .. e0 + cols - 1] += P V over the block's bk keys
// on register tiles, for the rows below `rows` and the value columns below
// `columns` (whole tiles).
void Emitter::emitValueTiles(Value rows, Value bk, Value columns, ArrayRef<Value> blocks) {
  Value vb = blocks[2], sb = blocks[3], acc = blocks[4];
  int64_t cols = kTileVectors * lanes;
  loop(
      c(0), rows,
      [&](Value r0) {
        loop(
            c(0), columns,
            [&](Value e0) {
              SmallVector<Value> init;
              for (int64_t i = 0; i < mr; ++i)
                for (int64_t j = 0; j < kTileVectors; ++j)
                  init.push_back(vload(acc, add(r0, c(i)), add(e0, c(j * lanes))));
              SmallVector<Value> accs = tileLoop(
                  bk, init, [&](Value cc, int64_t j) { return vload(vb, cc, add(e0, c(j * lanes))); },
                  [&](Value cc, int64_t i) { return at(sb, add(r0, c(i)), cc); });
              for (int64_t i = 0; i < mr; ++i)
                for (int64_t j = 0; j < kTileVectors; ++j)
                  vstore(accs[i * kTileVectors + j], acc, add(r0, c(i)), add(e0, c(j * lanes)));
            },
            c(cols));
      },
      c(mr));
}

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
  // K^T and V blocks in f32 (each key row read once per query block). K^T's
  // rows are written whole (keys innermost): LLVM vectorizes the strided reads
  // as gathers, which cost less than scattered writes.
  loop(zero, size[dl], [&](Value d) {
    env[dl] = d;
    loop(zero, bk, [&](Value cc) {
      env[jl] = add(j0, cc);
      put(load(k, op.getKeyMap(), env), kt, d, cc);
    });
  });
  loop(zero, bk, [&](Value cc) {
    env[jl] = add(j0, cc);
    loop(zero, size[el], [&](Value e) {
      env[el] = e;
      put(load(v, op.getValueMap(), env), vb, cc, e);
    });
  });
  // The rows of whole register tiles, and the value columns of whole tiles.
  Value tiledRows = arith::SubIOp::create(b, loc, bq, arith::RemUIOp::create(b, loc, bq, c(mr)));
  Value tiledColumns = arith::SubIOp::create(
      b, loc, size[el], arith::RemUIOp::create(b, loc, size[el], c(kTileVectors * lanes)));
  emitScoreTiles(tiledRows, blocks);
  loop(zero, bq, [&](Value r) {
    if (iq >= 0)
      env[iq] = add(i0, r);
    // Scores of the rows past the tiles: S[r, :] = sum_d Qt[r, d] K^T[d, :].
    Value untiled = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, r, tiledRows);
    scf::IfOp rowScores = scf::IfOp::create(b, loc, untiled, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(rowScores.thenBlock()->getTerminator());
      loop(zero, bk, [&](Value cc) { put(f(0), sb, r, cc); });
      loop(zero, size[dl], [&](Value d) {
        Value x = at(qt, r, d);
        loop(zero, bk, [&](Value cc) {
          Value s = at(sb, r, cc);
          put(math::FmaOp::create(b, loc, x, at(kt, d, cc), s), sb, r, cc);
        });
      });
    }
    // + bias (a scalar loop: the bias is read through its map).
    Value ninf = f(-std::numeric_limits<float>::infinity());
    if (bias) {
      loop(zero, bk, [&](Value cc) {
        env[jl] = add(j0, cc);
        Value s = arith::AddFOp::create(b, loc, at(sb, r, cc), load(bias, op.getBiasMap(), env));
        put(s, sb, r, cc);
      });
    }
    // Online softmax on whole vectors of the block's columns: the new max, the
    // rescale of what came before, p = exp(s - m). The keys the row keeps are
    // a prefix of the block (those before bk and, causal, up to the row's
    // diagonal): the rest become -inf (p = 0) under a prefix mask.
    Value kept = bk;
    if (auto causal = op.getCausal()) {
      Value diagonal = add(env[(*causal)[0]], c((*causal)[2] + 1));
      kept = min(kept, arith::SubIOp::create(b, loc, diagonal, j0));
    }
    auto splat = [&](Value x) { return vector::BroadcastOp::create(b, loc, vectorType(), x); };
    auto maskType = VectorType::get({lanes}, b.getI1Type());
    SmallVector<Value> scores;
    Value maxes = splat(ninf);
    for (int64_t c0 = 0; c0 < kKeyBlock; c0 += lanes) {
      Value keep = vector::CreateMaskOp::create(b, loc, maskType,
                                                ValueRange{arith::SubIOp::create(b, loc, kept, c(c0))});
      scores.push_back(arith::SelectOp::create(b, loc, keep, vload(sb, r, c(c0)), splat(ninf)));
      maxes = arith::MaximumFOp::create(b, loc, maxes, scores.back());
    }
    Value mOld = at(rows, r, zero);
    Value mBlock = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF, maxes);
    Value mNew = arith::MaximumFOp::create(b, loc, mOld, mBlock);
    // A row masked so far entirely keeps m = -inf: subtract 0 then (p = 0, alpha = 1).
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf);
    Value shift = arith::SelectOp::create(b, loc, masked, f(0), mNew);
    Value alpha = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld, shift));
    Value sums = splat(f(0));
    for (auto [i, score] : llvm::enumerate(scores)) {
      Value p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, score, splat(shift)));
      vstore(p, sb, r, c(int64_t(i) * lanes));
      sums = arith::AddFOp::create(b, loc, sums, p);
    }
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sums);
    Value l = at(rows, r, one);
    put(arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, l, alpha), sum), rows, r, one);
    put(mNew, rows, r, zero);
    loop(zero, size[el],
         [&](Value e) { put(arith::MulFOp::create(b, loc, at(acc, r, e), alpha), acc, r, e); });
  });
  emitValueTiles(tiledRows, bk, tiledColumns, blocks);
  // acc[r, e] += p[c] V[c, e] for what the tiles left: every column of the rows
  // past them, the columns past the tiles of the others.
  loop(zero, bq, [&](Value r) {
    Value untiled = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, r, tiledRows);
    Value first = arith::SelectOp::create(b, loc, untiled, zero, tiledColumns);
    loop(zero, bk, [&](Value cc) {
      Value p = at(sb, r, cc);
      loop(first, size[el], [&](Value e) {
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
      unsigned bits = vectorBits ? vectorBits : detectHostCpu().vectorBits;
      em.lanes = chooseVectorLanes(bits, 32);
      // mr x 4 accumulators: half of the 32 registers of AVX-512, of the 16 of
      // AVX2 and SSE.
      em.mr = bits >= 512 ? 4 : 2;
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
      // K^T's columns past a short key block are read by the score tiles, and
      // the scores' by the masked row vectors (neither is used): zeros rather
      // than uninitialized memory.
      em.loop(em.c(0), em.size[em.dl], [&](Value d) {
        em.loop(em.c(0), kbk, [&](Value cc) { em.put(em.f(0), blocks[1], d, cc); });
      });
      em.loop(em.c(0), qbk, [&](Value r) {
        em.loop(em.c(0), kbk, [&](Value cc) { em.put(em.f(0), blocks[3], r, cc); });
      });
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
