#include "runtime/Compilation.h"

#include "backends/cpu/CpuPipeline.h"
#include "backends/gpu/GpuPipeline.h"
#include "frontend/Diagnostics.h"
#include "frontend/Frontend.h"
#include "frontend/MLIRGen.h"
#include "ir/VibeeDialect.h"
#include "transforms/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

namespace vibee {

std::string CompileOptions::key() const {
  return "target=" + target + ";portable=" + (portable ? "1" : "0") +
         ";threads=" + (threads ? "1" : "0") +
         (target == "cuda" ? ";chip=" + gpuChip + ";format=" + gpuFormat +
                                 ";gather-checks=" + (gpuGatherChecks ? "1" : "0") +
                                 ";float-atomics=" + (gpuFloatAtomics ? "1" : "0")
                           : "");
}

std::string kernelSymbol(const ast::Spec &spec, const ast::Kernel &kernel) {
  return "vibee_" + spec.name + "_" + kernel.name;
}

static GpuOptions gpuOptions(const CompileOptions &options) {
  GpuOptions gpu = GpuOptions::forChip(options.gpuChip, options.gpuFormat);
  gpu.gatherFlags = options.gpuGatherChecks;
  gpu.floatAtomics = options.gpuFloatAtomics;
  return gpu;
}

// The threads that run nested passes (one function each) in parallel: one pool
// for the process, not one per compilation (a JIT host or `vibeec test` makes
// many). The CPU pipelines run their per-function passes nested
// (docs/performance.md, "Compile time of large specs").
static llvm::ThreadPoolInterface &compilerThreads() {
  static llvm::DefaultThreadPool pool;
  return pool;
}

struct Compilation::Impl {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  Stage stage = Stage::Vibee;

  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry registry;
    mlir::registerAllDialects(registry);
    mlir::registerAllExtensions(registry);
    registry.insert<VibeeDialect>();
    mlir::registerBuiltinDialectTranslation(registry);
    mlir::registerLLVMDialectTranslation(registry);
    registerGpuDialectExtensions(registry);
    return registry;
  }
  explicit Impl(const CompileOptions &options)
      : context(registry(), mlir::MLIRContext::Threading::DISABLED) {
    // The CPU target's passes run on threads; the CUDA pipeline stays on one
    // (its nested passes have not been checked for it). --mlir-print-ir-after-all
    // prints in order on one thread.
    if (options.target == "cpu" && !options.printIRAfterAll)
      context.setThreadPool(compilerThreads());
  }
};

// Collects MLIR diagnostics while a pipeline runs, to rethrow them as one error;
// a location in the spec is rendered with its source line and a caret. Remarks
// also go to `remarks` as `file:line:col: remark: ...` lines (--verbose).
class DiagnosticCollector {
public:
  DiagnosticCollector(mlir::MLIRContext &context, const ast::Spec &spec)
      : handler(&context, [this, &spec](mlir::Diagnostic &diag) {
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Remark) {
            llvm::raw_string_ostream os(remarks);
            if (auto loc = diag.getLocation()->findInstanceOf<mlir::FileLineColLoc>())
              os << loc.getFilename().getValue() << ":" << loc.getLine() << ":" << loc.getColumn()
                 << ": ";
            os << "remark: " << diag << "\n";
            // Not rendered with the errors: rendering finds the source line,
            // so a remark per statement made large specs quadratic.
            return mlir::success();
          }
          DiagnosticEngine rendered(spec.file, spec.source);
          add(rendered, diag.getLocation(), diag.str(), Diagnostic::Error, spec);
          for (mlir::Diagnostic &note : diag.getNotes())
            add(rendered, note.getLocation(), note.str(), Diagnostic::Note, spec);
          text += rendered.str();
          return mlir::success();
        }) {}
  std::string text;
  std::string remarks;

  // A failure of the compiler itself (the spec passed every check): located
  // where it can be, and said to be a bug.
  std::string internalError(const std::string &what) const {
    return "vibeec: internal error: " + what + "\n" + text +
           "vibeec: this is a bug in vibeec; please report it with the spec that "
           "triggers it\n";
  }

private:
  mlir::ScopedDiagnosticHandler handler;

  static void add(DiagnosticEngine &out, mlir::Location loc, const std::string &message,
                  Diagnostic::Severity severity, const ast::Spec &spec) {
    auto fileLoc = loc->findInstanceOf<mlir::FileLineColLoc>();
    if (fileLoc && fileLoc.getFilename().getValue() == spec.file) {
      ast::Loc at{(int)fileLoc.getLine(), (int)fileLoc.getColumn()};
      if (severity == Diagnostic::Note)
        out.note(at, message);
      else
        out.error(at, message);
      return;
    }
    std::string where;
    llvm::raw_string_ostream os(where);
    os << loc;
    out.error({}, where + ": " + message); // no line: printed without a caret
  }
};

Compilation::Compilation(std::string file, std::string source, CompileOptions options)
    : impl_(std::make_unique<Impl>(options)), options_(std::move(options)) {
  auto diags = std::make_shared<DiagnosticEngine>(file, source);
  std::unique_ptr<ast::Spec> spec = loadSpec(file, source, *diags);
  if (spec && !diags->hasErrors()) {
    diags->setWarningsAsErrors(options_.warningsAsErrors);
    warnSpec(*spec, *diags, options_.disabledWarnings);
  }
  if (!spec || diags->hasErrors())
    throw CompileError(diags->str(), diags);
  spec_ = std::move(spec);
  warnings_ = std::move(diags);
}

Compilation::Compilation(const Compilation &whole, ast::KernelRange kernels)
    : impl_(std::make_unique<Impl>(whole.options_)), spec_(whole.spec_),
      warnings_(whole.warnings_), options_(whole.options_), kernels_(kernels) {}

Compilation::~Compilation() = default;

mlir::MLIRContext &Compilation::context() { return impl_->context; }

mlir::ModuleOp Compilation::lowerTo(Stage stage) {
  if (!impl_->module) { // generated on first use: --emit=ast needs no MLIR
    DiagnosticCollector collector(impl_->context, *spec_);
    impl_->module = generateMLIR(impl_->context, *spec_, kernels_);
    if (!impl_->module)
      throw CompileError(collector.internalError("MLIR generation failed"));
  }
  while (impl_->stage < stage) {
    mlir::PassManager pm(&impl_->context);
    if (options_.printIRAfterAll) {
      impl_->context.disableMultithreading();
      pm.enableIRPrinting(
          /*shouldPrintBeforePass=*/[](mlir::Pass *, mlir::Operation *) { return false; },
          /*shouldPrintAfterPass=*/[](mlir::Pass *, mlir::Operation *) { return true; },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
    }
    Stage next = impl_->stage == Stage::Vibee ? Stage::Linalg : Stage::LLVMDialect;
    if (next == Stage::Linalg)
      buildVibeeToLinalgPipeline(pm);
    else if (options_.target == "cuda")
      buildGpuLinalgToLLVMPipeline(pm, gpuOptions(options_));
    else if (options_.target == "cpu") {
      CpuTarget cpu = options_.portable ? portableCpu() : detectHostCpu();
      cpu.threads = options_.threads;
      buildLinalgToLLVMPipeline(pm, cpu);
    } else
      throw CompileError("vibeec: unknown target '" + options_.target + "' (cpu, cuda)\n");
    // --mlir-print-ir-after=..., --mlir-timing, the crash reproducer: applied when
    // the tool registered MLIR's options (vibeec does; a JIT host usually not).
    (void)mlir::applyPassManagerCLOptions(pm);
    mlir::applyDefaultTimingPassManagerCLOptions(pm);
    DiagnosticCollector collector(impl_->context, *spec_);
    if (mlir::failed(pm.run(*impl_->module)))
      throw CompileError(collector.internalError("lowering failed"));
    if (options_.verbose)
      llvm::errs() << collector.remarks;
    impl_->stage = next;
  }
  return *impl_->module;
}

std::string Compilation::print(Stage stage) {
  std::string text;
  llvm::raw_string_ostream os(text);
  lowerTo(stage).print(os);
  return text;
}

std::unique_ptr<llvm::Module> Compilation::translateToLLVMIR(llvm::LLVMContext &context) {
  mlir::ModuleOp module = lowerTo(Stage::LLVMDialect);
  DiagnosticCollector collector(impl_->context, *spec_);
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, spec_->name);
  if (!llvmModule)
    throw CompileError(collector.internalError("translation to LLVM IR failed"));
  return llvmModule;
}

std::string Compilation::gpuBinary() {
  mlir::ModuleOp module = lowerTo(Stage::LLVMDialect);
  std::string out;
  module.walk([&](mlir::gpu::BinaryOp binary) {
    for (mlir::Attribute attr : binary.getObjects())
      if (auto object = llvm::dyn_cast<mlir::gpu::ObjectAttr>(attr))
        out += object.getObject().str();
  });
  if (out.empty())
    throw CompileError("vibeec: no GPU code (is the target cuda?)\n");
  return out;
}

} // namespace vibee
