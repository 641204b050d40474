//===- Contractions.h - sum-of-products statements as linalg.contract -----===//
//
// The one place a contraction is recognised (docs/architecture.md,
// "Contractions"): a `sum` compute whose body is a product splits into an
// optional prologue per operand, one linalg.contract with explicit indexing
// maps, and an optional epilogue (the factors that read no contracted index).
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_CONVERSION_VIBEETOLINALG_CONTRACTIONS_H
#define VIBEE_CONVERSION_VIBEETOLINALG_CONTRACTIONS_H

#include "ir/VibeeOps.h"

#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace vibee {

/// Builds the contraction for `op` (whose converted inputs are `inputs`, loop
/// extents `extents`, destination `init` filled with zero) before `op` and returns its final
/// value. Returns std::nullopt, building nothing, when `op` is not a
/// contraction; `why` is then set when the body is a product (a sum of
/// products that was not recognised, worth a remark) and left empty otherwise.
std::optional<mlir::Value> buildContraction(ComputeOp op, mlir::ValueRange inputs,
                                            mlir::ValueRange extents, mlir::Value init,
                                            mlir::RewriterBase &rewriter, std::string &why);

} // namespace vibee

#endif // VIBEE_CONVERSION_VIBEETOLINALG_CONTRACTIONS_H
