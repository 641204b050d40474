//===- Bf16Truncation.cpp - __truncsfbf2 inside the module that needs it ----===//
//
// See Bf16Truncation.h. The function is the bit-level rounding the pipeline's
// arith-expand emits for its own truncations: add 0x7fff plus the lowest kept
// bit (ties to even), keep the upper half; a NaN keeps its upper half with the
// quiet bit set, so that no payload rounds it into an infinity.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Bf16Truncation.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace {

/// A select or truncation whose result is bf16: what code generation may turn
/// into a call where the target has no bf16 instructions.
bool mayCallTruncation(const Module &module) {
  for (const Function &f : module)
    for (const Instruction &inst : instructions(f))
      if (isa<SelectInst, FPTruncInst>(inst) && inst.getType()->getScalarType()->isBFloatTy())
        return true;
  return false;
}

} // namespace

void vibee::defineBf16Truncation(Module &module) {
  constexpr const char *kName = "__truncsfbf2";
  Function *existing = module.getFunction(kName);
  if (existing ? !existing->isDeclaration() : !mayCallTruncation(module))
    return;
  LLVMContext &ctx = module.getContext();
  auto *type = FunctionType::get(Type::getBFloatTy(ctx), {Type::getFloatTy(ctx)}, false);
  Function *f =
      existing ? existing : Function::Create(type, GlobalValue::WeakODRLinkage, kName, module);
  f->setLinkage(GlobalValue::WeakODRLinkage);
  f->setVisibility(GlobalValue::HiddenVisibility);
  if (f->getParent()->getTargetTriple().isOSBinFormatELF())
    f->setComdat(module.getOrInsertComdat(kName));
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", f));
  Value *bits = b.CreateBitCast(f->getArg(0), b.getInt32Ty());
  Value *high = b.CreateLShr(bits, 16);
  Value *isNaN = b.CreateICmpUGT(b.CreateAnd(bits, 0x7fffffffu), b.getInt32(0x7f800000u));
  Value *bias = b.CreateAdd(b.CreateAnd(high, 1u), b.getInt32(0x7fffu));
  Value *rounded = b.CreateLShr(b.CreateAdd(bits, bias), 16);
  Value *quiet = b.CreateOr(high, 0x40u);
  Value *result = b.CreateTrunc(b.CreateSelect(isNaN, quiet, rounded), b.getInt16Ty());
  b.CreateRet(b.CreateBitCast(result, b.getBFloatTy()));
}
