//===- ParallelCodeGen.h - code generation of one object on threads --------===//
//
// LLVM's code generation takes most of the compile time of a large spec (one
// kernel of thousands of statements, or thousands of kernels) and runs one
// function at a time. An optimized module of many functions is split into parts
// (llvm::SplitModule, the internal symbols made hidden), each part compiled on its
// own thread in its own LLVMContext into an object, and the objects joined into
// one with `ld -r`; `objcopy --localize-hidden` then makes the split-off symbols
// local again, so that two specs' objects still link together.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace vibee {

/// How many parts `module` is compiled in, and whether the user asked for it.
struct CodeGenParts {
  unsigned parts = 1;
  bool forced = false;
};

/// VIBEE_CODEGEN_PARTS=n when set (1 to 64; forced: a failure of the split is an
/// error, not a fallback), else 1 (serial) unless `module` has at least 64
/// defined functions per part, there is more than one hardware thread and the
/// `ld` and `objcopy` programs are found.
CodeGenParts codeGenParts(const llvm::Module &module);

/// The object of `module` (optimized already), compiled in `parts` parts on as
/// many threads; `makeMachine` gives each thread its own target machine. An error
/// names the step that failed (the caller may fall back to one part).
llvm::Expected<std::string>
emitObjectInParts(llvm::Module &module, unsigned parts,
                  llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeMachine);

/// Whether the `ld` and `objcopy` programs that join objects are found.
bool canLinkObjectsRelocatable();

/// ELF objects (their bytes) joined into one with `ld -r`, the hidden symbols then
/// made local (`objcopy --localize-hidden`): what emitObjectInParts and a spec
/// compiled in kernel groups (runtime/KernelGroups.h) write.
llvm::Expected<std::string> linkObjectsRelocatable(llvm::ArrayRef<llvm::StringRef> objects);

} // namespace vibee
