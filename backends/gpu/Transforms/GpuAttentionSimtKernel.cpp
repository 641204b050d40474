//===- GpuAttentionSimtKernel.cpp - attention on CUDA cores, any operands -===//
//
// FlashAttention's forward pass (Dao et al. 2022, Algorithm 1) for any
// vibee.attention (f32, a bias, any layout, any head dim). A block
// of kWarps warps takes kRowsPerBlock query rows of one batch item (kRowsPerWarp
// per warp). Keys stream through shared memory in tiles of kKeyTile, each tile
// of K and V loaded once for all the rows of the block:
//
// * scores: lane c scores key c of the tile for each of its warp's rows, 16-byte
//   reads of its K row (rows padded so that the lanes hit distinct banks) against
//   the row's scaled query (one broadcast read per row);
// * online softmax: the warp's butterfly shuffles give each row the tile's max and
//   sum; the running max m and sum l are the same in every lane;
// * values: lane c keeps values 4c .. 4c + 3 of every row's f32 accumulator and
//   takes p of each key from its lane by a shuffle.
//
// The loops' roles come from the op's indexing maps, so every layout and
// grouped-query attention (several query loops) take it. Head dims beyond
// kHeadChunk take several passes over a tile; value dims beyond kValueChunk
// several passes over the keys. A causal mask stops the key loop at the block's
// last row's diagonal: key tiles above it are never loaded.
//
// bf16 and f16 operands that fit the tensor-core kernel take it instead
// (GpuAttentionMmaKernel.cpp, chosen at run time).
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;

namespace vibee {
namespace {

constexpr int64_t kWarps = 4;
constexpr int64_t kThreads = 32 * kWarps;
constexpr int64_t kRowsPerWarp = 4;
constexpr int64_t kRowsPerBlock = kWarps * kRowsPerWarp;
/// One key per lane when scoring.
constexpr int64_t kKeyTile = 32;
constexpr int64_t kHeadChunk = 128;
/// Four accumulator values per lane.
constexpr int64_t kValueChunk = 128;
constexpr int64_t kValuesPerLane = kValueChunk / 32;
/// K rows this many floats apart: lane c's 16-byte reads of row c start at bank
/// 4c mod 32, so each quarter warp covers all 32 banks once.
constexpr int64_t kKeyRowStride = kHeadChunk + 4;

/// The loop nest of one attention op, built inside its gpu.launch.
struct AttentionKernel {
  OpBuilder &b;
  Location loc;
  const AttentionShape &shape;
  AttentionOp op;
  Value q, k, v, bias, out, scale;
  ArrayRef<Value> size; // per loop
  Value rowsPerItem, rowBlocks;

  // Inside the kernel.
  Value lane, warp, qs, ks, vs, keysEnd;
  SmallVector<Value> env;                                // batch loops' indices
  SmallVector<Value> rowValid;                           // per row of the warp
  SmallVector<SmallVector<Value>> rowQuery;              // per row: every loop's index

  Value c(int64_t x) { return constantIndex(b, loc, x); }
  Value f(float x) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(x)); }
  Value ninf() { return f(-std::numeric_limits<float>::infinity()); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }

  /// for (iv = lb; iv < ub; iv += step) with iter_args; `body` returns the next ones.
  SmallVector<Value> forLoop(Value lb, Value ub, Value step, ValueRange inits,
                             function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, step, inits);
    OpBuilder::InsertionGuard guard(b);
    if (inits.empty())
      b.setInsertionPoint(loop.getBody()->getTerminator());
    else
      b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> next = body(loop.getInductionVar(), loop.getRegionIterArgs());
    if (!inits.empty())
      scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(loop.getResults());
  }
  void ifThen(Value cond, function_ref<void()> then) {
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    then();
  }

  SmallVector<Value> indices(AffineMap map, ArrayRef<Value> loopIndices) {
    return attentionIndices(map, loopIndices);
  }
  /// memref[map(loopIndices)] in f32 where `inBounds`, else 0. The indices
  /// are clamped into the operand by the callers: the load is unconditional,
  /// so the loads of a tile issue back to back before any of them is used.
  Value loadOrZero(Value inBounds, Value memref, AffineMap map, ArrayRef<Value> loopIndices) {
    Value x = memref::LoadOp::create(b, loc, memref, indices(map, loopIndices));
    if (x.getType() != b.getF32Type())
      x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return arith::SelectOp::create(b, loc, inBounds, x, f(0));
  }
  /// min(x, extent - 1): an index inside a dim of at least one element.
  Value clamp(Value x, Value extent) { return min(x, sub(extent, c(1))); }
  /// The loop indices of row `w` of the warp with key `j` (head and value
  /// loops as given).
  SmallVector<Value> rowIndices(int64_t w, Value j, Value d, Value e) {
    SmallVector<Value> all = env;
    for (unsigned l : shape.queryLoops)
      all[l] = rowQuery[w][l];
    all[shape.keyLoop] = j;
    all[shape.headLoop] = d;
    all[shape.valueLoop] = e;
    return all;
  }
  Value warpAllReduce(Value x, bool isMax) { return buildLaneReduce(b, loc, x, 32, isMax); }

  void buildBody(gpu::LaunchOp launch);
  void placeRows(Value rowBlock);
  void buildValueChunk(Value e0);
  SmallVector<Value> buildKeyTile(Value j0, Value e0, ValueRange state);
  void loadTiles(Value j0, Value d0, Value e0);
  SmallVector<Value> buildScores(Value d0, ValueRange partial);
};

void AttentionKernel::buildBody(gpu::LaunchOp launch) {
  Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
  lane = rem(tid, c(32));
  warp = div(tid, c(32));
  qs = launch.getWorkgroupAttributions()[0];
  ks = launch.getWorkgroupAttributions()[1];
  vs = launch.getWorkgroupAttributions()[2];
  Value rowBlock = rem(bid, rowBlocks);
  Value item = div(bid, rowBlocks);
  env = shape.batchIndices(b, loc, item);
  placeRows(rowBlock);
  // The value chunks: one pass over the keys each (one for E <= kValueChunk).
  forLoop(c(0), size[shape.valueLoop], c(kValueChunk), {}, [&](Value e0, ValueRange) {
    buildValueChunk(e0);
    return SmallVector<Value>{};
  });
}

// The indices of the warp's rows, and where the block's key loop ends.
void AttentionKernel::placeRows(Value rowBlock) {
  Value r0 = mul(rowBlock, c(kRowsPerBlock));
  for (int64_t w = 0; w < kRowsPerWarp; ++w) {
    Value row = add(add(r0, mul(warp, c(kRowsPerWarp))), c(w));
    rowValid.push_back(lt(row, rowsPerItem));
    SmallVector<Value> indices = env;
    shape.setRow(b, loc, row, indices);
    rowQuery.push_back(indices);
  }
  keysEnd = shape.keysEnd(b, loc, r0, kRowsPerBlock);
}

void AttentionKernel::buildValueChunk(Value e0) {
  // Per row: m, l, then the kValuesPerLane accumulator values.
  SmallVector<Value> state;
  for (int64_t w = 0; w < kRowsPerWarp; ++w)
    state.append({ninf(), f(0)});
  for (int64_t i = 0; i < kRowsPerWarp * kValuesPerLane; ++i)
    state.push_back(f(0));
  SmallVector<Value> final = forLoop(c(0), keysEnd, c(kKeyTile), state,
                                     [&](Value j0, ValueRange s) { return buildKeyTile(j0, e0, s); });
  Type outType = getElementTypeOrSelf(out.getType());
  for (int64_t w = 0; w < kRowsPerWarp; ++w) {
    Value l = final[2 * w + 1];
    for (int64_t i = 0; i < kValuesPerLane; ++i) {
      Value e = add(e0, add(mul(lane, c(kValuesPerLane)), c(i)));
      ifThen(both(rowValid[w], lt(e, size[shape.valueLoop])), [&] {
        Value acc = final[2 * kRowsPerWarp + w * kValuesPerLane + i];
        Value o = arith::DivFOp::create(b, loc, acc, l);
        if (outType != o.getType())
          o = arith::TruncFOp::create(b, loc, outType, o);
        memref::StoreOp::create(b, loc, o, out,
                                indices(op.getOutputMap(), rowIndices(w, c(0), c(0), e)));
      });
    }
  }
}

// Shared tiles for keys j0 .. j0 + kKeyTile: this warp's scaled query rows
// (head chunk d0), K's head chunk d0 and, on the first head chunk, V's value
// chunk e0. Elements outside the operands are zeros.
void AttentionKernel::loadTiles(Value j0, Value d0, Value e0) {
  Value heads = size[shape.headLoop], values = size[shape.valueLoop], keys = size[shape.keyLoop];
  Value loadQuery = arith::OrIOp::create(
      b, loc, lt(c(kHeadChunk), heads),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, j0, c(0)));
  ifThen(loadQuery, [&] {
    for (int64_t w = 0; w < kRowsPerWarp; ++w)
      forLoop(c(0), c(kHeadChunk / 32), c(1), {}, [&](Value t, ValueRange) {
        Value dd = add(lane, mul(t, c(32)));
        Value d = add(d0, dd);
        Value x = loadOrZero(both(rowValid[w], lt(d, heads)), q, op.getQueryMap(),
                             rowIndices(w, c(0), clamp(d, heads), c(0)));
        x = arith::MulFOp::create(b, loc, x, scale);
        Value row = add(mul(warp, c(kRowsPerWarp)), c(w));
        memref::StoreOp::create(b, loc, x, qs, ValueRange{row, dd});
        return SmallVector<Value>{};
      });
  });
  auto tile = [&](Value memref, AffineMap map, unsigned inner, Value innerStart, Value innerEnd,
                  Value shared, int64_t width) {
    // Constant trip counts: the loops unroll, and the loads issue together.
    forLoop(c(0), c(kKeyTile / kWarps), c(1), {}, [&](Value t, ValueRange) {
      Value jj = add(warp, mul(t, c(kWarps)));
      Value j = add(j0, jj);
      forLoop(c(0), c(width / 32), c(1), {}, [&](Value u, ValueRange) {
        Value x = add(lane, mul(u, c(32)));
        SmallVector<Value> at = rowIndices(0, clamp(j, keys), c(0), c(0));
        Value position = add(innerStart, x);
        at[inner] = clamp(position, innerEnd);
        Value inBounds = both(lt(j, keys), lt(position, innerEnd));
        memref::StoreOp::create(b, loc, loadOrZero(inBounds, memref, map, at), shared,
                                ValueRange{jj, x});
        return SmallVector<Value>{};
      });
      return SmallVector<Value>{};
    });
  };
  tile(k, op.getKeyMap(), shape.headLoop, d0, heads, ks, kHeadChunk);
  ifThen(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, d0, c(0)),
         [&] { tile(v, op.getValueMap(), shape.valueLoop, e0, values, vs, kValueChunk); });
}

// Adds this head chunk's products to the lane's key scores of the warp's rows.
SmallVector<Value> AttentionKernel::buildScores(Value d0, ValueRange partial) {
  Value rest = min(c(kHeadChunk), sub(size[shape.headLoop], d0));
  // Whole 16-byte groups: the tiles are zero past the head dim.
  Value end = mul(arith::CeilDivUIOp::create(b, loc, rest, c(4)), c(4));
  return forLoop(c(0), end, c(4), partial, [&](Value dd, ValueRange s) {
    SmallVector<Value> keyRow = buildLoadLanes(b, loc, ks, ValueRange{lane, dd}, 4, true);
    SmallVector<Value> next;
    for (int64_t w = 0; w < kRowsPerWarp; ++w) {
      Value row = add(mul(warp, c(kRowsPerWarp)), c(w));
      SmallVector<Value> queryRow = buildLoadLanes(b, loc, qs, ValueRange{row, dd}, 4, true);
      Value acc = s[w];
      for (int64_t i = 0; i < 4; ++i)
        acc = math::FmaOp::create(b, loc, queryRow[i], keyRow[i], acc);
      next.push_back(acc);
    }
    return next;
  });
}

// One tile of keys: scores, the online softmax's update, then p . V.
SmallVector<Value> AttentionKernel::buildKeyTile(Value j0, Value e0, ValueRange state) {
  SmallVector<Value> scores(kRowsPerWarp, f(0));
  scores = forLoop(c(0), size[shape.headLoop], c(kHeadChunk), scores, [&](Value d0, ValueRange s) {
    gpu::BarrierOp::create(b, loc);
    loadTiles(j0, d0, e0);
    gpu::BarrierOp::create(b, loc);
    return buildScores(d0, s);
  });
  Value j = add(j0, lane);
  Value key = lt(j, keysEnd);
  SmallVector<Value> next(state.begin(), state.end()), probs;
  for (int64_t w = 0; w < kRowsPerWarp; ++w) {
    Value keep = key;
    if (op.getCausal())
      keep = both(keep, shape.keepsKey(b, loc, rowQuery[w], j));
    Value s = scores[w];
    if (bias)
      s = arith::AddFOp::create(b, loc, s,
                                loadOrZero(keep, bias, op.getBiasMap(),
                                           rowIndices(w, clamp(j, size[shape.keyLoop]), c(0), c(0))));
    s = arith::SelectOp::create(b, loc, keep, s, ninf());
    Value m = state[2 * w], l = state[2 * w + 1];
    Value mNew = arith::MaximumFOp::create(b, loc, m, warpAllReduce(s, /*isMax=*/true));
    // Rows masked so far keep m = -inf: subtract 0 then (p = 0, alpha = 1).
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf());
    Value shift = arith::SelectOp::create(b, loc, masked, f(0), mNew);
    Value alpha = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, shift));
    Value p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, s, shift));
    Value sum = warpAllReduce(p, /*isMax=*/false);
    next[2 * w] = mNew;
    next[2 * w + 1] = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, l, alpha), sum);
    for (int64_t i = 0; i < kValuesPerLane; ++i) {
      Value &acc = next[2 * kRowsPerWarp + w * kValuesPerLane + i];
      acc = arith::MulFOp::create(b, loc, acc, alpha);
    }
    probs.push_back(p);
  }
  // acc[row, 4 lane + i] += p[row, jj] V[jj, 4 lane + i], p from lane jj.
  Value tileEnd = min(c(kKeyTile), sub(keysEnd, j0));
  SmallVector<Value> accs(next.begin() + 2 * kRowsPerWarp, next.end());
  Value width = arith::ConstantIntOp::create(b, loc, 32, 32);
  accs = forLoop(c(0), tileEnd, c(1), accs, [&](Value jj, ValueRange a) {
    SmallVector<Value> values = buildLoadLanes(
        b, loc, vs, ValueRange{jj, mul(lane, c(kValuesPerLane))}, kValuesPerLane, true);
    Value src = arith::IndexCastOp::create(b, loc, b.getI32Type(), jj);
    SmallVector<Value> updated(a.begin(), a.end());
    for (int64_t w = 0; w < kRowsPerWarp; ++w) {
      Value p = gpu::ShuffleOp::create(b, loc, probs[w], src, width, gpu::ShuffleMode::IDX)
                    .getShuffleResult();
      for (int64_t i = 0; i < kValuesPerLane; ++i) {
        Value &acc = updated[w * kValuesPerLane + i];
        acc = math::FmaOp::create(b, loc, p, values[i], acc);
      }
    }
    return updated;
  });
  llvm::copy(accs, next.begin() + 2 * kRowsPerWarp);
  return next;
}

} // namespace

void buildSimtAttentionLaunch(OpBuilder &b, Location loc, const AttentionShape &shape) {
  AttentionOp op = shape.op;
  AttentionKernel kernel{b, loc, shape, op};
  kernel.q = op.getQuery();
  kernel.k = op.getKey();
  kernel.v = op.getValue();
  kernel.bias = op.getBias();
  kernel.out = op.getInit();
  kernel.scale = op.getScale();
  kernel.size = shape.size;
  kernel.rowsPerItem = shape.rowsPerItem;
  kernel.rowBlocks = arith::CeilDivUIOp::create(b, loc, shape.rowsPerItem,
                                                constantIndex(b, loc, kRowsPerBlock));
  Value blocks = arith::MulIOp::create(b, loc, shape.items, kernel.rowBlocks);
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t rows, int64_t cols) -> Type {
    return MemRefType::get({rows, cols}, b.getF32Type(), MemRefLayoutAttrInterface(), workgroup);
  };
  buildLaunch(b, loc, blocks, constantIndex(b, loc, 1), kThreads,
              {shared(kRowsPerBlock, kHeadChunk), shared(kKeyTile, kKeyRowStride),
               shared(kKeyTile, kValueChunk)},
              [&](OpBuilder &, gpu::LaunchOp launch) {
                OpBuilder::InsertionGuard guard(b);
                b.setInsertionPointToStart(&launch.getBody().front());
                kernel.buildBody(launch);
              });
}

} // namespace vibee
