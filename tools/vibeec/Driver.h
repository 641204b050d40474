// The vibeec subcommands, called by main (vibeec.cpp) once llvm::cl has parsed
// and checked the command line. Exit codes: docs/cli.md.
#pragma once

#include "runtime/Compilation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vibee::driver {

enum ExitCode {
  kOk = 0,
  kFailed = 1,     // a spec does not compile, a behavior or a check fails
  kUsage = 2,      // the command line is wrong
  kNothingRan = 5, // test/check: no behavior or kernel was run (pytest's code)
};

enum class Emit {
  Default, // object + header
  Ast,
  Vibee,
  Linalg,
  Llvm,    // LLVM IR as translated from MLIR
  LlvmOpt, // LLVM IR after LLVM's O3 pipeline (what code generation starts from)
  Asm,
  Obj,
  Header,
  Cpp,
  CppSource,
  Ptx,
  Cubin,
  CudaHost,
  CudaHeader,
};

struct CompileRequest {
  std::string input; // a file, or "-" for stdin
  std::string output;
  Emit emit = Emit::Default;
  CompileOptions options;
};

struct RunRequest {
  bool check = false; // `check`, else `test`
  std::vector<std::string> inputs;
  CompileOptions options;
  std::string filter; // -k: substring of "spec: title" (test) or "spec.kernel" (check)
  std::string junitFile, jsonFile;
  bool useCache = true;
  std::optional<uint64_t> seed;
};

// Reads a file or stdin ("-"); on failure prints `file: error: ...` and returns false.
bool readInput(const std::string &path, std::string &text);
// The name diagnostics use for `path` ("<stdin>" for "-").
std::string displayName(const std::string &path);
// Prints a CompileError: the spec's diagnostics in color on a terminal, else its text.
void printCompileError(const CompileError &error);

int compile(const CompileRequest &request);
int runSpecs(const RunRequest &request);

} // namespace vibee::driver
