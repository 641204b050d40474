// `vibeec compile`: one spec to an object and its header, or to one --emit output.
#include "abi/CHeader.h"
#include "backends/cpp/CppEmitter.h"
#include "backends/cpu/ObjectEmitter.h"
#include "backends/gpu/CudaHost.h"
#include "backends/gpu/CudaHostSource.h"
#include "frontend/Frontend.h"
#include "runtime/DiagnosticPrinter.h"
#include "runtime/KernelGroups.h"
#include "tools/vibeec/Driver.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <sstream>

namespace vibee::driver {

namespace {

llvm::raw_ostream &error() { return llvm::WithColor::error(llvm::errs(), "vibeec"); }

// Writes through a ToolOutputFile ("-" is stdout): the file is removed again
// when `write` fails, so a failed compile leaves no truncated output behind.
bool writeOutput(const std::string &path,
                 const std::function<llvm::Error(llvm::raw_fd_ostream &)> &write,
                 bool binary = false) {
  std::error_code ec;
  llvm::ToolOutputFile out(path.empty() ? "-" : path, ec,
                           binary ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text);
  if (ec) {
    error() << "cannot open " << path << ": " << ec.message() << "\n";
    return false;
  }
  if (llvm::Error err = write(out.os())) {
    error() << llvm::toString(std::move(err)) << "\n";
    return false;
  }
  out.os().flush();
  if (out.os().has_error()) {
    error() << "cannot write " << path << ": " << out.os().error().message() << "\n";
    out.os().clear_error(); // else its destructor aborts
    return false;
  }
  out.keep();
  return true;
}

bool writeText(const std::string &path, const std::string &text) {
  return writeOutput(path, [&](llvm::raw_fd_ostream &os) {
    os << text;
    return llvm::Error::success();
  });
}

// "dir/name" of "dir/name.ext".
std::string stem(const std::string &path) {
  llvm::SmallString<128> s(path);
  llvm::sys::path::replace_extension(s, "");
  return std::string(s);
}

// An object of many kernels compiles in kernel groups on threads
// (runtime/KernelGroups.h), or as one module when a step of that fails (unless
// the groups were asked for); anything else as one module.
llvm::Error writeObject(Compilation &compilation, llvm::raw_fd_ostream &os,
                        const ObjectOptions &objectOptions) {
  if (objectOptions.kind == ObjectOptions::Object)
    if (KernelGroups split = kernelGroups(compilation); split.groups > 1) {
      llvm::Expected<std::string> object =
          emitObjectInKernelGroups(compilation, split.groups, objectOptions);
      if (object) {
        os << *object;
        return llvm::Error::success();
      }
      if (split.forced)
        return llvm::createStringError("VIBEE_KERNEL_GROUPS: " + toString(object.takeError()));
      llvm::consumeError(object.takeError());
    }
  return emitObjectFile(compilation.lowerTo(Stage::LLVMDialect), os, objectOptions);
}

int emitObject(const CompileRequest &r, Compilation &compilation, const std::string &base) {
  ObjectOptions objectOptions;
  objectOptions.hostCpu = !r.options.portable;
  if (r.emit == Emit::Asm)
    objectOptions.kind = ObjectOptions::Assembly;
  else if (r.emit == Emit::LlvmOpt)
    objectOptions.kind = ObjectOptions::OptimizedIR;
  bool binary = objectOptions.kind == ObjectOptions::Object;
  std::string out = r.output;
  if (out.empty())
    out = binary ? base + ".o" : "-";
  if (!writeOutput(
          out,
          [&](llvm::raw_fd_ostream &os) { return writeObject(compilation, os, objectOptions); },
          binary))
    return kFailed;
  // `-o -` is one stream: the object alone (there is no "-.h" to put beside it).
  if (r.emit != Emit::Default || out == "-")
    return kOk;
  llvm::SmallString<128> header(out);
  llvm::sys::path::replace_extension(header, ".h");
  const ast::Spec &spec = compilation.spec();
  return writeText(std::string(header),
                   r.options.target == "cuda" ? emitCudaHostHeader(spec) : emitCHeader(spec))
             ? kOk
             : kFailed;
}

int emitCppFiles(const CompileRequest &r, Compilation &compilation, const std::string &base) {
  bool headerOnly = r.emit == Emit::Cpp;
  std::string out = r.output.empty() ? base + (headerOnly ? ".hpp" : ".cpp") : r.output;
  std::string header = out;
  if (!headerOnly && out != "-")
    header = stem(out) + ".hpp";
  llvm::Expected<CppOutput> cpp = emitCpp(compilation.lowerTo(Stage::Linalg), compilation.spec(),
                                          headerOnly, llvm::sys::path::filename(header).str());
  if (!cpp) {
    error() << llvm::toString(cpp.takeError()) << "\n";
    return kFailed;
  }
  if (headerOnly)
    return writeText(out, cpp->header) ? kOk : kFailed;
  return writeText(header, cpp->header) && writeText(out, cpp->source) ? kOk : kFailed;
}

int emitGpu(const CompileRequest &r, Compilation &compilation) {
  if (r.options.target != "cuda") {
    error() << "--emit="
            << (r.emit == Emit::Ptx        ? "ptx"
                : r.emit == Emit::Cubin    ? "cubin"
                : r.emit == Emit::CudaHost ? "cuda-host"
                                           : "cuda-header")
            << " needs --target=cuda\n";
    return kUsage;
  }
  if (r.emit == Emit::CudaHeader)
    return writeText(r.output, emitCudaHostHeader(compilation.spec())) ? kOk : kFailed;
  if (r.emit == Emit::CudaHost) {
    llvm::Expected<std::string> source = emitCudaHostSource(compilation.lowerTo(Stage::Linalg),
                                                            compilation.spec(), r.options.gpuChip);
    if (!source) {
      error() << llvm::toString(source.takeError()) << "\n";
      return kFailed;
    }
    std::string out = r.output.empty() ? compilation.spec().name + "_cuda.cpp" : r.output;
    return writeText(out, *source) ? kOk : kFailed;
  }
  std::string binary = compilation.gpuBinary();
  return writeOutput(
             r.output,
             [&](llvm::raw_fd_ostream &os) {
               os << binary;
               return llvm::Error::success();
             },
             r.emit == Emit::Cubin)
             ? kOk
             : kFailed;
}

int emit(const CompileRequest &r, Compilation &compilation, const std::string &base) {
  switch (r.emit) {
  case Emit::Ast: {
    std::ostringstream os;
    dumpAST(compilation.spec(), os);
    return writeText(r.output, os.str()) ? kOk : kFailed;
  }
  case Emit::Vibee:
    return writeText(r.output, compilation.print(Stage::Vibee)) ? kOk : kFailed;
  case Emit::Linalg:
    return writeText(r.output, compilation.print(Stage::Linalg)) ? kOk : kFailed;
  case Emit::Header:
    return writeText(r.output, emitCHeader(compilation.spec())) ? kOk : kFailed;
  case Emit::Llvm: {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = compilation.translateToLLVMIR(context);
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os, nullptr);
    return writeText(r.output, text) ? kOk : kFailed;
  }
  case Emit::Cpp:
  case Emit::CppSource:
    return emitCppFiles(r, compilation, base);
  case Emit::Ptx:
  case Emit::Cubin:
  case Emit::CudaHost:
  case Emit::CudaHeader:
    return emitGpu(r, compilation);
  case Emit::Default:
  case Emit::Obj:
  case Emit::Asm:
  case Emit::LlvmOpt:
    return emitObject(r, compilation, base);
  }
  return kFailed;
}

} // namespace

std::string displayName(const std::string &path) { return path == "-" ? "<stdin>" : path; }

bool readInput(const std::string &path, std::string &text) {
  // A folder opens and reads as empty text, which used to surface as a syntax error.
  if (path != "-" && llvm::sys::fs::is_directory(path)) {
    llvm::WithColor::error(llvm::errs(), path)
        << "is a directory (compile takes one spec file; test and check take folders)\n";
    return false;
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!buffer) {
    llvm::WithColor::error(llvm::errs(), displayName(path))
        << "cannot read: " << buffer.getError().message() << "\n";
    return false;
  }
  text = (*buffer)->getBuffer().str();
  return true;
}

void printCompileError(const CompileError &e) {
  if (e.diagnostics)
    printDiagnostics(*e.diagnostics, llvm::errs());
  else
    llvm::errs() << e.what();
}

int compile(const CompileRequest &r) {
  std::string source;
  if (!readInput(r.input, source))
    return kFailed;
  try {
    Compilation compilation(displayName(r.input), source, r.options);
    printDiagnostics(compilation.warnings(), llvm::errs());
    // Default outputs go to the working directory, named after the spec file.
    std::string base =
        r.input == "-" ? compilation.spec().name : llvm::sys::path::stem(r.input).str();
    return emit(r, compilation, base);
  } catch (const CompileError &e) {
    printCompileError(e);
    return kFailed;
  }
}

} // namespace vibee::driver
