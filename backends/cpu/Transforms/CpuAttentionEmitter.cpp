//===- CpuAttentionEmitter.cpp - vibee-cpu-attention's shared builders ----===//
#include "backends/cpu/Transforms/CpuAttentionEmitter.h"

#include <limits>

using namespace mlir;
using namespace vibee;
using namespace vibee::cpu_attention;

Value Emitter::negInf() { return f(-std::numeric_limits<float>::infinity()); }

void Emitter::loop(Value lb, Value ub, function_ref<void(Value)> body, Value step) {
  auto forOp = scf::ForOp::create(b, loc, lb, ub, step ? step : c(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  body(forOp.getInductionVar());
}

SmallVector<Value> Emitter::reduce(Value lb, Value ub, ValueRange init,
                                   function_ref<SmallVector<Value>(Value, ValueRange)> body,
                                   Value step) {
  auto forOp = scf::ForOp::create(b, loc, lb, ub, step ? step : c(1), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  scf::YieldOp::create(b, loc, body(forOp.getInductionVar(), forOp.getRegionIterArgs()));
  return SmallVector<Value>(forOp.getResults());
}

SmallVector<Value> Emitter::indices(AffineMap map, ArrayRef<Value> env) {
  SmallVector<Value> idx;
  for (AffineExpr e : map.getResults())
    idx.push_back(env[cast<AffineDimExpr>(e).getPosition()]);
  return idx;
}

Value Emitter::load(Value memref, AffineMap map, ArrayRef<Value> env) {
  Value x = memref::LoadOp::create(b, loc, memref, indices(map, env));
  if (x.getType() != b.getF32Type())
    x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  return x;
}

SmallVector<Value> Emitter::tileLoop(Value ub, int64_t scalars, ArrayRef<Value> init,
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
  for (int64_t i = 0; i < scalars; ++i) {
    Value x = splat(scalar(iv, i));
    for (int64_t j = 0; j < kTileVectors; ++j)
      next.push_back(vector::FMAOp::create(b, loc, x, row[j], in[i * kTileVectors + j]));
  }
  scf::YieldOp::create(b, loc, next);
  return SmallVector<Value>(forOp.getResults());
}

Value Emitter::itemIndices(Value w, Value nqb, SmallVector<Value> &env, Value &rowsOut) {
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
  rowsOut = iq >= 0 ? min(c(kQueryBlock), sub(size[iq], i0)) : c(1);
  return i0;
}

void Emitter::copyKeyValueRows(SmallVector<Value> &env, Value j0, Value bk, const Blocks &blocks) {
  loop(c(0), bk, [&](Value cc) {
    env[jl] = add(j0, cc);
    loop(c(0), size[dl], [&](Value d) {
      env[dl] = d;
      put(load(k, op.getKeyMap(), env), blocks.kb, cc, d);
    });
    loop(c(0), size[el], [&](Value e) {
      env[el] = e;
      put(load(v, op.getValueMap(), env), blocks.vb, cc, e);
    });
  });
}

void Emitter::forEachKeyBlock(Value i0, Value bq, function_ref<void(Value, Value)> body) {
  Value keys = size[jl];
  if (auto causal = op.getCausal()) {
    Value last = add(add(i0, bq), c((*causal)[2]));
    keys = min(keys, arith::MaxSIOp::create(b, loc, last, c(0)));
  }
  loop(
      c(0), keys, [&](Value j0) { body(j0, min(c(kKeyBlock), sub(keys, j0))); }, c(kKeyBlock));
}

void Emitter::storeOutput(SmallVector<Value> &env, Value i0, Value bq, const Blocks &blocks,
                          function_ref<Value(Value, Value)> value) {
  Type outType = getElementTypeOrSelf(out.getType());
  loop(c(0), bq, [&](Value r) {
    if (iq >= 0)
      env[iq] = add(i0, r);
    Value l = at(blocks.rows, c(1), r);
    loop(c(0), size[el], [&](Value e) {
      env[el] = e;
      Value o = arith::DivFOp::create(b, loc, value(r, e), l);
      if (outType != o.getType())
        o = arith::TruncFOp::create(b, loc, outType, o);
      memref::StoreOp::create(b, loc, o, out, indices(op.getOutputMap(), env));
    });
  });
}
