//===- GpuAttentionWgmmaKernel.cpp - attention on Hopper's wgmma + TMA ----===//
//
// The sm_90a form of the tensor-core attention (FlashAttention-3's structure,
// Shah et al. 2024, with its intra-warpgroup overlap, without the ping-pong of
// the two consumers): bf16/f16 q, k and v, f32 math. A block of 3 warpgroups takes 128 query rows of one batch item:
//
// * warpgroup 0 is the producer (setmaxnreg down; one thread issues the TMA
//   loads): the block's Q once, then per tile of 128 keys its K and its V into
//   three stages each (two left the loads exposed once P V overlapped the
//   softmax: a stage of V is released a tile later), every stage with a `full` mbarrier (TMA completes it with
//   the bytes it wrote) and an `empty` one (both consumers arrive when their
//   wgmmas that read it are done);
// * warpgroups 1 and 2 are the consumers, 64 rows each: S = Q K^T is one
//   m64n128k16 wgmma per 16 values of the head dim, both operands K-major in
//   shared memory; the online softmax runs on S's accumulators (thread t holds
//   rows 16 (t / 32) + g and g + 8, columns 8 j + 2 q (+ 1): a row's max takes
//   the thread's values and two xor shuffles within its quad); P rounded to the
//   operands' type is already the A operand of P V in registers (an
//   accumulator's columns 16 kk .. 16 kk + 15 are the mma.sync A fragment of
//   step kk), so O += P V is a wgmma with A from registers and V (MN-major,
//   transposed) from shared memory; tile t's scores are issued with tile
//   t - 1's P V behind them, and t's softmax runs while that P V is on the
//   tensor cores (buildConsumer).
//
// Head and value dims up to 64 or 128 (two kernels: one or two 64-wide boxes of
// 128-byte swizzled rows); TMA fills what lies outside a tensor with zeros, so
// neither the rows, nor the keys, nor the dims need be multiples of a tile
// (keys past the end are masked, rows and values past it not stored). The
// tensor maps are 3-D (dim, rows, batch item): q's rows are the item's query
// rows, k's and v's its keys, which is what isWgmmaAttention checks of the
// layouts. Decoding (few rows) stays on flash-decoding (GpuAttentionMmaKernel).
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuAttention.h"
#include "backends/gpu/Transforms/GpuMmaFragments.h"
#include "backends/gpu/Transforms/GpuWgmmaOperands.h"

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

constexpr int64_t kConsumers = 2;
constexpr int64_t kThreads = 128 * (kConsumers + 1);
constexpr int64_t kRowsPerBlock = 64 * kConsumers;
constexpr int64_t kKeyTile = 128;
constexpr int64_t kStages = 3;
/// A box: 64 values of the head (value) dim, 128 bytes a row, swizzled.
constexpr int64_t kBoxValues = 64, kRowBytes = 128;
constexpr int64_t kScoreAccs = kKeyTile / 2;
/// setmaxnreg: 128 x 24 + 256 x 240 <= 64 K registers.
constexpr int64_t kProducerRegisters = 24, kConsumerRegisters = 240;

/// Where everything lies in the dynamic shared memory (1024-aligned base) for
/// head and value dims of up to 64 * boxes.
struct SharedLayout {
  int64_t boxes;
  int64_t qBytes() const { return boxes * kRowsPerBlock * kRowBytes; }
  int64_t tileBytes() const { return boxes * kKeyTile * kRowBytes; }
  int64_t kStage(int64_t s) const { return qBytes() + s * tileBytes(); }
  int64_t vStage(int64_t s) const { return qBytes() + (kStages + s) * tileBytes(); }
  /// mbarriers: q full, then k full, k empty, v full, v empty per stage.
  int64_t barriers() const { return qBytes() + 2 * kStages * tileBytes(); }
  int64_t total() const { return barriers() + 8 * (1 + 4 * kStages) + 1024; }
};

struct WgmmaAttentionKernel {
  OpBuilder &b;
  Location loc;
  const AttentionShape &shape;
  AttentionOp op;
  Type element;
  SharedLayout layout;
  Value mapQ, mapK, mapV, rowBlocks;

  Value tid, base, item, r0, keysEnd, keysKept, tiles, leader;
  SmallVector<Value> env;

  Value c(int64_t x) { return constantIndex(b, loc, x); }
  Value i32(int64_t x) { return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(x)); }
  Value f(float x) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(x)); }
  Value ninf() { return f(-std::numeric_limits<float>::infinity()); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value rem(Value x, int64_t y) { return arith::RemUIOp::create(b, loc, x, c(y)); }
  Value div(Value x, int64_t y) { return arith::DivUIOp::create(b, loc, x, c(y)); }
  Value lt(Value x, Value y) { return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y); }
  Value toI32(Value x) { return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), x); }
  void ifThen(Value cond, function_ref<void()> then) {
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    then();
  }
  Value shared(Value offset) {
    Value address = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), add(base, offset));
    return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3), address);
  }
  /// Barrier `which` (0 q full; 1 + 4 s + {0 k full, 1 k empty, 2 v full, 3 v empty}).
  Value barrier(Value which) { return shared(add(c(layout.barriers()), mul(which, c(8)))); }
  Value stageBarrier(Value s, int64_t kind) { return barrier(add(c(1 + kind), mul(s, c(4)))); }
  void wait(Value bar, Value parity) {
    NVVM::MBarrierTryWaitParityOp::create(b, loc, bar, toI32(parity), i32(0));
  }
  void arrive(Value bar) { NVVM::MBarrierArriveOp::create(b, loc, Type(), bar, Value()); }
  Value descriptor(Value offset, int64_t leadingBytes) {
    return buildWgmmaDescriptor(b, loc, add(base, offset), leadingBytes);
  }

  void buildBody(gpu::LaunchOp launch);
  void buildProducer();
  void buildConsumer(Value consumer);
  Value issueScores(Value qRows, Value s);
  Value issueValues(Value s, Value out, ArrayRef<Value> words);
  SmallVector<Value> softmaxWords(Value tile, Value scores, ArrayRef<SmallVector<Value>> rowAt,
                                  ValueRange state);
  SmallVector<Value> softmaxTile(Value j0, Value scores, ArrayRef<SmallVector<Value>> rowAt,
                                 ValueRange state, bool masked);
  void storeOutputs(Value rowBase, ArrayRef<SmallVector<Value>> rowAt, ArrayRef<Value> rowValid,
                    ArrayRef<Value> sums, Value out);
};

void WgmmaAttentionKernel::buildBody(gpu::LaunchOp launch) {
  tid = launch.getThreadIds().x;
  // The host's tensor map addresses as pointers (kernel arguments are indices).
  for (Value *map : {&mapQ, &mapK, &mapV}) {
    Value address = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), *map);
    *map = LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), address);
  }
  Value bid = launch.getBlockIds().x;
  item = arith::DivUIOp::create(b, loc, bid, rowBlocks);
  // The longest causal row blocks (the last) first.
  Value blockOfItem = arith::RemUIOp::create(b, loc, bid, rowBlocks);
  r0 = mul(arith::SubIOp::create(b, loc, arith::SubIOp::create(b, loc, rowBlocks, c(1)), blockOfItem),
           c(kRowsPerBlock));
  env = shape.batchIndices(b, loc, item);
  keysEnd = shape.keysEnd(b, loc, r0, kRowsPerBlock);
  keysKept = shape.keysKept(b, loc, r0, kRowsPerBlock);
  tiles = arith::CeilDivUIOp::create(b, loc, keysEnd, c(kKeyTile));
  auto dynamic = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), MemRefLayoutAttrInterface(),
                      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup)));
  Value raw = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, dynamic);
  base = arith::AndIOp::create(b, loc, add(raw, c(1023)), c(~int64_t(1023)));
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, c(0));
  ifThen(first, [&] {
    NVVM::MBarrierInitOp::create(b, loc, barrier(c(0)), i32(1), Value());
    for (int64_t s = 0; s < kStages; ++s)
      for (int64_t kind = 0; kind < 4; ++kind)
        NVVM::MBarrierInitOp::create(b, loc, stageBarrier(c(s), kind),
                                     i32(kind % 2 ? kConsumers : 1), Value());
    NVVM::FenceMbarrierInitOp::create(b, loc);
  });
  gpu::BarrierOp::create(b, loc);
  // The role branch must look warp-uniform to ptxas (a wgmma in a branch it
  // thinks divergent is serialized): the warpgroup comes from lane 0.
  Value group = toI32(div(tid, 128));
  group = gpu::ShuffleOp::create(b, loc, group, i32(0), i32(32), gpu::ShuffleMode::IDX)
              .getShuffleResult();
  Value warpgroup = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), group);
  auto roles = scf::IfOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, warpgroup, c(0)),
      /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(roles.thenBlock()->getTerminator());
  NVVM::SetMaxRegisterOp::create(b, loc, kProducerRegisters, NVVM::SetMaxRegisterAction::decrease);
  ifThen(first, [&] { buildProducer(); });
  b.setInsertionPoint(roles.elseBlock()->getTerminator());
  NVVM::SetMaxRegisterOp::create(b, loc, kConsumerRegisters, NVVM::SetMaxRegisterAction::increase);
  leader = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rem(tid, 128), c(0));
  buildConsumer(arith::SubIOp::create(b, loc, warpgroup, c(1)));
}

void WgmmaAttentionKernel::buildProducer() {
  Value z = toI32(item);
  // `rows` rows of each 64-wide box of `map` from row `row` on, the boxes one
  // after the other from shared offset `dst`.
  auto load = [&](Value dst, Value map, int64_t rows, Value row, Value bar) {
    for (int64_t box = 0; box < layout.boxes; ++box) {
      Value to = shared(add(dst, c(box * rows * kRowBytes)));
      // The block's own shared memory as a shared::cluster address (a launch
      // without clusters is a cluster of one).
      Value cluster = LLVM::AddrSpaceCastOp::create(
          b, loc, LLVM::LLVMPointerType::get(b.getContext(), 7), to);
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, loc, cluster, map, ValueRange{i32(box * kBoxValues), toI32(row), z}, bar,
          ValueRange{}, Value(), Value(), NVVM::TMALoadMode::TILE, false, nullptr, Value());
    }
  };
  Value qFull = barrier(c(0));
  NVVM::MBarrierArriveExpectTxOp::create(b, loc, Type(), qFull, i32(layout.qBytes()),
                                         NVVM::MemScopeKind::CTA, false, Value());
  load(c(0), mapQ, kRowsPerBlock, r0, qFull);
  buildForLoop(b, loc, c(0), tiles, c(1), {}, [&](OpBuilder &, Value t, ValueRange) {
    Value s = rem(t, kStages);
    Value j0 = mul(t, c(kKeyTile));
    Value refill = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, t, c(kStages));
    Value parity = rem(arith::SubIOp::create(b, loc, div(t, kStages), c(1)), 2);
    for (int64_t kind : {0, 2}) {
      // A stage is refilled once both consumers released its last use.
      ifThen(refill, [&] { wait(stageBarrier(s, kind + 1), parity); });
      Value full = stageBarrier(s, kind);
      NVVM::MBarrierArriveExpectTxOp::create(b, loc, Type(), full, i32(layout.tileBytes()),
                                             NVVM::MemScopeKind::CTA, false, Value());
      int64_t first = kind == 0 ? layout.kStage(0) : layout.vStage(0);
      load(add(c(first), mul(s, c(layout.tileBytes()))), kind == 0 ? mapK : mapV, kKeyTile, j0,
           full);
    }
    return SmallVector<Value>{};
  });
}

// Issues S = Q K^T for the consumer's 64 rows (`qRows`: their offset in Q's
// boxes) and the keys of stage `s` as one wgmma group (the caller fences and
// waits): the literal struct of 64 f32.
Value WgmmaAttentionKernel::issueScores(Value qRows, Value s) {
  auto accType = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                  SmallVector<Type>(kScoreAccs, b.getF32Type()));
  Value acc = LLVM::ZeroOp::create(b, loc, accType);
  NVVM::WGMMATypes type = element.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
  Value kStage = add(c(layout.kStage(0)), mul(s, c(layout.tileBytes())));
  for (int64_t box = 0; box < layout.boxes; ++box) {
    Value descQ = descriptor(add(qRows, c(box * kRowsPerBlock * kRowBytes)), 16);
    Value descK = descriptor(add(kStage, c(box * kKeyTile * kRowBytes)), 16);
    for (int64_t kk = 0; kk < kBoxValues / 16; ++kk) {
      // 16 values: 32 bytes along a swizzled K-major row.
      auto step = [&](Value d) {
        return arith::AddIOp::create(b, loc, d,
                                     arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(kk * 2)));
      };
      acc = NVVM::WgmmaMmaAsyncOp::create(
          b, loc, accType, acc, step(descQ), step(descK),
          NVVM::MMAShapeAttr::get(b.getContext(), 64, kKeyTile, 16), type, type,
          NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one, NVVM::WGMMAScaleIn::one,
          NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row, NVVM::MMALayout::col, nullptr);
    }
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  return acc;
}

// Issues O += P V for the keys of stage `s` as one wgmma group: P's words (the
// A operand, 4 per 16 keys) from registers, V transposed from shared memory.
Value WgmmaAttentionKernel::issueValues(Value s, Value out, ArrayRef<Value> words) {
  Value vStage = add(c(layout.vStage(0)), mul(s, c(layout.tileBytes())));
  for (int64_t kk = 0; kk < kKeyTile / 16; ++kk) {
    // 16 keys: 16 rows of 128 bytes of each box; the boxes (64 values each)
    // are a tile of rows apart.
    Value descV = descriptor(add(vStage, c(kk * 16 * kRowBytes)), kKeyTile * kRowBytes);
    out = buildWgmmaRegisterA(b, loc, element, layout.boxes * kBoxValues, out,
                              words.slice(4 * kk, 4), descV);
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  return out;
}

// Scale, mask (`masked`: keys past the end or above a row's diagonal may be in
// the tile), the online softmax's update of (m, l) per row; returns the new
// (m, l), alpha = e^(m - m_new) per row, then P (the exponentials) in
// accumulator order. The scale carries log2(e): exp2 is one instruction.
SmallVector<Value> WgmmaAttentionKernel::softmaxTile(Value j0, Value scores,
                                                     ArrayRef<SmallVector<Value>> rowAt,
                                                     ValueRange state, bool masked) {
  Value q2 = mul(rem(rem(tid, 32), 4), c(2));
  Value scale = arith::MulFOp::create(b, loc, op.getScale(), f(1.4426950408889634f));
  SmallVector<Value> tileMax = {ninf(), ninf()}, probs(kScoreAccs);
  for (int64_t i = 0; i < kScoreAccs; ++i) {
    int64_t j = i / 4, h = i / 2 % 2, e = i % 2;
    Value s = LLVM::ExtractValueOp::create(b, loc, scores, ArrayRef<int64_t>{i});
    probs[i] = arith::MulFOp::create(b, loc, s, scale);
    if (masked) {
      Value key = add(j0, add(q2, c(8 * j + e)));
      Value keep = lt(key, keysEnd);
      if (op.getCausal())
        keep = arith::AndIOp::create(b, loc, keep, shape.keepsKey(b, loc, rowAt[h], key));
      probs[i] = arith::SelectOp::create(b, loc, keep, probs[i], ninf());
    }
    tileMax[h] = arith::MaximumFOp::create(b, loc, tileMax[h], probs[i]);
  }
  SmallVector<Value> next(state.begin(), state.end()), shift(2);
  next.resize(6);
  for (int64_t h = 0; h < 2; ++h) {
    Value mNew = arith::MaximumFOp::create(b, loc, state[h],
                                           buildLaneReduce(b, loc, tileMax[h], 4, /*isMax=*/true));
    // Rows masked so far keep m = -inf: subtract 0 then (p = 0, alpha = 1).
    Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, ninf());
    shift[h] = arith::SelectOp::create(b, loc, none, f(0), mNew);
    Value alpha = math::Exp2Op::create(b, loc, arith::SubFOp::create(b, loc, state[h], shift[h]));
    next[h] = mNew;
    next[2 + h] = arith::MulFOp::create(b, loc, state[2 + h], alpha);
    next[4 + h] = alpha;
  }
  for (int64_t i = 0; i < kScoreAccs; ++i) {
    int64_t h = i / 2 % 2;
    probs[i] = math::Exp2Op::create(b, loc, arith::SubFOp::create(b, loc, probs[i], shift[h]));
    next[2 + h] = arith::AddFOp::create(b, loc, next[2 + h], probs[i]);
  }
  next.append(probs.begin(), probs.end());
  return next;
}

// The softmax of tile `tile` (the mask only where some row does not keep the
// tile whole), then P as PV's A words: the new (m, l), alpha per row, then 32
// words (an accumulator's columns 16 kk .. 16 kk + 15 are the mma.sync A
// fragment of step kk).
SmallVector<Value> WgmmaAttentionKernel::softmaxWords(Value tile, Value scores,
                                                      ArrayRef<SmallVector<Value>> rowAt,
                                                      ValueRange state) {
  Value j0 = mul(tile, c(kKeyTile));
  SmallVector<Value> next = buildIfElse(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, add(j0, c(kKeyTile)), keysKept),
      [&](OpBuilder &) { return softmaxTile(j0, scores, rowAt, state, false); },
      [&](OpBuilder &) { return softmaxTile(j0, scores, rowAt, state, true); });
  SmallVector<Value> result(next.begin(), next.begin() + 6);
  for (int64_t i = 0; i < kScoreAccs; i += 2) {
    Value pair = buildPackedPair(b, loc, next[6 + i], next[7 + i], element);
    if (element.isF16())
      pair = vector::ExtractOp::create(
          b, loc, vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair),
          ArrayRef<int64_t>{0});
    result.push_back(pair);
  }
  return result;
}

// FlashAttention-3's intra-warpgroup overlap: tile t's scores are issued with
// tile t - 1's P V behind them, and t's softmax runs while that P V is on the
// tensor cores (wgmma groups complete in order: wait_group 1 is S). O is
// rescaled by t's alpha once the P V is done; the last tile's P V follows the
// loop.
void WgmmaAttentionKernel::buildConsumer(Value consumer) {
  int64_t valueAccs = layout.boxes * kBoxValues / 2;
  auto outType = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                  SmallVector<Type>(valueAccs, b.getF32Type()));
  Value t = rem(tid, 128);
  Value rowBase = add(r0, mul(consumer, c(64)));
  Value row = add(rowBase, add(mul(div(t, 32), c(16)), div(rem(t, 32), 4)));
  SmallVector<SmallVector<Value>> rowAt;
  SmallVector<Value> rowValid;
  for (int64_t h = 0; h < 2; ++h) {
    Value r = add(row, c(8 * h));
    rowValid.push_back(lt(r, shape.rowsPerItem));
    rowAt.push_back(env);
    shape.setRow(b, loc, r, rowAt.back());
  }
  Value qRows = mul(consumer, c(64 * kRowBytes));
  auto waitFull = [&](Value tile, int64_t kind) {
    wait(stageBarrier(rem(tile, kStages), kind), rem(div(tile, kStages), 2));
  };
  auto release = [&](Value tile, int64_t kind) {
    ifThen(leader, [&] { arrive(stageBarrier(rem(tile, kStages), kind + 1)); });
  };
  auto rescale = [&](Value out, Value alpha0, Value alpha1) {
    for (int64_t i = 0; i < valueAccs; ++i) {
      Value x = LLVM::ExtractValueOp::create(b, loc, out, ArrayRef<int64_t>{i});
      x = arith::MulFOp::create(b, loc, x, i / 2 % 2 ? alpha1 : alpha0);
      out = LLVM::InsertValueOp::create(b, loc, out, x, ArrayRef<int64_t>{i});
    }
    return out;
  };
  wait(barrier(c(0)), c(0));
  // State: (m, l) per row (g, g + 8; l this thread's part), O's accumulators,
  // the previous tile's P words.
  Value zeroOut = LLVM::ZeroOp::create(b, loc, outType);
  SmallVector<Value> empty = {ninf(), ninf(), f(0), f(0), zeroOut};
  empty.append(kScoreAccs / 2, arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0)));
  Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, tiles, c(0));
  SmallVector<Value> first = buildIfElse(
      b, loc, any,
      [&](OpBuilder &) {
        waitFull(c(0), 0);
        NVVM::WgmmaFenceAlignedOp::create(b, loc);
        Value scores = issueScores(qRows, c(0));
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
        release(c(0), 0);
        SmallVector<Value> next = softmaxWords(c(0), scores, rowAt, ValueRange(empty).take_front(4));
        SmallVector<Value> state = {next[0], next[1], next[2], next[3], zeroOut};
        state.append(next.begin() + 6, next.end());
        return state;
      },
      [&](OpBuilder &) { return empty; });
  SmallVector<Value> state = buildForLoop(
      b, loc, c(1), tiles, c(1), first, [&](OpBuilder &, Value tile, ValueRange in) {
        Value previous = arith::SubIOp::create(b, loc, tile, c(1));
        waitFull(tile, 0);
        waitFull(previous, 2);
        NVVM::WgmmaFenceAlignedOp::create(b, loc);
        Value scores = issueScores(qRows, rem(tile, kStages));
        SmallVector<Value> words(in.begin() + 5, in.end());
        Value out = issueValues(rem(previous, kStages), in[4], words);
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 1);
        release(tile, 0);
        SmallVector<Value> next = softmaxWords(tile, scores, rowAt, in.take_front(4));
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
        release(previous, 2);
        SmallVector<Value> result = {next[0], next[1], next[2], next[3],
                                     rescale(out, next[4], next[5])};
        result.append(next.begin() + 6, next.end());
        return result;
      });
  Value out = buildIfElse(
      b, loc, any,
      [&](OpBuilder &) {
        Value last = arith::SubIOp::create(b, loc, tiles, c(1));
        waitFull(last, 2);
        NVVM::WgmmaFenceAlignedOp::create(b, loc);
        SmallVector<Value> words(state.begin() + 5, state.end());
        Value result = issueValues(rem(last, kStages), state[4], words);
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
        release(last, 2);
        return SmallVector<Value>{result};
      },
      [&](OpBuilder &) { return SmallVector<Value>{state[4]}; })[0];
  SmallVector<Value> sums = {buildLaneReduce(b, loc, state[2], 4, false),
                             buildLaneReduce(b, loc, state[3], 4, false)};
  storeOutputs(row, rowAt, rowValid, sums, out);
}

// o = O / l in o's type: thread (warp w, g, q) holds rows 16 w + g (+ 8),
// values 8 j + 2 q (+ 1).
void WgmmaAttentionKernel::storeOutputs(Value row, ArrayRef<SmallVector<Value>> rowAt,
                                        ArrayRef<Value> rowValid, ArrayRef<Value> sums,
                                        Value out) {
  Type outElement = getElementTypeOrSelf(op.getInit().getType());
  Value q2 = mul(rem(rem(tid, 32), 4), c(2));
  Value values = shape.size[shape.valueLoop];
  int64_t valueAccs = layout.boxes * kBoxValues / 2;
  for (int64_t i = 0; i < valueAccs; ++i) {
    int64_t j = i / 4, h = i / 2 % 2, e = i % 2;
    Value col = add(q2, c(8 * j + e));
    ifThen(arith::AndIOp::create(b, loc, rowValid[h], lt(col, values)), [&] {
      Value x = LLVM::ExtractValueOp::create(b, loc, out, ArrayRef<int64_t>{i});
      Value o = arith::DivFOp::create(b, loc, x, sums[h]);
      if (outElement != o.getType())
        o = arith::TruncFOp::create(b, loc, outElement, o);
      SmallVector<Value> at = rowAt[h];
      at[shape.valueLoop] = col;
      memref::StoreOp::create(b, loc, o, op.getInit(), attentionIndices(op.getOutputMap(), at));
    });
  }
}

/// The map's results are the batch loops in order, then `middle`, then `last`.
bool hasItemLayout(AffineMap map, const AttentionShape &shape, ArrayRef<unsigned> middle,
                   unsigned last) {
  SmallVector<unsigned> want(shape.batchLoops.begin(), shape.batchLoops.end());
  want.append(middle.begin(), middle.end());
  want.push_back(last);
  if (map.getNumResults() != want.size())
    return false;
  for (auto [expr, loop] : llvm::zip(map.getResults(), want))
    if (cast<AffineDimExpr>(expr).getPosition() != loop)
      return false;
  return true;
}

void buildLaunchFor(OpBuilder &b, Location loc, const AttentionShape &shape, int64_t boxes,
                    Value mapQ, Value mapK, Value mapV) {
  Type element = getElementTypeOrSelf(shape.op.getQuery().getType());
  Value rowBlocks =
      arith::CeilDivUIOp::create(b, loc, shape.rowsPerItem, constantIndex(b, loc, kRowsPerBlock));
  Value blocks = arith::MulIOp::create(b, loc, shape.items, rowBlocks);
  SharedLayout layout{boxes};
  Value one = constantIndex(b, loc, 1);
  Value smem = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(layout.total()));
  auto launch = gpu::LaunchOp::create(b, loc, blocks, one, one, constantIndex(b, loc, kThreads),
                                      one, one, smem);
  OpBuilder kernel = OpBuilder::atBlockBegin(&launch.getBody().front());
  WgmmaAttentionKernel body{kernel, loc, shape, shape.op, element, layout,
                            mapQ, mapK, mapV, rowBlocks};
  body.buildBody(launch);
  gpu::TerminatorOp::create(kernel, loc);
}

} // namespace

bool isWgmmaAttention(const AttentionShape &shape) {
  AttentionOp op = shape.op;
  return hasItemLayout(op.getQueryMap(), shape, shape.queryLoops, shape.headLoop) &&
         hasItemLayout(op.getKeyMap(), shape, {shape.keyLoop}, shape.headLoop) &&
         hasItemLayout(op.getValueMap(), shape, {shape.keyLoop}, shape.valueLoop);
}

void buildWgmmaAttentionLaunch(OpBuilder &b, Location loc, const AttentionShape &shape,
                               function_ref<void()> fallback) {
  AttentionOp op = shape.op;
  auto c = [&](int64_t x) { return constantIndex(b, loc, x); };
  Value heads = shape.size[shape.headLoop], values = shape.size[shape.valueLoop];
  Value keys = shape.size[shape.keyLoop];
  Value mapQ = buildTensorMap(b, loc, op.getQuery(), heads, shape.rowsPerItem, shape.items,
                              kBoxValues, kRowsPerBlock);
  Value mapK = buildTensorMap(b, loc, op.getKey(), heads, keys, shape.items, kBoxValues, kKeyTile);
  Value mapV = buildTensorMap(b, loc, op.getValue(), values, keys, shape.items, kBoxValues, kKeyTile);
  // No map when a dim is 0 (no keys: the fallback writes what that means) or
  // on a failure (recorded).
  Value ready = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, mapQ, c(0));
  for (Value map : {mapK, mapV})
    ready = arith::AndIOp::create(
        b, loc, ready, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, map, c(0)));
  auto ifReady = scf::IfOp::create(b, loc, ready, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifReady.elseBlock()->getTerminator());
  fallback();
  b.setInsertionPoint(ifReady.thenBlock()->getTerminator());
  Value small = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, heads, c(kBoxValues)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, values, c(kBoxValues)));
  auto ifSmall = scf::IfOp::create(b, loc, small, /*withElseRegion=*/true);
  b.setInsertionPoint(ifSmall.thenBlock()->getTerminator());
  buildLaunchFor(b, loc, shape, 1, mapQ, mapK, mapV);
  b.setInsertionPoint(ifSmall.elseBlock()->getTerminator());
  buildLaunchFor(b, loc, shape, 2, mapQ, mapK, mapV);
}

} // namespace vibee
