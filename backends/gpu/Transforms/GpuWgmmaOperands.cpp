//===- GpuWgmmaOperands.cpp - TMA tensor maps and wgmma operands ----------===//
#include "backends/gpu/Transforms/GpuWgmmaOperands.h"
#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <string>

using namespace mlir;

namespace vibee {

static func::FuncOp getOrInsertTensorMapDecl(OpBuilder &b, ModuleOp module) {
  StringRef name = "vibee_cuda_tensor_map";
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  Type index = b.getIndexType();
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 b.getFunctionType(SmallVector<Type>(9, index), {index}));
  fn.setPrivate();
  return fn;
}

Value buildTensorMap(OpBuilder &b, Location loc, Value operand, Value inner, Value rows,
                     Value batch, int64_t boxInner, int64_t boxRows) {
  auto module = operand.getParentRegion()->getParentOfType<ModuleOp>();
  Type element = getElementTypeOrSelf(operand.getType());
  // CUtensorMapDataType: CU_TENSOR_MAP_DATA_TYPE_UINT8 = 0 (FP8 and int8:
  // TMA moves bytes, and its zero fill is 0 and +0.0 in both FP8 formats),
  // FLOAT16 = 6, BFLOAT16 = 9.
  int64_t bytes = elementBytes(element);
  int64_t dtype = bytes == 1 ? 0 : element.isBF16() ? 9 : 6;
  Value size = constantIndex(b, loc, bytes);
  Value rowStride = arith::MulIOp::create(b, loc, inner, size);
  Value batchStride = arith::MulIOp::create(b, loc, rowStride, rows);
  // The first element: the aligned pointer plus the memref's offset.
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, operand);
  Value address =
      arith::AddIOp::create(b, loc, memref::ExtractAlignedPointerAsIndexOp::create(b, loc, operand),
                            arith::MulIOp::create(b, loc, metadata.getOffset(), size));
  SmallVector<Value> args{address,
                          constantIndex(b, loc, dtype),
                          inner,
                          rows,
                          batch,
                          rowStride,
                          batchStride,
                          constantIndex(b, loc, boxInner),
                          constantIndex(b, loc, boxRows)};
  return func::CallOp::create(b, loc, getOrInsertTensorMapDecl(b, module), args).getResult(0);
}

Value buildWgmmaDescriptor(OpBuilder &b, Location loc, Value address, int64_t leadingBytes) {
  // Bits 0-13: address >> 4; 16-29: leading byte offset >> 4 (between 64-wide
  // column blocks of an MN-major operand; unused for K-major ones); 32-45:
  // stride byte offset >> 4 (between 8-row groups: 8 x 128 bytes); 62-63: 1,
  // the 128-byte swizzle.
  auto i64 = [&](int64_t v) { return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v)); };
  Value bits = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), address);
  Value field =
      arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, bits, i64(4)), i64(0x3fff));
  uint64_t high = (uint64_t(leadingBytes >> 4) << 16) | (uint64_t(1024 >> 4) << 32) | (1ull << 62);
  return arith::OrIOp::create(b, loc, field, i64(static_cast<int64_t>(high)));
}

Value buildWgmmaRegisterA(OpBuilder &b, Location loc, Type element, int64_t n, Value acc,
                          ArrayRef<Value> aRegs, Value descB) {
  // PTX operands: $0 .. $(n/2 - 1) the accumulators (outputs, tied to the
  // inputs after the A words and the descriptor), then A's four words and B's
  // descriptor; scale-d = p = 1 (accumulate), A and B unscaled, B transposed.
  int64_t accs = n / 2;
  std::string type = element.isBF16() ? "bf16" : "f16";
  std::string text = "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\nwgmma.mma_async.sync.aligned.m64n" +
                     std::to_string(n) + "k16.f32." + type + "." + type + " {";
  std::string constraints;
  for (int64_t i = 0; i < accs; ++i) {
    text += (i ? ", $" : "$") + std::to_string(i);
    constraints += (i ? ",=f" : "=f");
  }
  text += "}, {";
  for (int64_t i = 0; i < 4; ++i)
    text += (i ? ", $" : "$") + std::to_string(accs + i);
  text += "}, $" + std::to_string(accs + 4) + ", p, 1, 1, 1;\n}";
  constraints += ",r,r,r,r,l";
  for (int64_t i = 0; i < accs; ++i)
    constraints += "," + std::to_string(i);
  SmallVector<Value> operands(aRegs.begin(), aRegs.end());
  operands.push_back(descB);
  for (int64_t i = 0; i < accs; ++i)
    operands.push_back(LLVM::ExtractValueOp::create(b, loc, acc, ArrayRef<int64_t>{i}));
  auto asmOp = LLVM::InlineAsmOp::create(
      b, loc, acc.getType(), operands, text, constraints, /*has_side_effects=*/true,
      /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT), ArrayAttr());
  return asmOp.getRes();
}

} // namespace vibee
