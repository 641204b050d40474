//===- PackedEntryPoints.cpp - void(void **) entry points for the JIT -----===//
#include "backends/cpu/PackedEntryPoints.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace llvm;

void vibee::addPackedEntryPoints(Module &module) {
  SmallVector<Function *> functions;
  for (Function &f : module)
    if (!f.isDeclaration() && !f.hasLocalLinkage() && !f.getName().starts_with("_mlir_"))
      functions.push_back(&f);
  IRBuilder<> b(module.getContext());
  for (Function *f : functions) {
    auto *type = FunctionType::get(b.getVoidTy(), {b.getPtrTy()}, /*isVarArg=*/false);
    Function *entry = Function::Create(type, GlobalValue::ExternalLinkage,
                                       "_mlir_" + f->getName(), module);
    b.SetInsertPoint(BasicBlock::Create(module.getContext(), "", entry));
    Value *argv = entry->getArg(0);
    SmallVector<Value *> args;
    for (Argument &arg : f->args()) {
      Value *slot = b.CreateGEP(b.getPtrTy(), argv, b.getInt64(arg.getArgNo()));
      args.push_back(b.CreateLoad(arg.getType(), b.CreateLoad(b.getPtrTy(), slot)));
    }
    CallInst *call = b.CreateCall(f, args);
    if (!call->getType()->isVoidTy()) {
      Value *slot = b.CreateGEP(b.getPtrTy(), argv, b.getInt64(f->arg_size()));
      b.CreateStore(call, b.CreateLoad(b.getPtrTy(), slot));
    }
    b.CreateRetVoid();
  }
}
