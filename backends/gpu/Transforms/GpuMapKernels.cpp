//===- GpuMapKernels.cpp - linalg.generic -> shaped gpu.launch kernels ----===//
//
// The GPU codegen for the two shapes the specs are made of (docs/gpu.md):
//
// * Elementwise: one generic over contiguous memrefs (Lion, AdamW after
//   vibee-fuse-elementwise). One grid-stride kernel over the flattened
//   domain; grid = min(ceil(N / (block * V)), blocks-per-sm * SMs), the SM
//   count queried at run time (vibee_cuda_sm_count); when every pointer is
//   16-byte aligned, each thread moves 16 bytes per operand per step through
//   vector.load/store {alignment = 16} (ld/st.global.v4), then a scalar tail.
//
// * Row groups: a reduction over the innermost dim plus the statements that
//   read its per-row result (softmax: max, exp-sum, output; RMSNorm: sum of
//   squares, inverse RMS, output). One kernel, one block per row. When every
//   statement is vectorizable and a thread's share of the row is at most
//   kCachedElements (a 4096-element row at 256 threads; bf16 softmax runs
//   128 threads per row, 32 elements each), each operand row is
//   loaded once, in unrolled predicated 16-byte steps, and kept in registers
//   for the later statements (softmax: 1 read + 1 write of the row instead of
//   3 + 1); operands no statement writes that only later statements read
//   (RMSNorm's w) are loaded with it, before the first reduction. Otherwise every statement is a block-strided
//   pass over the row (vectorized when the row is aligned), re-reading it.
//   A reduction ends in warp shuffles + one shared-memory exchange
//   that leaves the result in every thread's registers, and later statements
//   use that value directly. Per-row temporaries only the group uses (and their
//   fills) disappear.
//
// * Matmuls: c[m, n] (+)= sum_k f(a[m, k], b[k, n]) over contiguous 2-D
//   memrefs (f32, bf16 operands extended to f32, ...). One block per 64 x 64
//   tile of c, 256 threads of 4 x 4 outputs; a and b staged in shared memory
//   16 values of k at a time, multiply-adds contracted to FMA. No tensor cores
//   yet (H100 4096^3: f32 7.3 ms, 18.8 TFLOP/s; the generic route took 84 ms).
//
// Payload code the loop does not depend on (scalar parameters, AdamW's bias
// corrections in f64) is computed once per thread before the loops.
// Everything else stays for the generic parallel-loops route.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <map>
#include <optional>
#include <tuple>

namespace vibee {
#define GEN_PASS_DEF_GPUMAPKERNELSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

constexpr int64_t kVectorBytes = 16;
/// Row groups: the row length kept in registers is kCachedElements * block-size
/// (4096 at 256 threads) for every element type.
constexpr int64_t kCachedElements = 16;
/// Row groups kept in registers with two or more reductions (softmax): 16-byte
/// steps per thread and operand of the widest-V statement (64 bytes in flight
/// per thread). Narrow types use fewer threads per row instead of fewer steps:
/// bf16 softmax at 128 threads x 4 steps, f32 at 256 x 4; half the threads per
/// row halve the per-row cost of the block reductions (warps, barrier,
/// shared-memory combine). One reduction (RMSNorm) keeps block-size threads
/// (bf16 RMSNorm measured slower at 128 on the H100: 86 % vs 90.5 % of copy).
constexpr int64_t kCachedSteps = 4;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// A memref we may index as a dense row-major array.
bool isContiguous(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  return m && m.getLayout().isIdentity() && !m.getMemorySpace();
}

/// Row groups: 16-byte steps per thread kept in registers at V elements a step,
/// `threads` threads per row (the cached row length stays kCachedElements * blockSize).
int64_t cachedSteps(int64_t V, int64_t threads, int64_t blockSize) {
  return std::max<int64_t>(1, kCachedElements * blockSize / (threads * V));
}

int64_t elementBytes(Type t) {
  Type e = getElementTypeOrSelf(t);
  if (!e.isIntOrFloat())
    return 0;
  return std::max<int64_t>(1, e.getIntOrFloatBitWidth() / 8);
}

/// map = (d0..dn-1) -> (subset of dims, increasing): a projection that keeps
/// the row-major order (x[r, c], w[c], s[r]).
bool isOrderedProjection(AffineMap map) {
  if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
    return false;
  int64_t last = -1;
  for (AffineExpr e : map.getResults()) {
    int64_t d = cast<AffineDimExpr>(e).getPosition();
    if (d <= last)
      return false;
    last = d;
  }
  return true;
}

bool usesDim(AffineMap map, unsigned d) {
  for (AffineExpr e : map.getResults())
    if (auto de = dyn_cast<AffineDimExpr>(e); de && de.getPosition() == d)
      return true;
  return false;
}

/// The combining op of a reduction output and the identity of its kind.
struct Combiner {
  Operation *op = nullptr;
  TypedAttr identity;
};

std::optional<Combiner> getCombiner(linalg::GenericOp op, unsigned outIdx) {
  Block &body = op.getRegion().front();
  BlockArgument acc = body.getArgument(op.getNumDpsInputs() + outIdx);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *c = yield.getValues()[outIdx].getDefiningOp();
  if (!c || c->getBlock() != &body || c->getNumOperands() != 2 || !acc.hasOneUse() ||
      acc.getUses().begin()->getOwner() != c)
    return std::nullopt;
  Type t = acc.getType();
  if (!(t.isF32() || t.isF64() || t.isInteger(32) || t.isInteger(64)))
    return std::nullopt;
  Builder b(op.getContext());
  TypedAttr id;
  auto fl = [&](double v) { return b.getFloatAttr(t, v); };
  auto sem = [&]() -> const llvm::fltSemantics & {
    return cast<FloatType>(t).getFloatSemantics();
  };
  unsigned w = t.isIntOrIndex() ? t.getIntOrFloatBitWidth() : 0;
  if (isa<arith::AddFOp>(c))
    id = b.getFloatAttr(t, llvm::APFloat::getZero(sem(), /*Negative=*/true));
  else if (isa<arith::MulFOp>(c))
    id = fl(1.0);
  else if (isa<arith::MaxNumFOp, arith::MinNumFOp>(c))
    id = b.getFloatAttr(t, llvm::APFloat::getNaN(sem()));
  else if (isa<arith::MaximumFOp>(c))
    id = b.getFloatAttr(t, llvm::APFloat::getInf(sem(), /*Negative=*/true));
  else if (isa<arith::MinimumFOp>(c))
    id = b.getFloatAttr(t, llvm::APFloat::getInf(sem(), /*Negative=*/false));
  else if (isa<arith::AddIOp, arith::OrIOp, arith::XOrIOp, arith::MaxUIOp>(c))
    id = b.getIntegerAttr(t, 0);
  else if (isa<arith::MulIOp>(c))
    id = b.getIntegerAttr(t, 1);
  else if (isa<arith::AndIOp, arith::MinUIOp>(c))
    id = b.getIntegerAttr(t, llvm::APInt::getAllOnes(w));
  else if (isa<arith::MaxSIOp>(c))
    id = b.getIntegerAttr(t, llvm::APInt::getSignedMinValue(w));
  else if (isa<arith::MinSIOp>(c))
    id = b.getIntegerAttr(t, llvm::APInt::getSignedMaxValue(w));
  else
    return std::nullopt;
  // The other operand must not depend on the accumulator (checked: one use).
  return Combiner{c, id};
}

Value combine(OpBuilder &b, Location loc, const Combiner &c, Value x, Value y) {
  OperationState state(loc, c.op->getName());
  state.addOperands({x, y});
  state.addTypes({x.getType()});
  state.addAttributes(c.op->getAttrs());
  return b.create(state)->getResult(0);
}

/// The payload of a generic, cloned per element; ops that depend only on
/// uniform arguments are cloned once (hoisted) by `hoist`.
struct Payload {
  linalg::GenericOp op;
  IRMapping uniform;
  llvm::DenseSet<Operation *> hoisted;

  explicit Payload(linalg::GenericOp op) : op(op) {}

  Block &body() { return op.getRegion().front(); }

  /// `args[i]` set: block argument i is this (loop-invariant) value.
  void hoist(OpBuilder &b, ArrayRef<Value> args) {
    for (auto [i, v] : llvm::enumerate(args))
      if (v)
        uniform.map(body().getArgument(i), v);
    for (Operation &o : body().without_terminator()) {
      if (o.getNumRegions() || !isMemoryEffectFree(&o) || o.getNumResults() == 0)
        continue;
      bool invariant = llvm::all_of(o.getOperands(), [&](Value v) {
        if (uniform.contains(v))
          return true;
        if (auto arg = dyn_cast<BlockArgument>(v))
          return arg.getOwner() != &body();
        return v.getDefiningOp()->getBlock() != &body();
      });
      if (!invariant)
        continue;
      b.clone(o, uniform);
      hoisted.insert(&o);
    }
  }

  /// One element: `args[i]` for the non-uniform block arguments.
  SmallVector<Value> apply(OpBuilder &b, ArrayRef<Value> args) {
    IRMapping m = uniform;
    for (auto [i, v] : llvm::enumerate(args))
      if (v && !uniform.contains(body().getArgument(i)))
        m.map(body().getArgument(i), v);
    for (Operation &o : body().without_terminator())
      if (!hoisted.contains(&o))
        b.clone(o, m);
    SmallVector<Value> out;
    for (Value v : body().getTerminator()->getOperands())
      out.push_back(m.lookupOrDefault(v));
    return out;
  }
};

bool payloadOk(linalg::GenericOp op) {
  if (op.hasIndexSemantics())
    return false;
  for (Operation &o : op.getRegion().front().without_terminator())
    if (o.getNumRegions() || !isMemoryEffectFree(&o))
      return false;
  return true;
}

/// `for (iv = lb; iv < ub; iv += step)` with iter_args; body returns the new ones.
SmallVector<Value>
forLoop(OpBuilder &b, Location loc, Value lb, Value ub, Value step, ValueRange inits,
        function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)> body) {
  auto loop = scf::ForOp::create(b, loc, lb, ub, step, inits,
                                 [&](OpBuilder &nb, Location l, Value iv, ValueRange iter) {
                                   scf::YieldOp::create(nb, l, body(nb, iv, iter));
                                 });
  return SmallVector<Value>(loop.getResults());
}

/// `if (cond) then() else otherwise()`, both returning values of `types`.
SmallVector<Value> ifElse(OpBuilder &b, Location loc, Value cond, TypeRange types,
                          function_ref<SmallVector<Value>(OpBuilder &)> then,
                          function_ref<SmallVector<Value>(OpBuilder &)> otherwise) {
  auto op = scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, then(nb)); },
      [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, otherwise(nb)); });
  (void)types;
  return SmallVector<Value>(op.getResults());
}

/// ptr % 16 == 0 for every memref.
Value allAligned(OpBuilder &b, Location loc, ArrayRef<Value> memrefs) {
  Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
  Value mask = cIdx(b, loc, kVectorBytes - 1), zero = cIdx(b, loc, 0);
  for (Value m : memrefs) {
    Value p = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, m);
    Value low = arith::AndIOp::create(b, loc, p, mask);
    Value eq = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, low, zero);
    ok = arith::AndIOp::create(b, loc, ok, eq);
  }
  return ok;
}

/// Per-lane payload evaluation over V consecutive elements. `load(i, idx, V)`
/// gives operand i's elements (V scalars) at the chunk start `idx`.
struct LaneValues {
  SmallVector<SmallVector<Value>> perOperand; // [operand][lane]; empty = uniform
};

/// Loads V consecutive elements of `memref` at `indices` (V == 1: a scalar
/// load; vectorized: one aligned vector.load) and splits them into lanes.
SmallVector<Value> loadLanes(OpBuilder &b, Location loc, Value memref, ValueRange indices,
                             int64_t V, bool vector) {
  Type et = cast<MemRefType>(memref.getType()).getElementType();
  if (!vector) {
    SmallVector<Value> out;
    for (int64_t l = 0; l < V; ++l) {
      SmallVector<Value> idx(indices);
      if (l)
        idx.back() = arith::AddIOp::create(b, loc, idx.back(), cIdx(b, loc, l));
      out.push_back(memref::LoadOp::create(b, loc, memref, idx));
    }
    return out;
  }
  auto vt = VectorType::get({V}, et);
  int64_t align = std::min<int64_t>(kVectorBytes, V * elementBytes(et));
  Value v = vector::LoadOp::create(b, loc, vt, memref, indices, /*nontemporal=*/false,
                                   llvm::MaybeAlign(align));
  SmallVector<Value> out;
  for (int64_t l = 0; l < V; ++l)
    out.push_back(vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{l}));
  return out;
}

void storeLanes(OpBuilder &b, Location loc, Value memref, ValueRange indices,
                ArrayRef<Value> lanes, bool vector) {
  int64_t V = lanes.size();
  Type et = cast<MemRefType>(memref.getType()).getElementType();
  if (!vector) {
    for (int64_t l = 0; l < V; ++l) {
      SmallVector<Value> idx(indices);
      if (l)
        idx.back() = arith::AddIOp::create(b, loc, idx.back(), cIdx(b, loc, l));
      memref::StoreOp::create(b, loc, lanes[l], memref, idx);
    }
    return;
  }
  auto vt = VectorType::get({V}, et);
  Value v = vector::FromElementsOp::create(b, loc, vt, lanes);
  int64_t align = std::min<int64_t>(kVectorBytes, V * elementBytes(et));
  vector::StoreOp::create(b, loc, v, memref, indices, /*nontemporal=*/false,
                          llvm::MaybeAlign(align));
}

Value product(OpBuilder &b, Location loc, ArrayRef<Value> sizes) {
  Value n = cIdx(b, loc, 1);
  for (Value s : sizes)
    n = arith::MulIOp::create(b, loc, n, s);
  return n;
}

SmallVector<Value> loopSizes(OpBuilder &b, Location loc, linalg::GenericOp op) {
  SmallVector<Value> sizes;
  for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  return sizes;
}

func::FuncOp smCountDecl(ModuleOp module) {
  StringRef name = "vibee_cuda_sm_count";
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 b.getFunctionType({}, {b.getI32Type()}));
  fn.setPrivate();
  return fn;
}

//===----------------------------------------------------------------------===//
// Elementwise kernels
//===----------------------------------------------------------------------===//

enum class Access { Scalar, Rank0, Lane };

bool isFlatElementwise(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() != 0 || op.getNumLoops() == 0 ||
      !payloadOk(op))
    return false;
  for (OpOperand &o : op->getOpOperands()) {
    Type t = o.get().getType();
    AffineMap map = op.getMatchingIndexingMap(&o);
    if (!isa<ShapedType>(t)) {
      if (op.isDpsInit(&o))
        return false;
      continue;
    }
    if (!isContiguous(t) || elementBytes(t) == 0)
      return false;
    if (cast<MemRefType>(t).getRank() == 0 && !op.isDpsInit(&o) && map.getNumResults() == 0)
      continue;
    if (!map.isIdentity())
      return false;
  }
  return true;
}

struct GpuMapKernelsPass : vibee::impl::GpuMapKernelsPassBase<GpuMapKernelsPass> {
  using Base::Base;

  /// Block-wide reduction of `v` (every thread gets the result).
  Value blockReduce(OpBuilder &b, Location loc, const Combiner &c, Value v, Value smem,
                    Value tid, int64_t threads) {
    for (int32_t off = 16; off >= 1; off /= 2) {
      Value sh =
          gpu::ShuffleOp::create(b, loc, v, off, 32, gpu::ShuffleMode::XOR).getShuffleResult();
      v = combine(b, loc, c, v, sh);
    }
    int64_t warps = threads / 32;
    if (warps == 1)
      return v;
    Value lane = arith::RemUIOp::create(b, loc, tid, cIdx(b, loc, 32));
    Value warp = arith::DivUIOp::create(b, loc, tid, cIdx(b, loc, 32));
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, cIdx(b, loc, 0));
    scf::IfOp::create(b, loc, first, [&](OpBuilder &nb, Location l) {
      memref::StoreOp::create(nb, l, v, smem, ValueRange{warp});
      scf::YieldOp::create(nb, l);
    });
    gpu::BarrierOp::create(b, loc);
    Value t = memref::LoadOp::create(b, loc, smem, ValueRange{cIdx(b, loc, 0)});
    for (int64_t w = 1; w < warps; ++w)
      t = combine(b, loc, c, t,
                  memref::LoadOp::create(b, loc, smem, ValueRange{cIdx(b, loc, w)}));
    return t;
  }

  void emitFlat(ModuleOp module, linalg::GenericOp op) {
    Location loc = op.getLoc();
    OpBuilder b(op);
    // Flatten every shaped operand of rank > 1 to 1-D (contiguous: identity layout).
    SmallVector<Value> operands;
    SmallVector<Access> kinds;
    int64_t maxBytes = 1;
    for (OpOperand &o : op->getOpOperands()) {
      Value v = o.get();
      auto mt = dyn_cast<MemRefType>(v.getType());
      if (!mt) {
        operands.push_back(v);
        kinds.push_back(Access::Scalar);
        continue;
      }
      if (mt.getRank() == 0 && !op.isDpsInit(&o)) {
        operands.push_back(v);
        kinds.push_back(Access::Rank0);
        continue;
      }
      if (mt.getRank() > 1) {
        SmallVector<ReassociationIndices> all(1);
        for (int64_t d = 0; d < mt.getRank(); ++d)
          all[0].push_back(d);
        v = memref::CollapseShapeOp::create(b, loc, v, all);
      }
      operands.push_back(v);
      kinds.push_back(Access::Lane);
      maxBytes = std::max(maxBytes, elementBytes(mt));
    }
    int64_t V = std::max<int64_t>(1, kVectorBytes / maxBytes);
    Value n = product(b, loc, loopSizes(b, loc, op));
    Value per = cIdx(b, loc, blockSize * V);
    Value need = arith::CeilDivUIOp::create(b, loc, n, per);
    auto call = func::CallOp::create(b, loc, smCountDecl(module), ValueRange{});
    Value sm = arith::IndexCastOp::create(b, loc, b.getIndexType(), call.getResult(0));
    Value cap = arith::MulIOp::create(b, loc, sm, cIdx(b, loc, blocksPerSm));
    Value grid = arith::MinUIOp::create(b, loc, need, cap);
    grid = arith::MaxUIOp::create(b, loc, grid, cIdx(b, loc, 1));
    Value one = cIdx(b, loc, 1), bs = cIdx(b, loc, blockSize);
    auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, bs, one, one);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    {
      OpBuilder &b = kb;
      Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
      Value gdim = launch.getGridSize().x;
      Value gtid = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, bid, bs), tid);
      Value stride = arith::MulIOp::create(b, loc, gdim, bs);
      unsigned nIn = op.getNumDpsInputs();
      Block &body = op.getRegion().front();
      // Uniform values: scalars, rank-0 loads; hoisted payload.
      SmallVector<Value> uniform(operands.size());
      for (auto [i, k] : llvm::enumerate(kinds)) {
        if (k == Access::Scalar)
          uniform[i] = operands[i];
        else if (k == Access::Rank0)
          uniform[i] = memref::LoadOp::create(b, loc, operands[i], ValueRange{});
      }
      Payload payload(op);
      payload.hoist(b, uniform);
      SmallVector<Value> laneMemrefs;
      for (auto [i, k] : llvm::enumerate(kinds))
        if (k == Access::Lane)
          laneMemrefs.push_back(operands[i]);
      // Elements [idx, idx + width): loads, payloads, stores.
      auto chunk = [&](OpBuilder &b, Value idx, int64_t width, bool vector) {
        SmallVector<SmallVector<Value>> lanes(operands.size());
        for (auto [i, k] : llvm::enumerate(kinds)) {
          if (k != Access::Lane)
            continue;
          if (i >= nIn && body.getArgument(i).use_empty())
            continue; // an output whose old value is not read
          lanes[i] = loadLanes(b, loc, operands[i], ValueRange{idx}, width, vector);
        }
        SmallVector<SmallVector<Value>> results(op.getNumDpsInits());
        for (int64_t l = 0; l < width; ++l) {
          SmallVector<Value> args(operands.size());
          for (size_t i = 0; i < operands.size(); ++i)
            if (!lanes[i].empty())
              args[i] = lanes[i][l];
          SmallVector<Value> ys = payload.apply(b, args);
          for (auto [r, y] : llvm::enumerate(ys))
            results[r].push_back(y);
        }
        for (unsigned r = 0; r < op.getNumDpsInits(); ++r)
          storeLanes(b, loc, operands[nIn + r], ValueRange{idx}, results[r], vector);
      };
      auto scalarLoop = [&](OpBuilder &b, Value from) {
        forLoop(b, loc, from, n, stride, {}, [&](OpBuilder &b, Value i, ValueRange) {
          chunk(b, i, 1, false);
          return SmallVector<Value>{};
        });
      };
      Value aligned = allAligned(b, loc, laneMemrefs);
      if (V > 1) {
        ifElse(
            b, loc, aligned, {},
            [&](OpBuilder &b) {
              Value nv = arith::DivUIOp::create(b, loc, n, cIdx(b, loc, V));
              forLoop(b, loc, gtid, nv, stride, {}, [&](OpBuilder &b, Value i, ValueRange) {
                chunk(b, arith::MulIOp::create(b, loc, i, cIdx(b, loc, V)), V, true);
                return SmallVector<Value>{};
              });
              Value tail = arith::MulIOp::create(b, loc, nv, cIdx(b, loc, V));
              scalarLoop(b, arith::AddIOp::create(b, loc, tail, gtid));
              return SmallVector<Value>{};
            },
            [&](OpBuilder &b) {
              scalarLoop(b, gtid);
              return SmallVector<Value>{};
            });
      } else {
        scalarLoop(b, gtid);
      }
      gpu::TerminatorOp::create(b, loc);
    }
    op.erase();
  }

  //===--------------------------------------------------------------------===//
  // Row groups
  //===--------------------------------------------------------------------===//

  enum class Kind { Reduce, Elementwise, RowScalar };
  struct Member {
    mutable linalg::GenericOp op;
    Kind kind;
  };

  /// [parallel x (rank-1), reduction] with outputs indexed by the row dims.
  static bool isRowReduce(linalg::GenericOp op) {
    unsigned n = op.getNumLoops();
    if (!op.hasPureBufferSemantics() || n < 2 || op.getNumReductionLoops() != 1 ||
        !linalg::isReductionIterator(op.getIteratorTypesArray().back()) || !payloadOk(op))
      return false;
    if (!rowOperandsOk(op))
      return false;
    for (OpOperand &o : op.getDpsInitsMutable()) {
      AffineMap m = op.getMatchingIndexingMap(&o);
      if (m != rowMap(n, op.getContext()))
        return false;
    }
    for (unsigned k = 0; k < op.getNumDpsInits(); ++k)
      if (!getCombiner(op, k))
        return false;
    return true;
  }

  /// All parallel, `rank` loops; operands ordered projections, outputs identity.
  static bool isRowParallel(linalg::GenericOp op, unsigned rank) {
    if (!op.hasPureBufferSemantics() || op.getNumLoops() != rank ||
        op.getNumReductionLoops() != 0 || !payloadOk(op))
      return false;
    if (!rowOperandsOk(op))
      return false;
    for (OpOperand &o : op.getDpsInitsMutable())
      if (!op.getMatchingIndexingMap(&o).isIdentity())
        return false;
    return true;
  }

  /// Scalars only as inputs; shaped operands contiguous, of a known element size,
  /// read through ordered projections of the loops.
  static bool rowOperandsOk(linalg::GenericOp op) {
    for (OpOperand &o : op->getOpOperands()) {
      Type t = o.get().getType();
      if (!isa<ShapedType>(t)) {
        if (op.isDpsInit(&o))
          return false;
        continue;
      }
      if (!isContiguous(t) || elementBytes(t) == 0 ||
          !isOrderedProjection(op.getMatchingIndexingMap(&o)))
        return false;
    }
    return true;
  }

  /// The row-projection map (d0..dn-1) -> (d0..dn-2).
  static AffineMap rowMap(unsigned n, MLIRContext *ctx) {
    return AffineMap::getMultiDimIdentityMap(n, ctx).getMajorSubMap(n - 1);
  }

  void processRowGroups(func::FuncOp fn) {
    SmallVector<std::pair<SmallVector<Member>, unsigned>> groups;
    for (Block &block : fn.getBody()) {
      SmallVector<Operation *> ops;
      for (Operation &op : block)
        ops.push_back(&op);
      size_t i = 0;
      while (i < ops.size()) {
        auto first = dyn_cast<linalg::GenericOp>(ops[i]);
        if (!first || !isRowReduce(first)) {
          ++i;
          continue;
        }
        unsigned rank = first.getNumLoops();
        MLIRContext *ctx = fn.getContext();
        SmallVector<Member> members{{first, Kind::Reduce}};
        llvm::DenseSet<Value> rowBuffers;   // per-row buffers written by members
        llvm::DenseSet<Value> fullBuffers;  // [rows x C] buffers written by members
        // Buffers a member reads beyond its own row (w[c]): never written later.
        llvm::DenseSet<Value> readBuffers;
        auto noteMember = [&](linalg::GenericOp op) {
          unsigned n = op.getNumLoops();
          for (OpOperand *in : op.getDpsInputOperands()) {
            if (!isa<ShapedType>(in->get().getType()))
              continue;
            AffineMap m = op.getMatchingIndexingMap(in);
            bool ownRow = m.getNumResults() >= rank - 1;
            for (unsigned d = 0; d + 1 < rank && d < n && ownRow; ++d)
              ownRow = m.getResult(d) == getAffineDimExpr(d, op.getContext());
            if (!ownRow)
              readBuffers.insert(in->get());
          }
          for (Value init : op.getDpsInits()) {
            if (cast<MemRefType>(init.getType()).getRank() == (int64_t)rank)
              fullBuffers.insert(init);
            else
              rowBuffers.insert(init);
          }
        };
        noteMember(first);
        size_t j = i + 1;
        for (; j < ops.size(); ++j) {
          Operation *op = ops[j];
          if (auto fill = dyn_cast<linalg::FillOp>(op)) {
            // Runs on the host before the kernel: only for buffers the members
            // so far neither read nor wrote.
            if (!fill.hasPureBufferSemantics())
              break;
            Value t = fill.getDpsInits()[0];
            if (readBuffers.contains(t) || rowBuffers.contains(t) || fullBuffers.contains(t))
              break;
            continue;
          }
          if (isa<memref::AllocOp, memref::DimOp>(op) ||
              (op->getNumRegions() == 0 && isMemoryEffectFree(op) &&
               op->getDialect() && op->getDialect()->getNamespace() == "arith"))
            continue;
          auto g = dyn_cast<linalg::GenericOp>(op);
          if (!g)
            break;
          // It must read a per-row result of the group, through the row map.
          bool readsGroup = false, ok = true;
          Kind kind;
          if (isRowReduce(g) && g.getNumLoops() == rank)
            kind = Kind::Reduce;
          else if (isRowParallel(g, rank))
            kind = Kind::Elementwise;
          else if (isRowParallel(g, rank - 1))
            kind = Kind::RowScalar;
          else
            break;
          for (OpOperand &o : g->getOpOperands()) {
            Value v = o.get();
            if (!isa<ShapedType>(v.getType()))
              continue;
            AffineMap m = g.getMatchingIndexingMap(&o);
            if (rowBuffers.contains(v)) {
              AffineMap want = kind == Kind::RowScalar
                                   ? AffineMap::getMultiDimIdentityMap(rank - 1, ctx)
                                   : rowMap(rank, ctx);
              if (m != want)
                ok = false;
              readsGroup |= !g.isDpsInit(&o) || kind == Kind::RowScalar;
            }
            if (fullBuffers.contains(v) && !m.isIdentity())
              ok = false;
            // Outputs of a row statement must not be read across rows before.
            if (g.isDpsInit(&o) && readBuffers.contains(v))
              ok = false;
          }
          if (kind == Kind::RowScalar)
            for (Value init : g.getDpsInits())
              if (!rowBuffers.contains(init))
                ok = false;
          if (!ok || !readsGroup)
            break;
          members.push_back({g, kind});
          noteMember(g);
        }
        // Trim trailing non-members (fills, pure ops) from the span.
        size_t end = i;
        for (size_t k = i; k < j; ++k)
          if (llvm::any_of(members, [&](const Member &m) { return m.op == ops[k]; }))
            end = k;
        groups.push_back({members, rank});
        i = end + 1;
      }
    }
    for (auto &[members, rank] : groups)
      emitRowGroup(members, rank);
  }

  void emitRowGroup(ArrayRef<Member> members, unsigned rank) {
    linalg::GenericOp first = members.front().op, last = members.back().op;
    Location loc = first.getLoc();
    MLIRContext *ctx = first.getContext();
    OpBuilder b(last);
    // Buffers written per row: eliminable when only the group, fills of them
    // and deallocs use them.
    llvm::DenseSet<Operation *> memberOps;
    for (const Member &m : members)
      memberOps.insert(m.op);
    llvm::DenseMap<Value, bool> kept; // per-row buffer -> must be stored
    llvm::DenseMap<Value, Value> fillValue;
    for (const Member &m : members) {
      if (m.kind == Kind::Elementwise)
        continue;
      for (Value init : m.op.getDpsInits()) {
        if (kept.count(init))
          continue;
        bool keep = !init.getDefiningOp<memref::AllocOp>();
        for (Operation *user : init.getUsers()) {
          if (memberOps.contains(user) || isa<memref::DeallocOp>(user))
            continue;
          if (auto fill = dyn_cast<linalg::FillOp>(user); fill && fill->isBeforeInBlock(m.op) &&
                                                             fill->getBlock() == m.op->getBlock()) {
            fillValue[init] = fill.getInputs()[0];
            continue;
          }
          keep = true;
        }
        kept[init] = keep;
      }
    }
    // Per statement: the operands that vary along the row (lanes), the memrefs
    // the vector path needs aligned, and V (elements per 16-byte step).
    struct LaneInfo {
      SmallVector<bool> lane;
      SmallVector<Value> memrefs;
      int64_t V = 1;
    };
    SmallVector<LaneInfo> laneInfo;
    bool cacheable = true;
    for (const Member &m : members) {
      linalg::GenericOp op = m.op;
      Block &body = op.getRegion().front();
      LaneInfo li;
      li.lane.assign(op->getNumOperands(), false);
      int64_t maxBytes = 1;
      for (OpOperand &o : op->getOpOperands()) {
        unsigned i = o.getOperandNumber();
        if (m.kind == Kind::RowScalar || !isa<ShapedType>(o.get().getType()) ||
            !usesDim(op.getMatchingIndexingMap(&o), op.getNumLoops() - 1))
          continue;
        li.lane[i] = !body.getArgument(i).use_empty();
        if (li.lane[i] || (op.isDpsInit(&o) && m.kind == Kind::Elementwise)) {
          maxBytes = std::max(maxBytes, elementBytes(o.get().getType()));
          li.memrefs.push_back(o.get());
        }
      }
      li.V = std::max<int64_t>(1, kVectorBytes / maxBytes);
      if (m.kind != Kind::RowScalar && li.V == 1)
        cacheable = false;
      // Lanes past the row end compute on zeros (then dropped): no integer
      // division may see them.
      body.walk([&](Operation *o) {
        if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
                arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(o))
          cacheable = false;
      });
      laneInfo.push_back(std::move(li));
    }
    // Threads per row: with two or more reductions, kCachedSteps steps of the
    // widest-V statement cover the cached row length (bf16: 128, f32: 256 at
    // block-size 256); otherwise block-size.
    int64_t rb = blockSize;
    if (cacheable && llvm::count_if(members, [](const Member &m) {
                       return m.kind == Kind::Reduce;
                     }) >= 2) {
      int64_t maxV = 1;
      for (auto [mi, m] : llvm::enumerate(members))
        if (m.kind != Kind::RowScalar)
          maxV = std::max(maxV, laneInfo[mi].V);
      rb = kCachedElements * blockSize / (kCachedSteps * maxV);
      rb = std::min<int64_t>(blockSize, std::max<int64_t>(32, rb / 32 * 32));
    }
    // Host: sizes of the row dims and of each statement's inner loop.
    SmallVector<Value> firstSizes = loopSizes(b, loc, first);
    SmallVector<Value> rowSizes(firstSizes.begin(), firstSizes.end() - 1);
    Value rows = product(b, loc, rowSizes);
    SmallVector<Value> inner;
    for (const Member &m : members)
      inner.push_back(m.kind == Kind::RowScalar ? Value() : loopSizes(b, loc, m.op).back());
    Value one = cIdx(b, loc, 1), bs = cIdx(b, loc, rb);
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, rows, cIdx(b, loc, 0));
    auto guard = scf::IfOp::create(b, loc, any, /*withElse=*/false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    // One shared-memory slot array per reduction result.
    SmallVector<Type> smemTypes;
    auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    for (const Member &m : members)
      if (m.kind == Kind::Reduce)
        for (Value init : m.op.getDpsInits())
          smemTypes.push_back(MemRefType::get({std::max<int64_t>(1, rb / 32)},
                                              cast<MemRefType>(init.getType()).getElementType(),
                                              MemRefLayoutAttrInterface(), wg));
    auto launch = gpu::LaunchOp::create(b, loc, rows, one, one, bs, one, one, nullptr, nullptr,
                                        {}, smemTypes);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    OpBuilder &k = kb;
    Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
    // Row indices from the block id (row-major over the row dims).
    SmallVector<Value> rowIvs(rowSizes.size());
    Value rest = bid;
    for (int64_t d = rowSizes.size() - 1; d >= 0; --d) {
      if (d == 0) {
        rowIvs[d] = rest;
        break;
      }
      rowIvs[d] = arith::RemUIOp::create(k, loc, rest, rowSizes[d]);
      rest = arith::DivUIOp::create(k, loc, rest, rowSizes[d]);
    }
    Value isFirstThread = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq, tid, cIdx(k, loc, 0));
    auto multipleOf = [&](OpBuilder &b, Value x, int64_t v) {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                   arith::RemUIOp::create(b, loc, x, cIdx(b, loc, v)),
                                   cIdx(b, loc, 0));
    };
    // The vector path of one statement: C % V == 0, every varying operand's
    // base 16-byte aligned and its rows a multiple of V long.
    auto vectorOk = [&](OpBuilder &b, size_t mi) {
      const LaneInfo &li = laneInfo[mi];
      Value ok = allAligned(b, loc, li.memrefs);
      ok = arith::AndIOp::create(b, loc, ok, multipleOf(b, inner[mi], li.V));
      for (Value mr : li.memrefs) {
        auto mt = cast<MemRefType>(mr.getType());
        Value lastDim = memref::DimOp::create(b, loc, mr, mt.getRank() - 1);
        ok = arith::AndIOp::create(b, loc, ok, multipleOf(b, lastDim, li.V));
      }
      return ok;
    };
    // The row in registers: when every statement takes the vector path and a
    // thread's share of the row is at most cachedSteps(V) vectors, each operand
    // row is loaded once (unrolled, predicated steps, all loads in flight
    // together) and later statements reuse the registers: softmax reads x once
    // instead of three times. Longer rows re-read the row in every statement.
    auto emitMembers = [&](OpBuilder &k, bool cached) {
      llvm::DenseMap<Value, Value> rowValue; // per-row buffer -> this row's value
      llvm::DenseSet<Value> writtenFull, readFull;
      unsigned smemIdx = 0;
      // (memref, indexing map, V, step) -> the step's elements, in registers.
      std::map<std::tuple<const void *, const void *, int64_t, int64_t>, SmallVector<Value>> cache;
      // Step j of operand `o` of `op` (elements [tid*V + j*rb*V, +V) of its
      // row), loaded once, predicated on being inside the row.
      auto loadStep = [&](linalg::GenericOp op, OpOperand &o, int64_t V, int64_t j,
                          Value cSize) -> SmallVector<Value> {
        AffineMap map = op.getMatchingIndexingMap(&o);
        auto key = std::make_tuple(o.get().getAsOpaquePointer(), map.getAsOpaquePointer(), V, j);
        if (auto it = cache.find(key); it != cache.end())
          return it->second;
        unsigned inner = op.getNumLoops() - 1;
        Value c = arith::AddIOp::create(k, loc, arith::MulIOp::create(k, loc, tid, cIdx(k, loc, V)),
                                        cIdx(k, loc, j * rb * V));
        Value valid = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, c, cSize);
        SmallVector<Value> idx;
        for (AffineExpr e : map.getResults()) {
          unsigned d = cast<AffineDimExpr>(e).getPosition();
          idx.push_back(d == inner ? c : rowIvs[d]);
        }
        Type et = getElementTypeOrSelf(o.get().getType());
        SmallVector<Value> lanes = ifElse(
            k, loc, valid, SmallVector<Type>(V, et),
            [&](OpBuilder &b) { return loadLanes(b, loc, o.get(), idx, V, true); },
            [&](OpBuilder &b) {
              Value z = arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(et)));
              return SmallVector<Value>(V, z);
            });
        cache[key] = lanes;
        return lanes;
      };
      // Row operands no statement of the group writes, when a later statement
      // reads one the first does not (RMSNorm's w): every step of them (x too)
      // loaded up front, w in flight together with x instead of after the
      // reduction's barrier. H100, bf16 RMSNorm 16384 x 4096: 92.5 % -> 93.3 %
      // of copy bandwidth (medians of 7 rounds). Groups whose later statements
      // read only the first one's operands (softmax) keep their load order.
      if (cached) {
        llvm::DenseSet<Value> written, readFirst;
        for (const Member &m : members)
          for (Value init : m.op.getDpsInits())
            written.insert(init);
        for (OpOperand *o : members.front().op.getDpsInputOperands())
          readFirst.insert(o->get());
        SmallVector<std::pair<size_t, OpOperand *>> upFront;
        bool later = false;
        for (auto [mi, m] : llvm::enumerate(members)) {
          if (m.kind == Kind::RowScalar)
            continue;
          for (OpOperand *o : m.op.getDpsInputOperands())
            if (laneInfo[mi].lane[o->getOperandNumber()] && !written.contains(o->get())) {
              upFront.push_back({mi, o});
              later |= !readFirst.contains(o->get());
            }
        }
        if (later)
          for (auto [mi, o] : upFront)
            for (int64_t j = 0; j < cachedSteps(laneInfo[mi].V, rb, blockSize); ++j)
              loadStep(members[mi].op, *o, laneInfo[mi].V, j, inner[mi]);
      }
      auto storeRow = [&](Value buffer, Value v) {
        if (!kept.lookup(buffer))
          return;
        scf::IfOp::create(k, loc, isFirstThread, [&](OpBuilder &nb, Location l) {
          memref::StoreOp::create(nb, l, v, buffer, rowIvs);
          scf::YieldOp::create(nb, l);
        });
      };
      for (auto [mi, m] : llvm::enumerate(members)) {
        linalg::GenericOp op = m.op;
        unsigned nIn = op.getNumDpsInputs();
        Block &body = op.getRegion().front();
        unsigned nLoops = op.getNumLoops();
        const LaneInfo &li = laneInfo[mi];
        ArrayRef<bool> lane = li.lane;
        // A statement that reads what an earlier row statement wrote to memory.
        // Or writes what an earlier one read (other threads may still read it).
        bool needBarrier = false;
        for (OpOperand &o : op->getOpOperands()) {
          if (writtenFull.contains(o.get()) &&
              (!op.isDpsInit(&o) || !body.getArgument(o.getOperandNumber()).use_empty()))
            needBarrier = true;
          if (m.kind == Kind::Elementwise && op.isDpsInit(&o) && readFull.contains(o.get()))
            needBarrier = true;
        }
        if (needBarrier)
          gpu::BarrierOp::create(k, loc);
        // Uniform (per-row) values; the lanes vary along the row.
        SmallVector<Value> uniform(op->getNumOperands());
        for (OpOperand &o : op->getOpOperands()) {
          unsigned i = o.getOperandNumber();
          Value v = o.get();
          bool isInit = op.isDpsInit(&o);
          bool used = !body.getArgument(i).use_empty();
          if (!isa<ShapedType>(v.getType())) {
            uniform[i] = v;
            continue;
          }
          AffineMap map = op.getMatchingIndexingMap(&o);
          if (m.kind != Kind::RowScalar && usesDim(map, nLoops - 1))
            continue;
          if (isInit && m.kind == Kind::Reduce)
            continue; // the accumulator
          if (!used)
            continue;
          if (Value rv = rowValue.lookup(v)) {
            uniform[i] = rv;
            continue;
          }
          SmallVector<Value> idx;
          for (AffineExpr e : map.getResults())
            idx.push_back(rowIvs[cast<AffineDimExpr>(e).getPosition()]);
          uniform[i] = memref::LoadOp::create(k, loc, v, idx);
        }
        Payload payload(op);
        payload.hoist(k, uniform);
        if (m.kind == Kind::RowScalar) {
          SmallVector<Value> ys = payload.apply(k, {});
          for (auto [r, init] : llvm::enumerate(op.getDpsInits())) {
            rowValue[init] = ys[r];
            storeRow(init, ys[r]);
          }
          continue;
        }
        // The elements of the row: V per step when aligned.
        int64_t V = li.V;
        Value cSize = inner[mi];
        auto indicesAt = [&](OpOperand &o, Value c) {
          SmallVector<Value> idx;
          for (AffineExpr e : op.getMatchingIndexingMap(&o).getResults()) {
            unsigned d = cast<AffineDimExpr>(e).getPosition();
            idx.push_back(d == nLoops - 1 ? c : rowIvs[d]);
          }
          return idx;
        };
        SmallVector<Combiner> combiners;
        SmallVector<Value> accInit;
        if (m.kind == Kind::Reduce)
          for (unsigned r = 0; r < op.getNumDpsInits(); ++r) {
            combiners.push_back(*getCombiner(op, r));
            accInit.push_back(arith::ConstantOp::create(k, loc, combiners.back().identity));
          }
        // The payload over the lanes of one step; returns the new accumulators
        // (Reduce) or the values to store (Elementwise, per init).
        auto compute = [&](OpBuilder &b, ArrayRef<SmallVector<Value>> lanes, int64_t width,
                           ValueRange accs, SmallVector<SmallVector<Value>> &results) {
          SmallVector<Value> acc(accs);
          results.assign(op.getNumDpsInits(), {});
          for (int64_t l = 0; l < width; ++l) {
            SmallVector<Value> args(op->getNumOperands());
            for (size_t i = 0; i < args.size(); ++i)
              if (!lanes[i].empty())
                args[i] = lanes[i][l];
            if (m.kind == Kind::Reduce)
              for (unsigned r = 0; r < acc.size(); ++r)
                args[nIn + r] = acc[r];
            SmallVector<Value> ys = payload.apply(b, args);
            if (m.kind == Kind::Reduce)
              acc = ys;
            else
              for (auto [r, y] : llvm::enumerate(ys))
                results[r].push_back(y);
          }
          return acc;
        };
        // Elements [c, c + width) of the row; returns the new accumulators.
        auto chunk = [&](OpBuilder &b, Value c, int64_t width, bool vector, ValueRange accs) {
          SmallVector<SmallVector<Value>> lanes(op->getNumOperands());
          for (OpOperand &o : op->getOpOperands())
            if (lane[o.getOperandNumber()])
              lanes[o.getOperandNumber()] =
                  loadLanes(b, loc, o.get(), indicesAt(o, c), width, vector);
          SmallVector<SmallVector<Value>> results;
          SmallVector<Value> acc = compute(b, lanes, width, accs, results);
          if (m.kind == Kind::Elementwise)
            for (OpOperand &o : op.getDpsInitsMutable())
              storeLanes(b, loc, o.get(), indicesAt(o, c), results[o.getOperandNumber() - nIn],
                         vector);
          return acc;
        };
        auto scalarLoop = [&](OpBuilder &b, ValueRange accs) {
          return forLoop(b, loc, tid, cSize, bs, accs, [&](OpBuilder &b, Value c, ValueRange a) {
            return chunk(b, c, 1, false, a);
          });
        };
        SmallVector<Value> accs;
        if (cached) {
          // Step j: elements [tid*V + j*bs*V, +V), when inside the row.
          Value start = arith::MulIOp::create(k, loc, tid, cIdx(k, loc, V));
          accs.assign(accInit.begin(), accInit.end());
          for (int64_t j = 0; j < cachedSteps(V, rb, blockSize); ++j) {
            Value c = arith::AddIOp::create(k, loc, start, cIdx(k, loc, j * rb * V));
            Value valid = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, c, cSize);
            SmallVector<SmallVector<Value>> lanes(op->getNumOperands());
            for (OpOperand &o : op->getOpOperands()) {
              unsigned i = o.getOperandNumber();
              if (!lane[i])
                continue;
              lanes[i] = loadStep(op, o, V, j, cSize);
            }
            SmallVector<SmallVector<Value>> results;
            SmallVector<Value> acc = compute(k, lanes, V, accs, results);
            if (m.kind == Kind::Reduce) {
              for (auto [r, a] : llvm::enumerate(acc))
                accs[r] = arith::SelectOp::create(k, loc, valid, a, accs[r]);
            } else {
              scf::IfOp::create(k, loc, valid, [&](OpBuilder &nb, Location l) {
                for (OpOperand &o : op.getDpsInitsMutable())
                  storeLanes(nb, l, o.get(), indicesAt(o, c), results[o.getOperandNumber() - nIn],
                             true);
                scf::YieldOp::create(nb, l);
              });
            }
          }
          // What this statement wrote is no longer what the registers hold.
          if (m.kind == Kind::Elementwise)
            for (Value init : op.getDpsInits())
              for (auto it = cache.begin(); it != cache.end();)
                it = std::get<0>(it->first) == init.getAsOpaquePointer() ? cache.erase(it)
                                                                         : std::next(it);
        } else if (V > 1) {
          Value vIdx = cIdx(k, loc, V);
          accs = ifElse(
              k, loc, vectorOk(k, mi), TypeRange(ValueRange(accInit)),
              [&](OpBuilder &b) {
                Value start = arith::MulIOp::create(b, loc, tid, vIdx);
                Value step = arith::MulIOp::create(b, loc, bs, vIdx);
                return forLoop(b, loc, start, cSize, step, accInit,
                               [&](OpBuilder &b, Value c, ValueRange a) {
                                 return chunk(b, c, V, true, a);
                               });
              },
              [&](OpBuilder &b) { return scalarLoop(b, accInit); });
        } else {
          accs = scalarLoop(k, accInit);
        }
        for (OpOperand *in : op.getDpsInputOperands())
          if (lane[in->getOperandNumber()])
            readFull.insert(in->get());
        if (m.kind == Kind::Elementwise) {
          for (Value init : op.getDpsInits())
            writtenFull.insert(init);
          continue;
        }
        for (auto [r, init] : llvm::enumerate(op.getDpsInits())) {
          Value total = blockReduce(k, loc, combiners[r], accs[r],
                                    launch.getWorkgroupAttributions()[smemIdx++], tid, rb);
          // The buffer's value before the statement: an earlier statement's,
          // the fill's, or memory.
          Value before = rowValue.lookup(init);
          if (!before)
            before = fillValue.lookup(init);
          if (!before)
            before = memref::LoadOp::create(k, loc, init, rowIvs);
          Value v = combine(k, loc, combiners[r], before, total);
          rowValue[init] = v;
          storeRow(init, v);
        }
      }
    };
    if (cacheable) {
      Value fast = arith::ConstantIntOp::create(k, loc, 1, 1);
      for (auto [mi, m] : llvm::enumerate(members)) {
        if (m.kind == Kind::RowScalar)
          continue;
        int64_t V = laneInfo[mi].V;
        Value cap = cIdx(k, loc, cachedSteps(V, rb, blockSize) * rb * V);
        Value fits = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ule, inner[mi], cap);
        fast = arith::AndIOp::create(k, loc, fast, vectorOk(k, mi));
        fast = arith::AndIOp::create(k, loc, fast, fits);
      }
      scf::IfOp::create(
          k, loc, fast,
          [&](OpBuilder &nb, Location l) {
            emitMembers(nb, true);
            scf::YieldOp::create(nb, l);
          },
          [&](OpBuilder &nb, Location l) {
            emitMembers(nb, false);
            scf::YieldOp::create(nb, l);
          });
    } else {
      emitMembers(k, false);
    }
    gpu::TerminatorOp::create(k, loc);
    // Erase the statements, then the temporaries only they used.
    for (const Member &m : llvm::reverse(members))
      m.op.erase();
    for (auto [buffer, keep] : kept) {
      if (keep)
        continue;
      for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
        user->erase();
      buffer.getDefiningOp()->erase();
    }
  }

  //===--------------------------------------------------------------------===//
  // Matmuls
  //===--------------------------------------------------------------------===//

  /// Operand numbers of a and b in c[m, n] (+)= sum_k f(a[m, k], b[k, n]): a 2-D
  /// generic over (m, n, k) with one combinable output, any elementwise payload
  /// (bf16 operands extended to f32, ...) and uniform scalars.
  static std::optional<std::pair<unsigned, unsigned>> matchMatmul(linalg::GenericOp op) {
    if (!op.hasPureBufferSemantics() || op.getNumLoops() != 3 ||
        op.getNumReductionLoops() != 1 ||
        !linalg::isReductionIterator(op.getIteratorTypesArray()[2]) || !payloadOk(op) ||
        op.getNumDpsInits() != 1 || !getCombiner(op, 0))
      return std::nullopt;
    // Padded rows and columns compute on zeros (never stored): no integer
    // division may see them.
    bool division = false;
    op.getRegion().front().walk([&](Operation *o) {
      division |= isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
                      arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(o);
    });
    if (division)
      return std::nullopt;
    MLIRContext *ctx = op.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    auto mapOf = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(3, 0, e, ctx); };
    std::optional<unsigned> a, b;
    for (OpOperand *in : op.getDpsInputOperands()) {
      Type t = in->get().getType();
      if (!isa<ShapedType>(t))
        continue;
      if (!isContiguous(t) || elementBytes(t) == 0)
        return std::nullopt;
      AffineMap map = op.getMatchingIndexingMap(in);
      if (map == mapOf({m, k}) && !a)
        a = in->getOperandNumber();
      else if (map == mapOf({k, n}) && !b)
        b = in->getOperandNumber();
      else
        return std::nullopt;
    }
    OpOperand *c = op.getDpsInitOperand(0);
    if (!a || !b || !isContiguous(c->get().getType()) || elementBytes(c->get().getType()) == 0 ||
        op.getMatchingIndexingMap(c) != mapOf({m, n}))
      return std::nullopt;
    return std::make_pair(*a, *b);
  }

  /// One block per kMatmulTile x kMatmulTile tile of c, 256 threads of 4 x 4
  /// outputs each (rows ty + 16 i, columns tx + 16 j: conflict-free shared-memory
  /// reads, coalesced stores). k advances kMatmulStep at a time: the a and b
  /// tiles are staged in shared memory (each element loaded from global memory
  /// once per block instead of once per output), then every thread runs its 16
  /// payloads per k from registers. Partial sums start at the combiner's
  /// identity and are combined with c's old value at the end.
  static constexpr int64_t kMatmulTile = 64, kMatmulStep = 16, kMatmulPerThread = 4;

  void emitMatmul(linalg::GenericOp op, unsigned aIdx, unsigned bIdx) {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    OpBuilder b(op);
    Value A = op->getOperand(aIdx), B = op->getOperand(bIdx), C = op.getDpsInits()[0];
    SmallVector<Value> sizes = loopSizes(b, loc, op);
    Value M = sizes[0], N = sizes[1], K = sizes[2];
    const int64_t T = kMatmulTile, S = kMatmulStep, P = kMatmulPerThread;
    const int64_t lanes = T / P; // threads along m and along n
    Value tileC = cIdx(b, loc, T), one = cIdx(b, loc, 1);
    Value gridX = arith::CeilDivUIOp::create(b, loc, N, tileC);
    Value gridY = arith::CeilDivUIOp::create(b, loc, M, tileC);
    auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type aType = getElementTypeOrSelf(A.getType()), bType = getElementTypeOrSelf(B.getType());
    SmallVector<Type> smem{MemRefType::get({S, T}, aType, MemRefLayoutAttrInterface(), wg),
                           MemRefType::get({S, T}, bType, MemRefLayoutAttrInterface(), wg)};
    auto launch = gpu::LaunchOp::create(b, loc, gridX, gridY, one, cIdx(b, loc, lanes * lanes),
                                        one, one, nullptr, nullptr, {}, smem);
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    OpBuilder &k = kb;
    Value aTile = launch.getWorkgroupAttributions()[0];
    Value bTile = launch.getWorkgroupAttributions()[1];
    Value tid = launch.getThreadIds().x;
    Value tx = arith::RemUIOp::create(k, loc, tid, cIdx(k, loc, lanes));
    Value ty = arith::DivUIOp::create(k, loc, tid, cIdx(k, loc, lanes));
    Value m0 = arith::MulIOp::create(k, loc, launch.getBlockIds().y, tileC);
    Value n0 = arith::MulIOp::create(k, loc, launch.getBlockIds().x, tileC);
    auto add = [&](OpBuilder &b, Value x, Value y) {
      return arith::AddIOp::create(b, loc, x, y).getResult();
    };
    auto lt = [&](OpBuilder &b, Value x, Value y) {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y).getResult();
    };
    // Uniform operands (scalars) and the payload that depends only on them.
    SmallVector<Value> uniform(op->getNumOperands());
    for (OpOperand &o : op->getOpOperands())
      if (!isa<ShapedType>(o.get().getType()))
        uniform[o.getOperandNumber()] = o.get();
    Payload payload(op);
    payload.hoist(k, uniform);
    Combiner combiner = *getCombiner(op, 0);
    unsigned accIdx = op.getNumDpsInputs();
    // Staging: each thread copies T * S / threads elements of each tile
    // (zeros outside the matrices), k-major in shared memory.
    const int64_t perThread = T * S / (lanes * lanes);
    Value aRow = arith::DivUIOp::create(k, loc, tid, cIdx(k, loc, S / perThread));
    Value aCol = arith::MulIOp::create(
        k, loc, arith::RemUIOp::create(k, loc, tid, cIdx(k, loc, S / perThread)),
        cIdx(k, loc, perThread));
    Value bRow = arith::DivUIOp::create(k, loc, tid, cIdx(k, loc, T / perThread));
    Value bCol = arith::MulIOp::create(
        k, loc, arith::RemUIOp::create(k, loc, tid, cIdx(k, loc, T / perThread)),
        cIdx(k, loc, perThread));
    auto stage = [&](OpBuilder &b, Value src, Value r, Value c, Value rows, Value cols) {
      Type et = getElementTypeOrSelf(src.getType());
      Value valid = arith::AndIOp::create(b, loc, lt(b, r, rows), lt(b, c, cols));
      return ifElse(
          b, loc, valid, TypeRange{et},
          [&](OpBuilder &b) {
            return SmallVector<Value>{memref::LoadOp::create(b, loc, src, ValueRange{r, c})};
          },
          [&](OpBuilder &b) {
            return SmallVector<Value>{
                arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(et)))};
          })[0];
    };
    // One k step from shared memory: 16 payloads on 4 a and 4 b values.
    auto step = [&](OpBuilder &b, Value kk, SmallVector<Value> accs) {
      SmallVector<Value> as, bs;
      for (int64_t i = 0; i < P; ++i) {
        as.push_back(memref::LoadOp::create(
            b, loc, aTile, ValueRange{kk, add(b, ty, cIdx(b, loc, i * lanes))}));
        bs.push_back(memref::LoadOp::create(
            b, loc, bTile, ValueRange{kk, add(b, tx, cIdx(b, loc, i * lanes))}));
      }
      for (int64_t i = 0; i < P; ++i)
        for (int64_t j = 0; j < P; ++j) {
          SmallVector<Value> args(op->getNumOperands());
          args[aIdx] = as[i];
          args[bIdx] = bs[j];
          args[accIdx] = accs[i * P + j];
          accs[i * P + j] = payload.apply(b, args)[0];
        }
      return accs;
    };
    // The tile at k0 with `count` k values (a constant S: unrolled).
    auto tile = [&](OpBuilder &b, Value k0, Value count, bool full, ValueRange in) {
      for (int64_t e = 0; e < perThread; ++e) {
        Value ke = add(b, aCol, cIdx(b, loc, e));
        Value v = stage(b, A, add(b, m0, aRow), add(b, k0, ke), M, K);
        memref::StoreOp::create(b, loc, v, aTile, ValueRange{ke, aRow});
        Value ne = add(b, bCol, cIdx(b, loc, e));
        Value w = stage(b, B, add(b, k0, bRow), add(b, n0, ne), K, N);
        memref::StoreOp::create(b, loc, w, bTile, ValueRange{bRow, ne});
      }
      gpu::BarrierOp::create(b, loc);
      SmallVector<Value> accs(in);
      if (full) {
        for (int64_t kk = 0; kk < S; ++kk)
          accs = step(b, cIdx(b, loc, kk), accs);
      } else {
        accs = forLoop(b, loc, cIdx(b, loc, 0), count, cIdx(b, loc, 1), accs,
                       [&](OpBuilder &b, Value kk, ValueRange a) {
                         return step(b, kk, SmallVector<Value>(a));
                       });
      }
      // The next tile overwrites what this one read.
      gpu::BarrierOp::create(b, loc);
      return accs;
    };
    Value identity = arith::ConstantOp::create(k, loc, combiner.identity);
    SmallVector<Value> accs(P * P, identity);
    Value stepC = cIdx(k, loc, S);
    Value kFull = arith::MulIOp::create(k, loc, arith::DivUIOp::create(k, loc, K, stepC), stepC);
    accs = forLoop(k, loc, cIdx(k, loc, 0), kFull, stepC, accs,
                   [&](OpBuilder &b, Value k0, ValueRange a) {
                     return tile(b, k0, stepC, true, a);
                   });
    SmallVector<Type> accTypes(P * P, identity.getType());
    accs = ifElse(
        k, loc, lt(k, kFull, K), accTypes,
        [&](OpBuilder &b) {
          return tile(b, kFull, arith::SubIOp::create(b, loc, K, kFull), false, accs);
        },
        [&](OpBuilder &) { return accs; });
    for (int64_t i = 0; i < P; ++i)
      for (int64_t j = 0; j < P; ++j) {
        Value m = add(k, m0, add(k, ty, cIdx(k, loc, i * lanes)));
        Value n = add(k, n0, add(k, tx, cIdx(k, loc, j * lanes)));
        Value inside = arith::AndIOp::create(k, loc, lt(k, m, M), lt(k, n, N));
        Value acc = accs[i * P + j];
        scf::IfOp::create(k, loc, inside, [&](OpBuilder &nb, Location l) {
          Value old = memref::LoadOp::create(nb, l, C, ValueRange{m, n});
          memref::StoreOp::create(nb, l, combine(nb, l, combiner, old, acc), C, ValueRange{m, n});
          scf::YieldOp::create(nb, l);
        });
      }
    gpu::TerminatorOp::create(k, loc);
    // Multiply-adds contract to FMA, as in the CPU micro-kernel (vector.contract
    // -> FMA outer products): one rounding per step instead of two.
    auto contract = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
    launch.walk([&](arith::ArithFastMathInterface o) {
      o->setAttr(o.getFastMathAttrName(), contract);
    });
    op.erase();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockSize % 32 != 0 || blockSize <= 0) {
      module.emitError("vibee-gpu-map-kernels: block-size must be a positive multiple of 32");
      return signalPassFailure();
    }
    for (func::FuncOp fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (fn.isExternal())
        continue;
      processRowGroups(fn);
      SmallVector<std::tuple<linalg::GenericOp, unsigned, unsigned>> matmuls;
      fn.walk([&](linalg::GenericOp op) {
        if (op->getParentOfType<gpu::LaunchOp>())
          return;
        if (auto ab = matchMatmul(op))
          matmuls.push_back({op, ab->first, ab->second});
      });
      for (auto [op, a, b] : matmuls)
        emitMatmul(op, a, b);
      // Named elementwise ops (fills, copies) as generics, then flat kernels.
      SmallVector<linalg::LinalgOp> named;
      fn.walk([&](linalg::LinalgOp op) {
        if (isa<linalg::FillOp, linalg::CopyOp>(op) && op.hasPureBufferSemantics() &&
            !op->getParentOfType<gpu::LaunchOp>())
          named.push_back(op);
      });
      IRRewriter rewriter(&getContext());
      for (linalg::LinalgOp op : named) {
        rewriter.setInsertionPoint(op);
        (void)linalg::generalizeNamedOp(rewriter, op);
      }
      SmallVector<linalg::GenericOp> flat;
      fn.walk([&](linalg::GenericOp op) {
        if (!op->getParentOfType<gpu::LaunchOp>() && isFlatElementwise(op))
          flat.push_back(op);
      });
      for (linalg::GenericOp op : flat)
        emitFlat(module, op);
    }
  }
};

} // namespace
