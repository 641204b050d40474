//===- EmitCTranslation.cpp - bufferized loops -> C++ through EmitC ---------===//
#include "conversion/LoopsToEmitC/EmitCTranslation.h"
#include "ir/VibeeDialect.h"

#include "conversion/LoopsToEmitC/Passes.h"

#include "mlir/Conversion/ArithToEmitC/ArithToEmitC.h"
#include "mlir/Conversion/FuncToEmitC/FuncToEmitC.h"
#include "mlir/Conversion/MemRefToEmitC/MemRefToEmitC.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/SCFToEmitC/SCFToEmitC.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/EmitC/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace vibee {

static llvm::Error fail(const std::string &what, const std::string &details) {
  return llvm::createStringError("C++ emission: " + what + "\n" + details);
}

void loadEmitCConversions(MLIRContext &context) {
  DialectRegistry registry;
  registerConvertArithToEmitCInterface(registry);
  registerConvertFuncToEmitCInterface(registry);
  registerConvertSCFToEmitCInterface(registry);
  registerConvertMemRefToEmitCInterface(registry);
  context.appendDialectRegistry(registry);
  context.getOrLoadDialect<emitc::EmitCDialect>();
}

DiagnosticText::DiagnosticText(MLIRContext &context)
    : handler(&context, [this](Diagnostic &diag) {
        llvm::raw_string_ostream os(text);
        os << diag.getLocation() << ": " << diag << "\n";
        return success();
      }) {}

/// The C name of a pointee type the emitted code uses, "" for others.
static std::string cTypeName(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (auto it = dyn_cast<IntegerType>(type); it && it.getWidth() >= 8 && it.getWidth() <= 64 &&
                                             llvm::isPowerOf2_32(it.getWidth()))
    return (it.isUnsigned() ? "uint" : "int") + std::to_string(it.getWidth()) + "_t";
  return "";
}

/// `T* VIBEE_RESTRICT` for the pointer arguments of the functions nothing in the
/// module calls (the kernels, called by the printed public functions with distinct
/// tensors, which the ABI says never overlap): a C++ compiler then keeps
/// loop-invariant loads out of loops and needs no run-time alias checks (a
/// matmul's inner loop). VIBEE_RESTRICT is defined by the helper preamble.
static void markPointerArgumentsRestrict(ModuleOp module) {
  llvm::DenseSet<StringRef> called;
  module.walk([&](Operation *op) {
    if (auto call = dyn_cast<CallOpInterface>(op))
      if (auto symbol = dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee()))
        called.insert(symbol.getLeafReference());
  });
  for (auto func : module.getOps<emitc::FuncOp>()) {
    if (func.isExternal() || called.contains(func.getSymName()))
      continue;
    SmallVector<Type> inputs(func.getFunctionType().getInputs());
    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      auto pointer = dyn_cast<emitc::PointerType>(arg.getType());
      std::string name = pointer ? cTypeName(pointer.getPointee()) : "";
      if (name.empty())
        continue;
      inputs[i] = emitc::OpaqueType::get(module.getContext(), name + "* VIBEE_RESTRICT");
      arg.setType(inputs[i]);
    }
    func.setFunctionType(
        FunctionType::get(module.getContext(), inputs, func.getFunctionType().getResults()));
  }
}

llvm::Expected<std::string>
translateFunctionsToCpp(ModuleOp module, const std::string &specifier,
                        std::map<std::string, std::vector<size_t>> &cppArgs,
                        bool restrictPointers) {
  MLIRContext &context = *module.getContext();
  DiagnosticText collector(context);
  PassManager prepare(&context);
  prepare.addPass(createPrepareEmitCPass());
  prepare.addPass(createCanonicalizerPass());
  prepare.addPass(createCSEPass());
  if (failed(prepare.run(module)))
    return fail("preparing for EmitC failed", collector.text);

  // ABI positions of the internal functions' arguments.
  for (auto func : module.getOps<func::FuncOp>())
    if (auto kept = func->getAttrOfType<ArrayAttr>(vibee::attr::kCppArgs)) {
      // An entry even when no argument is kept (a kernel without statements).
      std::vector<size_t> &positions = cppArgs[func.getSymName().str()];
      for (Attribute a : kept)
        positions.push_back(cast<IntegerAttr>(a).getInt());
    }

  PassManager toEmitC(&context);
  toEmitC.addPass(createConvertToEmitC());
  if (failed(toEmitC.run(module)))
    return fail("convert-to-emitc failed", collector.text);
  // Integer constants (loop bounds, static sizes) as literals at their uses:
  // `for (int64_t i = 0; i < N; i += 1)` rather than a variable per constant.
  SmallVector<emitc::ConstantOp> constants;
  module.walk([&](emitc::ConstantOp op) {
    if (auto attr = dyn_cast<IntegerAttr>(op.getValue()); attr && attr.getType().isInteger(64))
      constants.push_back(op);
  });
  for (emitc::ConstantOp op : constants) {
    OpBuilder b(op);
    int64_t v = cast<IntegerAttr>(op.getValue()).getInt();
    // INT64_MIN has no C++ literal: `-9223372036854775808` negates an unsigned one.
    Value literal =
        emitc::LiteralOp::create(b, op.getLoc(), op.getType(),
                                 v == INT64_MIN ? "(-9223372036854775807 - 1)" : std::to_string(v));
    op.getResult().replaceAllUsesWith(literal);
    op.erase();
  }
  PassManager expressions(&context);
  expressions.addPass(emitc::createFormExpressionsPass());
  expressions.addPass(createSplitSharedSubexpressionsPass());
  if (failed(expressions.run(module)))
    return fail("form-expressions failed", collector.text);
  if (restrictPointers)
    markPointerArgumentsRestrict(module);
  Builder b(&context);
  for (auto func : module.getOps<emitc::FuncOp>()) {
    func.setSpecifiersAttr(b.getStrArrayAttr({specifier}));
    // Only the body matters to translateToCpp; drop our attributes.
    for (StringRef name : {vibee::attr::kKernel, vibee::attr::kDimNames, vibee::attr::kArgDims,
                           vibee::attr::kModes, vibee::attr::kDerivedDims, vibee::attr::kCppArgs,
                           vibee::attr::kSchedule, vibee::attr::kCudaCallArg})
      func->removeAttr(name);
  }
  for (StringRef name : {vibee::attr::kSpec, vibee::attr::kCudaKernels})
    module->removeAttr(name);
  std::string text;
  llvm::raw_string_ostream os(text);
  if (failed(emitc::translateToCpp(module, os)))
    return fail("translateToCpp failed", collector.text);
  return text;
}

} // namespace vibee
