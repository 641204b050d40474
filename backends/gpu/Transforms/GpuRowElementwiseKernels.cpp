//===- GpuRowElementwiseKernels.cpp - All-parallel generics row by row ----===//
//
// An all-parallel generic that the flat elementwise kernel does not take
// because an operand is broadcast (`ids[s]` in `y[s, d] = table[ids[s], d]`, a
// bias `b[n]`), or because its payload gathers (`memref.load`) or reads its
// indices, runs row by row: the rows are the outer loops (flattened), the
// columns the innermost loop, along which every operand and gathered tensor is
// contiguous. A group of T threads (a power of two, from the row's length)
// takes a row; what does not depend on the column (the broadcast operands, the
// gathered position and its check, the outer indices) is computed once per row,
// not per element as the flattened generic route does (a division per element
// to recover the row). Each thread moves U chunks of W columns per step, all
// loads before the first store. When the row length is a multiple of W and
// every pointer (and gathered row) is 16-byte aligned, W = 16 / (widest
// element) and a chunk is one vector access (ld/st.global.v4); otherwise
// W = 1. docs/gpu.md, "The kernel shapes".
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/GpuKernelPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <memory>

using namespace mlir;

namespace vibee {
namespace {

/// Elements one thread keeps in flight per step, per operand (U * W).
constexpr int64_t kElementsInFlight = 8;

/// How the kernel reads an operand of the generic.
enum class RowAccess { Scalar, Rank0, PerRow, Lane };

unsigned innerDim(linalg::GenericOp op) { return op.getNumLoops() - 1; }

/// Payload values that do not depend on loop `dim`. For the innermost loop:
/// the same along a row, computable once per row (what PayloadCloner::hoist
/// clones given the row's operands and outer indices).
class RowInvariance {
public:
  RowInvariance(linalg::GenericOp op, unsigned dim) : op(op), dim(dim) {}

  bool isInvariant(Value v) {
    if (auto it = memo.find(v); it != memo.end())
      return it->second;
    bool invariant = compute(v);
    memo[v] = invariant;
    return invariant;
  }

private:
  bool compute(Value v) {
    Block &body = op.getRegion().front();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != &body)
        return true;
      OpOperand &operand = op->getOpOperand(arg.getArgNumber());
      return !isa<ShapedType>(operand.get().getType()) ||
             !op.getMatchingIndexingMap(&operand).isFunctionOfDim(dim);
    }
    Operation *def = v.getDefiningOp();
    if (def->getBlock() != &body)
      return true;
    if (auto index = dyn_cast<linalg::IndexOp>(def))
      return index.getDim() != dim;
    if (def->getNumRegions() || !isMemoryEffectFree(def))
      return false;
    return llvm::all_of(def->getOperands(), [&](Value o) { return isInvariant(o); });
  }

  linalg::GenericOp op;
  unsigned dim;
  DenseMap<Value, bool> memo;
};

/// The most values of a replicated loop (below).
constexpr int64_t kMaxReplicas = 4;

/// An outer loop of static extent 2 to kMaxReplicas that a math function of
/// the payload does not depend on (RoPE's pair half h in y[s, h, j], whose
/// cos and sin are those of (s, j)): a thread then computes the element for
/// every value of it, and the function once (CSE merges the copies), instead
/// of one thread per value computing it each.
std::optional<unsigned> chooseReplicatedDim(linalg::GenericOp op) {
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  for (unsigned d = 0; d < innerDim(op); ++d) {
    if (ShapedType::isDynamic(extents[d]) || extents[d] < 2 || extents[d] > kMaxReplicas)
      continue;
    RowInvariance independent(op, d);
    for (Operation &o : op.getRegion().front().without_terminator())
      if (isa<math::MathDialect>(o.getDialect()) &&
          llvm::all_of(o.getResults(), [&](Value r) { return independent.isInvariant(r); }))
        return d;
  }
  return std::nullopt;
}

/// A payload load along the row: `m[p..., c + o]` (or `c - o`, or `c`) with p
/// and o the same along the row and c the innermost loop's index, read as W
/// contiguous elements (aligned when o is a multiple of W).
struct RowLoad {
  memref::LoadOp load;
  Value offset;         ///< o, a payload value; null for none
  bool negated = false; ///< `c - o`
};

bool isColumn(Value v, linalg::GenericOp op) {
  auto index = v.getDefiningOp<linalg::IndexOp>();
  return index && index.getDim() == innerDim(op);
}

std::optional<RowLoad> matchRowLoad(memref::LoadOp load, linalg::GenericOp op,
                                    RowInvariance &invariance) {
  if (load.getIndices().empty() || !isContiguousMemRef(load.getMemRefType()) ||
      elementBytes(load.getMemRefType()) == 0 ||
      !llvm::all_of(load.getIndices().drop_back(),
                    [&](Value i) { return invariance.isInvariant(i); }))
    return std::nullopt;
  Value last = load.getIndices().back();
  if (isColumn(last, op))
    return RowLoad{load, Value(), false};
  Operation *def = last.getDefiningOp();
  if (!def || !isa<arith::AddIOp, arith::SubIOp>(def))
    return std::nullopt;
  Value lhs = def->getOperand(0), rhs = def->getOperand(1);
  bool sub = isa<arith::SubIOp>(def);
  if (isColumn(lhs, op) && invariance.isInvariant(rhs))
    return RowLoad{load, rhs, sub};
  if (!sub && isColumn(rhs, op) && invariance.isInvariant(lhs))
    return RowLoad{load, lhs, false};
  return std::nullopt;
}

/// What the kernel of a row-elementwise generic reads, and whether it can
/// read in vectors at all (every payload load is a row load or reads the same
/// element all along the row).
struct RowPlan {
  SmallVector<RowAccess> access;
  SmallVector<RowLoad> rowLoads;
  bool vectorizable = true;
  int64_t maxElementBytes = 1;
  std::optional<unsigned> replicated; ///< chooseReplicatedDim
  int64_t replicas = 1;               ///< its extent
};

/// One value of the replicated loop (or the only one): the row's outer indices
/// with it, and the payload hoisted for them.
struct Replica {
  SmallVector<Value> outer;
  std::unique_ptr<PayloadCloner> payload;
};

std::optional<RowPlan> planRowElementwise(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() != 0 || op.getNumLoops() < 2)
    return std::nullopt;
  RowPlan plan;
  bool allIdentity = true;
  for (OpOperand &o : op->getOpOperands()) {
    Type t = o.get().getType();
    AffineMap map = op.getMatchingIndexingMap(&o);
    if (!isa<ShapedType>(t)) {
      if (op.isDpsInit(&o))
        return std::nullopt;
      plan.access.push_back(RowAccess::Scalar);
      continue;
    }
    if (!isContiguousMemRef(t) || elementBytes(t) == 0 || !map.isProjectedPermutation())
      return std::nullopt;
    allIdentity &= map.isIdentity();
    if (op.isDpsInit(&o) && !map.isIdentity())
      return std::nullopt;
    if (map.getNumResults() == 0) {
      plan.access.push_back(RowAccess::Rank0);
      continue;
    }
    if (!map.isFunctionOfDim(innerDim(op))) {
      plan.access.push_back(RowAccess::PerRow);
      continue;
    }
    if (map.getDimPosition(map.getNumResults() - 1) != innerDim(op))
      return std::nullopt; // not contiguous along the row (a transpose)
    plan.access.push_back(RowAccess::Lane);
    plan.maxElementBytes = std::max(plan.maxElementBytes, elementBytes(t));
  }
  RowInvariance invariance(op, innerDim(op));
  bool loadsOrIndices = false;
  for (Operation &o : op.getRegion().front().without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(o)) {
      loadsOrIndices = true;
      if (llvm::any_of(op.getDpsInits(),
                       [&](Value init) { return bufferOf(init) == bufferOf(load.getMemRef()); }))
        return std::nullopt; // reads what the kernel writes
      if (std::optional<RowLoad> rowLoad = matchRowLoad(load, op, invariance)) {
        plan.rowLoads.push_back(*rowLoad);
        plan.maxElementBytes = std::max(plan.maxElementBytes, elementBytes(load.getMemRefType()));
      } else if (!llvm::all_of(load.getIndices(),
                               [&](Value i) { return invariance.isInvariant(i); })) {
        plan.vectorizable = false; // neither along the row nor the same for all of it
      }
      continue;
    }
    if (o.getNumRegions() || !isMemoryEffectFree(&o))
      return std::nullopt;
    loadsOrIndices |= isa<linalg::IndexOp>(o);
  }
  if (allIdentity && !loadsOrIndices)
    return std::nullopt; // the flat elementwise kernel's
  plan.replicated = chooseReplicatedDim(op);
  if (plan.replicated)
    plan.replicas = op.getStaticLoopRanges()[*plan.replicated];
  return plan;
}

/// The smallest power of two >= `x`, capped at `cap` (a power of two), as selects.
Value buildPowerOfTwoAtLeast(OpBuilder &b, Location loc, Value x, int64_t cap) {
  Value result = constantIndex(b, loc, cap);
  for (int64_t p = cap / 2; p >= 1; p /= 2) {
    Value fits =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, x, constantIndex(b, loc, p));
    result = arith::SelectOp::create(b, loc, fits, constantIndex(b, loc, p), result);
  }
  return result;
}

/// The body of the row kernel: rows strided over the grid's thread groups.
class RowKernelBody {
public:
  RowKernelBody(linalg::GenericOp op, RowPlan plan, ArrayRef<Value> sizes, Value rows,
                Value threadsPerRow, int64_t vectorWidth)
      : op(op), loc(op.getLoc()), plan(std::move(plan)), sizes(sizes), rows(rows),
        threadsPerRow(threadsPerRow), vectorWidth(vectorWidth) {}

  /// `vectorOk` (i1, the same for the whole launch): vector accesses allowed
  /// (a row also needs its row loads' offsets aligned).
  void build(OpBuilder &b, Value firstRow, Value rowStride, Value lane, Value vectorOk);

private:
  void buildRow(OpBuilder &b, Value row, Value lane, Value vectorOk);
  /// The row's columns, chunks of `width` (one vector access when > 1).
  void buildColumns(OpBuilder &b, MutableArrayRef<Replica> replicas, Value lane, int64_t width);
  void buildChunks(OpBuilder &b, MutableArrayRef<Replica> replicas, ArrayRef<Value> columns,
                   int64_t width);
  SmallVector<Value> operandIndices(unsigned operand, ArrayRef<Value> outer, Value column);
  /// The last index of a row load at `column`.
  Value rowLoadColumn(OpBuilder &b, PayloadCloner &payload, const RowLoad &load, Value column);

  linalg::GenericOp op;
  Location loc;
  RowPlan plan;
  ArrayRef<Value> sizes;
  Value rows, threadsPerRow;
  int64_t vectorWidth;
};

void RowKernelBody::build(OpBuilder &b, Value firstRow, Value rowStride, Value lane,
                          Value vectorOk) {
  buildForLoop(b, loc, firstRow, rows, rowStride, {}, [&](OpBuilder &b, Value row, ValueRange) {
    buildRow(b, row, lane, vectorOk);
    return SmallVector<Value>{};
  });
}

SmallVector<Value> RowKernelBody::operandIndices(unsigned operand, ArrayRef<Value> outer,
                                                 Value column) {
  AffineMap map = op.getMatchingIndexingMap(&op->getOpOperand(operand));
  SmallVector<Value> indices;
  for (unsigned r = 0; r < map.getNumResults(); ++r) {
    unsigned d = map.getDimPosition(r);
    indices.push_back(d == innerDim(op) ? column : outer[d]);
  }
  return indices;
}

Value RowKernelBody::rowLoadColumn(OpBuilder &b, PayloadCloner &payload, const RowLoad &load,
                                   Value column) {
  if (!load.offset)
    return column;
  Value offset = payload.lookupHoisted(load.offset);
  return load.negated ? arith::SubIOp::create(b, loc, column, offset).getResult()
                      : arith::AddIOp::create(b, loc, column, offset).getResult();
}

void RowKernelBody::buildRow(OpBuilder &b, Value row, Value lane, Value vectorOk) {
  // The outer indices of the row (row-major over the outer loops but the
  // replicated one), then, per value of that one, what is uniform along it.
  SmallVector<Value> outer(innerDim(op));
  SmallVector<unsigned> dims;
  for (unsigned d = 0; d < innerDim(op); ++d)
    if (d != plan.replicated)
      dims.push_back(d);
  Value rest = row;
  for (int64_t i = (int64_t)dims.size() - 1; i >= 0; --i) {
    if (i == 0) {
      outer[dims[i]] = rest;
      break;
    }
    outer[dims[i]] = arith::RemUIOp::create(b, loc, rest, sizes[dims[i]]);
    rest = arith::DivUIOp::create(b, loc, rest, sizes[dims[i]]);
  }
  SmallVector<Replica> replicas(plan.replicas);
  for (auto [k, replica] : llvm::enumerate(replicas)) {
    replica.outer = outer;
    if (plan.replicated)
      replica.outer[*plan.replicated] = constantIndex(b, loc, k);
    SmallVector<Value> rowArgs(plan.access.size());
    for (auto [i, access] : llvm::enumerate(plan.access)) {
      Value v = op->getOperand(i);
      if (access == RowAccess::Scalar)
        rowArgs[i] = v;
      else if (access == RowAccess::Rank0)
        rowArgs[i] = memref::LoadOp::create(b, loc, v, ValueRange{});
      else if (access == RowAccess::PerRow)
        rowArgs[i] = memref::LoadOp::create(b, loc, v, operandIndices(i, replica.outer, nullptr));
    }
    replica.payload = std::make_unique<PayloadCloner>(op);
    SmallVector<Value> uniformIndices(replica.outer);
    uniformIndices.push_back(nullptr);
    replica.payload->hoist(b, rowArgs, uniformIndices);
  }
  if (vectorWidth == 1) {
    buildColumns(b, replicas, lane, 1);
    return;
  }
  // Vectors when the row loads' offsets keep them aligned too.
  Value rowVectorOk = vectorOk;
  for (Replica &replica : replicas)
    for (const RowLoad &load : plan.rowLoads)
      if (load.offset)
        rowVectorOk = arith::AndIOp::create(
            b, loc, rowVectorOk,
            buildIsMultipleOf(b, loc, replica.payload->lookupHoisted(load.offset), vectorWidth));
  buildIfElse(
      b, loc, rowVectorOk,
      [&](OpBuilder &b) {
        buildColumns(b, replicas, lane, vectorWidth);
        return SmallVector<Value>{};
      },
      [&](OpBuilder &b) {
        buildColumns(b, replicas, lane, 1);
        return SmallVector<Value>{};
      });
}

void RowKernelBody::buildColumns(OpBuilder &b, MutableArrayRef<Replica> replicas, Value lane,
                                 int64_t width) {
  int64_t chunks = std::max<int64_t>(2, kElementsInFlight / width / (int64_t)replicas.size());
  Value length = sizes.back();
  Value w = constantIndex(b, loc, width);
  Value span = arith::MulIOp::create(b, loc, threadsPerRow, w);
  Value step = arith::MulIOp::create(b, loc, span, constantIndex(b, loc, chunks));
  Value first = arith::MulIOp::create(b, loc, lane, w);
  buildForLoop(b, loc, first, length, step, {}, [&](OpBuilder &b, Value c0, ValueRange) {
    SmallVector<Value> columns{c0};
    for (int64_t j = 1; j < chunks; ++j)
      columns.push_back(arith::AddIOp::create(
          b, loc, c0, arith::MulIOp::create(b, loc, span, constantIndex(b, loc, j))));
    // The last chunk's end inside the row: every chunk full, unguarded.
    Value end = arith::AddIOp::create(b, loc, columns.back(), w);
    Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, end, length);
    buildIfElse(
        b, loc, full,
        [&](OpBuilder &b) {
          buildChunks(b, replicas, columns, width);
          return SmallVector<Value>{};
        },
        [&](OpBuilder &b) {
          // The row's end: chunks start inside or not at all (width divides it).
          for (Value column : columns) {
            Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, column, length);
            auto guard = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
            OpBuilder then = guard.getThenBodyBuilder();
            buildChunks(then, replicas, {column}, width);
          }
          return SmallVector<Value>{};
        });
    return SmallVector<Value>{};
  });
}

/// Chunks of `width` columns from each of `columns`, for each replica: every
/// load, then the payloads, then the stores.
void RowKernelBody::buildChunks(OpBuilder &b, MutableArrayRef<Replica> replicas,
                                ArrayRef<Value> columns, int64_t width) {
  bool vector = width > 1;
  Block &body = op.getRegion().front();
  unsigned numInputs = op.getNumDpsInputs();
  struct Chunk {
    Value column;
    Replica *replica;
    SmallVector<SmallVector<Value>> operandLanes, loadLanes;
  };
  SmallVector<Chunk> chunks;
  for (Value column : columns)
    for (Replica &replica : replicas)
      chunks.push_back({column, &replica, {}, {}});
  for (Chunk &chunk : chunks) {
    ArrayRef<Value> outer = chunk.replica->outer;
    chunk.operandLanes.resize(plan.access.size());
    for (auto [i, access] : llvm::enumerate(plan.access)) {
      if (access != RowAccess::Lane || (i >= numInputs && body.getArgument(i).use_empty()))
        continue;
      chunk.operandLanes[i] = buildLoadLanes(b, loc, op->getOperand(i),
                                             operandIndices(i, outer, chunk.column), width, vector);
    }
    for (RowLoad &rowLoad : plan.rowLoads) {
      SmallVector<Value> indices;
      for (Value index : rowLoad.load.getIndices().drop_back())
        indices.push_back(chunk.replica->payload->lookupHoisted(index));
      indices.push_back(rowLoadColumn(b, *chunk.replica->payload, rowLoad, chunk.column));
      chunk.loadLanes.push_back(
          buildLoadLanes(b, loc, rowLoad.load.getMemRef(), indices, width, vector));
    }
  }
  for (Chunk &chunk : chunks) {
    ArrayRef<Value> outer = chunk.replica->outer;
    Value column = chunk.column;
    SmallVector<SmallVector<Value>> results(op.getNumDpsInits());
    for (int64_t l = 0; l < width; ++l) {
      SmallVector<Value> args(plan.access.size());
      for (auto [i, lanes] : llvm::enumerate(chunk.operandLanes))
        args[i] = lanes.empty() ? Value() : lanes[l];
      SmallVector<Value> indices;
      if (op.hasIndexSemantics()) {
        indices.assign(outer.begin(), outer.end());
        indices.push_back(
            l ? arith::AddIOp::create(b, loc, column, constantIndex(b, loc, l)).getResult()
              : column);
      }
      SmallVector<std::pair<Value, Value>> given;
      for (auto [rowLoad, lanes] : llvm::zip(plan.rowLoads, chunk.loadLanes))
        given.push_back({rowLoad.load.getResult(), lanes[l]});
      for (auto [r, y] : llvm::enumerate(chunk.replica->payload->apply(b, args, indices, given)))
        results[r].push_back(y);
    }
    for (unsigned r = 0; r < op.getNumDpsInits(); ++r)
      buildStoreLanes(b, loc, op.getDpsInits()[r], operandIndices(numInputs + r, outer, column),
                      results[r], vector);
  }
}

void buildRowElementwiseKernel(RewriterBase &rewriter, linalg::GenericOp op, RowPlan plan,
                               const GpuKernelOptions &options) {
  Location loc = op.getLoc();
  OpBuilder &b = rewriter;
  b.setInsertionPoint(op);
  SmallVector<Value> sizes = buildLoopSizes(b, loc, op);
  SmallVector<Value> rowSizes; // the outer loops but the replicated one
  for (unsigned d = 0; d < innerDim(op); ++d)
    if (d != plan.replicated)
      rowSizes.push_back(sizes[d]);
  Value rows = buildProduct(b, loc, rowSizes);
  int64_t V = plan.vectorizable ? std::max<int64_t>(1, kVectorBytes / plan.maxElementBytes) : 1;
  int64_t perThread = std::max<int64_t>(2, kElementsInFlight / V) * V;
  Value groups = arith::CeilDivUIOp::create(b, loc, sizes.back(), constantIndex(b, loc, perThread));
  Value threadsPerRow = buildPowerOfTwoAtLeast(b, loc, groups, options.blockSize);
  Value blockSize = constantIndex(b, loc, options.blockSize);
  Value rowsPerBlock = arith::DivUIOp::create(b, loc, blockSize, threadsPerRow);
  Value need = arith::CeilDivUIOp::create(b, loc, rows, rowsPerBlock);
  Value grid = buildCappedGrid(b, loc, op, need, options);
  // Vectors: the row length a multiple of V, every pointer aligned, and every
  // gathered tensor's rows too.
  Value vectorOk = arith::ConstantIntOp::create(b, loc, 0, 1);
  if (V > 1) {
    SmallVector<Value> memrefs;
    for (auto [i, access] : llvm::enumerate(plan.access))
      if (access == RowAccess::Lane)
        memrefs.push_back(op->getOperand(i));
    vectorOk = arith::AndIOp::create(b, loc, buildAllAligned(b, loc, memrefs),
                                     buildIsMultipleOf(b, loc, sizes.back(), V));
    for (RowLoad &rowLoad : plan.rowLoads) {
      Value m = rowLoad.load.getMemRef();
      int64_t last = rowLoad.load.getMemRefType().getRank() - 1;
      Value rowLength = memref::DimOp::create(b, loc, m, last);
      vectorOk = arith::AndIOp::create(b, loc, vectorOk, buildAllAligned(b, loc, {m}));
      vectorOk = arith::AndIOp::create(b, loc, vectorOk, buildIsMultipleOf(b, loc, rowLength, V));
    }
  }
  Value one = constantIndex(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, blockSize, one, one);
  OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
  Value lane = arith::RemUIOp::create(kb, loc, tid, threadsPerRow);
  Value firstRow = arith::AddIOp::create(kb, loc, arith::MulIOp::create(kb, loc, bid, rowsPerBlock),
                                         arith::DivUIOp::create(kb, loc, tid, threadsPerRow));
  Value rowStride = arith::MulIOp::create(kb, loc, launch.getGridSize().x, rowsPerBlock);
  RowKernelBody body(op, std::move(plan), sizes, rows, threadsPerRow, V);
  body.build(kb, firstRow, rowStride, lane, vectorOk);
  gpu::TerminatorOp::create(kb, loc);
  rewriter.eraseOp(op);
}

struct RowElementwiseKernelPattern : OpRewritePattern<linalg::GenericOp> {
  RowElementwiseKernelPattern(MLIRContext *ctx, const GpuKernelOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    if (!isOutsideKernels(op))
      return failure();
    std::optional<RowPlan> plan = planRowElementwise(op);
    if (!plan)
      return failure();
    buildRowElementwiseKernel(rewriter, op, *plan, options);
    return success();
  }

  GpuKernelOptions options;
};

} // namespace

void populateGpuRowElementwiseKernelPatterns(RewritePatternSet &patterns,
                                             const GpuKernelOptions &options) {
  patterns.add<RowElementwiseKernelPattern>(patterns.getContext(), options);
}

} // namespace vibee
