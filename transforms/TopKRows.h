//===- TopKRows.h - the pieces vibee-lower-topk's lowerings share ---------===//
//
// vibee-lower-topk (LowerTopK.cpp) keeps each row's k best elements sorted in
// k slots by insertion; on the GPU the rows are cut into chunks whose sorted
// lists a tree of merges combines (TopKMergeTree.cpp). Both insert with
// insertSorted and rank with beats.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_TRANSFORMS_TOPKROWS_H
#define VIBEE_TRANSFORMS_TOPKROWS_H

#include "ir/VibeeOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace vibee::topk {

/// x, at a later position, ranks before y: a larger value, or a NaN where y is
/// a number (ties keep the earlier element first).
mlir::Value beats(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);

/// Where a row's slots are: `at` is the row's position in the outer
/// dimensions; `whole` says the slots are the whole destinations (else a 1-D
/// slice of one row).
struct RowAccess {
  llvm::SmallVector<mlir::Value> at;
  bool whole;
  llvm::SmallVector<mlir::Value> pos(mlir::Value j) const {
    if (!whole)
      return {j};
    llvm::SmallVector<mlir::Value> p(at);
    p.push_back(j);
    return p;
  }
};

/// The input to read: MLIRGen's elements are a [outer..., 1, n] tensor
/// collapsed to [outer..., n]; reading the uncollapsed one at [outer..., 0, n]
/// leaves no reshape behind. The flag says the input is the uncollapsed one.
std::pair<mlir::Value, bool> uncollapsedInput(TopKOp op);

/// The i-th element of a sequence and its position in the input (the
/// destination's index element type).
using ElementAt = llvm::function_ref<std::pair<mlir::Value, mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::Value i)>;

/// Inserts x (at input position xIndex) into k sorted slots that have seen
/// `seen` elements before it (the slots below min(seen, k) are filled): when
/// the slots are not full or x beats the k-th, one descending pass puts it in
/// place and moves the worse ones down a slot.
std::pair<mlir::Value, mlir::Value> insertOne(mlir::OpBuilder &b, mlir::Location loc,
                                              const RowAccess &row, mlir::Value k,
                                              mlir::Value seen, mlir::Value x,
                                              mlir::Value xIndex, mlir::Value values,
                                              mlir::Value indices);

/// Inserts elements 0 .. count of a sequence, in order, into k sorted slots
/// (`values`, `indices`, which start unwritten): an element that does not beat
/// the k-th (once k are in) is skipped, one that does is put in place by one
/// descending pass that moves the worse ones down a slot. Returns the slots.
std::pair<mlir::Value, mlir::Value> insertSorted(mlir::OpBuilder &b, mlir::Location loc,
                                                 const RowAccess &row, mlir::Value k,
                                                 mlir::Value count, ElementAt element,
                                                 mlir::Value values, mlir::Value indices);

/// The GPU's lowering of a top-k whose rows are long (TopKMergeTree.cpp), or
/// nothing when they are not (then rows run one per thread).
std::optional<std::pair<mlir::Value, mlir::Value>>
lowerMergeTree(mlir::OpBuilder &b, TopKOp op, mlir::Value values, mlir::Value indices);

} // namespace vibee::topk

#endif // VIBEE_TRANSFORMS_TOPKROWS_H
