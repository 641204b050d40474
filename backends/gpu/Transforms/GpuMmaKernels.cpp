//===- GpuMmaKernels.cpp - bf16/f16 matmuls on the tensor cores (mma.sync) ===//
//
// c[z..., m, n] += sum_k f32(a[z..., m, k]) * f32(b) with bf16 or f16 a and
// b, b as b[z..., k, n] or b[z..., n, k] (the nn.Linear layout), c f32
// (GpuMatmulMatch.h): the warp-level tensor-core instruction mma.sync
// m16n8k16 (nvgpu.mma.sync; sm_80 and later, also the sm_90a path until a
// wgmma kernel exists). Accumulation is f32, as in the FMA kernel; only the
// order of the additions differs. f32 operands never come here: they stay
// exact on the FMA kernel (TF32 would round them to 10 mantissa bits).
//
// One block of 256 threads (8 warps, 2 along m x 4 along n) per 128 x 128
// tile of c; a warp owns 64 x 32 of it: 4 x 4 mma tiles, 64 f32 accumulators
// per thread. k advances 32 at a time: the a tile (128 x 32) and the b tile
// (32 x 128 or 128 x 32) in shared memory, rows padded by 16 bytes so that the
// eight 16-byte rows of each ldmatrix land in distinct banks; fragments come
// from ldmatrix (.trans for b[k, n]); the next k tile is loaded from global
// memory into registers (two 16-byte vectors per thread and operand) while the
// tensor cores work on this one, then stored to shared memory between two
// barriers. Operands are read in 16-byte vectors, so the kernel needs K (and N
// for b[k, n]) to be multiples of 8 and 16-byte aligned pointers: the host
// checks and otherwise launches the FMA kernel (GpuMatmulKernels.cpp).
//
// A computed B (GpuMatmulMatch.h: a quantized weight dequantized by the
// payload, with bf16 a) takes this kernel too, on every target (TMA, which the
// wgmma kernel loads with, cannot compute). Each thread evaluates its 16 values
// of the [n, k] tile in f32 and splits each into three bf16 terms, hi + mid +
// lo, which hold all of f32's 24 significant bits: a * w is then exactly the
// sum of three products the tensor cores form exactly, and the result stays an
// f32 computation, as on the FMA kernel (not a bf16 rounding of the weight).
// The terms are three shared-memory tiles; the two barriers of each k step
// also OR whether any thread's mid or lo term is nonzero, and the block skips
// that term's mma.sync when none is (int4 or int8 codes times a 16-bit scale
// need hi and mid only). Weights beyond bf16's largest finite value round to
// infinity in hi: not exact there. The next tile's inputs are loaded before
// the mma.sync of this one and dequantized after them (their latency hides
// behind the tensor cores); each 8-value segment of a thread is one bounds
// check (K % 8 == 0) and its values share the loads of what they have in
// common (loadComputedBOperands: 4 bytes of int4 codes, one group scale).
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"
#include "backends/gpu/Transforms/GpuMatmulMatch.h"
#include "backends/gpu/Transforms/GpuMmaFragments.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace vibee {
namespace {

constexpr int64_t kBM = 128, kBN = 128, kBK = 32, kPad = 8, kThreads = 256;
constexpr int64_t kWarpM = 64, kWarpN = 32, kWarpsN = kBN / kWarpN;
constexpr int64_t kTilesM = kWarpM / 16, kTilesN = kWarpN / 8;

bool isFp8(Type t) { return isa<Float8E4M3FNType, Float8E5M2Type>(t); }

/// The operand types a tensor-core payload may have.
enum class MmaOperands { half, fp8, int8 };

/// The payload is acc + ext(a) * ext(b) (either order): on bf16 or f16
/// operands of one type, or on FP8 operands (e4m3 or e5m2 each), with an f32
/// accumulator; or on 8-bit integers (each sign- or zero-extended) with an i32
/// accumulator.
bool isExtMulAdd(linalg::GenericOp op, const MatmulMatch &match, MmaOperands kind) {
  Block &body = op.getRegion().front();
  Type elementA = body.getArgument(match.a).getType(),
       elementB = body.getArgument(match.b).getType();
  Type accType = body.getArgument(op.getNumDpsInputs()).getType();
  bool types = false;
  switch (kind) {
  case MmaOperands::half:
    types = elementA == elementB && (elementA.isBF16() || elementA.isF16()) && accType.isF32();
    break;
  case MmaOperands::fp8:
    types = isFp8(elementA) && isFp8(elementB) && accType.isF32();
    break;
  case MmaOperands::int8:
    types = elementA.isInteger(8) && elementB.isInteger(8) && accType.isInteger(32);
    break;
  }
  if (!types || op.getNumDpsInputs() != 2)
    return false;
  bool integer = kind == MmaOperands::int8;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Value sum = yield.getValues()[0];
  Operation *add =
      integer ? sum.getDefiningOp<arith::AddIOp>() : sum.getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(op.getNumDpsInputs());
  Value lhs = add->getOperand(0), rhs = add->getOperand(1);
  Value product = lhs == acc ? rhs : rhs == acc ? lhs : Value();
  Operation *mul = !product  ? nullptr
                   : integer ? product.getDefiningOp<arith::MulIOp>()
                             : product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  auto extended = [&](Value v) -> Value {
    Operation *ext = v.getDefiningOp();
    if (integer ? isa_and_present<arith::ExtSIOp, arith::ExtUIOp>(ext)
                : isa_and_present<arith::ExtFOp>(ext))
      return ext->getOperand(0);
    return Value();
  };
  Value x = extended(mul->getOperand(0)), y = extended(mul->getOperand(1));
  Value a = body.getArgument(match.a), b = body.getArgument(match.b);
  return body.getOperations().size() == 5 && ((x == a && y == b) || (x == b && y == a));
}

/// c += ext(a) * computedB on bf16 a with f32 c and B (either order), no
/// batch loops: the computed-B form this kernel takes.
bool isComputedBMma(linalg::GenericOp op, const MatmulMatch &match) {
  if (!match.computedB || match.aKm || match.batchDims != 0)
    return false;
  Block &body = op.getRegion().front();
  Value acc = body.getArguments().back();
  if (!acc.getType().isF32() || !match.computedB.getType().isF32() ||
      !body.getArgument(match.a).getType().isBF16())
    return false;
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  Value product = !add                    ? Value()
                  : add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                          : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value other = mul.getLhs() == match.computedB   ? mul.getRhs()
                : mul.getRhs() == match.computedB ? mul.getLhs()
                                                  : Value();
  auto ext = other ? other.getDefiningOp<arith::ExtFOp>() : nullptr;
  return ext && ext.getIn() == body.getArgument(match.a);
}

/// The bf16 terms a computed B is split into (file comment).
constexpr int64_t kTerms = 3;

class MmaKernelBody {
public:
  MmaKernelBody(linalg::GenericOp op, const MatmulMatch &match, gpu::LaunchOp launch,
                ArrayRef<Value> sizes, const MatmulGrid &grid)
      : op(op), loc(op.getLoc()), match(match), computed(bool(match.computedB)), launch(launch),
        sizes(sizes), grid(grid), M(sizes[match.batchDims]), N(sizes[match.batchDims + 1]),
        K(sizes[match.batchDims + 2]), payload(op) {}

  void build(OpBuilder &b);

private:
  Value c(OpBuilder &b, int64_t v) { return constantIndex(b, loc, v); }
  Value add(OpBuilder &b, Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(OpBuilder &b, Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value lessThan(OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  /// Global -> registers: the two 16-byte vectors this thread stages of the
  /// a or b tile at k0 (zeros outside the matrix).
  SmallVector<Value> loadGlobal(OpBuilder &b, bool isA, Value k0);
  void storeShared(OpBuilder &b, bool isA, ArrayRef<Value> vectors);
  /// A computed B's inputs for this thread's 16 values of the tile at k0:
  /// per 8-value segment, whether it lies inside B, then each value's loaded
  /// operands (zeros outside). Issued before the mma of the current tile,
  /// used after it (dequantizeB), so the loads' latency hides behind it.
  SmallVector<Value> loadBOperands(OpBuilder &b, Value k0);
  /// The tile from loadBOperands: the two 16-byte vectors of each term (term-
  /// major), then whether this thread's mid and lo terms are nonzero (i32).
  SmallVector<Value> dequantizeB(OpBuilder &b, Value k0, ValueRange loaded);
  /// The barrier before or after the stores of the next tile; for a computed
  /// B, it also ORs `flag` over the block.
  Value barrier(OpBuilder &b, Value flag);
  /// The tile coordinates (row, col) in its shared-memory layout of vector v.
  std::pair<Value, Value> stagedAt(OpBuilder &b, bool isA, Value v);
  SmallVector<Value> computeTile(OpBuilder &b, ValueRange accs, ValueRange termsUsed);
  void buildTile(OpBuilder &b, Value m0);
  void storeOutputs(OpBuilder &b, Value m0, ArrayRef<Value> accs);

  linalg::GenericOp op;
  Location loc;
  MatmulMatch match;
  bool computed; ///< B is computed: kTerms tiles
  gpu::LaunchOp launch;
  ArrayRef<Value> sizes;
  const MatmulGrid &grid;
  Value M, N, K;
  PayloadCloner payload;
  Value tid, lane, warpM, warpN, n0, m0, aTile;
  SmallVector<Value> bTiles;
  ValueRange batchIdx;
};

void MmaKernelBody::build(OpBuilder &b) {
  tid = launch.getThreadIds().x;
  lane = arith::RemUIOp::create(b, loc, tid, c(b, 32));
  Value warp = arith::DivUIOp::create(b, loc, tid, c(b, 32));
  warpM = mul(b, arith::DivUIOp::create(b, loc, warp, c(b, kWarpsN)), c(b, kWarpM));
  warpN = mul(b, arith::RemUIOp::create(b, loc, warp, c(b, kWarpsN)), c(b, kWarpN));
  n0 = mul(b, launch.getBlockIds().x, c(b, kBN));
  aTile = launch.getWorkgroupAttributions()[0];
  for (BlockArgument tile : launch.getWorkgroupAttributions().drop_front())
    bTiles.push_back(tile);
  if (computed) { // scalars and what depends on them alone, once
    SmallVector<Value> uniform(op->getNumOperands());
    for (OpOperand &o : op->getOpOperands())
      if (!isa<ShapedType>(o.get().getType()))
        uniform[o.getOperandNumber()] = o.get();
    payload.hoist(b, uniform);
  }
  buildMatmulTileLoops(b, loc, launch, sizes, match.batchDims, grid,
                       [&](OpBuilder &b, ValueRange batch, Value tileM) {
                         batchIdx = batch;
                         buildTile(b, mul(b, tileM, c(b, kBM)));
                       });
}

std::pair<Value, Value> MmaKernelBody::stagedAt(OpBuilder &b, bool isA, Value v) {
  // a[m, k] and b[n, k]: 128 rows of 4 vectors; b[k, n]: 32 rows of 16.
  int64_t perRow = (isA || match.bNk || computed) ? kBK / 8 : kBN / 8;
  return {arith::DivUIOp::create(b, loc, v, c(b, perRow)),
          mul(b, arith::RemUIOp::create(b, loc, v, c(b, perRow)), c(b, 8))};
}

SmallVector<Value> MmaKernelBody::loadGlobal(OpBuilder &b, bool isA, Value k0) {
  Value src = op->getOperand(isA ? match.a : match.b);
  Type element = getElementTypeOrSelf(src.getType());
  auto vectorType = VectorType::get({8}, element);
  bool batched = isA ? match.aBatched : match.bBatched;
  SmallVector<Value> vectors;
  for (int64_t i = 0; i < 2; ++i) {
    auto [row, col] = stagedAt(b, isA, add(b, tid, c(b, i * kThreads)));
    // Global coordinates and bounds: a[m, k], b[n, k] or b[k, n].
    Value gRow, gCol, rows, cols;
    if (isA || match.bNk) {
      gRow = add(b, row, isA ? m0 : n0);
      gCol = add(b, col, k0);
      rows = isA ? M : N;
      cols = K;
    } else {
      gRow = add(b, row, k0);
      gCol = add(b, col, n0);
      rows = K;
      cols = N;
    }
    Value inside = arith::AndIOp::create(b, loc, lessThan(b, gRow, rows), lessThan(b, gCol, cols));
    vectors.push_back(buildIfElse(
        b, loc, inside,
        [&](OpBuilder &b) {
          return SmallVector<Value>{vector::LoadOp::create(
              b, loc, vectorType, src, matmulIndices(batchIdx, batched, gRow, gCol),
              /*nontemporal=*/false, llvm::MaybeAlign(16))};
        },
        [&](OpBuilder &b) {
          return SmallVector<Value>{arith::ConstantOp::create(
              b, loc, vectorType, DenseElementsAttr::get(vectorType, b.getZeroAttr(element)))};
        })[0]);
  }
  return vectors;
}

SmallVector<Value> MmaKernelBody::loadBOperands(OpBuilder &b, Value k0) {
  SmallVector<Value> out;
  for (int64_t i = 0; i < 2; ++i) {
    // K % 8 == 0 here (the host's condition for this kernel): a segment of 8
    // values starting at a multiple of 8 lies wholly inside B or outside.
    auto [row, col] = stagedAt(b, false, add(b, tid, c(b, i * kThreads)));
    Value n = add(b, n0, row), kSeg = add(b, k0, col);
    Value inside = arith::AndIOp::create(b, loc, lessThan(b, n, N), lessThan(b, kSeg, K));
    SmallVector<Type> types;
    SmallVector<Value> loaded = buildIfElse(
        b, loc, inside,
        [&](OpBuilder &b) {
          SmallVector<Value> values;
          for (int64_t e = 0; e < 8; ++e)
            for (Value v : loadComputedBOperands(b, loc, op, match, n, kSeg, e))
              if (v)
                values.push_back(v);
          for (Value v : values)
            types.push_back(v.getType());
          return values;
        },
        [&](OpBuilder &b) {
          SmallVector<Value> zeros;
          for (Type t : types)
            zeros.push_back(arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(t))));
          return zeros;
        });
    out.push_back(inside);
    llvm::append_range(out, loaded);
  }
  return out;
}

SmallVector<Value> MmaKernelBody::dequantizeB(OpBuilder &b, Value k0, ValueRange loaded) {
  Type bf16 = b.getBF16Type();
  auto vectorType = VectorType::get({8}, bf16);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  SmallVector<SmallVector<Value>> terms(kTerms);
  Value midUsed = arith::ConstantOp::create(b, loc, b.getBoolAttr(false)), loUsed = midUsed;
  auto nonzero = [&](Value x) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
  };
  SmallVector<unsigned> slots = computedBInputs(op, match);
  const size_t perSegment = 1 + 8 * slots.size();
  for (int64_t i = 0; i < 2; ++i) {
    auto [row, col] = stagedAt(b, false, add(b, tid, c(b, i * kThreads)));
    ValueRange segment = loaded.slice(i * perSegment, perSegment);
    SmallVector<SmallVector<Value>> elements(kTerms);
    for (int64_t e = 0; e < 8; ++e) {
      SmallVector<Value> args(op->getNumOperands());
      for (size_t o = 0; o < slots.size(); ++o)
        args[slots[o]] = segment[1 + e * slots.size() + o];
      Value w = applyComputedB(b, loc, match, payload, args, add(b, n0, row),
                               add(b, k0, add(b, col, c(b, e))));
      w = arith::SelectOp::create(b, loc, segment[0], w, zero);
      // hi = bf16(w), mid = bf16(w - hi), lo = w - hi - mid (exact in bf16);
      // an infinite w is hi alone.
      Value hi = arith::TruncFOp::create(b, loc, bf16, w);
      Value hiF = arith::ExtFOp::create(b, loc, b.getF32Type(), hi);
      Value rest = arith::SelectOp::create(
          b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, hiF, w), zero,
          arith::SubFOp::create(b, loc, w, hiF));
      Value mid = arith::TruncFOp::create(b, loc, bf16, rest);
      Value last =
          arith::SubFOp::create(b, loc, rest, arith::ExtFOp::create(b, loc, b.getF32Type(), mid));
      midUsed = arith::OrIOp::create(b, loc, midUsed, nonzero(rest));
      loUsed = arith::OrIOp::create(b, loc, loUsed, nonzero(last));
      elements[0].push_back(hi);
      elements[1].push_back(mid);
      elements[2].push_back(arith::TruncFOp::create(b, loc, bf16, last));
    }
    for (int64_t t = 0; t < kTerms; ++t)
      terms[t].push_back(vector::FromElementsOp::create(b, loc, vectorType, elements[t]));
  }
  SmallVector<Value> out;
  for (ArrayRef<Value> t : terms)
    llvm::append_range(out, t);
  for (Value used : {midUsed, loUsed})
    out.push_back(arith::ExtUIOp::create(b, loc, b.getI32Type(), used));
  return out;
}

Value MmaKernelBody::barrier(OpBuilder &b, Value flag) {
  if (!computed) {
    gpu::BarrierOp::create(b, loc);
    return flag;
  }
  auto any = NVVM::BarrierOp::create(
      b, loc, b.getI32Type(), Value(), Value(),
      NVVM::BarrierReductionAttr::get(b.getContext(), NVVM::BarrierReduction::OR), flag);
  return any.getRes();
}

void MmaKernelBody::storeShared(OpBuilder &b, bool isA, ArrayRef<Value> vectors) {
  // vectors: 2 per tile (a; b, or a computed B's terms).
  for (size_t i = 0; i < vectors.size(); ++i) {
    auto [row, col] = stagedAt(b, isA, add(b, tid, c(b, (i % 2) * kThreads)));
    vector::StoreOp::create(b, loc, vectors[i], isA ? aTile : bTiles[i / 2], ValueRange{row, col},
                            /*nontemporal=*/false, llvm::MaybeAlign(16));
  }
}

/// Two k16 steps over the staged tiles: per step 4 ldmatrix.x4 of a and, per
/// B tile, 2 of b and 16 mma.sync. `in`: 4 f32 per 16 x 8 tile (c0..c3 of the
/// PTX fragment). A computed B's mid and lo tiles only where `termsUsed`
/// (nonzero i32 each) says some value of theirs is nonzero.
SmallVector<Value> MmaKernelBody::computeTile(OpBuilder &b, ValueRange in, ValueRange termsUsed) {
  SmallVector<Value> accs(in);
  Type element = cast<MemRefType>(aTile.getType()).getElementType();
  auto [r, low, high] = buildLdMatrixLane(b, loc, lane);
  bool bNk = match.bNk || computed;
  for (int64_t kk = 0; kk < kBK; kk += 16) {
    // a: matrices (rows +0/+8, k +0/+8) as the fragment's a0..a7 order.
    SmallVector<SmallVector<Value>> aRegs;
    for (int64_t i = 0; i < kTilesM; ++i) {
      Value row = add(b, add(b, warpM, c(b, i * 16)), add(b, low, r));
      aRegs.push_back(buildFragmentRegisters(
          b, loc, buildLdMatrix(b, loc, aTile, row, add(b, c(b, kk), high), false)));
    }
    auto term = [&](OpBuilder &b, Value bTile, ValueRange in) {
      SmallVector<Value> out(in), bFrags;
      for (int64_t j = 0; j < kTilesN; j += 2) {
        Value frag;
        if (bNk) { // b[n, k]: matrices (k +0/+8) of n tiles j, j + 1
          Value row = add(b, add(b, warpN, c(b, j * 8)), add(b, high, r));
          frag = buildLdMatrix(b, loc, bTile, row, add(b, c(b, kk), low), false);
        } else { // b[k, n], transposed on the way
          Value row = add(b, c(b, kk), add(b, low, r));
          Value col = add(b, add(b, warpN, c(b, j * 8)), high);
          frag = buildLdMatrix(b, loc, bTile, row, col, true);
        }
        for (int64_t h = 0; h < 2; ++h)
          bFrags.push_back(buildHalfFragment(b, loc, frag, h));
      }
      for (int64_t i = 0; i < kTilesM; ++i)
        for (int64_t j = 0; j < kTilesN; ++j)
          buildMma16816(b, loc, element, aRegs[i], buildFragmentRegisters(b, loc, bFrags[j]),
                        MutableArrayRef<Value>(out.data() + (i * kTilesN + j) * 4, 4));
      return out;
    };
    accs = term(b, bTiles[0], accs);
    for (size_t t = 1; t < bTiles.size(); ++t) {
      Value used = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, termsUsed[t - 1],
                                         arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0)));
      accs = buildIfElse(
          b, loc, used, [&](OpBuilder &b) { return term(b, bTiles[t], accs); },
          [&](OpBuilder &) { return accs; });
    }
  }
  return accs;
}

/// B's tile at k0 as vectors for storeShared, and (computed B) the flags of
/// its mid and lo terms appended to `flags`.
static SmallVector<Value> takeFlags(SmallVector<Value> vectors, bool computed,
                                    SmallVector<Value> &flags) {
  if (computed) {
    flags.assign(vectors.end() - 2, vectors.end());
    vectors.resize(vectors.size() - 2);
  }
  return vectors;
}

void MmaKernelBody::buildTile(OpBuilder &b, Value tileM0) {
  m0 = tileM0;
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  SmallVector<Value> accs(kTilesM * kTilesN * 4, zero);
  const size_t numAccs = accs.size();
  // B at k0 as storeShared takes it; a computed B's from its loaded inputs.
  auto loadB = [&](OpBuilder &b, Value k0) {
    return computed ? loadBOperands(b, k0) : loadGlobal(b, false, k0);
  };
  auto stageB = [&](OpBuilder &b, Value k0, SmallVector<Value> loaded,
                    SmallVector<Value> &flags) {
    return takeFlags(computed ? dequantizeB(b, k0, loaded) : loaded, computed, flags);
  };
  // Prologue: tile 0 into shared memory (with a computed B, the flags of its
  // terms reduced over the block, carried with the accumulators).
  SmallVector<Value> flags;
  storeShared(b, true, loadGlobal(b, true, c(b, 0)));
  storeShared(b, false, stageB(b, c(b, 0), loadB(b, c(b, 0)), flags));
  Value midUsed = barrier(b, computed ? flags[0] : Value());
  if (computed)
    llvm::append_range(accs, ValueRange{midUsed, barrier(b, flags[1])});
  Value steps = arith::CeilDivUIOp::create(b, loc, K, c(b, kBK));
  accs = buildForLoop(b, loc, c(b, 0), steps, c(b, 1), accs,
                      [&](OpBuilder &b, Value s, ValueRange in) {
                        // The next tile's loads are issued before the mma of this one.
                        Value next = mul(b, add(b, s, c(b, 1)), c(b, kBK));
                        SmallVector<Value> nextFlags;
                        SmallVector<Value> nextA = loadGlobal(b, true, next);
                        SmallVector<Value> nextB = loadB(b, next);
                        SmallVector<Value> out =
                            computeTile(b, in.take_front(numAccs), in.drop_front(numAccs));
                        nextB = stageB(b, next, nextB, nextFlags);
                        Value mid = barrier(b, computed ? nextFlags[0] : Value());
                        storeShared(b, true, nextA);
                        storeShared(b, false, nextB);
                        Value lo = barrier(b, computed ? nextFlags[1] : Value());
                        if (computed)
                          llvm::append_range(out, ValueRange{mid, lo});
                        return out;
                      });
  accs.resize(numAccs);
  storeOutputs(b, m0, accs);
}

/// c[m, n] += acc: thread (group g = lane / 4, t = lane % 4) holds rows g and
/// g + 8, columns 2 t and 2 t + 1 of each 16 x 8 tile.
void MmaKernelBody::storeOutputs(OpBuilder &b, Value m0, ArrayRef<Value> accs) {
  Value C = op.getDpsInits()[0];
  Value g = arith::DivUIOp::create(b, loc, lane, c(b, 4));
  Value t2 = mul(b, arith::RemUIOp::create(b, loc, lane, c(b, 4)), c(b, 2));
  for (int64_t i = 0; i < kTilesM; ++i)
    for (int64_t j = 0; j < kTilesN; ++j)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t e = 0; e < 2; ++e) {
          Value m = add(b, add(b, m0, warpM), add(b, g, c(b, i * 16 + h * 8)));
          Value n = add(b, add(b, n0, warpN), add(b, t2, c(b, j * 8 + e)));
          Value v = accs[(i * kTilesN + j) * 4 + h * 2 + e];
          Value inside = arith::AndIOp::create(b, loc, lessThan(b, m, M), lessThan(b, n, N));
          scf::IfOp::create(b, loc, inside, [&](OpBuilder &nb, Location l) {
            SmallVector<Value> idx = matmulIndices(batchIdx, true, m, n);
            Value old = memref::LoadOp::create(nb, l, C, idx);
            memref::StoreOp::create(nb, l, arith::AddFOp::create(nb, l, old, v), C, idx);
            scf::YieldOp::create(nb, l);
          });
        }
}

} // namespace

bool isMmaMatmul(linalg::GenericOp op, const MatmulMatch &match) {
  if (match.computedB)
    return isComputedBMma(op, match);
  return !match.aKm && isExtMulAdd(op, match, MmaOperands::half);
}

bool isWgmmaMatmul(linalg::GenericOp op, const MatmulMatch &match) {
  // wgmma reads 8-bit operands K-major only: a[m, k] and b[n, k]; TMA cannot
  // compute B.
  if (match.computedB)
    return false;
  return isMmaMatmul(op, match) ||
         (!match.aKm && match.bNk &&
          (isExtMulAdd(op, match, MmaOperands::fp8) || isExtMulAdd(op, match, MmaOperands::int8)));
}

Value buildMmaApplies(OpBuilder &b, Location loc, linalg::GenericOp op, const MatmulMatch &match,
                      ArrayRef<Value> sizes) {
  // Rows of whole 16-byte vectors: K (and N for b[k, n]) multiples of 8
  // values of 16 bits, of 16 FP8 values.
  // (A computed B is built in registers: no alignment of its inputs.)
  Value A = op->getOperand(match.a);
  int64_t values = 16 / std::max<int64_t>(1, elementBytes(A.getType()));
  SmallVector<Value> loaded = {A};
  if (!match.computedB)
    loaded.push_back(op->getOperand(match.b));
  Value ok = buildAllAligned(b, loc, loaded);
  ok = arith::AndIOp::create(b, loc, ok,
                             buildIsMultipleOf(b, loc, sizes[match.batchDims + 2], values));
  if (!match.bNk && !match.computedB)
    ok = arith::AndIOp::create(b, loc, ok,
                               buildIsMultipleOf(b, loc, sizes[match.batchDims + 1], values));
  return ok;
}

void buildMmaLaunch(OpBuilder &b, Location loc, linalg::GenericOp op, const MatmulMatch &match,
                    ArrayRef<Value> sizes) {
  MLIRContext *ctx = b.getContext();
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type element = getElementTypeOrSelf(op->getOperand(match.a).getType());
  bool bNk = match.bNk || match.computedB;
  SmallVector<int64_t> bShape =
      bNk ? SmallVector<int64_t>{kBN, kBK + kPad} : SmallVector<int64_t>{kBK, kBN + kPad};
  SmallVector<Type> tiles{
      MemRefType::get({kBM, kBK + kPad}, element, MemRefLayoutAttrInterface(), workgroup)};
  tiles.append(match.computedB ? kTerms : 1,
               MemRefType::get(bShape, element, MemRefLayoutAttrInterface(), workgroup));
  MatmulGrid grid = buildMatmulGrid(b, loc, sizes, match.batchDims, kBM, kBN);
  Value one = constantIndex(b, loc, 1);
  auto launch =
      gpu::LaunchOp::create(b, loc, grid.gridX, grid.gridY, grid.gridZ,
                            constantIndex(b, loc, kThreads), one, one, nullptr, nullptr, {}, tiles);
  OpBuilder kernel = OpBuilder::atBlockBegin(&launch.getBody().front());
  MmaKernelBody(op, match, launch, sizes, grid).build(kernel);
  gpu::TerminatorOp::create(kernel, loc);
}

} // namespace vibee
