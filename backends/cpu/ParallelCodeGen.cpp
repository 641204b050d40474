//===- ParallelCodeGen.cpp - code generation of one object on threads -----===//
#include "backends/cpu/ParallelCodeGen.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <cstdlib>
#include <mutex>

using namespace llvm;

namespace {

/// Functions per part below which splitting costs more than it saves.
constexpr unsigned kMinFunctionsPerPart = 64;

/// Temporary files, removed when this goes away.
struct TempFiles {
  SmallVector<std::string> paths;
  ~TempFiles() {
    for (const std::string &path : paths)
      sys::fs::remove(path);
  }
  Expected<std::string> make(StringRef suffix) {
    SmallString<128> path;
    if (std::error_code ec = sys::fs::createTemporaryFile("vibee-part", suffix, path))
      return createStringError(ec, "cannot create a temporary file");
    paths.push_back(path.str().str());
    return paths.back();
  }
};

Error run(StringRef program, ArrayRef<StringRef> args) {
  std::string message;
  int status = sys::ExecuteAndWait(program, args, /*Env=*/std::nullopt, /*Redirects=*/{},
                                   /*SecondsToWait=*/0, /*MemoryLimit=*/0, &message);
  if (status != 0)
    return createStringError("'" + program + "' failed (" + Twine(status) + ")" +
                             (message.empty() ? "" : ": " + message));
  return Error::success();
}

/// Compiles the bitcode `part` in a context of its own into the object `out`.
Error compilePart(StringRef part, SmallVectorImpl<char> &out,
                  function_ref<std::unique_ptr<TargetMachine>()> makeMachine) {
  LLVMContext context;
  Expected<std::unique_ptr<Module>> module =
      parseBitcodeFile(MemoryBufferRef(part, "part"), context);
  if (!module)
    return module.takeError();
  std::unique_ptr<TargetMachine> machine = makeMachine();
  if (!machine)
    return createStringError("cannot create a target machine");
  raw_svector_ostream stream(out);
  legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, stream, nullptr, CodeGenFileType::ObjectFile))
    return createStringError("the target cannot emit an object");
  codegen.run(**module);
  return Error::success();
}

} // namespace

vibee::CodeGenParts vibee::codeGenParts(const Module &module) {
  if (const char *env = std::getenv("VIBEE_CODEGEN_PARTS"); env && *env) {
    unsigned n = 0;
    if (!StringRef(env).getAsInteger(10, n) && n >= 1)
      return {std::min(n, 64u), /*forced=*/true};
  }
  unsigned functions = 0;
  for (const Function &f : module)
    functions += !f.isDeclaration();
  unsigned parts = std::min({hardware_concurrency().compute_thread_count(), 8u,
                             functions / kMinFunctionsPerPart});
  if (parts < 2 || !canLinkObjectsRelocatable())
    return {};
  return {parts, /*forced=*/false};
}

Expected<std::string>
vibee::emitObjectInParts(Module &module, unsigned parts,
                         function_ref<std::unique_ptr<TargetMachine>()> makeMachine) {
  if (!canLinkObjectsRelocatable())
    return createStringError("'ld' or 'objcopy' not found");
  // SplitModule makes the internal symbols hidden globals of `module` itself;
  // on failure they are internal again for the caller's serial code generation.
  SmallVector<GlobalValue *> locals;
  for (GlobalValue &value : module.global_values())
    if (value.hasLocalLinkage())
      locals.push_back(&value);
  auto restore = make_scope_exit([&] {
    for (GlobalValue *value : locals) {
      value->setLinkage(GlobalValue::InternalLinkage);
      value->setVisibility(GlobalValue::DefaultVisibility);
    }
  });
  // The parts share `module`'s context: they are written as bitcode here, one at
  // a time, and each thread reads its own into a context of its own.
  SmallVector<SmallString<0>> bitcode;
  SplitModule(module, parts, [&](std::unique_ptr<Module> part) {
    raw_svector_ostream out(bitcode.emplace_back());
    WriteBitcodeToFile(*part, out);
  });
  SmallVector<SmallString<0>> objects(bitcode.size());
  std::mutex lock;
  Error failure = Error::success();
  {
    DefaultThreadPool pool(hardware_concurrency(bitcode.size()));
    for (size_t i = 0; i < bitcode.size(); ++i)
      pool.async([&, i] {
        if (Error err = compilePart(bitcode[i], objects[i], makeMachine)) {
          std::lock_guard<std::mutex> guard(lock);
          failure = joinErrors(std::move(failure), std::move(err));
        }
      });
    pool.wait();
  }
  if (failure)
    return std::move(failure);
  SmallVector<StringRef> views(objects.begin(), objects.end());
  Expected<std::string> joined = linkObjectsRelocatable(views);
  if (!joined)
    return joined.takeError();
  restore.release();
  return joined;
}

bool vibee::canLinkObjectsRelocatable() {
  return sys::findProgramByName("ld") && sys::findProgramByName("objcopy");
}

Expected<std::string> vibee::linkObjectsRelocatable(ArrayRef<StringRef> objects) {
  ErrorOr<std::string> ld = sys::findProgramByName("ld");
  ErrorOr<std::string> objcopy = sys::findProgramByName("objcopy");
  if (!ld || !objcopy)
    return createStringError("'ld' or 'objcopy' not found");
  TempFiles temps;
  SmallVector<std::string> paths;
  for (StringRef object : objects) {
    Expected<std::string> path = temps.make("o");
    if (!path)
      return path.takeError();
    std::error_code ec;
    raw_fd_ostream out(*path, ec, sys::fs::OF_None);
    if (ec)
      return createStringError(ec, "cannot open " + *path);
    out << object;
    out.close();
    if (out.has_error())
      return createStringError(out.error(), "cannot write " + *path);
    paths.push_back(*path);
  }
  Expected<std::string> joined = temps.make("o");
  if (!joined)
    return joined.takeError();
  SmallVector<StringRef> ldArgs = {*ld, "-r", "-o", *joined};
  for (const std::string &path : paths)
    ldArgs.push_back(path);
  if (Error err = run(*ld, ldArgs))
    return std::move(err);
  if (Error err = run(*objcopy, {*objcopy, "--localize-hidden", *joined}))
    return std::move(err);
  ErrorOr<std::unique_ptr<MemoryBuffer>> result = MemoryBuffer::getFile(*joined);
  if (!result)
    return createStringError(result.getError(), "cannot read " + *joined);
  return (*result)->getBuffer().str();
}
