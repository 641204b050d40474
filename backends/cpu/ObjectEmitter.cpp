//===- ObjectEmitter.cpp - LLVM dialect -> optimized object file ----------===//
#include "backends/cpu/ObjectEmitter.h"
#include "backends/cpu/LLVMOptimizer.h"
#include "backends/cpu/PackedEntryPoints.h"
#include "backends/cpu/ParallelCodeGen.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <optional>

using namespace llvm;

Error vibee::emitObjectFile(mlir::ModuleOp module, StringRef path, const ObjectOptions &options) {
  std::error_code ec;
  raw_fd_ostream out(path, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot open " + path);
  if (Error err = emitObjectFile(module, out, options))
    return err;
  out.flush();
  if (std::error_code error = out.error()) {
    out.clear_error(); // else its destructor aborts
    return createStringError(error, "cannot write " + path);
  }
  return Error::success();
}

Error vibee::emitObjectFile(mlir::ModuleOp module, raw_fd_ostream &out,
                            const ObjectOptions &options) {
  // The ELF writer seeks back to patch its headers: a pipe or a terminal ("-" is
  // stdout) gets the object through a buffer instead of LLVM's "Illegal seek" abort.
  if (out.supportsSeeking())
    return emitObjectFile(module, static_cast<raw_pwrite_stream &>(out), options);
  buffer_ostream buffered(out);
  return emitObjectFile(module, static_cast<raw_pwrite_stream &>(buffered), options);
}

Error vibee::emitObjectFile(mlir::ModuleOp module, raw_pwrite_stream &out,
                            const ObjectOptions &options) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();

  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  LLVMContext llvmContext;
  std::unique_ptr<Module> llvmModule = mlir::translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return createStringError("cannot translate the module to LLVM IR");
  // Threads are optional in objects: the CPU passes call the thread runtime
  // through a weak reference and generate no OpenMP code (ThreadRuntime.h), so an
  // object links on its own (serial) or with libvibee_cpurt.a + libomp
  // (docs/abi.md). An OpenMP declaration that some pass still emitted stays weak.
  for (Function &f : *llvmModule)
    if (f.isDeclaration() &&
        (f.getName().starts_with("__kmpc_") || f.getName().starts_with("omp_")))
      f.setLinkage(GlobalValue::ExternalWeakLinkage);

  Triple triple(sys::getDefaultTargetTriple());
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(error);
  std::string cpu = options.hostCpu ? sys::getHostCPUName().str() : "x86-64";
  SubtargetFeatures features;
  if (options.hostCpu)
    for (const auto &[feature, enabled] : sys::getHostCPUFeatures())
      features.AddFeature(feature, enabled);
  TargetOptions targetOptions;
  // Kernels are position independent: they go into shared libraries.
  auto makeMachine = [&] {
    return std::unique_ptr<TargetMachine>(target->createTargetMachine(
        triple, cpu, features.getString(), targetOptions, Reloc::PIC_, std::nullopt,
        options.optLevel >= 3 ? CodeGenOptLevel::Aggressive : CodeGenOptLevel::Default));
  };
  std::unique_ptr<TargetMachine> machine = makeMachine();
  if (!machine)
    return createStringError("cannot create a target machine for " + triple.str());
  if (options.packedEntryPoints)
    addPackedEntryPoints(*llvmModule);
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());

  // The standard per-module optimization pipeline, tuned for `machine`.
  optimizeLLVMModule(*llvmModule, machine.get(), options.optLevel);

  if (options.kind == ObjectOptions::OptimizedIR) {
    llvmModule->print(out, nullptr);
    return Error::success();
  }
  // A large module: code generation in parts on threads (ParallelCodeGen.h), or
  // serially below when a step of it fails (unless the parts were asked for).
  if (options.kind == ObjectOptions::Object && options.codeGenInParts)
    if (CodeGenParts split = codeGenParts(*llvmModule); split.parts > 1) {
      Expected<std::string> object = emitObjectInParts(*llvmModule, split.parts, makeMachine);
      if (object) {
        out << *object;
        return Error::success();
      }
      if (split.forced)
        return createStringError("VIBEE_CODEGEN_PARTS: " + toString(object.takeError()));
      consumeError(object.takeError());
    }
  legacy::PassManager codegen;
  CodeGenFileType fileType = options.kind == ObjectOptions::Assembly ? CodeGenFileType::AssemblyFile
                                                                     : CodeGenFileType::ObjectFile;
  if (machine->addPassesToEmitFile(codegen, out, nullptr, fileType))
    return createStringError("the target cannot emit this kind of file");
  codegen.run(*llvmModule);
  return Error::success();
}
