// libFuzzer entry for the whole compiler: every input that passes sema goes through
// MLIRGen, vibee -> linalg and the C header, then one backend (a hash of the bytes
// picks it; VIBEE_FUZZ_ALL_STAGES=1 runs all): the CPU pipeline to LLVM IR and the
// JIT, with the behaviors and the differential check of every kernel against the
// float64 reference (Differential.h); the C++ (EmitC) emission; or the GPU pipeline
// to PTX (no GPU needed; no cubin) or the CUDA host file. A finding is a crash, a
// sanitizer report, a timeout, an error from a stage after sema (a spec that passes
// sema must compile, or fail with a located error from MLIRGen or a documented
// one), or an unexplained mismatch. Inputs that fail sema are rejected (return -1):
// they are the frontend fuzzer's.
#include "abi/CHeader.h"
#include "backends/cpp/CppEmitter.h"
#include "backends/gpu/CudaHost.h"
#include "backends/gpu/CudaHostSource.h"
#include "frontend/Frontend.h"
#include "runtime/Jit.h"
#include "tests/fuzz/Differential.h"
#include "tools/vibeec/SpecTesting.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

using namespace vibee;

namespace {

// Work per input: the compile cost grows with statements and kernels, the run cost
// with elements (fuzz::TrialBudget).
constexpr size_t kMaxInputBytes = 4096;
constexpr size_t kMaxKernels = 4;
constexpr size_t kMaxStatements = 24;
constexpr int64_t kMaxBehaviorElements = 1 << 12;

fuzz::DiffStats stats;
int64_t executions = 0, compiled = 0, cleanErrors = 0;

[[noreturn]] void finding(const std::string &stage, const std::string &what,
                          const std::string &source) {
  std::fprintf(stderr, "\n==== compiler_fuzzer finding in %s ====\n%s\n---- spec ----\n%s\n----\n",
               stage.c_str(), what.c_str(), source.c_str());
  std::abort();
}

void printStats() {
  std::fprintf(
      stderr,
      "#compiler_fuzzer inputs %lld compiled %lld clean-errors %lld | diff compared "
      "%lld over-budget %lld ill-conditioned %lld out-of-range %lld near-tie %lld "
      "reference-threw %lld both-threw %lld\n",
      (long long)executions, (long long)compiled, (long long)cleanErrors, (long long)stats.compared,
      (long long)stats.overBudget, (long long)stats.illConditioned, (long long)stats.outOfRange,
      (long long)stats.nearTie, (long long)stats.referenceThrew, (long long)stats.bothThrew);
}

bool withinCompileBudget(const ast::Spec &spec) {
  if (spec.kernels.size() > kMaxKernels)
    return false;
  size_t statements = 0;
  for (const ast::Kernel &k : spec.kernels)
    statements += k.body.size();
  if (statements > kMaxStatements)
    return false;
  for (const ast::Behavior &b : spec.behaviors) {
    auto small = [](const ast::Value &v) {
      int64_t n = 1;
      for (int64_t d : v.shape)
        if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxBehaviorElements)
          return false;
      return true;
    };
    for (const ast::Binding &g : b.given)
      if (!small(g.value))
        return false;
    for (const ast::Binding &g : b.when.named)
      if (!small(g.value))
        return false;
    for (const ast::Expectation &t : b.then)
      if (!small(t.expected))
        return false;
  }
  return true;
}

// A spec that passed sema may still be refused by MLIRGen with a located error (a
// result never assigned, a local read before it is set): a clean error, not a bug.
bool isCleanMlirGenError(const std::string &what) {
  return what.rfind("vibeec: MLIR generation failed:", 0) == 0 &&
         what.find("fuzz.vibee:") != std::string::npos;
}

// C++ through EmitC, header-only or header + source (on a clone of the module).
void emitCppOf(Compilation &cpu, bool headerOnly, const std::string &source) {
  llvm::Expected<CppOutput> cpp =
      emitCpp(cpu.lowerTo(Stage::Linalg), cpu.spec(), headerOnly, "fuzz.hpp");
  if (!cpp)
    finding("C++ emission", llvm::toString(cpp.takeError()), source);
}

// CPU: -> LLVM dialect -> LLVM IR, and the JIT (LLVM O3 and code generation).
std::shared_ptr<JitModule> compileCpu(Compilation &cpu, const std::string &source) {
  cpu.lowerTo(Stage::LLVMDialect);
  llvm::LLVMContext context;
  if (!cpu.translateToLLVMIR(context))
    finding("LLVM IR translation", "no module", source);
  return buildJitModule(cpu);
}

// GPU to PTX text (the `--emit=ptx` path) or the CUDA host file (two device images,
// host code through EmitC), never ptxas: `toolkit` names no folder.
void compileGpu(const std::string &source, bool hostFile) {
  CompileOptions options;
  options.target = "cuda";
  Compilation gpu("fuzz.vibee", source, options);
  std::string header = emitCudaHostHeader(gpu.spec());
  if (!hostFile) {
    if (gpu.gpuBinary().empty())
      finding("GPU", "empty PTX", source);
    return;
  }
  llvm::Expected<std::string> host =
      emitCudaHostSource(gpu.lowerTo(Stage::Linalg), gpu.spec(), "sm_90a", "/nonexistent");
  if (host)
    return;
  std::string error = llvm::toString(host.takeError());
  // Documented (docs/gpu.md, "Host code from the IR"): a rank-0 result the GPU route
  // leaves to host code is a located error of --emit=cuda-host.
  if (error.find("fuzz.vibee") != std::string::npos &&
      error.find("in host code reads or writes device memory") != std::string::npos) {
    ++cleanErrors;
    return;
  }
  finding("CUDA host emission", error, source);
}

uint64_t hashBytes(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > kMaxInputBytes)
    return -1;
  if (++executions % 200 == 0)
    printStats();
  std::string source(reinterpret_cast<const char *>(data), size);
  DiagnosticEngine diags("fuzz.vibee", source);
  std::unique_ptr<ast::Spec> spec = loadSpec("fuzz.vibee", source, diags);
  if (!spec || diags.hasErrors() || !withinCompileBudget(*spec))
    return -1;
  // One backend per input, chosen by a hash of its bytes (VIBEE_FUZZ_ALL_STAGES=1:
  // all of them): the CPU JIT with the behaviors and the differential check for half
  // of the inputs, the C++ emission or the GPU for a quarter each. Every input goes
  // through MLIRGen, vibee -> linalg and the C header.
  const uint64_t hash = hashBytes(data, size);
  static const bool allStages = std::getenv("VIBEE_FUZZ_ALL_STAGES") != nullptr;
  const unsigned route = hash % 4;
  std::shared_ptr<JitModule> jit;
  std::string stage = "MLIRGen";
  try {
    Compilation cpu("fuzz.vibee", source);
    std::string vibeeText = cpu.print(Stage::Vibee);
    stage = "vibee -> linalg";
    cpu.lowerTo(Stage::Linalg);
    std::string header = emitCHeader(cpu.spec());
    if (allStages || route == 2) {
      stage = "C++ emission";
      emitCppOf(cpu, hash & 16, source);
    }
    if (allStages || route == 3) {
      stage = "GPU pipeline";
      compileGpu(source, hash & 32);
    }
    if (allStages || route < 2) {
      stage = "CPU pipeline";
      jit = compileCpu(cpu, source);
    }
  } catch (const CompileError &e) {
    if (stage == "MLIRGen" && isCleanMlirGenError(e.what())) {
      ++cleanErrors;
      return 0;
    }
    finding(stage, e.what(), source);
  }
  ++compiled;
  if (!jit)
    return 0;

  std::ostringstream behaviors; // failures are expected (fuzzed expectations)
  runBehaviors(*jit, "", behaviors);
  for (const ast::Kernel &k : spec->kernels) {
    std::string mismatch =
        fuzz::differentialCheck(*jit, *spec, k, hash >> 8, fuzz::TrialBudget{}, stats);
    if (!mismatch.empty())
      finding("differential check of kernel '" + k.name + "'", mismatch, source);
  }
  return 0;
}
