// The C++ backend (`vibeec compile --emit=cpp`): a spec's kernels as readable,
// self-contained C++17 that needs only the standard library, through MLIR's EmitC
// (convert-to-emitc + translateToCpp). The functions have the ABI of docs/abi.md,
// as `vibee::<spec>::<kernel>`, so host code builds against this output or
// against the object file + header (`--emit=obj`, `--emit=header`) unchanged.
#pragma once

#include "frontend/AST.h"

#include "mlir/IR/Diagnostics.h"
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
                                  bool headerOnly = true,
                                  const std::string &headerName = "");

// Shared by both C++ emitters (this one and the CUDA host file,
// backends/gpu/CudaHostSource.cpp):
// registers the convert-to-emitc interfaces and loads EmitC in `context`.
void loadEmitCConversions(mlir::MLIRContext &context);

// While alive, collects the diagnostics of `context` as "loc: message" lines
// (returned in the emitters' errors instead of printed).
class DiagnosticText {
public:
  explicit DiagnosticText(mlir::MLIRContext &context);
  std::string text;

private:
  mlir::ScopedDiagnosticHandler handler;
};

// The EmitC tail of both C++ emitters (this one and the CUDA host file,
// backends/gpu/CudaHostSource.cpp): vibee-emitc-prepare, convert-to-emitc,
// integer literals, form-expressions, translateToCpp of `module`'s functions
// (each with `specifier`, e.g. "static"). `cppArgs` receives each function's
// `vibee.cpp_args` (the ABI position of every argument it kept).
llvm::Expected<std::string>
translateFunctionsToCpp(mlir::ModuleOp module, const std::string &specifier,
                        std::map<std::string, std::vector<size_t>> &cppArgs);

} // namespace vibee
