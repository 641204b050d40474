// vibeec: the command-line driver.
//   vibeec compile <spec> [-o out] [--emit=ast|vibee|linalg|llvm|obj|header|cpp|cpp-source]
//   vibeec test <spec|dir>...    run every behavior on the JIT-compiled kernels
//   vibeec check <spec|dir>...   differential test against the float64 reference
#include "abi/CHeader.h"
#include "backends/cpp/CppEmitter.h"
#include "backends/cpu/ObjectEmitter.h"
#include "backends/gpu/CudaHost.h"
#include "backends/gpu/CudaHostSource.h"
#include "frontend/Frontend.h"
#include "runtime/Jit.h"
#include "tools/vibeec/SpecFiles.h"
#include "tools/vibeec/SpecTesting.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

using namespace vibee;

static const char *kVersion = "vibeec 0.1.0 (MLIR/LLVM 22)";

static const char *kUsage = R"(usage: vibeec <command> [options]

commands:
  compile <spec> [-o <out>] [--emit=<what>]
        compile a spec ahead of time. Without --emit, writes <spec>.o and <spec>.h
        (an object file exporting vibee_<spec>_<kernel> and the C/C++ header that
        declares them; -o names the object, the header goes beside it;
        -o - writes the object alone to stdout).
        --emit=ast      the checked AST
        --emit=vibee    the vibee dialect, as generated
        --emit=linalg   after lowering to linalg on tensors
        --emit=llvm     LLVM IR as translated from MLIR (before LLVM's O3 and code generation)
        --emit=obj      the object file only
        --emit=header   the C/C++ header only
        --emit=cpp      self-contained C++17 kernels in one header (-o name.hpp)
        --emit=cpp-source  the same as a pair: -o name.cpp writes name.cpp + name.hpp
        --portable      AOT code for baseline x86-64 instead of this machine's CPU
        --target=cuda   GPU code (docs/gpu.md): the object's host code launches
                        embedded PTX through libvibee_cuda_rt.so (tensor arguments
                        are device pointers; vibee_cuda_set_stream picks the stream)
        --emit=ptx      (cuda) the PTX of every kernel of the spec, one module
        --emit=cubin    (cuda) the same assembled by ptxas into a cubin
        --emit=cuda-host (cuda) one self-contained C++ file (-o, default <spec>_cuda.cpp):
                        host launch code + embedded cubin/PTX over <cuda.h>, link -lcuda
        --emit=cuda-header (cuda) the C/C++ header for the object, with the stream API
        --gpu-chip=<sm> the GPU architecture (default sm_90a; sm_80 for a portable PTX)
  test <spec|dir>...    run each behavior of each spec on the JIT-compiled kernels
  check <spec|dir>...   check every kernel against the float64 reference interpreter
        on fresh random inputs of several shapes [--seed <n> to reproduce a run]

options:
  --print-ir-after-all  print the IR after every pass to stderr
  --verbose             print the compiler's remarks to stderr (e.g. a schedule
                        hint that could not apply, docs/language.md)
  --help, --version
)";

namespace {

struct Options {
  std::string command;
  std::vector<std::string> inputs;
  std::string output;
  std::string emit;
  bool printIRAfterAll = false;
  bool portable = false;
  bool verbose = false;
  std::string target = "cpu";
  std::string gpuChip = "sm_90a";
  bool haveSeed = false;
  uint64_t seed = 0;
};

bool writeText(const std::string &path, const std::string &text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    std::cerr << "vibeec: error: cannot write " << path << "\n";
    return false;
  }
  return true;
}

std::string stem(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

CompileOptions compileOptions(const Options &o) {
  CompileOptions c;
  c.printIRAfterAll = o.printIRAfterAll;
  c.portable = o.portable;
  c.verbose = o.verbose;
  c.target = o.target;
  c.gpuChip = o.gpuChip;
  if (o.emit == "cubin")
    c.gpuFormat = "bin";
  return c;
}

int compile(const Options &o) {
  if (o.inputs.size() != 1) {
    std::cerr << "vibeec: error: compile takes one spec file\n";
    return 2;
  }
  const std::string &file = o.inputs[0];
  std::string source;
  // A folder opens and reads as empty text, which used to surface as a syntax error.
  if (std::error_code ec; std::filesystem::is_directory(file, ec)) {
    std::cerr << file << ": error: is a directory (compile takes one spec file; "
              << "test and check take folders)\n";
    return 1;
  }
  if (!readFile(file, source)) {
    std::cerr << file << ": error: cannot read file\n";
    return 1;
  }
  try {
    Compilation compilation(file, source, compileOptions(o));
    const std::string &emit = o.emit;
    if (emit == "ast") {
      std::ostringstream os;
      dumpAST(compilation.spec(), os);
      return writeText(o.output, os.str()) ? 0 : 1;
    }
    if (emit == "vibee")
      return writeText(o.output, compilation.print(Stage::Vibee)) ? 0 : 1;
    if (emit == "linalg")
      return writeText(o.output, compilation.print(Stage::Linalg)) ? 0 : 1;
    if (emit == "header")
      return writeText(o.output, emitCHeader(compilation.spec())) ? 0 : 1;
    if (emit == "ptx" || emit == "cubin" || emit == "cuda-host" || emit == "cuda-header") {
      if (o.target != "cuda") {
        std::cerr << "vibeec: error: --emit=" << emit << " needs --target=cuda\n";
        return 2;
      }
      if (emit == "cuda-header")
        return writeText(o.output, emitCudaHostHeader(compilation.spec())) ? 0 : 1;
      if (emit == "cuda-host") {
        llvm::Expected<std::string> source =
            emitCudaHostSource(compilation.lowerTo(Stage::Linalg), compilation.spec(), o.gpuChip);
        if (!source) {
          std::cerr << "vibeec: error: " << llvm::toString(source.takeError());
          return 1;
        }
        return writeText(o.output.empty() ? compilation.spec().name + "_cuda.cpp" : o.output,
                         *source)
                   ? 0
                   : 1;
      }
      return writeText(o.output, compilation.gpuBinary()) ? 0 : 1;
    }
    if (emit == "cpp" || emit == "cpp-source") {
      bool headerOnly = emit == "cpp";
      std::string out = o.output.empty() ? stem(file) + (headerOnly ? ".hpp" : ".cpp") : o.output;
      std::string header = headerOnly || out == "-" ? out : stem(out) + ".hpp";
      if (!headerOnly && out != "-" && out.find('/') != std::string::npos)
        header = out.substr(0, out.rfind('/') + 1) + header;
      llvm::Expected<CppOutput> cpp =
          emitCpp(compilation.lowerTo(Stage::Linalg), compilation.spec(), headerOnly,
                  header.substr(header.find_last_of('/') + 1));
      if (!cpp) {
        std::cerr << "vibeec: error: " << llvm::toString(cpp.takeError());
        return 1;
      }
      if (headerOnly)
        return writeText(out, cpp->header) ? 0 : 1;
      return writeText(header, cpp->header) && writeText(out, cpp->source) ? 0 : 1;
    }
    if (emit == "llvm") {
      llvm::LLVMContext context;
      std::unique_ptr<llvm::Module> module = compilation.translateToLLVMIR(context);
      std::string text;
      llvm::raw_string_ostream os(text);
      module->print(os, nullptr);
      return writeText(o.output, text) ? 0 : 1;
    }
    if (emit == "obj" || emit.empty()) {
      std::string object = o.output.empty() ? stem(file) + ".o" : o.output;
      ObjectOptions objectOptions;
      objectOptions.hostCpu = !o.portable;
      if (llvm::Error err =
              emitObjectFile(compilation.lowerTo(Stage::LLVMDialect), object, objectOptions)) {
        std::cerr << "vibeec: error: " << llvm::toString(std::move(err)) << "\n";
        return 1;
      }
      // `-o -` is one stream: the object alone (there is no "-.h" to put beside it).
      if (emit.empty() && object != "-") {
        std::string header = object.substr(0, object.rfind('.')) + ".h";
        if (object.rfind('.') == std::string::npos)
          header = object + ".h";
        return writeText(header, o.target == "cuda" ? emitCudaHostHeader(compilation.spec())
                                                    : emitCHeader(compilation.spec()))
                   ? 0
                   : 1;
      }
      return 0;
    }
    std::cerr << "vibeec: error: unknown --emit=" << emit
              << " (ast, vibee, linalg, llvm, obj, header, cpp, cpp-source, ptx, cubin, cuda-host, "
                 "cuda-header)\n";
    return 2;
  } catch (const CompileError &e) {
    std::cerr << e.what();
    return 1;
  }
}

// `test` and `check` share the walk over spec files and the closing line.
int runOverSpecs(const Options &o) {
  bool ok = true;
  std::vector<std::string> files = collectSpecFiles(o.inputs, ok);
  if (files.empty()) {
    std::cerr << "vibeec: error: no .vibee files given\n";
    return 2;
  }
  uint64_t seed = o.haveSeed ? o.seed : std::random_device{}();
  if (o.command == "check")
    std::cout << "seed " << seed << " (vibeec check --seed " << seed << " reproduces this run)\n";
  Compiler compiler(compileOptions(o));
  Tally total;
  for (const std::string &file : files) {
    try {
      auto start = std::chrono::steady_clock::now();
      std::shared_ptr<JitModule> module = compiler.compileFile(file);
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      std::cout << "== " << file << " (compiled in " << (int)ms << " ms)\n";
      Tally t = o.command == "test" ? runBehaviors(*module, std::cout)
                                    : checkKernels(*module, seed, std::cout);
      total.passed += t.passed;
      total.failed += t.failed;
    } catch (const std::exception &e) {
      std::cout << "FAIL  " << file << ": does not compile\n";
      std::cerr << e.what();
      ++total.failed;
    }
  }
  std::cout << total.passed << " passed, " << total.failed << " failed\n";
  return total.failed || !ok ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << kVersion << "\n";
      return 0;
    }
    if (arg == "-o" && i + 1 < argc)
      o.output = argv[++i];
    else if (arg.rfind("--emit=", 0) == 0)
      o.emit = arg.substr(7);
    else if (arg == "--print-ir-after-all")
      o.printIRAfterAll = true;
    else if (arg.rfind("--target=", 0) == 0)
      o.target = arg.substr(9);
    else if (arg.rfind("--gpu-chip=", 0) == 0)
      o.gpuChip = arg.substr(11);
    else if (arg == "--portable")
      o.portable = true;
    else if (arg == "--verbose")
      o.verbose = true;
    else if (arg == "--seed" && i + 1 < argc) {
      o.haveSeed = true;
      o.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      std::cerr << "vibeec: error: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else if (o.command.empty())
      o.command = arg;
    else
      o.inputs.push_back(arg);
  }
  if (o.command == "compile")
    return compile(o);
  if (o.command == "test" || o.command == "check")
    return runOverSpecs(o);
  std::cerr << (o.command.empty() ? "vibeec: error: no command\n"
                                  : "vibeec: error: unknown command " + o.command + "\n")
            << kUsage;
  return 2;
}
