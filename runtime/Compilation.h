// One spec on its way down the pipeline: text -> checked AST -> vibee dialect ->
// linalg -> LLVM dialect -> LLVM IR / object / JIT. Shared by the `vibeec` CLI and
// the JIT API so both run exactly the same passes.
#pragma once

#include "frontend/AST.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm
namespace mlir {
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace vibee {

class DiagnosticEngine; // frontend/Diagnostics.h

// A spec that does not compile; what() holds the rendered diagnostics. A spec's
// own errors also come as `diagnostics` (to render them again, in color).
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
  CompileError(const std::string &text, std::shared_ptr<const DiagnosticEngine> diags)
      : std::runtime_error(text), diagnostics(std::move(diags)) {}
  std::shared_ptr<const DiagnosticEngine> diagnostics;
};

struct CompileOptions {
  std::string target = "cpu";
  bool printIRAfterAll = false; // every pass's output to stderr
  bool portable = false;        // AOT: a baseline x86-64 CPU instead of the host's
  // target == "cuda" (docs/gpu.md): the GPU chip and the embedded binary's format
  // (isa = PTX text, JIT-compiled by the driver at load; bin = cubin via ptxas).
  std::string gpuChip = "sm_90a";
  std::string gpuFormat = "isa";
  // CUDA kernels report a gathered index outside its axis through a device-side
  // flag (docs/language.md, "Gathers"); false: they only clamp it, and a call with
  // gathers does not synchronize its stream.
  bool gpuGatherChecks = true;
  // CUDA: f32/f64 scatter-adds add atomically (faster, not bit-reproducible: the
  // order of the adds varies); false keeps every scatter-add in the order of its
  // points (docs/language.md, "Scatter-add").
  bool gpuFloatAtomics = false;
  // Passes' remarks (e.g. a schedule hint that could not apply) to stderr.
  bool verbose = false;
  // CPU: compile OpenMP threads in (when libomp is there); VIBEE_NUM_THREADS
  // limits them at run time.
  bool threads = true;
  // Warnings (docs/cli.md): a disabled warning's flag name ("unused-parameter"),
  // and -Werror (warnings fail the compile).
  std::vector<std::string> disabledWarnings;
  bool warningsAsErrors = false;
  std::string key() const; // what the kernel cache keys on, with the text
};

enum class Stage { Vibee, Linalg, LLVMDialect };

class Compilation {
public:
  // Parses and checks `source`; throws CompileError with every diagnostic.
  Compilation(std::string file, std::string source, CompileOptions options = {});
  // Some kernels of a spec another Compilation checked already (no parsing
  // again): the module holds `kernels` only (runtime/KernelGroups.h).
  Compilation(const Compilation &whole, ast::KernelRange kernels);
  ~Compilation();

  const ast::Spec &spec() const { return *spec_; }
  std::shared_ptr<const ast::Spec> sharedSpec() const { return spec_; }
  const CompileOptions &options() const { return options_; }
  // The spec's warnings (none when it has errors: they throw); empty when none.
  const DiagnosticEngine &warnings() const { return *warnings_; }

  // Lowers the module up to `stage` (idempotent); throws CompileError.
  mlir::ModuleOp lowerTo(Stage stage);
  std::string print(Stage stage);

  std::unique_ptr<llvm::Module> translateToLLVMIR(llvm::LLVMContext &context);

  // target "cuda": the device code embedded in the lowered module (PTX text or a
  // cubin, per options().gpuFormat), one gpu.binary per spec.
  std::string gpuBinary();

  mlir::MLIRContext &context();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<ast::Spec> spec_;
  std::shared_ptr<DiagnosticEngine> warnings_;
  CompileOptions options_;
  ast::KernelRange kernels_;
};

// The exported C symbol of a kernel: `vibee_<spec>_<kernel>`.
std::string kernelSymbol(const ast::Spec &spec, const ast::Kernel &kernel);

} // namespace vibee
