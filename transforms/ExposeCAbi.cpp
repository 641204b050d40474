//===- ExposeCAbi.cpp - plain C entry points for kernel functions ---------===//
//
// MLIR's own C interface (llvm.emit_c_interface) passes memref descriptors; the
// vibee ABI (docs/abi.md) passes bare pointers plus the symbolic dims once, which
// is what a C caller, the runtime and other languages' FFIs want. The wrapper
// rebuilds each descriptor from a pointer and the dims; after convert-func-to-llvm
// the casts meet their inverses and reconcile-unrealized-casts folds them.
//
//===----------------------------------------------------------------------===//
#include "ir/VibeeDialect.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace vibee {
#define GEN_PASS_DEF_EXPOSECABIPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// The C type a kernel parameter of `type` is passed as.
static Type getAbiType(Type type) {
  MLIRContext *ctx = type.getContext();
  if (isa<MemRefType>(type))
    return LLVM::LLVMPointerType::get(ctx);
  if (type.isF16() || type.isBF16())
    return IntegerType::get(ctx, 16); // uint16_t bit pattern
  if (type.isInteger(1))
    return IntegerType::get(ctx, 8); // uint8_t 0 or 1
  return type;
}

/// The memref descriptor (allocated = aligned = `ptr`, offset 0, row-major
/// strides) of a contiguous buffer of `type` with `sizes`, cast to `type`.
/// Index values are i64: the ABI targets 64-bit hosts.
static Value buildMemRef(OpBuilder &b, Location loc, MemRefType type, Value ptr,
                         ArrayRef<Value> sizes) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {ptr.getType(), ptr.getType(), i64};
  if (rank > 0)
    fields.append(2, LLVM::LLVMArrayType::get(i64, rank));
  auto descriptorType = LLVM::LLVMStructType::getLiteral(ctx, fields);

  Value desc = LLVM::UndefOp::create(b, loc, descriptorType);
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
  Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
  desc = LLVM::InsertValueOp::create(b, loc, desc, zero, ArrayRef<int64_t>{2});
  Value stride = arith::ConstantIntOp::create(b, loc, i64, 1);
  for (int64_t axis = rank - 1; axis >= 0; --axis) {
    desc = LLVM::InsertValueOp::create(b, loc, desc, sizes[axis], ArrayRef<int64_t>{3, axis});
    desc = LLVM::InsertValueOp::create(b, loc, desc, stride, ArrayRef<int64_t>{4, axis});
    if (axis > 0)
      stride = arith::MulIOp::create(b, loc, stride, sizes[axis]);
  }
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

/// Adds the C entry point of `kernel` to `module`.
static LogicalResult exposeKernel(func::FuncOp kernel, StringRef spec) {
  Location loc = kernel.getLoc();
  auto dimNames = kernel->getAttrOfType<ArrayAttr>(vibee::attr::kDimNames);
  auto argDims = kernel->getAttrOfType<ArrayAttr>(vibee::attr::kArgDims);
  if (!dimNames || !argDims || argDims.size() != kernel.getNumArguments())
    return kernel.emitOpError("needs vibee.dim_names and one vibee.arg_dims entry per "
                              "argument");
  if (kernel.getNumResults() != 0)
    return kernel.emitOpError("must be in destination-passing style (no results)");

  OpBuilder b(kernel);
  Type i64 = b.getI64Type();
  SmallVector<Type> abiTypes = llvm::map_to_vector(kernel.getArgumentTypes(), getAbiType);
  abiTypes.append(dimNames.size(), i64);
  std::string name = ("vibee_" + spec + "_" + kernel.getSymName()).str();
  auto wrapper = func::FuncOp::create(b, loc, name, b.getFunctionType(abiTypes, {}));
  Block *entry = wrapper.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange dims = entry->getArguments().take_back(dimNames.size());

  SmallVector<Value> operands;
  for (auto [i, argType] : llvm::enumerate(kernel.getArgumentTypes())) {
    Value abiArg = entry->getArgument(i);
    if (auto memref = dyn_cast<MemRefType>(argType)) {
      SmallVector<Value> sizes;
      for (auto [axis, dim] : llvm::enumerate(cast<ArrayAttr>(argDims[i]))) {
        int64_t d = cast<IntegerAttr>(dim).getInt();
        sizes.push_back(
            vibee::argDimValue(b, loc, kernel, d, dims, d < 0 ? memref.getDimSize(axis) : 0));
      }
      operands.push_back(buildMemRef(b, loc, memref, abiArg, sizes));
    } else if (argType.isF16() || argType.isBF16()) {
      operands.push_back(arith::BitcastOp::create(b, loc, argType, abiArg));
    } else if (argType.isInteger(1)) {
      Value zero = arith::ConstantIntOp::create(b, loc, abiArg.getType(), 0);
      operands.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, abiArg, zero));
    } else {
      operands.push_back(abiArg);
    }
  }
  func::CallOp::create(b, loc, kernel, operands);
  func::ReturnOp::create(b, loc);

  // The wrapper is the only way in: keep the kernel's symbol out of the object
  // (kernel names repeat across specs) and let LLVM inline it.
  kernel.setPrivate();
  kernel->setAttr("llvm.linkage", LLVM::LinkageAttr::get(b.getContext(), LLVM::Linkage::Internal));
  return success();
}

struct ExposeCAbiPass : vibee::impl::ExposeCAbiPassBase<ExposeCAbiPass> {
  using ExposeCAbiPassBase::ExposeCAbiPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string spec = specName;
    if (auto attr = module->getAttrOfType<StringAttr>(vibee::attr::kSpec))
      spec = attr.str();
    SmallVector<func::FuncOp> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(vibee::attr::kKernel))
        kernels.push_back(func);
    if (!kernels.empty() && spec.empty()) {
      module.emitError("vibee-expose-c-abi needs a vibee.spec module attribute or "
                       "the spec-name option");
      return signalPassFailure();
    }
    for (func::FuncOp kernel : kernels)
      if (failed(exposeKernel(kernel, spec)))
        return signalPassFailure();
  }
};

} // namespace
