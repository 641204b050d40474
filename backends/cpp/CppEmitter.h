// The C++ backend (`vibeec compile --emit=cpp`): a spec's kernels as readable,
// self-contained C++17 that needs only the standard library, through MLIR's EmitC
// (convert-to-emitc + translateToCpp). The functions have the ABI of docs/abi.md,
// as `vibee::<spec>::<kernel>`, so host code builds against this output or
// against the object file + header (`--emit=obj`, `--emit=header`) unchanged.
#pragma once

#include "frontend/AST.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace vibee {

struct CppOutput {
  std::string header; // the .hpp
  std::string source; // the .cpp (empty for a header-only output)
};

// `linalgModule` is the spec lowered to linalg on tensors (Stage::Linalg); it
// is cloned, not modified. With `headerOnly`, everything is in `header` (inline
// functions); otherwise `header` declares `vibee::<spec>::<kernel>` and the C
// symbols `vibee_<spec>_<kernel>`, and `source` (which includes `headerName`)
// defines them.
llvm::Expected<CppOutput> emitCpp(mlir::ModuleOp linalgModule, const ast::Spec &spec,
                                  bool headerOnly = true, const std::string &headerName = "");

} // namespace vibee
