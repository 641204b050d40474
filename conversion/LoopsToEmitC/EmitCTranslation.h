// The EmitC tail shared by the C++ backend (backends/cpp/CppEmitter.cpp) and the
// CUDA host file (backends/gpu/CudaHostSource.cpp): bufferized loops ->
// vibee-prepare-emitc -> convert-to-emitc -> form-expressions -> C++ text.
#pragma once

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

// Registers the convert-to-emitc interfaces and loads EmitC in `context`.
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

// The EmitC tail of both C++ emitters: vibee-prepare-emitc, convert-to-emitc,
// integer literals, form-expressions, translateToCpp of `module`'s functions
// (each with `specifier`, e.g. "static"). `cppArgs` receives each function's
// `vibee.cpp_args` (the ABI position of every argument it kept).
// `restrictPointers`: the pointer arguments of the functions nothing calls are
// `T* VIBEE_RESTRICT` (the C++ backend, whose preamble defines the macro).
llvm::Expected<std::string>
translateFunctionsToCpp(mlir::ModuleOp module, const std::string &specifier,
                        std::map<std::string, std::vector<size_t>> &cppArgs,
                        bool restrictPointers = false);

} // namespace vibee
