//===- GpuRowGroupKernels.cpp - Row groups as one-block-per-row kernels ---===//
//
// A row group (RowGroupAnalysis.h: softmax's max, exp-sum and output;
// RMSNorm's sum of squares, inverse RMS and output) becomes one kernel, one
// block per row:
//
// * plan: threads per row, the host sizes, the launch (one shared-memory slot
//   array per reduction result) and the row indices from the block id;
// * loads: when every statement takes the vector path and a thread's share of
//   the row is at most kCachedElements, each operand row is loaded once, in
//   unrolled predicated 16-byte steps, and kept in registers for the later
//   statements (softmax: one read of the row instead of three); operands no
//   statement writes that only later statements read (RMSNorm's w) are loaded
//   up front with the first statement's, before the first reduction's barrier;
//   otherwise every statement is a block-strided pass over the row (vectorized
//   when the row is aligned) that re-reads it;
// * members: each statement in turn; a reduction ends in warp shuffles and one
//   shared-memory exchange that leave its result in every thread's registers,
//   where later statements read it;
// * erase: the statements, then the per-row temporaries only they used.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <map>
#include <tuple>

using namespace mlir;

namespace vibee {
namespace {

/// The row length kept in registers is kCachedElements * block-size (4096 at
/// 256 threads) for every element type.
constexpr int64_t kCachedElements = 16;
/// Groups kept in registers with two or more reductions (softmax): 16-byte
/// steps per thread and operand of the widest-V statement. Narrow types use
/// fewer threads per row instead of fewer steps (bf16 softmax: 128 threads x 4
/// steps, f32: 256 x 4): fewer threads per row make the block reductions
/// (warps, barrier, shared-memory combine) cheaper. One reduction (RMSNorm)
/// keeps block-size threads, measured faster (docs/gpu.md).
constexpr int64_t kCachedSteps = 4;

using Kind = RowStatementKind;

/// One statement being built: its payload and where its row ends.
struct StatementBuild {
  const RowStatement &statement;
  const RowStatementLanes &lanes;
  PayloadCloner payload;
  Value rowLength;                          ///< the statement's inner trip count
  SmallVector<ReductionCombiner> combiners; ///< Reduce: one per output
  SmallVector<Value> accInit;               ///< Reduce: the identities

  linalg::GenericOp op() const { return statement.op; }
  Kind kind() const { return statement.kind; }
};

/// What one version of the kernel (rows in registers, or strided passes) knows
/// while it builds the statements in order.
struct RowPassState {
  bool cached = false;
  llvm::DenseMap<Value, Value> rowValue; ///< per-row buffer -> this row's value
  llvm::DenseSet<Value> writtenFull, readFull;
  unsigned slotIndex = 0;
  /// (memref, indexing map, V, step) -> the step's elements, in registers.
  std::map<std::tuple<const void *, const void *, int64_t, int64_t>, SmallVector<Value>> steps;
};

class RowGroupKernelBuilder {
public:
  RowGroupKernelBuilder(const RowGroup &group, const RowGroupInfo &info,
                        const GpuKernelOptions &options)
      : group(group), info(info), blockSize(options.blockSize),
        loc(group.statements.front().op->getLoc()) {}

  void build(RewriterBase &rewriter);

private:
  ArrayRef<RowStatement> statements() const { return group.statements; }

  // Plan.
  int64_t planThreadsPerRow() const;
  int64_t cachedSteps(int64_t V) const {
    return std::max<int64_t>(1, kCachedElements * blockSize / (threadsPerRow * V));
  }
  void buildHostSizes(OpBuilder &b);
  gpu::LaunchOp buildLaunch(OpBuilder &b);
  void buildRowIndices(OpBuilder &k);
  Value buildVectorPathOk(OpBuilder &b, size_t index);
  Value buildRowFitsInRegisters(OpBuilder &k);

  // Loads.
  SmallVector<Value> loadStep(OpBuilder &k, RowPassState &state, linalg::GenericOp op, OpOperand &o,
                              int64_t V, int64_t j, Value rowLength);
  void loadUpFront(OpBuilder &k, RowPassState &state);
  SmallVector<Value> indicesAt(linalg::GenericOp op, OpOperand &o, Value c) const;

  // Members.
  void buildStatements(OpBuilder &k, bool cached);
  void buildStatement(OpBuilder &k, RowPassState &state, size_t index);
  void buildBarrierIfNeeded(OpBuilder &k, const RowPassState &state, const RowStatement &s);
  SmallVector<Value> buildUniformValues(OpBuilder &k, const RowPassState &state,
                                        const RowStatement &s);
  SmallVector<Value> computeLanes(OpBuilder &b, StatementBuild &sb,
                                  ArrayRef<SmallVector<Value>> lanes, int64_t width,
                                  ValueRange accs, SmallVector<SmallVector<Value>> &results);
  SmallVector<Value> buildChunk(OpBuilder &b, StatementBuild &sb, Value c, int64_t width,
                                bool vector, ValueRange accs);
  SmallVector<Value> buildScalarPass(OpBuilder &b, StatementBuild &sb, ValueRange accs);
  SmallVector<Value> buildCachedSteps(OpBuilder &k, RowPassState &state, StatementBuild &sb);
  SmallVector<Value> buildStridedPasses(OpBuilder &k, StatementBuild &sb, size_t index);
  void finishReductions(OpBuilder &k, RowPassState &state, StatementBuild &sb,
                        ArrayRef<Value> accs);
  void storeRowValue(OpBuilder &k, Value buffer, Value v);

  // Erase.
  void eraseGroup(RewriterBase &rewriter);

  const RowGroup &group;
  const RowGroupInfo &info;
  int64_t blockSize;
  Location loc;
  int64_t threadsPerRow = 0;
  SmallVector<Value> rowSizes, innerSizes; ///< host values
  Value rows, threads;
  gpu::LaunchOp launch;
  Value tid, isFirstThread;
  SmallVector<Value> rowIvs;
};

//===----------------------------------------------------------------------===//
// Plan
//===----------------------------------------------------------------------===//

/// With two or more reductions kept in registers, kCachedSteps steps of the
/// widest-V statement cover the cached row length (bf16: 128, f32: 256 at
/// block-size 256); otherwise block-size.
int64_t RowGroupKernelBuilder::planThreadsPerRow() const {
  auto isReduce = [](const RowStatement &s) { return s.kind == Kind::Reduce; };
  if (!info.cacheable || llvm::count_if(statements(), isReduce) < 2)
    return blockSize;
  int64_t maxV = 1;
  for (auto [i, s] : llvm::enumerate(statements()))
    if (s.kind != Kind::RowScalar)
      maxV = std::max(maxV, info.lanes[i].vectorWidth);
  int64_t rb = kCachedElements * blockSize / (kCachedSteps * maxV);
  return std::min<int64_t>(blockSize, std::max<int64_t>(32, rb / 32 * 32));
}

/// Host: the sizes of the row dims, their product, each statement's inner
/// trip count.
void RowGroupKernelBuilder::buildHostSizes(OpBuilder &b) {
  SmallVector<Value> firstSizes = buildLoopSizes(b, loc, statements().front().op);
  rowSizes.assign(firstSizes.begin(), firstSizes.end() - 1);
  rows = buildProduct(b, loc, rowSizes);
  for (RowStatement s : statements())
    innerSizes.push_back(s.kind == Kind::RowScalar ? Value() : buildLoopSizes(b, loc, s.op).back());
}

/// `if (rows > 0) gpu.launch` with one block of threadsPerRow per row and one
/// shared-memory slot array per reduction result; `b` ends inside the `if`.
gpu::LaunchOp RowGroupKernelBuilder::buildLaunch(OpBuilder &b) {
  MLIRContext *ctx = b.getContext();
  Value one = constantIndex(b, loc, 1);
  threads = constantIndex(b, loc, threadsPerRow);
  Value any =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, rows, constantIndex(b, loc, 0));
  auto guard = scf::IfOp::create(b, loc, any, /*withElse=*/false);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  SmallVector<Type> slotTypes;
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  for (RowStatement s : statements())
    if (s.kind == Kind::Reduce)
      for (Value init : s.op.getDpsInits())
        slotTypes.push_back(MemRefType::get({std::max<int64_t>(1, threadsPerRow / 32)},
                                            cast<MemRefType>(init.getType()).getElementType(),
                                            MemRefLayoutAttrInterface(), workgroup));
  return gpu::LaunchOp::create(b, loc, rows, one, one, threads, one, one, nullptr, nullptr, {},
                               slotTypes);
}

/// Row indices from the block id (row-major over the row dims).
void RowGroupKernelBuilder::buildRowIndices(OpBuilder &k) {
  tid = launch.getThreadIds().x;
  Value rest = launch.getBlockIds().x;
  rowIvs.assign(rowSizes.size(), Value());
  for (int64_t d = rowSizes.size() - 1; d >= 0; --d) {
    if (d == 0) {
      rowIvs[d] = rest;
      break;
    }
    rowIvs[d] = arith::RemUIOp::create(k, loc, rest, rowSizes[d]);
    rest = arith::DivUIOp::create(k, loc, rest, rowSizes[d]);
  }
  isFirstThread =
      arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq, tid, constantIndex(k, loc, 0));
}

/// The vector path of one statement: C % V == 0, every varying operand's base
/// 16-byte aligned and its rows a multiple of V long.
Value RowGroupKernelBuilder::buildVectorPathOk(OpBuilder &b, size_t index) {
  const RowStatementLanes &lanes = info.lanes[index];
  Value ok = buildAllAligned(b, loc, lanes.alignedMemRefs);
  ok = arith::AndIOp::create(b, loc, ok,
                             buildIsMultipleOf(b, loc, innerSizes[index], lanes.vectorWidth));
  for (Value memref : lanes.alignedMemRefs) {
    auto memrefType = cast<MemRefType>(memref.getType());
    Value lastDim = memref::DimOp::create(b, loc, memref, memrefType.getRank() - 1);
    ok = arith::AndIOp::create(b, loc, ok, buildIsMultipleOf(b, loc, lastDim, lanes.vectorWidth));
  }
  return ok;
}

/// Every statement takes the vector path and its row fits in cachedSteps(V)
/// steps of the block.
Value RowGroupKernelBuilder::buildRowFitsInRegisters(OpBuilder &k) {
  Value fits = arith::ConstantIntOp::create(k, loc, 1, 1);
  for (auto [i, s] : llvm::enumerate(statements())) {
    if (s.kind == Kind::RowScalar)
      continue;
    int64_t V = info.lanes[i].vectorWidth;
    Value cap = constantIndex(k, loc, cachedSteps(V) * threadsPerRow * V);
    Value within = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ule, innerSizes[i], cap);
    fits = arith::AndIOp::create(k, loc, fits, buildVectorPathOk(k, i));
    fits = arith::AndIOp::create(k, loc, fits, within);
  }
  return fits;
}

void RowGroupKernelBuilder::build(RewriterBase &rewriter) {
  OpBuilder &b = rewriter;
  b.setInsertionPoint(statements().back().op);
  threadsPerRow = planThreadsPerRow();
  buildHostSizes(b);
  launch = buildLaunch(b);
  OpBuilder k = OpBuilder::atBlockBegin(&launch.getBody().front());
  buildRowIndices(k);
  if (info.cacheable) {
    scf::IfOp::create(
        k, loc, buildRowFitsInRegisters(k),
        [&](OpBuilder &nb, Location l) {
          buildStatements(nb, /*cached=*/true);
          scf::YieldOp::create(nb, l);
        },
        [&](OpBuilder &nb, Location l) {
          buildStatements(nb, /*cached=*/false);
          scf::YieldOp::create(nb, l);
        });
  } else {
    buildStatements(k, /*cached=*/false);
  }
  gpu::TerminatorOp::create(k, loc);
  eraseGroup(rewriter);
}

//===----------------------------------------------------------------------===//
// Loads
//===----------------------------------------------------------------------===//

SmallVector<Value> RowGroupKernelBuilder::indicesAt(linalg::GenericOp op, OpOperand &o,
                                                    Value c) const {
  unsigned inner = op.getNumLoops() - 1;
  SmallVector<Value> idx;
  for (AffineExpr e : op.getMatchingIndexingMap(&o).getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    idx.push_back(d == inner ? c : rowIvs[d]);
  }
  return idx;
}

/// Step j of operand `o` of `op` (elements [tid*V + j*threads*V, +V) of its
/// row), loaded once per kernel version, zeros past the row end.
SmallVector<Value> RowGroupKernelBuilder::loadStep(OpBuilder &k, RowPassState &state,
                                                   linalg::GenericOp op, OpOperand &o, int64_t V,
                                                   int64_t j, Value rowLength) {
  AffineMap map = op.getMatchingIndexingMap(&o);
  auto key = std::make_tuple(o.get().getAsOpaquePointer(), map.getAsOpaquePointer(), V, j);
  if (auto it = state.steps.find(key); it != state.steps.end())
    return it->second;
  Value c =
      arith::AddIOp::create(k, loc, arith::MulIOp::create(k, loc, tid, constantIndex(k, loc, V)),
                            constantIndex(k, loc, j * threadsPerRow * V));
  Value valid = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, c, rowLength);
  SmallVector<Value> idx = indicesAt(op, o, c);
  Type elementType = getElementTypeOrSelf(o.get().getType());
  SmallVector<Value> lanes = buildIfElse(
      k, loc, valid, [&](OpBuilder &b) { return buildLoadLanes(b, loc, o.get(), idx, V, true); },
      [&](OpBuilder &b) {
        Value zero = arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(elementType)));
        return SmallVector<Value>(V, zero);
      });
  state.steps[key] = lanes;
  return lanes;
}

/// The operands RowGroupInfo::preloads names, every step, before the first
/// statement.
void RowGroupKernelBuilder::loadUpFront(OpBuilder &k, RowPassState &state) {
  for (auto [i, o] : info.preloads) {
    int64_t V = info.lanes[i].vectorWidth;
    for (int64_t j = 0; j < cachedSteps(V); ++j)
      loadStep(k, state, statements()[i].op, *o, V, j, innerSizes[i]);
  }
}

//===----------------------------------------------------------------------===//
// Members
//===----------------------------------------------------------------------===//

void RowGroupKernelBuilder::buildStatements(OpBuilder &k, bool cached) {
  RowPassState state;
  state.cached = cached;
  if (cached)
    loadUpFront(k, state);
  for (size_t i = 0; i < statements().size(); ++i)
    buildStatement(k, state, i);
}

/// A statement that reads what an earlier statement wrote to memory, or writes
/// what an earlier one read (other threads may still read it), waits.
void RowGroupKernelBuilder::buildBarrierIfNeeded(OpBuilder &k, const RowPassState &state,
                                                 const RowStatement &s) {
  linalg::GenericOp op = s.op;
  Block &body = op.getRegion().front();
  bool needBarrier = false;
  for (OpOperand &o : op->getOpOperands()) {
    if (state.writtenFull.contains(o.get()) &&
        (!op.isDpsInit(&o) || !body.getArgument(o.getOperandNumber()).use_empty()))
      needBarrier = true;
    if (s.kind == Kind::Elementwise && op.isDpsInit(&o) && state.readFull.contains(o.get()))
      needBarrier = true;
  }
  if (needBarrier)
    gpu::BarrierOp::create(k, loc);
}

/// The block arguments that do not vary along the row: scalars, per-row
/// values (from registers when the group computed them, else from memory).
SmallVector<Value> RowGroupKernelBuilder::buildUniformValues(OpBuilder &k,
                                                             const RowPassState &state,
                                                             const RowStatement &s) {
  linalg::GenericOp op = s.op;
  Block &body = op.getRegion().front();
  SmallVector<Value> uniform(op->getNumOperands());
  for (OpOperand &o : op->getOpOperands()) {
    unsigned i = o.getOperandNumber();
    Value v = o.get();
    if (!isa<ShapedType>(v.getType())) {
      uniform[i] = v;
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(&o);
    if (s.kind != Kind::RowScalar && map.isFunctionOfDim(op.getNumLoops() - 1))
      continue; // a lane
    if (op.isDpsInit(&o) && s.kind == Kind::Reduce)
      continue; // the accumulator
    if (body.getArgument(i).use_empty())
      continue;
    if (Value rowValue = state.rowValue.lookup(v)) {
      uniform[i] = rowValue;
      continue;
    }
    SmallVector<Value> idx;
    for (AffineExpr e : map.getResults())
      idx.push_back(rowIvs[cast<AffineDimExpr>(e).getPosition()]);
    uniform[i] = memref::LoadOp::create(k, loc, v, idx);
  }
  return uniform;
}

void RowGroupKernelBuilder::buildStatement(OpBuilder &k, RowPassState &state, size_t index) {
  const RowStatement &s = statements()[index];
  linalg::GenericOp op = s.op;
  buildBarrierIfNeeded(k, state, s);
  SmallVector<Value> uniform = buildUniformValues(k, state, s);
  StatementBuild sb{s, info.lanes[index], PayloadCloner(op), innerSizes[index], {}, {}};
  sb.payload.hoist(k, uniform);
  if (s.kind == Kind::RowScalar) {
    SmallVector<Value> ys = sb.payload.apply(k, {});
    for (auto [r, init] : llvm::enumerate(op.getDpsInits())) {
      state.rowValue[init] = ys[r];
      storeRowValue(k, init, ys[r]);
    }
    return;
  }
  if (s.kind == Kind::Reduce)
    for (unsigned r = 0; r < op.getNumDpsInits(); ++r) {
      sb.combiners.push_back(*matchReductionCombiner(op, r));
      sb.accInit.push_back(arith::ConstantOp::create(k, loc, sb.combiners.back().identity));
    }
  SmallVector<Value> accs =
      state.cached ? buildCachedSteps(k, state, sb) : buildStridedPasses(k, sb, index);
  for (OpOperand *in : op.getDpsInputOperands())
    if (sb.lanes.isLane[in->getOperandNumber()])
      state.readFull.insert(in->get());
  if (s.kind == Kind::Elementwise) {
    for (Value init : op.getDpsInits())
      state.writtenFull.insert(init);
    return;
  }
  finishReductions(k, state, sb, accs);
}

/// The payload over the lanes of one step: the new accumulators (Reduce) or,
/// in `results`, the values to store per output (Elementwise).
SmallVector<Value> RowGroupKernelBuilder::computeLanes(OpBuilder &b, StatementBuild &sb,
                                                       ArrayRef<SmallVector<Value>> lanes,
                                                       int64_t width, ValueRange accs,
                                                       SmallVector<SmallVector<Value>> &results) {
  linalg::GenericOp op = sb.op();
  unsigned numInputs = op.getNumDpsInputs();
  SmallVector<Value> acc(accs);
  results.assign(op.getNumDpsInits(), {});
  for (int64_t l = 0; l < width; ++l) {
    SmallVector<Value> args(op->getNumOperands());
    for (size_t i = 0; i < args.size(); ++i)
      if (!lanes[i].empty())
        args[i] = lanes[i][l];
    if (sb.kind() == Kind::Reduce)
      for (unsigned r = 0; r < acc.size(); ++r)
        args[numInputs + r] = acc[r];
    SmallVector<Value> ys = sb.payload.apply(b, args);
    if (sb.kind() == Kind::Reduce)
      acc = ys;
    else
      for (auto [r, y] : llvm::enumerate(ys))
        results[r].push_back(y);
  }
  return acc;
}

/// Elements [c, c + width) of the row, loaded from memory; returns the new
/// accumulators.
SmallVector<Value> RowGroupKernelBuilder::buildChunk(OpBuilder &b, StatementBuild &sb, Value c,
                                                     int64_t width, bool vector, ValueRange accs) {
  linalg::GenericOp op = sb.op();
  SmallVector<SmallVector<Value>> lanes(op->getNumOperands());
  for (OpOperand &o : op->getOpOperands())
    if (sb.lanes.isLane[o.getOperandNumber()])
      lanes[o.getOperandNumber()] =
          buildLoadLanes(b, loc, o.get(), indicesAt(op, o, c), width, vector);
  SmallVector<SmallVector<Value>> results;
  SmallVector<Value> acc = computeLanes(b, sb, lanes, width, accs, results);
  if (sb.kind() == Kind::Elementwise)
    for (OpOperand &o : op.getDpsInitsMutable())
      buildStoreLanes(b, loc, o.get(), indicesAt(op, o, c),
                      results[o.getOperandNumber() - op.getNumDpsInputs()], vector);
  return acc;
}

SmallVector<Value> RowGroupKernelBuilder::buildScalarPass(OpBuilder &b, StatementBuild &sb,
                                                          ValueRange accs) {
  return buildForLoop(
      b, loc, tid, sb.rowLength, threads, accs,
      [&](OpBuilder &b, Value c, ValueRange a) { return buildChunk(b, sb, c, 1, false, a); });
}

/// The row in registers: step j covers elements [tid*V + j*threads*V, +V),
/// when inside the row; loads shared with earlier statements.
SmallVector<Value> RowGroupKernelBuilder::buildCachedSteps(OpBuilder &k, RowPassState &state,
                                                           StatementBuild &sb) {
  linalg::GenericOp op = sb.op();
  unsigned numInputs = op.getNumDpsInputs();
  int64_t V = sb.lanes.vectorWidth;
  Value start = arith::MulIOp::create(k, loc, tid, constantIndex(k, loc, V));
  SmallVector<Value> accs(sb.accInit);
  for (int64_t j = 0; j < cachedSteps(V); ++j) {
    Value c = arith::AddIOp::create(k, loc, start, constantIndex(k, loc, j * threadsPerRow * V));
    Value valid = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, c, sb.rowLength);
    SmallVector<SmallVector<Value>> lanes(op->getNumOperands());
    for (OpOperand &o : op->getOpOperands())
      if (sb.lanes.isLane[o.getOperandNumber()])
        lanes[o.getOperandNumber()] = loadStep(k, state, op, o, V, j, sb.rowLength);
    SmallVector<SmallVector<Value>> results;
    SmallVector<Value> acc = computeLanes(k, sb, lanes, V, accs, results);
    if (sb.kind() == Kind::Reduce) {
      for (auto [r, a] : llvm::enumerate(acc))
        accs[r] = arith::SelectOp::create(k, loc, valid, a, accs[r]);
      continue;
    }
    scf::IfOp::create(k, loc, valid, [&](OpBuilder &nb, Location l) {
      for (OpOperand &o : op.getDpsInitsMutable())
        buildStoreLanes(nb, l, o.get(), indicesAt(op, o, c),
                        results[o.getOperandNumber() - numInputs], true);
      scf::YieldOp::create(nb, l);
    });
  }
  // What this statement wrote is no longer what the registers hold.
  if (sb.kind() == Kind::Elementwise)
    for (Value init : op.getDpsInits())
      for (auto it = state.steps.begin(); it != state.steps.end();)
        it = std::get<0>(it->first) == init.getAsOpaquePointer() ? state.steps.erase(it)
                                                                 : std::next(it);
  return accs;
}

/// Block-strided passes over the row: V elements a step when the row is
/// aligned, else one.
SmallVector<Value> RowGroupKernelBuilder::buildStridedPasses(OpBuilder &k, StatementBuild &sb,
                                                             size_t index) {
  int64_t V = sb.lanes.vectorWidth;
  if (V == 1)
    return buildScalarPass(k, sb, sb.accInit);
  Value vIdx = constantIndex(k, loc, V);
  return buildIfElse(
      k, loc, buildVectorPathOk(k, index),
      [&](OpBuilder &b) {
        Value start = arith::MulIOp::create(b, loc, tid, vIdx);
        Value step = arith::MulIOp::create(b, loc, threads, vIdx);
        return buildForLoop(
            b, loc, start, sb.rowLength, step, sb.accInit,
            [&](OpBuilder &b, Value c, ValueRange a) { return buildChunk(b, sb, c, V, true, a); });
      },
      [&](OpBuilder &b) { return buildScalarPass(b, sb, sb.accInit); });
}

/// Each accumulator reduced over the block and combined with the buffer's
/// value before the statement: an earlier statement's, the fill's, or memory.
void RowGroupKernelBuilder::finishReductions(OpBuilder &k, RowPassState &state, StatementBuild &sb,
                                             ArrayRef<Value> accs) {
  for (auto [r, init] : llvm::enumerate(sb.op().getDpsInits())) {
    Value total =
        buildBlockReduce(k, loc, sb.combiners[r], accs[r],
                         launch.getWorkgroupAttributions()[state.slotIndex++], tid, threadsPerRow);
    Value before = state.rowValue.lookup(init);
    if (!before)
      before = info.fillValues.lookup(init);
    if (!before)
      before = memref::LoadOp::create(k, loc, init, rowIvs);
    Value v = buildCombine(k, loc, sb.combiners[r], before, total);
    state.rowValue[init] = v;
    storeRowValue(k, init, v);
  }
}

/// Thread 0 stores a per-row result that outlives the kernel.
void RowGroupKernelBuilder::storeRowValue(OpBuilder &k, Value buffer, Value v) {
  if (!info.rowBuffers.lookup(buffer))
    return;
  scf::IfOp::create(k, loc, isFirstThread, [&](OpBuilder &nb, Location l) {
    memref::StoreOp::create(nb, l, v, buffer, rowIvs);
    scf::YieldOp::create(nb, l);
  });
}

//===----------------------------------------------------------------------===//
// Erase
//===----------------------------------------------------------------------===//

/// The statements, then the temporaries only they used (with their fills and
/// deallocs).
void RowGroupKernelBuilder::eraseGroup(RewriterBase &rewriter) {
  for (const RowStatement &s : llvm::reverse(statements()))
    rewriter.eraseOp(s.op);
  for (auto [buffer, mustStore] : info.rowBuffers) {
    if (mustStore)
      continue;
    for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
      rewriter.eraseOp(user);
    rewriter.eraseOp(buffer.getDefiningOp());
  }
}

struct RowGroupKernelPattern : OpRewritePattern<linalg::GenericOp> {
  RowGroupKernelPattern(MLIRContext *ctx, const GpuKernelOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    // Groups are statements of a function body, in order.
    if (!isa<func::FuncOp>(op->getParentOp()))
      return failure();
    std::optional<RowGroup> group = matchRowGroup(op);
    if (!group)
      return failure();
    RowGroupInfo info = analyzeRowGroup(*group, kVectorBytes);
    RowGroupKernelBuilder(*group, info, options).build(rewriter);
    return success();
  }

  GpuKernelOptions options;
};

} // namespace

void populateGpuRowGroupKernelPatterns(RewritePatternSet &patterns,
                                       const GpuKernelOptions &options) {
  patterns.add<RowGroupKernelPattern>(patterns.getContext(), options);
}

} // namespace vibee
