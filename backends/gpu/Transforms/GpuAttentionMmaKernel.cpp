//===- GpuAttentionMmaKernel.cpp - attention on the tensor cores (mma.sync) ===//
//
// FlashAttention-2's forward pass (Dao 2023) for bf16/f16 q, k and v with f32
// math: QK^T and PV on mma.sync m16n8k16 (sm_80 and later). A block of 4 warps
// takes 64 query rows of one batch item, 16 per warp:
//
// * the rows' Q fragments are loaded once (through shared memory, ldmatrix)
//   and stay in registers, 8 steps of 16 along the head dim;
// * per tile of 64 keys, K and V come into shared memory by cp.async (16-byte
//   copies, rows padded by 16 bytes so that ldmatrix's eight rows hit distinct
//   banks), each copy under the other half of the work: the next K while P V
//   runs, the next V while the next scores run; S = Q K^T is 8 accumulator
//   tiles of 16 x 8 per warp;
// * the online softmax runs on the accumulators: lane (g, t) holds rows g and
//   g + 8 of each tile, so a row's max takes the lane's values and two xor
//   shuffles within its quad; the running sum stays per lane until the end;
// * P's accumulator tiles are already PV's A fragments (two 16 x 8 tiles are
//   one 16 x 16 fragment): rounded to the operands' type, with no shared memory;
//   V's fragments come from ldmatrix.trans.
//
// Decoding (at most 16 query rows per batch item, at least 512 keys) leaves most
// multiprocessors idle with a block per item: the keys are split over blocks
// (flash-decoding) that write their m, l and unnormalized accumulators to
// temporaries, warps without rows only staging, and a second kernel combines
// the splits.
//
// Taken for bf16/f16 q, k, v and output of that same type (P is rounded to it).
// Run-time conditions (buildMmaAttentionApplies): 16-byte aligned operands,
// head and value dims multiples of 8 and at most 128 (the CUDA-core kernel
// takes the rest). Fragments past the head or value dim are skipped whole.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuAttention.h"
#include "backends/gpu/Transforms/GpuMmaFragments.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace vibee {
namespace {

constexpr int64_t kWarps = 4;
constexpr int64_t kThreads = 32 * kWarps;
constexpr int64_t kRowsPerBlock = 16 * kWarps;
constexpr int64_t kKeyTile = 64;
/// Head and value dims up to this many, in steps of 16 (head) and 8 (value).
constexpr int64_t kMaxDim = 128;
constexpr int64_t kHeadSteps = kMaxDim / 16, kValueTiles = kMaxDim / 8;
constexpr int64_t kScoreTiles = kKeyTile / 8;
/// 16 bytes of padding per shared row.
constexpr int64_t kRowStride = kMaxDim + 8;
/// 16-byte vectors per shared row, and per thread for a whole tile.
constexpr int64_t kVectorsPerRow = kMaxDim / 8;
constexpr int64_t kVectorsPerThread = kKeyTile * kVectorsPerRow / kThreads;
/// Flash-decoding: at most this many query rows per batch item, keys split
/// into ranges of at least kMinSplitKeys until there are kDecodeBlocksPerSm
/// blocks per multiprocessor.
constexpr int64_t kDecodeRows = 16;
constexpr int64_t kMinSplitKeys = 256;
constexpr int64_t kDecodeBlocksPerSm = 16;

struct MmaAttentionKernel {
  OpBuilder &b;
  Location loc;
  const AttentionShape &shape;
  AttentionOp op;
  Type element;
  Value rowBlocks;
  /// Flash-decoding (set for few query rows and many keys): the keys are split
  /// into `splits` ranges of `keysPerSplit`, one block each, whose unnormalized
  /// accumulators and (m, l) per row go to the partial buffers.
  Value splits, keysPerSplit, partialOut, partialMax, partialSum;

  Value tid, lane, warp, g, t2, kTile, vTile, keysEnd, r0, split, item;
  LdMatrixLane ld;
  SmallVector<Value> env;                // batch indices
  SmallVector<Value> rowValid;           // rows g and g + 8 of the warp
  SmallVector<SmallVector<Value>> rowAt; // their loop indices

  Value c(int64_t x) { return constantIndex(b, loc, x); }
  Value f(float x) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(x)); }
  Value ninf() { return f(-std::numeric_limits<float>::infinity()); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value dim(unsigned loop) { return shape.size[loop]; }

  /// if (cond) body() yielding `values`' new versions, else the values unchanged.
  SmallVector<Value> ifUpdate(Value cond, ArrayRef<Value> values,
                              function_ref<SmallVector<Value>()> body) {
    auto ifOp = scf::IfOp::create(b, loc, ValueRange(values).getTypes(), cond, true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, body());
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, values);
    return SmallVector<Value>(ifOp.getResults());
  }
  /// 8 elements of `memref` along its last dim, zeros where !inBounds (the
  /// indices are clamped in range by the caller).
  Value loadVector(Value memref, AffineMap map, ArrayRef<Value> at, Value inBounds) {
    auto type = VectorType::get({8}, element);
    Value x = vector::LoadOp::create(b, loc, type, memref, attentionIndices(map, at),
                                     /*nontemporal=*/false, llvm::MaybeAlign(16));
    Value zero = arith::ConstantOp::create(b, loc, type,
                                           DenseElementsAttr::get(type, b.getZeroAttr(element)));
    return arith::SelectOp::create(b, loc, inBounds, x, zero);
  }
  void storeVector(Value x, Value tile, Value row, Value col) {
    vector::StoreOp::create(b, loc, x, tile, ValueRange{row, col}, /*nontemporal=*/false,
                            llvm::MaybeAlign(16));
  }
  Value clampLast(Value x, Value extent) {
    return arith::MinSIOp::create(b, loc, x, arith::SubIOp::create(b, loc, extent, c(8)));
  }
  Value quadReduce(Value x, bool isMax) { return buildLaneReduce(b, loc, x, 4, isMax); }
  /// A zero fragment register of P (what a warp without rows passes on).
  Value zeroPair() { return buildPackedPair(b, loc, f(0), f(0), element); }

  void buildBody(gpu::LaunchOp launch);
  SmallVector<SmallVector<Value>> loadQueryFragments();
  Value globalAddress(Value memref, AffineMap map, ArrayRef<Value> at);
  void issueTile(Value j0, bool values);
  SmallVector<Value> buildKeyTile(Value j0, ArrayRef<SmallVector<Value>> query, ValueRange state);
  SmallVector<Value> scoreRows(Value j0, ArrayRef<SmallVector<Value>> query, ValueRange state);
  SmallVector<Value> accumulateValues(ArrayRef<Value> probs, ValueRange state);
  void storeOutputs(ArrayRef<Value> state);
  void storePartials(ArrayRef<Value> state);
};

void MmaAttentionKernel::buildBody(gpu::LaunchOp launch) {
  tid = launch.getThreadIds().x;
  Value bid = launch.getBlockIds().x;
  lane = arith::RemUIOp::create(b, loc, tid, c(32));
  warp = arith::DivUIOp::create(b, loc, tid, c(32));
  g = arith::DivUIOp::create(b, loc, lane, c(4));
  t2 = mul(arith::RemUIOp::create(b, loc, lane, c(4)), c(2));
  ld = buildLdMatrixLane(b, loc, lane);
  kTile = launch.getWorkgroupAttributions()[0];
  vTile = launch.getWorkgroupAttributions()[1];
  Value rest = bid;
  split = c(0);
  if (splits) {
    split = arith::RemUIOp::create(b, loc, bid, splits);
    rest = arith::DivUIOp::create(b, loc, bid, splits);
  }
  item = arith::DivUIOp::create(b, loc, rest, rowBlocks);
  env = shape.batchIndices(b, loc, item);
  r0 = mul(arith::RemUIOp::create(b, loc, rest, rowBlocks), c(kRowsPerBlock));
  for (int64_t h = 0; h < 2; ++h) {
    Value row = add(add(r0, mul(warp, c(16))), add(g, c(8 * h)));
    rowValid.push_back(lt(row, shape.rowsPerItem));
    rowAt.push_back(env);
    shape.setRow(b, loc, row, rowAt.back());
  }
  keysEnd = shape.keysEnd(b, loc, r0, kRowsPerBlock);
  Value keysBegin = c(0);
  if (splits) {
    keysBegin = mul(split, keysPerSplit);
    keysEnd = arith::MinSIOp::create(b, loc, keysEnd, add(keysBegin, keysPerSplit));
  }
  SmallVector<SmallVector<Value>> query = loadQueryFragments();
  // Every warp has its Q fragments before the first K overwrites their tile.
  gpu::BarrierOp::create(b, loc);
  issueTile(keysBegin, /*values=*/false);
  issueTile(keysBegin, /*values=*/true);
  // Per row (g, g + 8): running max, this lane's part of the running sum; then
  // the output's accumulator tiles.
  SmallVector<Value> state = {ninf(), ninf(), f(0), f(0)};
  state.append(kValueTiles * 4, f(0));
  state = buildForLoop(b, loc, keysBegin, keysEnd, c(kKeyTile), state,
                       [&](OpBuilder &, Value j0, ValueRange s) {
                         return buildKeyTile(j0, query, s);
                       });
  // The last tile's look-ahead copies (all zero fills) land before the block ends.
  NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
  if (splits)
    storePartials(state);
  else
    storeOutputs(state);
}

// The warp's 16 rows of Q as A fragments (registers) for each step of 16
// along the head dim, staged through the K tile.
SmallVector<SmallVector<Value>> MmaAttentionKernel::loadQueryFragments() {
  Value heads = dim(shape.headLoop);
  for (int64_t u = 0; u < kVectorsPerThread; ++u) {
    Value idx = add(tid, c(u * kThreads));
    Value row = arith::DivUIOp::create(b, loc, idx, c(kVectorsPerRow));
    Value col = mul(arith::RemUIOp::create(b, loc, idx, c(kVectorsPerRow)), c(8));
    SmallVector<Value> at = env;
    shape.setRow(b, loc, add(r0, row), at);
    at[shape.headLoop] = clampLast(col, heads);
    Value inBounds = both(lt(add(r0, row), shape.rowsPerItem), lt(col, heads));
    storeVector(loadVector(op.getQuery(), op.getQueryMap(), at, inBounds), kTile, row, col);
  }
  gpu::BarrierOp::create(b, loc);
  SmallVector<SmallVector<Value>> frags;
  Value row = add(mul(warp, c(16)), add(ld.low, ld.r));
  for (int64_t kk = 0; kk < kHeadSteps; ++kk)
    frags.push_back(buildFragmentRegisters(
        b, loc, buildLdMatrix(b, loc, kTile, row, add(c(kk * 16), ld.high), false)));
  return frags;
}

// The global address of memref[map(at)] (identity layout: the aligned
// pointer plus the offset and the indices times the strides, in bytes).
Value MmaAttentionKernel::globalAddress(Value memref, AffineMap map, ArrayRef<Value> at) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value element = metadata.getOffset();
  for (auto [index, stride] : llvm::zip(attentionIndices(map, at), metadata.getStrides()))
    element = add(element, mul(index, stride));
  Value bytes = add(memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref),
                    mul(element, c(elementBytes(this->element))));
  Value address = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), bytes);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1), address);
}

// Rows j0 .. j0 + 63 of K (or V) into their shared tile by cp.async, 16 bytes
// a copy, zero-filled past the keys the loop visits and past the head (value)
// dim; then one commit group. Nothing waits for it here.
void MmaAttentionKernel::issueTile(Value j0, bool values) {
  Value memref = values ? op.getValue() : op.getKey();
  AffineMap map = values ? op.getValueMap() : op.getKeyMap();
  unsigned inner = values ? shape.valueLoop : shape.headLoop;
  Value tile = values ? vTile : kTile;
  Value keys = dim(shape.keyLoop), extent = dim(inner);
  Value tileBase = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, tile);
  auto shared = LLVM::LLVMPointerType::get(b.getContext(), 3);
  for (int64_t u = 0; u < kVectorsPerThread; ++u) {
    Value idx = add(tid, c(u * kThreads));
    Value row = arith::DivUIOp::create(b, loc, idx, c(kVectorsPerRow));
    Value col = mul(arith::RemUIOp::create(b, loc, idx, c(kVectorsPerRow)), c(8));
    Value j = add(j0, row);
    SmallVector<Value> at = env;
    at[shape.keyLoop] = arith::MinSIOp::create(b, loc, j, arith::SubIOp::create(b, loc, keys, c(1)));
    at[inner] = clampLast(col, extent);
    Value inBounds = both(lt(j, keysEnd), lt(col, extent));
    Value size = arith::SelectOp::create(b, loc, inBounds, arith::ConstantIntOp::create(b, loc, 16, 32),
                                         arith::ConstantIntOp::create(b, loc, 0, 32));
    Value dst = add(tileBase, mul(add(mul(row, c(kRowStride)), col), c(elementBytes(element))));
    Value dstAddress = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), dst);
    Value dstPointer = LLVM::IntToPtrOp::create(b, loc, shared, dstAddress);
    NVVM::CpAsyncOp::create(b, loc, dstPointer, globalAddress(memref, map, at), 16,
                            NVVM::LoadCacheModifierKind::CG, size);
  }
  NVVM::CpAsyncCommitGroupOp::create(b, loc);
}

// One tile of 64 keys. On entry the copies of K and V for it are in flight
// (two groups); the next tile's K is issued once this one's scores are taken,
// its V once this one's P V is done, so each copy runs under the other half.
SmallVector<Value> MmaAttentionKernel::buildKeyTile(Value j0, ArrayRef<SmallVector<Value>> query,
                                                    ValueRange state) {
  // Decoding (few rows): a warp without rows only copies. Not otherwise: the
  // branches cost the full tiles more than they save.
  Value active = lt(add(r0, mul(warp, c(16))), shape.rowsPerItem);
  auto update = [&](ArrayRef<Value> values, function_ref<SmallVector<Value>()> body) {
    return splits ? ifUpdate(active, values, body) : body();
  };
  Value next = add(j0, c(kKeyTile));
  NVVM::CpAsyncWaitGroupOp::create(b, loc, 1); // this tile's K (its V may still fly)
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> scored(state.begin(), state.end());
  scored.append(kKeyTile / 16 * 4, zeroPair());
  scored = update(scored, [&] { return scoreRows(j0, query, state); });
  gpu::BarrierOp::create(b, loc);
  issueTile(next, /*values=*/false);
  NVVM::CpAsyncWaitGroupOp::create(b, loc, 1); // this tile's V (the next K may still fly)
  gpu::BarrierOp::create(b, loc);
  ArrayRef<Value> probs(scored.data() + state.size(), kKeyTile / 16 * 4);
  SmallVector<Value> result(scored.begin(), scored.begin() + state.size());
  result = update(result, [&] { return accumulateValues(probs, result); });
  gpu::BarrierOp::create(b, loc);
  issueTile(next, /*values=*/true);
  return result;
}

// S = Q K^T, scale, mask, the online softmax's update of m and l and the
// rescale of the accumulators; returns the new state, then P as PV's A
// fragments (4 registers for each 16 keys).
SmallVector<Value> MmaAttentionKernel::scoreRows(Value j0, ArrayRef<SmallVector<Value>> query,
                                                 ValueRange state) {
  // S = Q K^T, steps of 16 along the head dim up to its end.
  SmallVector<Value> scores(kScoreTiles * 4, f(0));
  for (int64_t kk = 0; kk < kHeadSteps; ++kk)
    scores = ifUpdate(lt(c(kk * 16), dim(shape.headLoop)), scores, [&] {
      SmallVector<Value> next = scores;
      for (int64_t p = 0; p < kScoreTiles / 2; ++p) {
        Value row = add(c(p * 16), add(ld.high, ld.r));
        buildMmaPair(b, loc, kTile, row, add(c(kk * 16), ld.low), /*transpose=*/false, query[kk],
                     MutableArrayRef<Value>(next.data() + p * 8, 8));
      }
      return next;
    });
  // Scale and mask; each row's max over the tile (this lane's 16, then its quad).
  Value scale = op.getScale();
  SmallVector<Value> tileMax = {ninf(), ninf()};
  for (int64_t nt = 0; nt < kScoreTiles; ++nt)
    for (int64_t e = 0; e < 4; ++e) {
      int64_t h = e / 2;
      Value j = add(j0, add(t2, c(nt * 8 + e % 2)));
      Value keep = lt(j, keysEnd);
      if (op.getCausal())
        keep = both(keep, shape.keepsKey(b, loc, rowAt[h], j));
      Value &s = scores[nt * 4 + e];
      s = arith::SelectOp::create(b, loc, keep, arith::MulFOp::create(b, loc, s, scale), ninf());
      tileMax[h] = arith::MaximumFOp::create(b, loc, tileMax[h], s);
    }
  SmallVector<Value> next(state.begin(), state.end()), alpha(2), shift(2);
  for (int64_t h = 0; h < 2; ++h) {
    Value m = state[h];
    Value mNew = arith::MaximumFOp::create(b, loc, m, quadReduce(tileMax[h], /*isMax=*/true));
    // Rows masked so far keep m = -inf: subtract 0 then (p = 0, alpha = 1).
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf());
    shift[h] = arith::SelectOp::create(b, loc, masked, f(0), mNew);
    alpha[h] = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, shift[h]));
    next[h] = mNew;
    next[2 + h] = arith::MulFOp::create(b, loc, state[2 + h], alpha[h]);
  }
  for (int64_t nt = 0; nt < kScoreTiles; ++nt)
    for (int64_t e = 0; e < 4; ++e) {
      int64_t h = e / 2;
      Value &s = scores[nt * 4 + e];
      s = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, s, shift[h]));
      next[2 + h] = arith::AddFOp::create(b, loc, next[2 + h], s);
    }
  SmallVector<Value> out(next.begin() + 4, next.end());
  for (int64_t nt = 0; nt < kValueTiles; ++nt)
    for (int64_t e = 0; e < 4; ++e)
      out[nt * 4 + e] = arith::MulFOp::create(b, loc, out[nt * 4 + e], alpha[e / 2]);
  llvm::copy(out, next.begin() + 4);
  // P's tiles 2 kk and 2 kk + 1 are the A fragment of keys 16 kk .. 16 kk + 15.
  for (int64_t kk = 0; kk < kKeyTile / 16; ++kk) {
    auto pair = [&](int64_t nt, int64_t e) {
      return buildPackedPair(b, loc, scores[nt * 4 + e], scores[nt * 4 + e + 1], element);
    };
    next.append({pair(2 * kk, 0), pair(2 * kk, 2), pair(2 * kk + 1, 0), pair(2 * kk + 1, 2)});
  }
  return next;
}

// O += P V over the value tiles up to the value dim, two at a time.
SmallVector<Value> MmaAttentionKernel::accumulateValues(ArrayRef<Value> probs, ValueRange state) {
  SmallVector<Value> next(state.begin(), state.end());
  MutableArrayRef<Value> out(next.data() + 4, kValueTiles * 4);
  for (int64_t q = 0; q < kValueTiles / 2; ++q) {
    ArrayRef<Value> tiles(out.data() + q * 8, 8);
    SmallVector<Value> updated = ifUpdate(lt(c(q * 16), dim(shape.valueLoop)), tiles, [&] {
      SmallVector<Value> acc(tiles);
      for (int64_t kk = 0; kk < kKeyTile / 16; ++kk) {
        Value row = add(c(kk * 16), add(ld.low, ld.r));
        buildMmaPair(b, loc, vTile, row, add(c(q * 16), ld.high), /*transpose=*/true,
                     probs.slice(kk * 4, 4), acc);
      }
      return acc;
    });
    llvm::copy(updated, out.begin() + q * 8);
  }
  return next;
}

// o = acc / l in o's type: lane (g, t) holds rows g and g + 8, values 2 t and
// 2 t + 1 of each tile.
void MmaAttentionKernel::storeOutputs(ArrayRef<Value> state) {
  Type outType = getElementTypeOrSelf(op.getInit().getType());
  Value sums[2] = {quadReduce(state[2], false), quadReduce(state[3], false)};
  for (int64_t nt = 0; nt < kValueTiles; ++nt)
    for (int64_t e = 0; e < 4; ++e) {
      int64_t h = e / 2;
      Value col = add(t2, c(nt * 8 + e % 2));
      Value inside = both(rowValid[h], lt(col, dim(shape.valueLoop)));
      scf::IfOp ifOp = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      Value o = arith::DivFOp::create(b, loc, state[4 + nt * 4 + e], sums[h]);
      if (outType != o.getType())
        o = arith::TruncFOp::create(b, loc, outType, o);
      SmallVector<Value> at = rowAt[h];
      at[shape.valueLoop] = col;
      memref::StoreOp::create(b, loc, o, op.getInit(), attentionIndices(op.getOutputMap(), at));
    }
}

// Flash-decoding's first stage: this split's m, l (lane t = 0 of the quad) and
// unnormalized accumulators per row, at [split][item row][...].
void MmaAttentionKernel::storePartials(ArrayRef<Value> state) {
  Value values = dim(shape.valueLoop);
  Value itemRows = arith::MulIOp::create(b, loc, shape.items, shape.rowsPerItem);
  Value firstOfQuad =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, t2, c(0));
  for (int64_t h = 0; h < 2; ++h) {
    Value row = add(add(r0, mul(warp, c(16))), add(g, c(8 * h)));
    Value slot = add(mul(split, itemRows), add(mul(item, shape.rowsPerItem), row));
    Value sum = quadReduce(state[2 + h], false);
    scf::IfOp rowIf = scf::IfOp::create(b, loc, rowValid[h], /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(rowIf.thenBlock()->getTerminator());
    scf::IfOp first = scf::IfOp::create(b, loc, firstOfQuad, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPoint(first.thenBlock()->getTerminator());
      memref::StoreOp::create(b, loc, state[h], partialMax, ValueRange{slot});
      memref::StoreOp::create(b, loc, sum, partialSum, ValueRange{slot});
    }
    for (int64_t nt = 0; nt < kValueTiles; ++nt)
      for (int64_t e = 0; e < 2; ++e) {
        Value col = add(t2, c(nt * 8 + e));
        scf::IfOp inside = scf::IfOp::create(b, loc, lt(col, values), /*withElseRegion=*/false);
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPoint(inside.thenBlock()->getTerminator());
        memref::StoreOp::create(b, loc, state[4 + nt * 4 + 2 * h + e], partialOut,
                                ValueRange{add(mul(slot, values), col)});
      }
  }
}

/// Flash-decoding's second stage: a thread per output element combines the
/// splits, o = sum_s O_s e^(m_s - M) / sum_s l_s e^(m_s - M) with M = max_s m_s
/// (a split that saw no key has m = -inf and weighs nothing).
void buildCombineLaunch(OpBuilder &b, Location loc, const AttentionShape &shape, Value splits,
                        Value partialOut, Value partialMax, Value partialSum) {
  AttentionOp op = shape.op;
  Value values = shape.size[shape.valueLoop];
  Value itemRows = arith::MulIOp::create(b, loc, shape.items, shape.rowsPerItem);
  Value outputs = arith::MulIOp::create(b, loc, itemRows, values);
  constexpr int64_t kCombineThreads = 256;
  Value grid = arith::CeilDivUIOp::create(b, loc, outputs, constantIndex(b, loc, kCombineThreads));
  buildLaunch(b, loc, grid, constantIndex(b, loc, 1), kCombineThreads, {},
              [&](OpBuilder &, gpu::LaunchOp launch) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    auto c = [&](int64_t x) { return constantIndex(b, loc, x); };
    auto f = [&](float x) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(x)); };
    Value index = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, c(kCombineThreads)),
        launch.getThreadIds().x);
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, outputs);
    scf::IfOp body = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    b.setInsertionPoint(body.thenBlock()->getTerminator());
    Value slot = arith::DivUIOp::create(b, loc, index, values);
    Value e = arith::RemUIOp::create(b, loc, index, values);
    Value ninf = f(-std::numeric_limits<float>::infinity());
    auto at = [&](Value s) { return arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, s, itemRows), slot); };
    Value top = buildForLoop(b, loc, c(0), splits, c(1), {ninf}, [&](OpBuilder &, Value s, ValueRange m) {
      Value ms = memref::LoadOp::create(b, loc, partialMax, ValueRange{at(s)});
      return SmallVector<Value>{arith::MaximumFOp::create(b, loc, m[0], ms)};
    })[0];
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, top, ninf);
    Value shift = arith::SelectOp::create(b, loc, masked, f(0), top);
    SmallVector<Value> sums = buildForLoop(
        b, loc, c(0), splits, c(1), {f(0), f(0)}, [&](OpBuilder &, Value s, ValueRange acc) {
          Value slotS = at(s);
          Value ms = memref::LoadOp::create(b, loc, partialMax, ValueRange{slotS});
          Value w = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, ms, shift));
          Value l = memref::LoadOp::create(b, loc, partialSum, ValueRange{slotS});
          Value o = memref::LoadOp::create(
              b, loc, partialOut,
              ValueRange{arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, slotS, values), e)});
          return SmallVector<Value>{math::FmaOp::create(b, loc, w, l, acc[0]),
                                    math::FmaOp::create(b, loc, w, o, acc[1])};
        });
    Value o = arith::DivFOp::create(b, loc, sums[1], sums[0]);
    Type outType = getElementTypeOrSelf(op.getInit().getType());
    if (outType != o.getType())
      o = arith::TruncFOp::create(b, loc, outType, o);
    SmallVector<Value> indices = shape.batchIndices(b, loc, arith::DivUIOp::create(b, loc, slot, shape.rowsPerItem));
    shape.setRow(b, loc, arith::RemUIOp::create(b, loc, slot, shape.rowsPerItem), indices);
    indices[shape.valueLoop] = e;
    memref::StoreOp::create(b, loc, o, op.getInit(), attentionIndices(op.getOutputMap(), indices));
  });
}

} // namespace

bool isMmaAttention(const AttentionShape &shape) {
  AttentionOp op = shape.op;
  Type element = getElementTypeOrSelf(op.getQuery().getType());
  // P is rounded to the operands' type for P V: within the rounding of an output
  // of that type, not of an f32 one (measured: 1e-3 relative error against f32
  // attention's 1e-5), so f32 outputs take the CUDA-core kernel.
  if (!(element.isBF16() || element.isF16()) || op.getBias() ||
      getElementTypeOrSelf(op.getInit().getType()) != element)
    return false;
  auto last = [](AffineMap map) { return cast<AffineDimExpr>(map.getResults().back()).getPosition(); };
  for (Value operand : {op.getQuery(), op.getKey(), op.getValue()}) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || type.getElementType() != element || !type.getLayout().isIdentity())
      return false;
  }
  return last(op.getQueryMap()) == shape.headLoop && last(op.getKeyMap()) == shape.headLoop &&
         last(op.getValueMap()) == shape.valueLoop;
}

Value buildMmaAttentionApplies(OpBuilder &b, Location loc, const AttentionShape &shape) {
  AttentionOp op = shape.op;
  Value ok = buildAllAligned(b, loc, {op.getQuery(), op.getKey(), op.getValue()});
  for (unsigned loop : {shape.headLoop, shape.valueLoop}) {
    Value extent = shape.size[loop];
    ok = arith::AndIOp::create(b, loc, ok, buildIsMultipleOf(b, loc, extent, 8));
    ok = arith::AndIOp::create(b, loc, ok,
                               arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, extent,
                                                     constantIndex(b, loc, 0)));
    ok = arith::AndIOp::create(b, loc, ok,
                               arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, extent,
                                                     constantIndex(b, loc, kMaxDim)));
  }
  return ok;
}

static void buildMmaLaunch(OpBuilder &b, Location loc, const AttentionShape &shape,
                           MmaAttentionKernel &kernel, Value blocks) {
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Type tile =
      MemRefType::get({kKeyTile, kRowStride}, kernel.element, MemRefLayoutAttrInterface(), workgroup);
  buildLaunch(b, loc, blocks, constantIndex(b, loc, 1), kThreads, {tile, tile},
              [&](OpBuilder &, gpu::LaunchOp launch) {
                OpBuilder::InsertionGuard guard(b);
                b.setInsertionPointToStart(&launch.getBody().front());
                kernel.buildBody(launch);
              });
}

Value buildIsDecoding(OpBuilder &b, Location loc, const AttentionShape &shape) {
  auto c = [&](int64_t x) { return constantIndex(b, loc, x); };
  return arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, shape.rowsPerItem, c(kDecodeRows)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, shape.size[shape.keyLoop],
                            c(2 * kMinSplitKeys)));
}

void buildMmaDecodingLaunch(OpBuilder &b, Location loc, const AttentionShape &shape) {
  Type element = getElementTypeOrSelf(shape.op.getQuery().getType());
  auto c = [&](int64_t x) { return constantIndex(b, loc, x); };
  Value rowBlocks = arith::CeilDivUIOp::create(b, loc, shape.rowsPerItem, c(kRowsPerBlock));
  Value blocks = arith::MulIOp::create(b, loc, shape.items, rowBlocks);
  Value keys = shape.size[shape.keyLoop];
  // Splits until there are kDecodeBlocksPerSm blocks per multiprocessor, each
  // at least kMinSplitKeys long.
  Value wanted = arith::CeilDivUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, buildSmCount(b, loc, shape.op), c(kDecodeBlocksPerSm)),
      blocks);
  Value most = arith::CeilDivUIOp::create(b, loc, keys, c(kMinSplitKeys));
  Value splits = arith::MaxUIOp::create(b, loc, arith::MinUIOp::create(b, loc, wanted, most), c(1));
  // Whole key tiles per split.
  Value perSplit = arith::MulIOp::create(
      b, loc,
      arith::CeilDivUIOp::create(b, loc, arith::CeilDivUIOp::create(b, loc, keys, splits),
                                 c(kKeyTile)),
      c(kKeyTile));
  splits = arith::CeilDivUIOp::create(b, loc, keys, perSplit);
  Value itemRows = arith::MulIOp::create(b, loc, shape.items, shape.rowsPerItem);
  Value slots = arith::MulIOp::create(b, loc, splits, itemRows);
  auto buffer = [&](Value n) {
    auto type = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
    return memref::AllocOp::create(b, loc, type, ValueRange{n}).getResult();
  };
  Value partialOut = buffer(arith::MulIOp::create(b, loc, slots, shape.size[shape.valueLoop]));
  Value partialMax = buffer(slots), partialSum = buffer(slots);
  MmaAttentionKernel kernel{b, loc, shape, shape.op, element, rowBlocks, splits, perSplit,
                            partialOut, partialMax, partialSum};
  buildMmaLaunch(b, loc, shape, kernel, arith::MulIOp::create(b, loc, blocks, splits));
  buildCombineLaunch(b, loc, shape, splits, partialOut, partialMax, partialSum);
  for (Value v : {partialOut, partialMax, partialSum})
    memref::DeallocOp::create(b, loc, v);
}

void buildMmaAttentionLaunch(OpBuilder &b, Location loc, const AttentionShape &shape) {
  // Few rows and many keys: too few blocks to keep the memory busy, so the keys
  // are split (flash-decoding).
  auto ifOp = scf::IfOp::create(b, loc, buildIsDecoding(b, loc, shape), /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  buildMmaDecodingLaunch(b, loc, shape);
  b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  Type element = getElementTypeOrSelf(shape.op.getQuery().getType());
  Value rowBlocks = arith::CeilDivUIOp::create(b, loc, shape.rowsPerItem,
                                               constantIndex(b, loc, kRowsPerBlock));
  MmaAttentionKernel kernel{b, loc, shape, shape.op, element, rowBlocks};
  buildMmaLaunch(b, loc, shape, kernel, arith::MulIOp::create(b, loc, shape.items, rowBlocks));
}

} // namespace vibee
