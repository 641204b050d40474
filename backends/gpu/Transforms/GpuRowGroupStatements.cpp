//===- GpuRowGroupStatements.cpp - Loads and statements of a row-group kernel ===//
//
// The statements of a row group in order, in one of the kernel's two versions:
// the row in registers (every operand row loaded once, in predicated 16-byte
// steps shared by the statements) or block-strided passes that re-read it.
// A reduction ends in a block reduction whose result every thread keeps in a
// register for the later statements.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuRowGroupKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace vibee {

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
  for (size_t i = 0; i < statements().size(); ++i) {
    // Passes over the row: a max and the exp-sum after it in one.
    if (!cached && isOnlineMaxSum(i)) {
      buildOnlineMaxSum(k, state, i++);
      continue;
    }
    buildStatement(k, state, i);
  }
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
    buildRowBarrier(k);
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
  RowStatementBuild sb{s, info.lanes[index], PayloadCloner(op), innerSizes[index], {}, {}};
  sb.payload.hoist(k, uniform);
  if (s.kind == Kind::RowScalar) {
    // (A payload's linalg.index reads the row's indices; its loads, of buffers
    // the group does not write, are cloned as they are.)
    SmallVector<Value> ys = sb.payload.apply(k, {}, rowIvs);
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

/// The payload over the lanes of one step, columns [c, c + width): the new
/// accumulators (Reduce) or, in `results`, the values to store per output
/// (Elementwise).
SmallVector<Value> RowGroupKernelBuilder::computeLanes(OpBuilder &b, RowStatementBuild &sb,
                                                       Value c, ArrayRef<SmallVector<Value>> lanes,
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
    // A payload that reads its indices (Elementwise members): the row's, then
    // the lane's column.
    SmallVector<Value> indices;
    if (op.hasIndexSemantics()) {
      indices.assign(rowIvs.begin(), rowIvs.end());
      indices.push_back(l ? arith::AddIOp::create(b, loc, c, constantIndex(b, loc, l)).getResult()
                          : c);
    }
    SmallVector<Value> ys = sb.payload.apply(b, args, indices);
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
SmallVector<Value> RowGroupKernelBuilder::buildChunk(OpBuilder &b, RowStatementBuild &sb, Value c,
                                                     int64_t width, bool vector, ValueRange accs) {
  linalg::GenericOp op = sb.op();
  SmallVector<SmallVector<Value>> lanes(op->getNumOperands());
  for (OpOperand &o : op->getOpOperands())
    if (sb.lanes.isLane[o.getOperandNumber()])
      lanes[o.getOperandNumber()] =
          buildLoadLanes(b, loc, o.get(), indicesAt(op, o, c), width, vector);
  SmallVector<SmallVector<Value>> results;
  SmallVector<Value> acc = computeLanes(b, sb, c, lanes, width, accs, results);
  if (sb.kind() == Kind::Elementwise)
    for (OpOperand &o : op.getDpsInitsMutable())
      buildStoreLanes(b, loc, o.get(), indicesAt(op, o, c),
                      results[o.getOperandNumber() - op.getNumDpsInputs()], vector);
  return acc;
}

SmallVector<Value> RowGroupKernelBuilder::buildScalarPass(OpBuilder &b, RowStatementBuild &sb,
                                                          ValueRange accs) {
  return buildForLoop(
      b, loc, tid, sb.rowLength, threads, accs,
      [&](OpBuilder &b, Value c, ValueRange a) { return buildChunk(b, sb, c, 1, false, a); });
}

/// The row in registers: step j covers elements [tid*V + j*threads*V, +V),
/// when inside the row; loads shared with earlier statements.
SmallVector<Value> RowGroupKernelBuilder::buildCachedSteps(OpBuilder &k, RowPassState &state,
                                                           RowStatementBuild &sb) {
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
    SmallVector<Value> acc = computeLanes(k, sb, c, lanes, V, accs, results);
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
SmallVector<Value> RowGroupKernelBuilder::buildStridedPasses(OpBuilder &k, RowStatementBuild &sb,
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
void RowGroupKernelBuilder::finishReductions(OpBuilder &k, RowPassState &state,
                                             RowStatementBuild &sb, ArrayRef<Value> accs) {
  for (auto [r, init] : llvm::enumerate(sb.op().getDpsInits())) {
    Value total =
        buildBlockReduce(k, loc, sb.combiners[r], accs[r],
                         launch.getWorkgroupAttributions()[state.slotIndex++], tid, threadsPerRow);
    Value v = buildCombine(k, loc, sb.combiners[r], valueBefore(k, state, init), total);
    state.rowValue[init] = v;
    storeRowValue(k, init, v);
  }
}

Value RowGroupKernelBuilder::valueBefore(OpBuilder &k, const RowPassState &state, Value buffer) {
  if (Value v = state.rowValue.lookup(buffer))
    return v;
  if (Value v = info.fillValues.lookup(buffer))
    return v;
  return memref::LoadOp::create(k, loc, buffer, rowIvs);
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

} // namespace vibee
