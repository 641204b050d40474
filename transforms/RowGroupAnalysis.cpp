//===- RowGroupAnalysis.cpp - Row reductions and the statements they feed -===//
#include "transforms/RowGroupAnalysis.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace vibee {

//===----------------------------------------------------------------------===//
// Operand and payload checks
//===----------------------------------------------------------------------===//

bool isContiguousMemRef(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity() && !memref.getMemorySpace();
}

int64_t elementBytes(Type type) {
  Type element = getElementTypeOrSelf(type);
  // Sub-byte types (bool, stored one per byte) count as unknown: a vector of
  // them is stored as packed bits, which would write one byte for eight values.
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return 0;
  return element.getIntOrFloatBitWidth() / 8;
}

std::optional<SmallVector<OpOperand *>> contiguousMemRefInputs(linalg::GenericOp op) {
  SmallVector<OpOperand *> inputs;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Type t = in->get().getType();
    if (!isa<ShapedType>(t))
      continue;
    if (!isContiguousMemRef(t) || elementBytes(t) == 0)
      return std::nullopt;
    inputs.push_back(in);
  }
  return inputs;
}

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

bool hasClonablePayload(linalg::GenericOp op, bool allowIndex) {
  if (op.hasIndexSemantics() && !allowIndex)
    return false;
  for (Operation &o : op.getRegion().front().without_terminator())
    if (o.getNumRegions() || !isMemoryEffectFree(&o))
      return false;
  return true;
}

bool hasIntegerDivision(linalg::GenericOp op) {
  bool division = false;
  op.getRegion().front().walk([&](Operation *o) {
    division |= isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
                    arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(o);
  });
  return division;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

std::optional<ReductionCombiner> matchReductionCombiner(linalg::GenericOp op, unsigned initIndex) {
  SmallVector<BlockArgument> accumulators(op.getRegionOutputArgs());
  SmallVector<Operation *> combinerOps;
  if (!matchReduction(accumulators, initIndex, combinerOps) || combinerOps.size() != 1)
    return std::nullopt;
  Operation *combiner = combinerOps.front();
  Type t = accumulators[initIndex].getType();
  if (!(t.isF32() || t.isF64() || t.isInteger(32) || t.isInteger(64)))
    return std::nullopt;
  std::optional<TypedAttr> identity = arith::getNeutralElement(combiner);
  if (!identity)
    return std::nullopt;
  Builder b(op.getContext());
  // Upstream gives +0.0, neutral only without signed zeros (+0.0 + -0.0 is
  // +0.0); -0.0 is exact, and LLVM folds the first addition away.
  if (isa<arith::AddFOp>(combiner))
    identity = b.getFloatAttr(t, llvm::APFloat::getZero(cast<FloatType>(t).getFloatSemantics(),
                                                        /*Negative=*/true));
  // Any NaN is neutral for maxnum/minnum; the kernels have always started from
  // the positive quiet NaN (upstream's is negative for maxnum).
  if (isa<arith::MaxNumFOp, arith::MinNumFOp>(combiner))
    identity = b.getFloatAttr(t, llvm::APFloat::getNaN(cast<FloatType>(t).getFloatSemantics()));
  return ReductionCombiner{combiner, *identity};
}

Value buildCombine(OpBuilder &b, Location loc, const ReductionCombiner &combiner, Value x,
                   Value y) {
  OperationState state(loc, combiner.op->getName());
  state.addOperands({x, y});
  state.addTypes({x.getType()});
  state.addAttributes(combiner.op->getAttrs());
  return b.create(state)->getResult(0);
}

//===----------------------------------------------------------------------===//
// Row statements
//===----------------------------------------------------------------------===//

Value bufferOf(Value v) {
  if (auto memref = dyn_cast<TypedValue<MemRefType>>(v))
    return memref::skipViewLikeOps(memref);
  return v;
}

namespace {

/// The row-projection map (d0..dn-1) -> (d0..dn-2).
AffineMap rowMap(unsigned numLoops, MLIRContext *ctx) {
  return AffineMap::getMultiDimIdentityMap(numLoops, ctx).getMajorSubMap(numLoops - 1);
}

/// Scalars only as inputs; shaped operands contiguous, of a known element
/// size, read through ordered projections of the loops.
bool hasRowOperands(linalg::GenericOp op) {
  for (OpOperand &o : op->getOpOperands()) {
    Type t = o.get().getType();
    if (!isa<ShapedType>(t)) {
      if (op.isDpsInit(&o))
        return false;
      continue;
    }
    if (!isContiguousMemRef(t) || elementBytes(t) == 0 ||
        !isOrderedProjection(op.getMatchingIndexingMap(&o)))
      return false;
  }
  return true;
}

/// The memrefs a payload reads with memref.load (a gather: cross-entropy's
/// target logit), when its ops are otherwise clonable (linalg.index allowed);
/// std::nullopt when some op is not.
std::optional<SmallVector<Value>> payloadLoads(linalg::GenericOp op) {
  SmallVector<Value> loaded;
  for (Operation &o : op.getRegion().front().without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(o)) {
      loaded.push_back(load.getMemRef());
      continue;
    }
    if (o.getNumRegions() || !isMemoryEffectFree(&o))
      return std::nullopt;
  }
  return loaded;
}

/// All parallel, `rank` loops; operands ordered projections, outputs identity;
/// the payload may read its indices (cross-entropy's gradient: `c == target[b]`).
/// `withLoads`: the payload may also load (payloadLoads).
bool isRowParallel(linalg::GenericOp op, unsigned rank, bool withLoads = false) {
  bool payload =
      withLoads ? payloadLoads(op).has_value() : hasClonablePayload(op, /*allowIndex=*/true);
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != rank || op.getNumReductionLoops() != 0 ||
      !payload || !hasRowOperands(op))
    return false;
  for (OpOperand &o : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&o).isIdentity())
      return false;
  return true;
}

/// The buffers the statements of a group so far read and write, as the scan
/// over the block collects them.
class RowGroupScan {
public:
  explicit RowGroupScan(linalg::GenericOp first) : rank(first.getNumLoops()) {
    group.rank = rank;
    add({first, RowStatementKind::Reduce});
  }

  /// Ops that may lie between the statements: a fill of a buffer the group
  /// has not touched yet (it runs on the host before the kernel), allocs,
  /// dims, pure arith ops.
  bool isSkippable(Operation *op) const {
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      if (!fill.hasPureBufferSemantics())
        return false;
      Value target = fill.getDpsInits()[0];
      return !crossRowReads.contains(target) && !rowResults.contains(target) &&
             !fullResults.contains(target);
    }
    return isa<memref::AllocOp, memref::DimOp>(op) ||
           (op->getNumRegions() == 0 && isMemoryEffectFree(op) && op->getDialect() &&
            op->getDialect()->getNamespace() == "arith");
  }

  /// `op` as the group's next statement, when it reads a per-row result of the
  /// group through the row map and breaks no ordering the kernel relies on.
  std::optional<RowStatement> asStatement(linalg::GenericOp op) const;

  void add(RowStatement statement);

  RowGroup group;

private:
  unsigned rank;
  llvm::DenseSet<Value> rowResults;    // per-row buffers written by the group
  llvm::DenseSet<Value> fullResults;   // [rows x C] buffers written by the group
  llvm::DenseSet<Value> crossRowReads; // buffers read beyond a statement's own row
  llvm::DenseSet<Value> loadedBuffers;  // buffers (bufferOf) a RowScalar's payload loads from
  llvm::DenseSet<Value> writtenBuffers; // buffers (bufferOf) the group writes
};

std::optional<RowStatement> RowGroupScan::asStatement(linalg::GenericOp op) const {
  MLIRContext *ctx = op.getContext();
  RowStatementKind kind;
  if (isRowReduction(op) && op.getNumLoops() == rank)
    kind = RowStatementKind::Reduce;
  else if (isRowParallel(op, rank))
    kind = RowStatementKind::Elementwise;
  else if (isRowParallel(op, rank - 1, /*withLoads=*/true))
    kind = RowStatementKind::RowScalar;
  else
    return std::nullopt;
  // What a member loads, no member writes (before or after it: the kernel's
  // threads would race), and a member writes nothing a member loaded; views of
  // one buffer count as that buffer.
  for (Value loaded : payloadLoads(op).value_or(SmallVector<Value>())) {
    Value buffer = bufferOf(loaded);
    if (writtenBuffers.contains(buffer) ||
        llvm::any_of(op.getDpsInits(), [&](Value init) { return bufferOf(init) == buffer; }))
      return std::nullopt;
  }
  for (Value init : op.getDpsInits())
    if (loadedBuffers.contains(bufferOf(init)))
      return std::nullopt;
  bool readsGroup = false;
  for (OpOperand &o : op->getOpOperands()) {
    Value v = o.get();
    if (!isa<ShapedType>(v.getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&o);
    if (rowResults.contains(v)) {
      AffineMap want = kind == RowStatementKind::RowScalar
                           ? AffineMap::getMultiDimIdentityMap(rank - 1, ctx)
                           : rowMap(rank, ctx);
      if (map != want)
        return std::nullopt;
      readsGroup |= !op.isDpsInit(&o) || kind == RowStatementKind::RowScalar;
    }
    if (fullResults.contains(v) && !map.isIdentity())
      return std::nullopt;
    // Outputs of a row statement must not be read across rows before.
    if (op.isDpsInit(&o) && crossRowReads.contains(v))
      return std::nullopt;
  }
  // A RowScalar may write a buffer of its own (isRowParallel: identity map), e.g.
  // an f32 value of an f64 accumulator that cannot share its buffer; it joins the
  // group's per-row buffers (a temporary when only the group uses it).
  if (!readsGroup)
    return std::nullopt;
  return RowStatement{op, kind};
}

void RowGroupScan::add(RowStatement statement) {
  linalg::GenericOp op = statement.op;
  if (statement.kind == RowStatementKind::RowScalar)
    for (Value loaded : payloadLoads(op).value_or(SmallVector<Value>()))
      loadedBuffers.insert(bufferOf(loaded));
  unsigned numLoops = op.getNumLoops();
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (!isa<ShapedType>(in->get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    bool ownRow = map.getNumResults() >= rank - 1;
    for (unsigned d = 0; d + 1 < rank && d < numLoops && ownRow; ++d)
      ownRow = map.getResult(d) == getAffineDimExpr(d, op.getContext());
    if (!ownRow)
      crossRowReads.insert(in->get());
  }
  for (Value init : op.getDpsInits()) {
    writtenBuffers.insert(bufferOf(init));
    if (cast<MemRefType>(init.getType()).getRank() == (int64_t)rank)
      fullResults.insert(init);
    else
      rowResults.insert(init);
  }
  group.statements.push_back(statement);
}

} // namespace

bool isRowReduction(linalg::GenericOp op) {
  unsigned n = op.getNumLoops();
  if (!op.hasPureBufferSemantics() || n < 2 || op.getNumReductionLoops() != 1 ||
      !linalg::isReductionIterator(op.getIteratorTypesArray().back()) || !hasClonablePayload(op) ||
      !hasRowOperands(op))
    return false;
  for (OpOperand &o : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&o) != rowMap(n, op.getContext()))
      return false;
  for (unsigned k = 0; k < op.getNumDpsInits(); ++k)
    if (!matchReductionCombiner(op, k))
      return false;
  return true;
}

std::optional<RowGroup> matchRowGroup(linalg::GenericOp first) {
  if (!isRowReduction(first))
    return std::nullopt;
  RowGroupScan scan(first);
  for (Operation *op = first->getNextNode(); op; op = op->getNextNode()) {
    if (scan.isSkippable(op))
      continue;
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic)
      break;
    std::optional<RowStatement> statement = scan.asStatement(generic);
    if (!statement)
      break;
    scan.add(*statement);
  }
  return std::move(scan.group);
}

//===----------------------------------------------------------------------===//
// Lanes, cacheability, temporaries
//===----------------------------------------------------------------------===//

namespace {

RowStatementLanes analyzeLanes(const RowStatement &statement, int64_t vectorBytes) {
  linalg::GenericOp op = statement.op;
  Block &body = op.getRegion().front();
  RowStatementLanes lanes;
  lanes.isLane.assign(op->getNumOperands(), false);
  int64_t maxBytes = 1;
  for (OpOperand &o : op->getOpOperands()) {
    unsigned i = o.getOperandNumber();
    if (statement.kind == RowStatementKind::RowScalar || !isa<ShapedType>(o.get().getType()) ||
        !op.getMatchingIndexingMap(&o).isFunctionOfDim(op.getNumLoops() - 1))
      continue;
    lanes.isLane[i] = !body.getArgument(i).use_empty();
    if (lanes.isLane[i] || (op.isDpsInit(&o) && statement.kind == RowStatementKind::Elementwise)) {
      maxBytes = std::max(maxBytes, elementBytes(o.get().getType()));
      lanes.alignedMemRefs.push_back(o.get());
    }
  }
  lanes.vectorWidth = std::max<int64_t>(1, vectorBytes / maxBytes);
  return lanes;
}

/// The value of the fill of `buffer` that `statement` reads as its initial value:
/// the last fill before it in its block, provided nothing else touches the
/// buffer in between. A buffer reused by bufferization holds several values in
/// turn (attention's running max, then its sum, each after its own fill): the
/// first fill found among the users gave the sum the max's -inf. The group's own
/// statements in between are tracked by the kernel builder, not here.
std::optional<Value> fillReachingStatement(Value buffer, Operation *statement,
                                           const llvm::DenseSet<Operation *> &statementOps) {
  linalg::FillOp last;
  for (Operation *user : buffer.getUsers())
    if (auto fill = dyn_cast<linalg::FillOp>(user);
        fill && fill->getBlock() == statement->getBlock() && fill->isBeforeInBlock(statement) &&
        (!last || last->isBeforeInBlock(fill)))
      last = fill;
  if (!last)
    return std::nullopt;
  for (Operation *user : buffer.getUsers())
    if (user != last && !statementOps.contains(user) && user->getBlock() == statement->getBlock() &&
        last->isBeforeInBlock(user) && user->isBeforeInBlock(statement))
      return std::nullopt;
  return last.getInputs()[0];
}

/// The per-row buffers of the group and whether each must be stored: not when
/// it is an alloc that only the group, fills before its writer and deallocs use.
void analyzeRowBuffers(const RowGroup &group, RowGroupInfo &info) {
  llvm::DenseSet<Operation *> statementOps;
  for (RowStatement s : group.statements)
    statementOps.insert(s.op);
  for (RowStatement s : group.statements) {
    if (s.kind == RowStatementKind::Elementwise)
      continue;
    for (Value init : s.op.getDpsInits()) {
      if (info.rowBuffers.count(init))
        continue;
      bool mustStore = !init.getDefiningOp<memref::AllocOp>();
      for (Operation *user : init.getUsers()) {
        if (statementOps.contains(user) || isa<memref::DeallocOp>(user))
          continue;
        if (auto fill = dyn_cast<linalg::FillOp>(user);
            fill && fill->getBlock() == s.op->getBlock() && fill->isBeforeInBlock(s.op))
          continue;
        mustStore = true;
      }
      if (std::optional<Value> fillValue = fillReachingStatement(init, s.op, statementOps))
        info.fillValues[init] = *fillValue;
      info.rowBuffers[init] = mustStore;
    }
  }
}

void analyzePreloads(const RowGroup &group, RowGroupInfo &info) {
  llvm::DenseSet<Value> written, readFirst;
  for (RowStatement s : group.statements)
    for (Value init : s.op.getDpsInits())
      written.insert(init);
  for (OpOperand *o : linalg::GenericOp(group.statements.front().op).getDpsInputOperands())
    readFirst.insert(o->get());
  bool laterOnly = false;
  for (auto [i, s] : llvm::enumerate(group.statements)) {
    if (s.kind == RowStatementKind::RowScalar)
      continue;
    for (OpOperand *o : linalg::GenericOp(s.op).getDpsInputOperands())
      if (info.lanes[i].isLane[o->getOperandNumber()] && !written.contains(o->get())) {
        info.preloads.push_back({i, o});
        laterOnly |= !readFirst.contains(o->get());
      }
  }
  if (!laterOnly)
    info.preloads.clear();
}

} // namespace

RowGroupInfo analyzeRowGroup(const RowGroup &group, int64_t vectorBytes) {
  RowGroupInfo info;
  for (RowStatement s : group.statements) {
    info.lanes.push_back(analyzeLanes(s, vectorBytes));
    if (s.kind != RowStatementKind::RowScalar && info.lanes.back().vectorWidth == 1)
      info.cacheable = false;
    // Lanes past the row end compute on zeros (then dropped).
    if (hasIntegerDivision(s.op))
      info.cacheable = false;
  }
  analyzeRowBuffers(group, info);
  analyzePreloads(group, info);
  return info;
}

//===----------------------------------------------------------------------===//
// Row-block groups
//===----------------------------------------------------------------------===//

namespace {

/// The first `rows` loops of `op` are parallel and lead the indices of every
/// shaped operand, which no later index reads: a block of those rows of `op`
/// touches only the same block of rows of each operand.
bool isRowWiseOver(linalg::LinalgOp op, unsigned rows) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() < rows)
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < rows; ++d)
    if (!linalg::isParallelIterator(iterators[d]))
      return false;
  for (OpOperand &o : op->getOpOperands()) {
    if (!isa<ShapedType>(o.get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&o);
    if (map.getNumResults() < rows)
      return false;
    for (unsigned d = 0; d < rows; ++d)
      if (map.getResult(d) != getAffineDimExpr(d, op.getContext()))
        return false;
    for (AffineExpr e : map.getResults().drop_front(rows))
      for (unsigned d = 0; d < rows; ++d)
        if (e.isFunctionOfDim(d))
          return false;
  }
  return true;
}

/// Ops that may lie between the members of a row-block group: they neither
/// read nor write memory (views, dims, index arithmetic) or only allocate.
bool isRowBlockSkippable(Operation *op) {
  return isa<memref::AllocOp>(op) || (op->getNumRegions() == 0 && isMemoryEffectFree(op));
}

/// The number of row loops of a row-block group root; 0 when `op` is none.
unsigned rootRows(linalg::GenericOp op) {
  unsigned n = op.getNumLoops();
  if (!op.hasPureBufferSemantics() || n < 2 || op.getNumReductionLoops() != 1)
    return 0;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned rows = linalg::isReductionIterator(iterators.back()) ? n - 1 : n - 2;
  if (rows == 0 || !linalg::isReductionIterator(iterators[rows]))
    return 0;
  SmallVector<AffineExpr> want;
  for (unsigned d = 0; d < n; ++d)
    if (d != rows)
      want.push_back(getAffineDimExpr(d, op.getContext()));
  AffineMap outputMap = AffineMap::get(n, 0, want, op.getContext());
  for (OpOperand &o : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&o) != outputMap)
      return 0;
  return isRowWiseOver(op, rows) ? rows : 0;
}

/// `op` reads a buffer in `written`: as an input, or as an output whose value
/// its payload uses (the accumulator it continues).
bool readsWritten(linalg::GenericOp op, const llvm::DenseSet<Value> &written) {
  for (OpOperand &o : op->getOpOperands())
    if (written.contains(bufferOf(o.get())) &&
        (op.isDpsInput(&o) || !op.getMatchingBlockArgument(&o).use_empty()))
      return true;
  return false;
}

} // namespace

bool isLaneRowReduction(linalg::GenericOp op) {
  unsigned rows = rootRows(op);
  return rows && rows + 2 == op.getNumLoops();
}

SmallVector<linalg::LinalgOp> matchRowBlockGroup(linalg::GenericOp root) {
  unsigned rows = rootRows(root);
  if (!rows)
    return {};
  llvm::DenseSet<Value> written;
  for (Value init : root.getDpsInits())
    written.insert(bufferOf(init));
  // The fills of the root's accumulators.
  SmallVector<linalg::LinalgOp> group;
  for (Operation *op = root->getPrevNode(); op; op = op->getPrevNode()) {
    if (isRowBlockSkippable(op))
      continue;
    auto fill = dyn_cast<linalg::FillOp>(op);
    if (!fill || !written.contains(bufferOf(fill.getDpsInits()[0])) || !isRowWiseOver(fill, rows))
      break;
    group.push_back(fill);
  }
  std::reverse(group.begin(), group.end());
  group.push_back(root);
  // The statements after it, each with the fills just before it; fills
  // that no statement follows stay out.
  SmallVector<linalg::LinalgOp> fills;
  for (Operation *op = root->getNextNode(); op; op = op->getNextNode()) {
    if (isRowBlockSkippable(op))
      continue;
    if (auto fill = dyn_cast<linalg::FillOp>(op); fill && isRowWiseOver(fill, rows)) {
      fills.push_back(fill);
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || !isRowWiseOver(generic, rows) || !readsWritten(generic, written))
      break;
    group.append(fills.begin(), fills.end());
    fills.clear();
    group.push_back(generic);
    for (Value init : generic.getDpsInits())
      written.insert(bufferOf(init));
  }
  return group;
}

} // namespace vibee
