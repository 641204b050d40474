// backends/cpu/LLVMOptimizer: LLVM's O3 without runtime unrolling (the loops that
// reach LLVM are already vectorized; docs/performance.md, "Compile time").
#include "backends/cpu/LLVMOptimizer.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

namespace {

// y[i] += 2 * x[i] for i < n, n an argument: a loop O3 unrolls by its runtime
// trip count on CPUs with a loop buffer (x86 Zen 4: 8 copies and a remainder loop).
constexpr const char *kLoop = R"(
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
define void @axpy(ptr noalias %x, ptr noalias %y, i64 %n) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %exit, label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %px = getelementptr <16 x float>, ptr %x, i64 %i
  %py = getelementptr <16 x float>, ptr %y, i64 %i
  %vx = load <16 x float>, ptr %px
  %vy = load <16 x float>, ptr %py
  %m = fmul <16 x float> %vx, splat (float 2.0)
  %s = fadd <16 x float> %m, %vy
  store <16 x float> %s, ptr %py
  %next = add i64 %i, 1
  %done = icmp eq i64 %next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}
)";

std::unique_ptr<llvm::TargetMachine> zen4() {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  std::string error;
  llvm::Triple triple("x86_64-pc-linux-gnu");
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  return std::unique_ptr<llvm::TargetMachine>(
      target->createTargetMachine(triple, "znver4", "", llvm::TargetOptions(), std::nullopt,
                                  std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

TEST(LLVMOptimizer, NoRuntimeUnrolling) {
  std::unique_ptr<llvm::TargetMachine> machine = zen4();
  if (!machine)
    GTEST_SKIP() << "no x86 target in this LLVM";
  llvm::LLVMContext context;
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(kLoop, diag, context);
  ASSERT_TRUE(module) << diag.getMessage().str();
  vibee::optimizeLLVMModule(*module, machine.get(), /*optLevel=*/3);
  llvm::Function *f = module->getFunction("axpy");
  ASSERT_TRUE(f);
  llvm::DominatorTree dom(*f);
  llvm::LoopInfo loops(dom);
  // One loop, one vector multiply-add: neither unrolled nor given a remainder.
  EXPECT_EQ(loops.getLoopsInPreorder().size(), 1u);
  unsigned fmuls = 0;
  for (llvm::Instruction &inst : llvm::instructions(*f))
    fmuls += inst.getOpcode() == llvm::Instruction::FMul;
  EXPECT_EQ(fmuls, 1u);
}

} // namespace
