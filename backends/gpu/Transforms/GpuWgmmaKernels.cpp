//===- GpuWgmmaKernels.cpp - matmuls on Hopper's wgmma + TMA --------------===//
//
// The sm_90a form of the tensor-core matmul (the layouts and payloads of
// GpuMmaKernels.cpp: c[z..., m, n] += sum_k f32(a[z..., m, k]) * f32(b) with
// b as b[z..., k, n] or b[z..., n, k], bf16 or f16 operands, f32 c; and,
// K-major only, FP8 operands with f32 c or 8-bit integers with i32 c:
// isWgmmaMatmul). mma.sync
// issues from one warp at a time and reads its operands through registers;
// wgmma (warpgroup-level, asynchronous) reads both operands straight from
// shared memory, which the bulk tensor copy engine (TMA) fills without the
// threads' help. That is the only way to Hopper's matrix rate.
//
// One block of 3 warpgroups (384 threads) per 128 x 256 tile of c, warp
// specialized: warpgroup 0 is the producer (setmaxnreg 40; one thread issues
// the TMA loads), warpgroups 1 and 2 are the consumers (setmaxnreg 232; 64 rows
// of the tile each: one wgmma.m64n256k16 per 16 values of k, 128 f32
// accumulators per thread). k advances 64 values (128 bytes of bf16) per
// stage; 4 stages of a (128 x 64) and b (64 x 256) in shared memory with the
// 128-byte swizzle that both TMA and wgmma understand (no bank conflicts, no
// padding). Each stage has two mbarriers: `full` (the producer's expect_tx;
// TMA completes it with the bytes it wrote) and `empty` (each consumer
// warpgroup arrives once its wgmmas that read the stage are done:
// wgmma.wait_group 1 keeps one group in flight). The stage counter runs on
// across the tiles of c a block loops over, so the barriers are initialized
// once. The zero fill before the product and an elementwise statement after
// it can be taken over (MatmulEpilogue, GpuMatmulMatch.h).
//
// Tensor maps (host, vibee_cuda_tensor_map in runtime/cuda): 3-D (inner, rows,
// batch) so that a batch index never reads the next matrix; TMA fills what
// lies outside the tensor with zeros, so M, N and K need not be multiples of
// the tile (the stores are guarded). They need 16-byte aligned base addresses
// and row strides, which is what buildMmaApplies checks for mma.sync too.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"
#include "backends/gpu/Transforms/GpuMatmulMatch.h"
#include "backends/gpu/Transforms/GpuWgmmaOperands.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace vibee {
namespace {

/// kRowBytes: each stage holds 128 bytes of k per row, the width of the
/// 128-byte swizzle: 64 values of bf16/f16, 128 of FP8 (kValuesK).
constexpr int64_t kBM = 128, kBN = 256, kRowBytes = 128, kStages = 4, kConsumers = 2;
constexpr int64_t kThreads = 128 * (kConsumers + 1);
constexpr int64_t kABytes = kBM * kRowBytes, kBBytes = kBN * kRowBytes;
constexpr int64_t kStageBytes = kABytes + kBBytes;
/// The mbarriers after the stages: full[s] at +8 s, empty[s] at +8 (S + s).
constexpr int64_t kBarrierOffset = kStages * kStageBytes;
/// 128-byte swizzled tiles start at 1024-byte boundaries (the swizzle pattern
/// repeats every 8 rows of 128 bytes): the dynamic shared memory is aligned up
/// in the kernel, hence the slack.
constexpr int64_t kSmemBytes = kBarrierOffset + 16 * kStages + 1024;
/// The b[k, n] tile is loaded as kBN / 64 boxes of 64 k rows x 64 n.
constexpr int64_t kBoxN = 64;
/// Each wgmma reads 32 bytes of k (16 values of bf16/f16, 32 of FP8).
constexpr int64_t kStepBytes = 32;
/// The wgmma m64nNk16 (k32 for FP8) accumulator: N / 2 f32 per thread.
constexpr int64_t kAccs = kBN / 2;
/// setmaxnreg: 128 x 40 + 256 x 232 <= 64 K registers.
constexpr int64_t kProducerRegisters = 40, kConsumerRegisters = 232;

/// The k values of a stage row: 128 bytes of the operands' type.
int64_t kValuesK(linalg::GenericOp op, const MatmulMatch &match) {
  return kRowBytes / elementBytes(op->getOperand(match.a).getType());
}

/// The wgmma type of input `operand` of the matmul: its element type, and for
/// 8-bit integers the extension the payload applies (zero: u8, sign: s8).
NVVM::WGMMATypes wgmmaType(linalg::GenericOp op, unsigned operand) {
  Value arg = op.getRegion().front().getArgument(operand);
  Type element = arg.getType();
  if (element.isBF16())
    return NVVM::WGMMATypes::bf16;
  if (element.isF16())
    return NVVM::WGMMATypes::f16;
  if (element.isInteger(8))
    return llvm::any_of(arg.getUsers(), [](Operation *u) { return isa<arith::ExtUIOp>(u); })
               ? NVVM::WGMMATypes::u8
               : NVVM::WGMMATypes::s8;
  return isa<Float8E5M2Type>(element) ? NVVM::WGMMATypes::e5m2 : NVVM::WGMMATypes::e4m3;
}

class WgmmaKernelBody {
public:
  WgmmaKernelBody(linalg::GenericOp op, const MatmulMatch &match, gpu::LaunchOp launch,
                  ArrayRef<Value> sizes, const MatmulGrid &grid, Value mapA, Value mapB,
                  const MatmulEpilogue &epilogue)
      : op(op), loc(op.getLoc()), ctx(op.getContext()), match(match), epilogue(epilogue),
        launch(launch), sizes(sizes), grid(grid), M(sizes[match.batchDims]),
        N(sizes[match.batchDims + 1]), K(sizes[match.batchDims + 2]), hostMapA(mapA),
        hostMapB(mapB) {}

  void build(OpBuilder &b);

private:
  Value c(OpBuilder &b, int64_t v) { return constantIndex(b, loc, v); }
  Value i32(OpBuilder &b, int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value i64(OpBuilder &b, int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  }
  Value toI32(OpBuilder &b, Value index) {
    return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), index);
  }
  Value add(OpBuilder &b, Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(OpBuilder &b, Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value cmp(OpBuilder &b, arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  void ifThen(OpBuilder &b, Value cond, llvm::function_ref<void(OpBuilder &)> then) {
    scf::IfOp::create(b, loc, cond, [&](OpBuilder &nb, Location l) {
      then(nb);
      scf::YieldOp::create(nb, l);
    });
  }
  /// The shared-memory pointer at `offset` (index) bytes from the aligned base.
  Value shared(OpBuilder &b, Value offset);
  Value sharedAt(OpBuilder &b, int64_t offset) { return shared(b, c(b, offset)); }
  Value fullBarrier(OpBuilder &b, Value s) {
    return shared(b, add(b, c(b, kBarrierOffset), mul(b, s, c(b, 8))));
  }
  Value emptyBarrier(OpBuilder &b, Value s) {
    return shared(b, add(b, c(b, kBarrierOffset + 8 * kStages), mul(b, s, c(b, 8))));
  }
  /// The wgmma matrix descriptor of the 128-byte swizzled tile at `offset`.
  Value descriptor(OpBuilder &b, Value offset, int64_t leadingBytes);
  /// The batch coordinate of an operand in its 3-D tensor map.
  Value batchCoordinate(OpBuilder &b, bool batched);

  /// The block's tiles of c (grid-strided over the batch and the m tiles),
  /// `step` building one from its first row and the pipeline counter (the
  /// k steps loaded or consumed before it), returning the counter after it.
  using TileStep = llvm::function_ref<Value(OpBuilder &, Value m0, Value g)>;
  Value tileLoops(OpBuilder &b, TileStep step);
  void buildRoles(OpBuilder &b);
  Value buildProducer(OpBuilder &b, Value m0, Value g0);
  Value buildConsumer(OpBuilder &b, Value m0, Value g0);
  void storeOutputs(OpBuilder &b, Value rowBase, Value accs);

  linalg::GenericOp op;
  Location loc;
  MLIRContext *ctx;
  MatmulMatch match;
  MatmulEpilogue epilogue;
  gpu::LaunchOp launch;
  ArrayRef<Value> sizes;
  const MatmulGrid &grid;
  Value M, N, K, hostMapA, hostMapB;
  Value tid, warpgroup, base, n0, mapA, mapB, kTiles;
  ValueRange batchIdx;
};

Value WgmmaKernelBody::shared(OpBuilder &b, Value offset) {
  Value address = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), add(b, base, offset));
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(ctx, 3), address);
}

Value WgmmaKernelBody::descriptor(OpBuilder &b, Value offset, int64_t leadingBytes) {
  return buildWgmmaDescriptor(b, loc, add(b, base, offset), leadingBytes);
}

Value WgmmaKernelBody::batchCoordinate(OpBuilder &b, bool batched) {
  Value z = c(b, 0);
  if (!batched)
    return z;
  for (unsigned d = 0; d < match.batchDims; ++d)
    z = add(b, mul(b, z, sizes[d]), batchIdx[d]);
  return z;
}

void WgmmaKernelBody::build(OpBuilder &b) {
  tid = launch.getThreadIds().x;
  // Broadcast from lane 0, so that ptxas sees the role branch as warp-uniform:
  // a wgmma in a branch it thinks divergent is serialized (warning C7520).
  Value group = toI32(b, arith::DivUIOp::create(b, loc, tid, c(b, 128)));
  group = gpu::ShuffleOp::create(b, loc, group, i32(b, 0), i32(b, 32), gpu::ShuffleMode::IDX)
              .getShuffleResult();
  warpgroup = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), group);
  n0 = mul(b, launch.getBlockIds().x, c(b, kBN));
  auto dynamic = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), MemRefLayoutAttrInterface(),
                      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)));
  Value raw = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, dynamic);
  base = arith::AndIOp::create(b, loc, add(b, raw, c(b, 1023)), c(b, ~int64_t(1023)));
  auto toPointer = [&](Value map) {
    Value address = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), map);
    return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(ctx), address).getResult();
  };
  mapA = toPointer(hostMapA);
  mapB = toPointer(hostMapB);
  buildRoles(b);
}

Value WgmmaKernelBody::tileLoops(OpBuilder &b, TileStep step) {
  Value g0 = c(b, 0);
  return buildForLoop(
      b, loc, launch.getBlockIds().z, grid.batch, launch.getGridSize().z, {g0},
      [&](OpBuilder &b, Value z, ValueRange outer) {
        // z -> the batch indices, row-major.
        SmallVector<Value> batch(match.batchDims);
        Value rest = z;
        for (int d = static_cast<int>(match.batchDims) - 1; d >= 0; --d) {
          batch[d] = d ? arith::RemUIOp::create(b, loc, rest, sizes[d]).getResult() : rest;
          if (d)
            rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
        }
        return buildForLoop(b, loc, launch.getBlockIds().y, grid.tilesM, launch.getGridSize().y,
                            {outer[0]}, [&](OpBuilder &b, Value t, ValueRange inner) {
                              batchIdx = batch;
                              return SmallVector<Value>{step(b, mul(b, t, c(b, kBM)), inner[0])};
                            });
      })[0];
}

void WgmmaKernelBody::buildRoles(OpBuilder &b) {
  Value first = cmp(b, arith::CmpIPredicate::eq, tid, c(b, 0));
  ifThen(b, first, [&](OpBuilder &b) {
    for (int64_t s = 0; s < kStages; ++s) {
      NVVM::MBarrierInitOp::create(b, loc, fullBarrier(b, c(b, s)), i32(b, 1), Value());
      NVVM::MBarrierInitOp::create(b, loc, emptyBarrier(b, c(b, s)), i32(b, kConsumers), Value());
    }
    // The initializations are visible to the async proxy (TMA) too.
    NVVM::FenceMbarrierInitOp::create(b, loc);
  });
  gpu::BarrierOp::create(b, loc);
  kTiles = arith::CeilDivUIOp::create(b, loc, K, c(b, kValuesK(op, match)));
  // One branch per role, each looping over the block's tiles of c with the
  // pipeline's stage counter g running on across tiles (the producer loads
  // the next tile while the consumers store this one). setmaxnreg moves
  // registers from the producer warpgroup (one thread issues TMA loads) to the
  // consumers' 128 accumulators each.
  auto roles = scf::IfOp::create(b, loc, cmp(b, arith::CmpIPredicate::eq, warpgroup, c(b, 0)),
                                 /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(roles.thenBlock()->getTerminator());
  NVVM::SetMaxRegisterOp::create(b, loc, kProducerRegisters, NVVM::SetMaxRegisterAction::decrease);
  ifThen(b, first, [&](OpBuilder &b) {
    tileLoops(b, [&](OpBuilder &b, Value m0, Value g) { return buildProducer(b, m0, g); });
  });
  b.setInsertionPoint(roles.elseBlock()->getTerminator());
  NVVM::SetMaxRegisterOp::create(b, loc, kConsumerRegisters, NVVM::SetMaxRegisterAction::increase);
  tileLoops(b, [&](OpBuilder &b, Value m0, Value g) { return buildConsumer(b, m0, g); });
}

Value WgmmaKernelBody::buildProducer(OpBuilder &b, Value m0, Value g0) {
  Value zA = toI32(b, batchCoordinate(b, match.aBatched));
  Value zB = toI32(b, batchCoordinate(b, match.bBatched));
  buildForLoop(b, loc, c(b, 0), kTiles, c(b, 1), {}, [&](OpBuilder &b, Value it, ValueRange) {
    Value g = add(b, g0, it);
    Value s = arith::RemUIOp::create(b, loc, g, c(b, kStages));
    Value round = arith::DivUIOp::create(b, loc, g, c(b, kStages));
    // A stage is refilled once both consumers released its last use.
    ifThen(b, cmp(b, arith::CmpIPredicate::uge, g, c(b, kStages)), [&](OpBuilder &b) {
      Value parity = toI32(b, arith::RemUIOp::create(
                                  b, loc, arith::SubIOp::create(b, loc, round, c(b, 1)), c(b, 2)));
      NVVM::MBarrierTryWaitParityOp::create(b, loc, emptyBarrier(b, s), parity, i32(b, 0));
    });
    Value full = fullBarrier(b, s);
    NVVM::MBarrierArriveExpectTxOp::create(b, loc, Type(), full, i32(b, kStageBytes),
                                           NVVM::MemScopeKind::CTA, false, Value());
    Value stage = mul(b, s, c(b, kStageBytes));
    Value k0 = toI32(b, mul(b, it, c(b, kValuesK(op, match))));
    auto load = [&](Value dst, Value map, ValueRange coords) {
      // The block's own shared memory as a shared::cluster address (a launch
      // without clusters is a cluster of one).
      Value cluster =
          LLVM::AddrSpaceCastOp::create(b, loc, LLVM::LLVMPointerType::get(ctx, 7), dst);
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, loc, cluster, map, coords, full, ValueRange{}, Value(), Value(),
          NVVM::TMALoadMode::TILE, false, nullptr, Value());
    };
    load(shared(b, stage), mapA, {k0, toI32(b, m0), zA});
    Value bStage = add(b, stage, c(b, kABytes));
    if (match.bNk) {
      load(shared(b, bStage), mapB, {k0, toI32(b, n0), zB});
    } else {
      for (int64_t j = 0; j < kBN / kBoxN; ++j)
        load(shared(b, add(b, bStage, c(b, j * kBoxN * kRowBytes))), mapB,
             {toI32(b, add(b, n0, c(b, j * kBoxN))), k0, zB});
    }
    return SmallVector<Value>{};
  });
  return add(b, g0, kTiles);
}

Value WgmmaKernelBody::buildConsumer(OpBuilder &b, Value m0, Value g0) {
  // f32 accumulators, i32 for 8-bit integer operands.
  Type accElement = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  auto accType = LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(kAccs, accElement));
  Value consumer = arith::SubIOp::create(b, loc, warpgroup, c(b, 1));
  Value aRows = mul(b, consumer, c(b, 64 * kRowBytes)); // this warpgroup's 64 rows of a
  Value leader =
      cmp(b, arith::CmpIPredicate::eq, arith::RemUIOp::create(b, loc, tid, c(b, 128)), c(b, 0));
  Value zero = LLVM::ZeroOp::create(b, loc, accType);
  // b[n, k] is K-major like a (no transpose); b[k, n] is N-major: 64-wide
  // column blocks kBoxN * kRowBytes bytes apart, the transposed wgmma form
  // (16-bit types only: isWgmmaMatmul).
  NVVM::MMALayout layoutB = match.bNk ? NVVM::MMALayout::col : NVVM::MMALayout::row;
  int64_t leadingB = match.bNk ? 16 : kBoxN * kRowBytes;
  NVVM::WGMMATypes typeA = wgmmaType(op, match.a), typeB = wgmmaType(op, match.b);
  NVVM::WGMMATypes typeD = accElement.isF32() ? NVVM::WGMMATypes::f32 : NVVM::WGMMATypes::s32;
  int64_t stepK = kStepBytes / elementBytes(op->getOperand(match.a).getType());
  Value accs = buildForLoop(
      b, loc, c(b, 0), kTiles, c(b, 1), {zero}, [&](OpBuilder &b, Value it, ValueRange in) {
        Value g = add(b, g0, it);
        Value s = arith::RemUIOp::create(b, loc, g, c(b, kStages));
        Value parity =
            toI32(b, arith::RemUIOp::create(
                         b, loc, arith::DivUIOp::create(b, loc, g, c(b, kStages)), c(b, 2)));
        NVVM::MBarrierTryWaitParityOp::create(b, loc, fullBarrier(b, s), parity, i32(b, 0));
        Value stage = mul(b, s, c(b, kStageBytes));
        Value descA = descriptor(b, add(b, stage, aRows), 16);
        Value descB = descriptor(b, add(b, stage, c(b, kABytes)), leadingB);
        Value acc = in[0];
        NVVM::WgmmaFenceAlignedOp::create(b, loc);
        for (int64_t kk = 0; kk < kRowBytes / kStepBytes; ++kk) {
          // The next 32 bytes along a swizzled K-major row; 16 rows of 128
          // bytes in an N-major b.
          Value stepA = add(b, descA, i64(b, kk * kStepBytes >> 4));
          Value stepB =
              add(b, descB, i64(b, (match.bNk ? kk * kStepBytes : kk * 16 * kRowBytes) >> 4));
          acc = NVVM::WgmmaMmaAsyncOp::create(
              b, loc, accType, acc, stepA, stepB, NVVM::MMAShapeAttr::get(ctx, 64, kBN, stepK),
              typeA, typeB, typeD, NVVM::WGMMAScaleOut::one, NVVM::WGMMAScaleIn::one,
              NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row, layoutB, nullptr);
        }
        NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
        // The previous stage's wgmmas are done: release it to the producer.
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 1);
        Value released =
            arith::AndIOp::create(b, loc, leader, cmp(b, arith::CmpIPredicate::ugt, it, c(b, 0)));
        ifThen(b, released, [&](OpBuilder &b) {
          Value previous =
              arith::RemUIOp::create(b, loc, add(b, g, c(b, kStages - 1)), c(b, kStages));
          NVVM::MBarrierArriveOp::create(b, loc, Type(), emptyBarrier(b, previous), Value());
        });
        return SmallVector<Value>{acc};
      })[0];
  NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
  // The tile's last stage: the producer may already be waiting for it (the
  // next tile's loads).
  Value g = add(b, g0, kTiles);
  ifThen(b,
         arith::AndIOp::create(b, loc, leader, cmp(b, arith::CmpIPredicate::ugt, kTiles, c(b, 0))),
         [&](OpBuilder &b) {
           Value last = arith::RemUIOp::create(b, loc, add(b, g, c(b, kStages - 1)), c(b, kStages));
           NVVM::MBarrierArriveOp::create(b, loc, Type(), emptyBarrier(b, last), Value());
         });
  storeOutputs(b, add(b, m0, mul(b, consumer, c(b, 64))), accs);
  return g;
}

/// c[m, n] += acc (c = acc after a zero fill, or out[m, n] = f(acc, ...) with
/// the payload f of the epilogue statement). Thread t of the warpgroup (warp
/// w = t / 32, g = lane / 4, q = lane % 4) holds, for each 8 columns j, rows
/// 16 w + g (+ 8) and columns 8 j + 2 q (+ 1): the mma.sync m16n8 layout, once
/// per 8 columns.
void WgmmaKernelBody::storeOutputs(OpBuilder &b, Value rowBase, Value accs) {
  Value C = op.getDpsInits()[0];
  Value t = arith::RemUIOp::create(b, loc, tid, c(b, 128));
  Value lane = arith::RemUIOp::create(b, loc, t, c(b, 32));
  Value row = add(b, rowBase,
                  add(b, mul(b, arith::DivUIOp::create(b, loc, t, c(b, 32)), c(b, 16)),
                      arith::DivUIOp::create(b, loc, lane, c(b, 4))));
  Value col = add(b, n0, mul(b, arith::RemUIOp::create(b, loc, lane, c(b, 4)), c(b, 2)));
  linalg::GenericOp generic = epilogue.generic;
  std::optional<PayloadCloner> payload;
  if (generic)
    payload.emplace(generic);
  auto store = [&](OpBuilder &b, Value m, Value n, Value v) {
    SmallVector<Value> idx = matmulIndices(batchIdx, true, m, n);
    if (!generic) {
      if (!epilogue.fill)
        v = isa<FloatType>(v.getType())
                ? arith::AddFOp::create(b, loc, memref::LoadOp::create(b, loc, C, idx), v)
                      .getResult()
                : arith::AddIOp::create(b, loc, memref::LoadOp::create(b, loc, C, idx), v)
                      .getResult();
      memref::StoreOp::create(b, loc, v, C, idx);
      return;
    }
    // The epilogue's other operands at this element (a bias b[n], ...).
    SmallVector<Value> args(generic->getNumOperands());
    for (OpOperand *in : generic.getDpsInputOperands()) {
      Value x = in->get();
      if (in->getOperandNumber() == epilogue.cInput) {
        args[in->getOperandNumber()] = v;
      } else if (!isa<ShapedType>(x.getType())) {
        args[in->getOperandNumber()] = x;
      } else {
        SmallVector<Value> at;
        for (AffineExpr e : generic.getMatchingIndexingMap(in).getResults())
          at.push_back(idx[cast<AffineDimExpr>(e).getPosition()]);
        args[in->getOperandNumber()] = memref::LoadOp::create(b, loc, x, at);
      }
    }
    Value out = payload->apply(b, args)[0];
    memref::StoreOp::create(b, loc, out, generic.getDpsInits()[0], idx);
  };
  for (int64_t j = 0; j < kBN / 8; ++j)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t e = 0; e < 2; ++e) {
        Value m = add(b, row, c(b, h * 8));
        Value n = add(b, col, c(b, j * 8 + e));
        Value v = LLVM::ExtractValueOp::create(b, loc, accs, ArrayRef<int64_t>{j * 4 + h * 2 + e});
        Value inside = arith::AndIOp::create(b, loc, cmp(b, arith::CmpIPredicate::ult, m, M),
                                             cmp(b, arith::CmpIPredicate::ult, n, N));
        ifThen(b, inside, [&](OpBuilder &nb) { store(nb, m, n, v); });
      }
}

} // namespace

void buildWgmmaLaunch(OpBuilder &b, Location loc, linalg::GenericOp op, const MatmulMatch &match,
                      ArrayRef<Value> sizes, const MatmulEpilogue &epilogue) {
  Value M = sizes[match.batchDims], N = sizes[match.batchDims + 1], K = sizes[match.batchDims + 2];
  Value batch = buildProduct(b, loc, sizes.take_front(match.batchDims));
  Value one = constantIndex(b, loc, 1);
  Value A = op->getOperand(match.a), B = op->getOperand(match.b);
  int64_t valuesK = kValuesK(op, match);
  Value mapA = buildTensorMap(b, loc, A, K, M, match.aBatched ? batch : one, valuesK, kBM);
  Value mapB = match.bNk
                   ? buildTensorMap(b, loc, B, K, N, match.bBatched ? batch : one, valuesK, kBN)
                   : buildTensorMap(b, loc, B, N, K, match.bBatched ? batch : one, kBoxN, valuesK);
  // No map when a dim is 0 (or on a recorded failure). K = 0 still launches:
  // the kernel loads nothing and stores the zeros (the fill it took over).
  Value zero = constantIndex(b, loc, 0);
  Value ready = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, mapA, zero),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, mapB, zero));
  ready = arith::OrIOp::create(b, loc, ready,
                               arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, K, zero));
  auto guard = scf::IfOp::create(b, loc, ready, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard insertion(b);
  b.setInsertionPoint(guard.thenBlock()->getTerminator());
  MatmulGrid grid = buildMatmulGrid(b, loc, sizes, match.batchDims, kBM, kBN);
  Value smem = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(kSmemBytes));
  auto launch = gpu::LaunchOp::create(b, loc, grid.gridX, grid.gridY, grid.gridZ,
                                      constantIndex(b, loc, kThreads), one, one, smem);
  OpBuilder kernel = OpBuilder::atBlockBegin(&launch.getBody().front());
  WgmmaKernelBody(op, match, launch, sizes, grid, mapA, mapB, epilogue).build(kernel);
  gpu::TerminatorOp::create(kernel, loc);
}

} // namespace vibee
