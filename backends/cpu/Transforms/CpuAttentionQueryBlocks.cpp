//===- CpuAttentionQueryBlocks.cpp - attention on a block of query rows ---===//
//
// A work item of kQueryPathRows rows or more computes the scores transposed,
// S^T[c][r] (keys by query rows), with its vectors over the query rows:
//   - S^T = K Qt on register tiles: mr keys (scalars, from the f32 copy of
//     the K block's rows) x 4 vectors of rows (from Qt, transposed and scaled
//     once per item), the head dim the reduction. K is copied row by row, never
//     transposed.
//   - The online softmax of every row at once: the running max, the rescale
//     alpha = exp(m_old - m_new), p = exp(s - m) and the running sum are
//     elementwise over vectors of rows, looping over the block's keys; no
//     horizontal reduction, no scalar exp.
//   - acc^T[e][r] = alpha[r] acc^T[e][r] + sum_c V[c][e] P^T[c][r] on register
//     tiles: mr value columns (scalars) x 4 vectors of rows, the keys the
//     reduction; the rescale is folded into the tile's initial load.
// The block's rows past the item's (a short last block) compute on stale or
// zero rows of Qt and are never stored.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuAttentionEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace vibee;
using namespace vibee::cpu_attention;

namespace {

// S^T[c0 .. c0 + mr - 1][every row of the block] for c0 below bk rounded up to
// mr (the K block has kKeyBlock rows: those past bk are read, not used).
void emitTransposedScoreTiles(Emitter &em, Value bk, const Blocks &blocks) {
  int64_t rowTile = kTileVectors * em.lanes;
  Value zero = em.splat(em.f(0));
  Value keys = em.mul(arith::CeilDivUIOp::create(em.b, em.loc, bk, em.c(em.mr)), em.c(em.mr));
  em.loop(
      em.c(0), keys,
      [&](Value c0) {
        em.loop(
            em.c(0), em.c(kQueryBlock),
            [&](Value r0) {
              SmallVector<Value> accs = em.tileLoop(
                  em.size[em.dl], em.mr, SmallVector<Value>(em.mr * kTileVectors, zero),
                  [&](Value d, int64_t j) {
                    return em.vload(blocks.qt, d, em.add(r0, em.c(j * em.lanes)));
                  },
                  [&](Value d, int64_t i) { return em.at(blocks.kb, em.add(c0, em.c(i)), d); });
              for (int64_t i = 0; i < em.mr; ++i)
                for (int64_t j = 0; j < kTileVectors; ++j)
                  em.vstore(accs[i * kTileVectors + j], blocks.scores, em.add(c0, em.c(i)),
                            em.add(r0, em.c(j * em.lanes)));
            },
            em.c(rowTile));
      },
      em.c(em.mr));
}

// The online softmax of the block's rows, vector by vector of rows: m, l and
// alpha in `rows`, P^T over S^T.
void emitTransposedSoftmax(Emitter &em, Value i0, Value j0, Value bk, const Blocks &blocks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t vectors = kQueryBlock / em.lanes;
  Value ninf = em.splat(em.negInf()), zero = em.splat(em.f(0));
  // Causal: row r keeps key c when j0 + c <= i0 + r + offset, i.e. when c is
  // below limit[r] = i0 + r + offset + 1 - j0 (i64 lanes: any index fits).
  SmallVector<Value> limits;
  auto laneIndexType = VectorType::get({em.lanes}, b.getI64Type());
  auto causal = em.op.getCausal();
  if (causal) {
    Value base = em.sub(em.add(i0, em.c((*causal)[2] + 1)), j0);
    base = arith::IndexCastOp::create(b, loc, b.getI64Type(), base);
    for (int64_t v = 0; v < vectors; ++v) {
      SmallVector<int64_t> lane;
      for (int64_t x = 0; x < em.lanes; ++x)
        lane.push_back(v * em.lanes + x);
      Value iota =
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(laneIndexType, ArrayRef(lane)));
      limits.push_back(arith::AddIOp::create(
          b, loc, vector::BroadcastOp::create(b, loc, laneIndexType, base), iota));
    }
  }
  auto scoreAt = [&](Value cc, int64_t v) -> Value {
    Value s = em.vload(blocks.scores, cc, em.c(v * em.lanes));
    if (!causal)
      return s;
    Value key = vector::BroadcastOp::create(b, loc, laneIndexType,
                                            arith::IndexCastOp::create(b, loc, b.getI64Type(), cc));
    Value keep = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, key, limits[v]);
    return arith::SelectOp::create(b, loc, keep, s, ninf);
  };
  SmallVector<Value> maxes =
      em.reduce(em.c(0), bk, SmallVector<Value>(vectors, ninf), [&](Value cc, ValueRange in) {
        SmallVector<Value> next;
        for (int64_t v = 0; v < vectors; ++v)
          next.push_back(arith::MaximumFOp::create(b, loc, in[v], scoreAt(cc, v)));
        return next;
      });
  // A row masked so far entirely keeps m = -inf: subtract 0 then (p = 0, alpha = 0).
  SmallVector<Value> shifts, alphas;
  for (int64_t v = 0; v < vectors; ++v) {
    Value col = em.c(v * em.lanes);
    Value mOld = em.vload(blocks.rows, em.c(0), col);
    Value mNew = arith::MaximumFOp::create(b, loc, mOld, maxes[v]);
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf);
    shifts.push_back(arith::SelectOp::create(b, loc, masked, zero, mNew));
    alphas.push_back(math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld, shifts[v])));
    em.vstore(mNew, blocks.rows, em.c(0), col);
    em.vstore(alphas[v], blocks.rows, em.c(2), col);
  }
  SmallVector<Value> sums =
      em.reduce(em.c(0), bk, SmallVector<Value>(vectors, zero), [&](Value cc, ValueRange in) {
        SmallVector<Value> next;
        for (int64_t v = 0; v < vectors; ++v) {
          Value p =
              math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, scoreAt(cc, v), shifts[v]));
          em.vstore(p, blocks.scores, cc, em.c(v * em.lanes));
          next.push_back(arith::AddFOp::create(b, loc, in[v], p));
        }
        return next;
      });
  for (int64_t v = 0; v < vectors; ++v) {
    Value col = em.c(v * em.lanes);
    Value l = arith::MulFOp::create(b, loc, em.vload(blocks.rows, em.c(1), col), alphas[v]);
    em.vstore(arith::AddFOp::create(b, loc, l, sums[v]), blocks.rows, em.c(1), col);
  }
}

// acc^T[e0 .. e0 + columns - 1][every row] = alpha acc^T + V^T P^T over the
// block's bk keys, on register tiles.
void emitTransposedValueTiles(Emitter &em, Value e0, int64_t columns, Value bk,
                              const Blocks &blocks) {
  em.loop(
      em.c(0), em.c(kQueryBlock),
      [&](Value r0) {
        SmallVector<Value> alphas, init;
        for (int64_t j = 0; j < kTileVectors; ++j)
          alphas.push_back(em.vload(blocks.rows, em.c(2), em.add(r0, em.c(j * em.lanes))));
        for (int64_t i = 0; i < columns; ++i)
          for (int64_t j = 0; j < kTileVectors; ++j)
            init.push_back(arith::MulFOp::create(
                em.b, em.loc,
                em.vload(blocks.acct, em.add(e0, em.c(i)), em.add(r0, em.c(j * em.lanes))),
                alphas[j]));
        SmallVector<Value> accs = em.tileLoop(
            bk, columns, init,
            [&](Value cc, int64_t j) {
              return em.vload(blocks.scores, cc, em.add(r0, em.c(j * em.lanes)));
            },
            [&](Value cc, int64_t i) { return em.at(blocks.vb, cc, em.add(e0, em.c(i))); });
        for (int64_t i = 0; i < columns; ++i)
          for (int64_t j = 0; j < kTileVectors; ++j)
            em.vstore(accs[i * kTileVectors + j], blocks.acct, em.add(e0, em.c(i)),
                      em.add(r0, em.c(j * em.lanes)));
      },
      em.c(kTileVectors * em.lanes));
}

void emitQueryKeyBlock(Emitter &em, SmallVector<Value> &env, Value i0, Value bq, Value j0, Value bk,
                       const Blocks &blocks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value zero = em.c(0);
  em.copyKeyValueRows(env, j0, bk, blocks); // once per query block
  emitTransposedScoreTiles(em, bk, blocks);
  // + bias (a scalar loop: the bias is read through its map).
  if (em.bias) {
    em.loop(zero, bk, [&](Value cc) {
      env[em.jl] = em.add(j0, cc);
      em.loop(zero, bq, [&](Value r) {
        env[em.iq] = em.add(i0, r);
        Value s = arith::AddFOp::create(b, loc, em.at(blocks.scores, cc, r),
                                        em.load(em.bias, em.op.getBiasMap(), env));
        em.put(s, blocks.scores, cc, r);
      });
    });
  }
  emitTransposedSoftmax(em, i0, j0, bk, blocks);
  // The value columns by tiles of mr, then one at a time.
  Value whole = em.sub(em.size[em.el], arith::RemUIOp::create(b, loc, em.size[em.el], em.c(em.mr)));
  em.loop(
      zero, whole, [&](Value e0) { emitTransposedValueTiles(em, e0, em.mr, bk, blocks); },
      em.c(em.mr));
  em.loop(whole, em.size[em.el],
          [&](Value e0) { emitTransposedValueTiles(em, e0, 1, bk, blocks); });
}

} // namespace

void Emitter::emitQueryBlockItem(SmallVector<Value> &env, Value i0, Value bq,
                                 const Blocks &blocks) {
  Value zero = c(0), vectorStep = c(lanes), block = c(kQueryBlock);
  // Qt[d][r] = scale * q[.., i0 + r, .., d]; every row of the block starts at
  // acc = 0, m = -inf, l = 0.
  loop(zero, bq, [&](Value r) {
    env[iq] = add(i0, r);
    loop(zero, size[dl], [&](Value d) {
      env[dl] = d;
      put(arith::MulFOp::create(b, loc, load(q, op.getQueryMap(), env), scale), blocks.qt, d, r);
    });
  });
  Value zeros = splat(f(0));
  loop(zero, size[el], [&](Value e) {
    loop(
        zero, block, [&](Value r) { vstore(zeros, blocks.acct, e, r); }, vectorStep);
  });
  loop(
      zero, block,
      [&](Value r) {
        vstore(splat(negInf()), blocks.rows, zero, r);
        vstore(zeros, blocks.rows, c(1), r);
      },
      vectorStep);
  forEachKeyBlock(
      i0, bq, [&](Value j0, Value bk) { emitQueryKeyBlock(*this, env, i0, bq, j0, bk, blocks); });
  storeOutput(env, i0, bq, blocks, [&](Value r, Value e) { return at(blocks.acct, e, r); });
}
