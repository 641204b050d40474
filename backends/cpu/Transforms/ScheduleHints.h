// Schedule hints (`vibee.schedule` on a kernel's func.func, docs/language.md) as the
// CPU passes read them, and the mapping of linalg loops to the kernel's size symbols.
#pragma once

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir {
class Operation;
namespace linalg {
class LinalgOp;
} // namespace linalg
} // namespace mlir

namespace vibee {

struct ScheduleHints {
  llvm::StringMap<int64_t> tiles;                         // tile(D = n): size symbol -> n
  std::optional<int64_t> vectorWidth;                     // vector(w)
  std::optional<llvm::SmallVector<std::string>> parallel; // parallel(D, ...)
  std::optional<int64_t> threads;                         // threads(n)

  /// The hints of the function enclosing `op` (none when it has no vibee.schedule).
  static ScheduleHints of(mlir::Operation *op);

  /// False for `parallel()` and `threads(1)`: no thread code at all.
  bool allowsThreads() const;
  /// Whether a loop over size symbol `symbol` (nullopt: not traceable) may be split
  /// over threads: always without a parallel(...) hint, else only a listed symbol.
  bool allowsParallel(std::optional<llvm::StringRef> symbol) const;
  /// The tile(...) size for `symbol`, if hinted.
  std::optional<int64_t> tile(std::optional<llvm::StringRef> symbol) const;
  /// The most threads a thread region of this kernel may use (threads(n)), if hinted.
  std::optional<int64_t> maxThreads() const { return threads; }
};

/// The size symbol (an entry of the kernel func's vibee.dim_names) that is the
/// extent of loop `loop` of `op`: found through an operand that the loop indexes
/// directly, traced through memref.cast and the dynamic sizes of memref.alloc
/// (memref.dim of another memref) to an axis of a kernel argument (vibee.arg_dims).
/// Nullopt when no operand leads there (a literal size, a view).
std::optional<std::string> loopSymbol(mlir::linalg::LinalgOp op, unsigned loop);

} // namespace vibee
