//===- RowGroupAnalysis.h - Row reductions and the statements they feed ---===//
//
// A row group is a reduction over the innermost loop of bufferized
// linalg.generics ([parallel..., reduction], softmax's max) followed by the
// statements of the same block that read its per-row result through the row
// map: per-row statements (RMSNorm's inv[r]), further reductions (softmax's
// sum) and row-elementwise outputs. The analysis finds a group, says which of
// its per-row buffers are temporaries only the group uses (they need not be
// stored) and whether every statement can keep its share of the row in
// registers (vector steps of a given width). It knows nothing of the target:
// the GPU kernel strategy keeps a group's rows in registers.
//
// A row-block group is the looser form vibee-cpu-parallelize runs block of rows
// by block of rows: every op row-wise, any payload, multi-result reductions and
// reductions split into lanes (vibee-cpu-online-softmax's form) included.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

#include <optional>

namespace vibee {

//===----------------------------------------------------------------------===//
// Operand and payload checks shared by the kernel strategies
//===----------------------------------------------------------------------===//

/// A memref that may be indexed as a dense row-major array (identity layout,
/// default memory space).
bool isContiguousMemRef(mlir::Type type);

/// Bytes of the element type of `type` (or of `type` itself); 0 for types that
/// are not whole-byte integers or floats (bool: vectors of it are packed bits).
int64_t elementBytes(mlir::Type type);

/// The inputs of `op` that are memrefs (scalars left out), or std::nullopt when
/// one of them is not contiguous or has no whole-byte element.
std::optional<llvm::SmallVector<mlir::OpOperand *>> contiguousMemRefInputs(mlir::linalg::GenericOp op);

/// The buffer a memref value views (view-like ops skipped: subviews, collapses,
/// casts), so that two views of one allocation compare equal; `v` otherwise.
mlir::Value bufferOf(mlir::Value v);

/// (d0..dn-1) -> (a subset of the dims, increasing): a projection that keeps
/// the row-major order (x[r, c], w[c], s[r]).
bool isOrderedProjection(mlir::AffineMap map);

/// No index semantics; every payload op is free of memory effects and regions,
/// so that the payload can be cloned per element.
/// `allowIndex`: linalg.index too (for a kernel that passes every loop index
/// to PayloadCloner::apply).
bool hasClonablePayload(mlir::linalg::GenericOp op, bool allowIndex = false);

/// The payload divides or takes a remainder of integers: lanes that compute on
/// padding zeros (then dropped) must not reach it.
bool hasIntegerDivision(mlir::linalg::GenericOp op);

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The single binary op that combines an output's accumulator with the
/// reduced value (upstream matchReduction), and its neutral element.
struct ReductionCombiner {
  mlir::Operation *op = nullptr;
  mlir::TypedAttr identity;
};

/// The combiner of output `initIndex` of `op`, for f32/f64/i32/i64
/// accumulators; std::nullopt for anything else.
std::optional<ReductionCombiner> matchReductionCombiner(mlir::linalg::GenericOp op,
                                                        unsigned initIndex);

/// `x <combiner> y`: a new op of the combiner's kind, with its attributes.
mlir::Value buildCombine(mlir::OpBuilder &b, mlir::Location loc, const ReductionCombiner &combiner,
                         mlir::Value x, mlir::Value y);

//===----------------------------------------------------------------------===//
// Row groups
//===----------------------------------------------------------------------===//

enum class RowStatementKind {
  Reduce,      ///< [parallel x (rank - 1), reduction], outputs per row
  Elementwise, ///< all parallel over the full rank, identity outputs
  RowScalar,   ///< all parallel over the row dims: one value per row
};

struct RowStatement {
  mlir::linalg::GenericOp op;
  RowStatementKind kind;
};

struct RowGroup {
  llvm::SmallVector<RowStatement> statements; ///< the first is a Reduce
  unsigned rank = 0;                          ///< loops of the first reduction
};

/// [parallel x (rank - 1), reduction] over contiguous operands read through
/// ordered projections, outputs indexed by the row dims, every output with a
/// combiner.
bool isRowReduction(mlir::linalg::GenericOp op);

/// The group that starts at the row reduction `first`: it and the statements
/// after it in its block that read a per-row result of the group through the
/// row map. Fills of buffers the group has not touched yet, allocs, dims and
/// pure arith ops may lie between them. std::nullopt when `first` is not a row
/// reduction.
std::optional<RowGroup> matchRowGroup(mlir::linalg::GenericOp first);

/// Per statement: the operands that vary along the row and are read (lanes),
/// the memrefs a vector step needs aligned (the lanes and an Elementwise
/// statement's outputs) and the elements per vector step of the widest of them.
struct RowStatementLanes {
  llvm::SmallVector<bool> isLane; ///< by operand number
  llvm::SmallVector<mlir::Value> alignedMemRefs;
  int64_t vectorWidth = 1;
};

struct RowGroupInfo {
  llvm::SmallVector<RowStatementLanes> lanes; ///< one per statement
  /// Every statement can keep its share of the row in vector registers: none is
  /// left with one element per step, none divides integers.
  bool cacheable = true;
  /// Per-row buffers written by Reduce and RowScalar statements, in order ->
  /// whether the result must be stored (false: a temporary only the group, its
  /// fills and its deallocs use).
  llvm::MapVector<mlir::Value, bool> rowBuffers;
  /// The value a per-row temporary is filled with before the group.
  llvm::DenseMap<mlir::Value, mlir::Value> fillValues;
  /// (statement, operand) for every lane read of a buffer no statement writes,
  /// in order, when a later statement reads one the first does not (RMSNorm's
  /// w); empty otherwise. Kept in registers, these rows can be loaded before
  /// the first reduction, all in flight together, instead of after it; groups
  /// whose later statements read only the first one's operands (softmax) keep
  /// their load order.
  llvm::SmallVector<std::pair<size_t, mlir::OpOperand *>> preloads;
};

/// Lanes, vector widths (`vectorBytes` per step), cacheability and the
/// temporaries of `group`.
RowGroupInfo analyzeRowGroup(const RowGroup &group, int64_t vectorBytes);

//===----------------------------------------------------------------------===//
// Row-block groups
//===----------------------------------------------------------------------===//

/// A row reduction split into lanes: loops [parallel x k, reduction, parallel]
/// (k >= 1), every output indexed by (d0..dk-1, dk+1): partial results per row
/// and lane that a later reduction over the lanes combines. Any number of
/// outputs and any payload (the online softmax's running max and rescaled sum
/// are two results of one body, with no single combiner).
bool isLaneRowReduction(mlir::linalg::GenericOp op);

/// The ops of the row-block group rooted at `root` (a lane row reduction, or a
/// [parallel x k, reduction] one with outputs indexed by the k row loops), in
/// block order: the fills of its outputs just before it, `root`, and the linalg
/// ops after it in its block that read a buffer the group writes (as an input,
/// through views, or as the accumulator they continue), with the fills between
/// them. Each op is row-wise over the k row loops (parallel, and the leading
/// indices of every shaped operand), so a block of rows of one op reads and
/// writes only that block of rows and the group may run block by block; the
/// payloads are kept as they are. Views, allocs, dims and other ops free of
/// memory effects may lie between. Empty when `root` is neither form.
llvm::SmallVector<mlir::linalg::LinalgOp> matchRowBlockGroup(mlir::linalg::GenericOp root);

} // namespace vibee
