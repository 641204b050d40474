// vibeec: the command-line driver, on llvm::cl subcommands.
//   vibeec compile <spec|-> [-o out] [--emit=...]   ahead of time (object + C header, ...)
//   vibeec test <spec|dir|->...                     run every behavior on the JIT
//   vibeec check <spec|dir|->...                    every kernel vs the float64 reference
//   vibeec cache clear|dir                          the on-disk kernel cache
// MLIR's pass-manager, context, printing and timing options (--mlir-print-ir-after=,
// --mlir-timing, --mlir-pass-pipeline-crash-reproducer=, ...) apply to every
// pipeline a command runs. docs/cli.md has every option, variable and exit code.
#include "backends/cpp/Transforms/Passes.h"
#include "backends/cpu/CpuPipeline.h"
#include "backends/gpu/GpuPipeline.h"
#include "conversion/LoopsToEmitC/Passes.h"
#include "conversion/VibeeToLinalg/Passes.h"
#include "frontend/Frontend.h"
#include "runtime/DiskCache.h"
#include "tools/vibeec/Driver.h"
#include "transforms/Passes.h"
#include "transforms/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

using namespace vibee;
using namespace vibee::driver;
namespace cl = llvm::cl;

namespace {

cl::SubCommand compileCmd("compile", "Compile one spec ahead of time: <spec>.o and <spec>.h "
                                     "(an object exporting vibee_<spec>_<kernel> and its C/C++ "
                                     "header), or one --emit output");
cl::SubCommand testCmd("test", "Run every behavior of each spec on the JIT-compiled kernels");
cl::SubCommand checkCmd("check", "Check every kernel against the float64 reference interpreter "
                                 "on random inputs of several shapes");
cl::SubCommand cacheCmd("cache", "The on-disk cache of compiled kernels ($VIBEE_CACHE_DIR)");

cl::OptionCategory compileCategory("Compilation options");
cl::OptionCategory runCategory("Test and check options");

// compile
cl::opt<std::string> compileInput(cl::Positional, cl::Required, cl::sub(compileCmd),
                                  cl::desc("<spec.vibee | - (stdin)>"));
cl::opt<std::string> output("o", cl::sub(compileCmd), cl::value_desc("file"),
                            cl::cat(compileCategory),
                            cl::desc("Output file ('-' = stdout, every --emit included). The "
                                     "header goes beside the object; text emits default to "
                                     "stdout"));
cl::opt<Emit> emitKind(
    "emit", cl::sub(compileCmd), cl::init(Emit::Default), cl::cat(compileCategory),
    cl::desc("What to write (default: the object file and its C header)"),
    cl::values(clEnumValN(Emit::Ast, "ast", "the checked AST"),
               clEnumValN(Emit::Vibee, "vibee", "the vibee dialect, as generated"),
               clEnumValN(Emit::Linalg, "linalg", "after lowering to linalg on tensors"),
               clEnumValN(Emit::Llvm, "llvm", "LLVM IR as translated from MLIR (before O3)"),
               clEnumValN(Emit::LlvmOpt, "llvm-opt",
                          "LLVM IR after LLVM's O3 pipeline (what code generation reads)"),
               clEnumValN(Emit::Asm, "asm", "the object's assembly"),
               clEnumValN(Emit::Obj, "obj", "the object file only"),
               clEnumValN(Emit::Header, "header", "the C/C++ header only"),
               clEnumValN(Emit::Cpp, "cpp", "self-contained C++17 kernels in one header"),
               clEnumValN(Emit::CppSource, "cpp-source",
                          "the same as a pair: -o name.cpp writes name.cpp + name.hpp"),
               clEnumValN(Emit::Ptx, "ptx", "(cuda) the PTX of every kernel"),
               clEnumValN(Emit::Cubin, "cubin", "(cuda) the same assembled by ptxas"),
               clEnumValN(Emit::CudaHost, "cuda-host",
                          "(cuda) one C++ file: host code + embedded cubin/PTX over <cuda.h>"),
               clEnumValN(Emit::CudaHeader, "cuda-header", "(cuda) the object's C/C++ header")));
cl::opt<bool> portable("portable", cl::sub(compileCmd), cl::cat(compileCategory),
                       cl::desc("Code for baseline x86-64 instead of this machine's CPU"));

// compile, test, check
enum class Target { Cpu, Cuda };
cl::opt<Target> target("target", cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
                       cl::init(Target::Cpu), cl::cat(compileCategory),
                       cl::desc("Where the kernels run (docs/gpu.md)"),
                       cl::values(clEnumValN(Target::Cpu, "cpu", "this machine's CPU"),
                                  clEnumValN(Target::Cuda, "cuda", "an NVIDIA GPU")));
cl::opt<std::string> gpuChip("gpu-chip", cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
                             cl::init("sm_90a"), cl::value_desc("sm_XX"), cl::cat(compileCategory),
                             cl::desc("The GPU architecture (sm_80 for a portable PTX)"));
cl::opt<bool> noGpuGatherChecks(
    "no-gpu-gather-checks", cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
    cl::cat(compileCategory),
    cl::desc("CUDA: clamp gathered indices without the device-side check that reports one "
             "outside its axis (no stream synchronization per call; docs/language.md)"));
cl::opt<bool> gpuFloatAtomics(
    "gpu-float-atomics", cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
    cl::cat(compileCategory),
    cl::desc("CUDA: f32/f64 scatter-adds with one atomic add per point, like PyTorch's "
             "index_add_: faster, but the order of the adds (so the last bits) may differ "
             "from run to run (docs/language.md, \"Scatter-add\")"));
cl::opt<bool> noThreads("no-threads", cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
                        cl::cat(compileCategory),
                        cl::desc("No OpenMP threads in the code (VIBEE_NUM_THREADS only limits "
                                 "them when the code runs)"));
cl::opt<bool> printIRAfterAll("print-ir-after-all", cl::sub(compileCmd), cl::sub(testCmd),
                              cl::sub(checkCmd), cl::cat(compileCategory),
                              cl::desc("Print the IR after every pass to stderr (the same as "
                                       "--mlir-print-ir-after-all)"));
cl::opt<bool> verbose("verbose", cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
                      cl::cat(compileCategory),
                      cl::desc("Print the compiler's remarks to stderr (e.g. a schedule hint "
                               "that could not apply)"));
cl::list<std::string> warningOptions(
    "W", cl::Prefix, cl::sub(compileCmd), cl::sub(testCmd), cl::sub(checkCmd),
    cl::value_desc("error|no-<warning>"), cl::cat(compileCategory),
    cl::desc("-Werror: warnings are errors; -Wno-<warning> turns one off (unused-parameter, "
             "unused-local, unused-index, untested-kernel)"));

// test, check
cl::list<std::string> runInputs(cl::Positional, cl::OneOrMore, cl::sub(testCmd), cl::sub(checkCmd),
                                cl::desc("<spec.vibee | folder | ->..."));
cl::opt<std::string> filter("k", cl::sub(testCmd), cl::sub(checkCmd), cl::value_desc("pattern"),
                            cl::cat(runCategory),
                            cl::desc("Only behaviors (test) or kernels (check) whose name "
                                     "(\"spec: title\", \"spec.kernel\") contains <pattern>"));
cl::opt<std::string> junitFile("junit", cl::sub(testCmd), cl::sub(checkCmd), cl::value_desc("file"),
                               cl::cat(runCategory), cl::desc("Write a JUnit XML report"));
cl::opt<std::string> jsonFile("json", cl::sub(testCmd), cl::sub(checkCmd), cl::value_desc("file"),
                              cl::cat(runCategory), cl::desc("Write a JSON report"));
cl::opt<bool> noCache("no-cache", cl::sub(testCmd), cl::sub(checkCmd), cl::cat(runCategory),
                      cl::desc("Neither read nor write the on-disk kernel cache"));
cl::opt<uint64_t> seed("seed", cl::sub(checkCmd), cl::cat(runCategory), cl::value_desc("n"),
                       cl::desc("Random inputs of this seed (each run prints its seed)"));

// cache
cl::opt<std::string> cacheAction(cl::Positional, cl::Required, cl::sub(cacheCmd),
                                 cl::desc("<clear | dir>"));

cl::extrahelp environmentHelp(R"(
ENVIRONMENT (docs/cli.md):
  VIBEE_CACHE_DIR     the kernel cache of test, check and the JIT API (default
                      $XDG_CACHE_HOME/vibee, else ~/.cache/vibee)
  VIBEE_NUM_THREADS   threads compiled code runs on (then OMP_NUM_THREADS, then
                      every online CPU); read when kernels run, not when they compile
  OMP_NUM_THREADS     see VIBEE_NUM_THREADS
  VIBEE_NO_OPENMP=1   do not load libomp: the JIT's code has no threads
  VIBEE_CUDA_IMAGE    cuda-host files: which embedded image to load (cubin or ptx)
  VIBEE_KERNEL_GROUPS compile, test, check (CPU): the kernels of a spec compiled
                      in this many groups on threads, each a module of its own
                      (default: by size and cores; 1 = one module)
  VIBEE_CODEGEN_PARTS compile: one module's object generated in this many parts
                      on threads (default: by size and cores; 1 = serial)
  VIBEE_PERF_JITDUMP=1, VIBEE_GDB_JIT=1   register JIT code with perf / gdb

EXIT CODES: 0 success; 1 a spec does not compile, a behavior or check fails;
  2 a usage error; 5 test/check ran nothing (no behavior, or -k matched none).
)");

const char *kCommands[] = {"compile", "test", "check", "cache"};

void printVersion(llvm::raw_ostream &os) { os << "vibeec 0.1.0 (MLIR/LLVM 22)\n"; }

// `vibeec frobnicate`: llvm::cl would take the word for a positional of no command.
int checkCommandWord(int argc, char **argv) {
  if (argc < 2) {
    llvm::WithColor::error(llvm::errs(), "vibeec")
        << "no command (compile, test, check, cache); see vibeec --help\n";
    return kUsage;
  }
  llvm::StringRef word = argv[1];
  if (word.starts_with("-"))
    return kOk;
  std::string best;
  unsigned bestDistance = 3;
  for (const char *command : kCommands) {
    if (word == command)
      return kOk;
    unsigned d = word.edit_distance(command, true, bestDistance);
    if (d < bestDistance)
      bestDistance = d, best = command;
  }
  auto &os = llvm::WithColor::error(llvm::errs(), "vibeec");
  os << "unknown command '" << word << "'";
  if (!best.empty())
    os << "; did you mean '" << best << "'?";
  os << " (compile, test, check, cache)\n";
  return kUsage;
}

// -W values: error, no-error, <warning>, no-<warning>.
bool applyWarningOptions(CompileOptions &options) {
  for (const std::string &w : warningOptions) {
    llvm::StringRef value = w;
    bool off = value.consume_front("no-");
    if (value == "error") {
      options.warningsAsErrors = !off;
      continue;
    }
    const std::vector<std::string> &flags = warningFlags();
    if (std::find(flags.begin(), flags.end(), value.str()) == flags.end()) {
      llvm::WithColor::error(llvm::errs(), "vibeec")
          << "unknown warning option '-W" << w << "' (error, unused-parameter, unused-local, "
          << "unused-index, untested-kernel, each also as no-...)\n";
      return false;
    }
    auto &disabled = options.disabledWarnings;
    if (off)
      disabled.push_back(value.str());
    else
      disabled.erase(std::remove(disabled.begin(), disabled.end(), value.str()), disabled.end());
  }
  return true;
}

CompileOptions compileOptions() {
  CompileOptions c;
  c.printIRAfterAll = printIRAfterAll;
  c.portable = portable;
  c.verbose = verbose;
  c.target = target == Target::Cuda ? "cuda" : "cpu";
  c.gpuChip = gpuChip;
  c.gpuGatherChecks = !noGpuGatherChecks;
  c.gpuFloatAtomics = gpuFloatAtomics;
  c.threads = !noThreads;
  if (emitKind == Emit::Cubin)
    c.gpuFormat = "bin";
  return c;
}

int cacheCommand() {
  DiskCache cache = DiskCache::fromEnvironment();
  if (cacheAction == "dir") {
    llvm::outs() << cache.directory() << "\n";
    return kOk;
  }
  if (cacheAction == "clear") {
    std::string error;
    int removed = cache.clear(&error);
    if (removed < 0) {
      llvm::WithColor::error(llvm::errs(), "vibeec") << error << "\n";
      return kFailed;
    }
    llvm::outs() << "removed " << removed << " cached kernel files from " << cache.directory()
                 << "\n";
    return kOk;
  }
  llvm::WithColor::error(llvm::errs(), "vibeec")
      << "unknown cache action '" << cacheAction << "' (clear, dir)\n";
  return kUsage;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Results go to stdout line by line, also into a pipe (a CI log shows them as
  // they come); errors go to stdout too while tests run (runSpecs), in order.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // Passes are named by --mlir-print-ir-after=<pass> (and its kin): every pass of
  // MLIR's and of ours, as in vibee-opt.
  mlir::registerAllPasses();
  registerVibeeTransformsPasses();
  registerVibeeToLinalgPasses();
  registerLoopsToEmitCPasses();
  registerVibeeCppTransformsPasses();
  registerSharedPipelines();
  registerCpuPipelines();
  registerGpuPipelines();
  mlir::registerPassManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::SetVersionPrinter(printVersion);
  if (int code = checkCommandWord(argc, argv))
    return code;
  if (!cl::ParseCommandLineOptions(argc, argv, "vibeec: compiles and tests .vibee kernel specs\n",
                                   &llvm::errs()))
    return kUsage;

  CompileOptions options = compileOptions();
  if (!applyWarningOptions(options))
    return kUsage;
  if (compileCmd) {
    CompileRequest request;
    request.input = compileInput;
    request.output = output;
    request.emit = emitKind;
    request.options = options;
    return compile(request);
  }
  if (testCmd || checkCmd) {
    RunRequest request;
    request.check = bool(checkCmd);
    request.inputs.assign(runInputs.begin(), runInputs.end());
    request.options = options;
    request.filter = filter;
    request.junitFile = junitFile;
    request.jsonFile = jsonFile;
    request.useCache = !noCache;
    if (seed.getNumOccurrences())
      request.seed = seed;
    return runSpecs(request);
  }
  if (cacheCmd)
    return cacheCommand();
  llvm::WithColor::error(llvm::errs(), "vibeec")
      << "no command (compile, test, check, cache); see vibeec --help\n";
  return kUsage;
}
