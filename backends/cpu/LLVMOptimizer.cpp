//===- LLVMOptimizer.cpp - LLVM's pipeline for vibee's CPU code -----------===//
//
// The loops that reach LLVM are already vectorized, tiled and unrolled where it
// pays (vibee-cpu-vectorize, vibee-cpu-tile-matmul), and each threaded op sits
// in a chunk function of its own. LLVM's runtime unrolling (x86: up to 8 copies
// of a loop whose trip count is a function argument, plus the remainder loops)
// then multiplied the code of every kernel by about 3.5 and its optimization and
// code generation time by 2.3 (docs/performance.md, "Compile time of large
// specs") for no measured speed. Loops whose trip count is a constant are still
// fully unrolled, and the loop vectorizer still interleaves what it vectorizes.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/LLVMOptimizer.h"
#include "backends/cpu/Bf16Truncation.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/Utils/LoopUtils.h"

using namespace llvm;

namespace {

/// Marks every loop `llvm.loop.unroll.runtime.disable` (before LLVM's loop
/// passes run: rotation, vectorization and unrolling carry the mark along).
struct NoRuntimeUnrollPass : PassInfoMixin<NoRuntimeUnrollPass> {
  PreservedAnalyses run(Function &f, FunctionAnalysisManager &fam) {
    if (f.isDeclaration())
      return PreservedAnalyses::all();
    bool changed = false;
    for (Loop *loop : fam.getResult<LoopAnalysis>(f).getLoopsInPreorder()) {
      addStringMetadataToLoop(loop, "llvm.loop.unroll.runtime.disable");
      changed = true;
    }
    return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
  }
};

OptimizationLevel optimizationLevel(unsigned level) {
  switch (level) {
  case 0:
    return OptimizationLevel::O0;
  case 1:
    return OptimizationLevel::O1;
  case 2:
    return OptimizationLevel::O2;
  default:
    return OptimizationLevel::O3;
  }
}

} // namespace

void vibee::optimizeLLVMModule(Module &module, TargetMachine *machine, unsigned optLevel) {
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder passBuilder(machine);
  passBuilder.registerPipelineStartEPCallback([](ModulePassManager &mpm, OptimizationLevel) {
    mpm.addPass(createModuleToFunctionPassAdaptor(NoRuntimeUnrollPass()));
  });
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager mpm =
      optLevel == 0 ? passBuilder.buildO0DefaultPipeline(OptimizationLevel::O0)
                    : passBuilder.buildPerModuleDefaultPipeline(optimizationLevel(optLevel));
  mpm.run(module, mam);
  // After the pipeline, which would otherwise drop the unused definition; code
  // generation may still call it.
  defineBf16Truncation(module);
}
