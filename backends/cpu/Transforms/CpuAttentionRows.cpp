//===- CpuAttentionRows.cpp - attention a query row at a time -------------===//
//
// A work item of fewer than kQueryPathRows rows (decoding; a short last query
// block) goes a row at a time: S[r, c] is a dot product of contiguous rows of
// Q and K (both copied in f32, vectors over the head dim), the row's max and
// sum reduce vectors of keys under a prefix mask (the keys the row keeps), and
// acc[r, :] += p[c] V[c, :] streams the V rows. The
// transposed scores of the query path would compute kQueryBlock rows for one.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuAttentionEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace vibee;
using namespace vibee::cpu_attention;

namespace {

// x[i, :] . y[j, :] over the head dim: whole vectors, then the tail under a
// mask (the loads past the row's end are masked off).
Value emitDot(Emitter &em, Value x, Value i, Value y, Value j) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value d = em.size[em.dl], zeros = em.splat(em.f(0));
  Value whole = em.sub(d, arith::RemUIOp::create(b, loc, d, em.c(em.lanes)));
  Value partial = em.reduce(
      em.c(0), whole, ValueRange{zeros},
      [&](Value d0, ValueRange in) -> SmallVector<Value> {
        return {vector::FMAOp::create(b, loc, em.vload(x, i, d0), em.vload(y, j, d0), in[0])};
      },
      em.c(em.lanes))[0];
  Value tail = vector::CreateMaskOp::create(b, loc, VectorType::get({em.lanes}, b.getI1Type()),
                                            ValueRange{em.sub(d, whole)});
  auto tailOf = [&](Value block, Value row) {
    return vector::MaskedLoadOp::create(b, loc, em.vectorType(), block, ValueRange{row, whole},
                                        tail, zeros);
  };
  partial = vector::FMAOp::create(b, loc, tailOf(x, i), tailOf(y, j), partial);
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, partial);
}

// Row r's online softmax over the score row (kKeyBlock columns, the keys past
// `kept` masked): m and l in `rows`; returns alpha.
Value emitRowSoftmax(Emitter &em, Value r, Value kept, const Blocks &blocks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value ninf = em.negInf();
  auto maskType = VectorType::get({em.lanes}, b.getI1Type());
  SmallVector<Value> scores;
  Value maxes = em.splat(ninf);
  for (int64_t c0 = 0; c0 < kKeyBlock; c0 += em.lanes) {
    Value keep = vector::CreateMaskOp::create(b, loc, maskType, ValueRange{em.sub(kept, em.c(c0))});
    scores.push_back(arith::SelectOp::create(b, loc, keep, em.vload(blocks.scores, r, em.c(c0)),
                                             em.splat(ninf)));
    maxes = arith::MaximumFOp::create(b, loc, maxes, scores.back());
  }
  Value mOld = em.at(blocks.rows, em.c(0), r);
  Value mBlock = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF, maxes);
  Value mNew = arith::MaximumFOp::create(b, loc, mOld, mBlock);
  // A row masked so far entirely keeps m = -inf: subtract 0 then (p = 0, alpha = 0).
  Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf);
  Value shift = arith::SelectOp::create(b, loc, masked, em.f(0), mNew);
  Value alpha = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld, shift));
  Value sums = em.splat(em.f(0));
  for (auto [i, score] : llvm::enumerate(scores)) {
    Value p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, score, em.splat(shift)));
    em.vstore(p, blocks.scores, r, em.c(int64_t(i) * em.lanes));
    sums = arith::AddFOp::create(b, loc, sums, p);
  }
  Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sums);
  Value l = arith::MulFOp::create(b, loc, em.at(blocks.rows, em.c(1), r), alpha);
  em.put(arith::AddFOp::create(b, loc, l, sum), blocks.rows, em.c(1), r);
  em.put(mNew, blocks.rows, em.c(0), r);
  return alpha;
}

void emitRowKeyBlock(Emitter &em, SmallVector<Value> &env, Value i0, Value bq, Value j0, Value bk,
                     const Blocks &blocks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value zero = em.c(0);
  em.copyKeyValueRows(env, j0, bk, blocks);
  em.loop(zero, bq, [&](Value r) {
    if (em.iq >= 0)
      env[em.iq] = em.add(i0, r);
    // S[r, c] = q[r, :] . K[c, :] (+ bias, read through its map).
    em.loop(zero, bk, [&](Value cc) {
      em.put(emitDot(em, blocks.qrows, r, blocks.kb, cc), blocks.scores, r, cc);
    });
    if (em.bias) {
      em.loop(zero, bk, [&](Value cc) {
        env[em.jl] = em.add(j0, cc);
        Value s = arith::AddFOp::create(b, loc, em.at(blocks.scores, r, cc),
                                        em.load(em.bias, em.op.getBiasMap(), env));
        em.put(s, blocks.scores, r, cc);
      });
    }
    // The keys the row keeps are a prefix of the block: those before bk and,
    // causal, up to the row's diagonal.
    Value kept = bk;
    if (auto causal = em.op.getCausal()) {
      Value diagonal = em.add(env[(*causal)[0]], em.c((*causal)[2] + 1));
      kept = em.min(kept, em.sub(diagonal, j0));
    }
    Value alpha = emitRowSoftmax(em, r, kept, blocks);
    em.loop(zero, em.size[em.el], [&](Value e) {
      em.put(arith::MulFOp::create(b, loc, em.at(blocks.acc, r, e), alpha), blocks.acc, r, e);
    });
    // acc[r, :] += p[c] V[c, :].
    em.loop(zero, bk, [&](Value cc) {
      Value p = em.at(blocks.scores, r, cc);
      em.loop(zero, em.size[em.el], [&](Value e) {
        em.put(math::FmaOp::create(b, loc, p, em.at(blocks.vb, cc, e), em.at(blocks.acc, r, e)),
               blocks.acc, r, e);
      });
    });
  });
}

} // namespace

void Emitter::emitRowItem(SmallVector<Value> &env, Value i0, Value bq, const Blocks &blocks) {
  Value zero = c(0);
  // Qt[d][r] = scale * q[.., i0 + r, .., d]; acc = 0, m = -inf, l = 0.
  loop(zero, bq, [&](Value r) {
    if (iq >= 0)
      env[iq] = add(i0, r);
    loop(zero, size[dl], [&](Value d) {
      env[dl] = d;
      put(arith::MulFOp::create(b, loc, load(q, op.getQueryMap(), env), scale), blocks.qrows, r, d);
    });
    loop(zero, size[el], [&](Value e) { put(f(0), blocks.acc, r, e); });
    put(negInf(), blocks.rows, zero, r);
    put(f(0), blocks.rows, c(1), r);
  });
  forEachKeyBlock(i0, bq,
                  [&](Value j0, Value bk) { emitRowKeyBlock(*this, env, i0, bq, j0, bk, blocks); });
  storeOutput(env, i0, bq, blocks, [&](Value r, Value e) { return at(blocks.acc, r, e); });
}
