// The JIT's side of the disk cache: the key of a compilation and loading a cached
// object (or one compiled in kernel groups) into ORC, linked by JITLink against
// the symbols of the process (libm, libomp) and the vibee runtime.
#include "backends/cpu/CpuPipeline.h"
#include "runtime/JitEngine.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"

namespace vibee {

JitModule::Engine::Engine() = default;
JitModule::Engine::~Engine() = default;

std::string jitCacheKey(const Compilation &compilation) {
  const CompileOptions &options = compilation.options();
  bool openmp = options.target == "cpu" && loadOpenMPRuntime();
  return DiskCache::key({"jit", compilerFingerprint(), hostCpuFingerprint(), options.key(),
                         openmp ? "openmp" : "serial", compilation.spec().source});
}

std::unique_ptr<JitModule::Engine> loadCachedObject(std::unique_ptr<llvm::MemoryBuffer> object,
                                                    const ast::Spec &spec) {
  auto fail = [](llvm::Error error) -> std::unique_ptr<JitModule::Engine> {
    llvm::consumeError(std::move(error));
    return nullptr;
  };
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine)
    return fail(machine.takeError());
  // ORC's default linker, JITLink: RuntimeDyld resolved a relocation against a
  // local label by its name, and objects joined with `ld -r` (kernel groups)
  // hold one `.LCPI0_0` constant-pool label per group: they read each other's
  // constants (lr_schedules' cosine came out NaN).
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*machine)).create();
  if (!jit)
    return fail(jit.takeError());
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator)
    return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(), (*jit)->getDataLayout());
  if (llvm::Error error =
          (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(cpuRuntimeSymbols(interner))))
    return fail(std::move(error));
  if (llvm::Error error = (*jit)->addObjectFile(std::move(object)))
    return fail(std::move(error));
  auto engine = std::make_unique<JitModule::Engine>();
  for (const ast::Kernel &k : spec.kernels) {
    auto address = (*jit)->lookup("_mlir_" + kernelSymbol(spec, k));
    if (!address)
      return fail(address.takeError());
    engine->packed[k.name] = address->toPtr<void *>();
  }
  engine->loaded = std::move(*jit);
  return engine;
}

} // namespace vibee
