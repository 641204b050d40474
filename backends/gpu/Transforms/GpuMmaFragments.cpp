//===- GpuMmaFragments.cpp - mma.sync m16n8k16 fragments and their loads -===//
#include "backends/gpu/Transforms/GpuMmaFragments.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace vibee {

LdMatrixLane buildLdMatrixLane(OpBuilder &b, Location loc, Value lane) {
  auto c = [&](int64_t x) { return arith::ConstantIndexOp::create(b, loc, x); };
  Value matrix = arith::DivUIOp::create(b, loc, lane, c(8));
  Value r = arith::RemUIOp::create(b, loc, lane, c(8));
  Value low = arith::MulIOp::create(b, loc, arith::RemUIOp::create(b, loc, matrix, c(2)), c(8));
  Value high = arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, matrix, c(2)), c(8));
  return {r, low, high};
}

Value buildLdMatrix(OpBuilder &b, Location loc, Value tile, Value row, Value col, bool transpose) {
  Type element = cast<MemRefType>(tile.getType()).getElementType();
  auto x4 = VectorType::get({4, 2}, element);
  return nvgpu::LdMatrixOp::create(b, loc, x4, tile, ValueRange{row, col}, transpose,
                                   /*numTiles=*/4);
}

Value buildHalfFragment(OpBuilder &b, Location loc, Value frag, int64_t h) {
  return vector::ExtractStridedSliceOp::create(b, loc, frag, ArrayRef<int64_t>{2 * h, 0},
                                               ArrayRef<int64_t>{2, 2}, ArrayRef<int64_t>{1, 1});
}

SmallVector<Value> buildFragmentRegisters(OpBuilder &b, Location loc, Value frag) {
  auto type = cast<VectorType>(frag.getType());
  SmallVector<Value> regs;
  for (int64_t r = 0; r < type.getShape()[0]; ++r) {
    Value pair = vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{r});
    if (type.getElementType().isF16()) { // f16 pairs are vector<2xf16> registers
      regs.push_back(pair);
      continue;
    }
    Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair);
    regs.push_back(vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0}));
  }
  return regs;
}

Value buildPackedPair(OpBuilder &b, Location loc, Value x, Value y, Type element) {
  Value pair = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, element),
      ValueRange{arith::TruncFOp::create(b, loc, element, x),
                 arith::TruncFOp::create(b, loc, element, y)});
  if (element.isF16())
    return pair;
  Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair);
  return vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
}

void buildMma16816(OpBuilder &b, Location loc, Type element, ArrayRef<Value> aRegs,
                   ArrayRef<Value> bRegs, MutableArrayRef<Value> acc) {
  // nvvm.mma.sync (nvgpu.mma.sync does not lower bf16 in MLIR 22) returns the
  // four f32 of the 16 x 8 accumulator tile as a struct.
  Type f32 = b.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes ptxType = element.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  Value d = NVVM::MmaOp::create(
      b, loc, result, aRegs, bRegs, SmallVector<Value>(acc), ArrayRef<int64_t>{16, 8, 16},
      std::nullopt, std::nullopt, std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
  for (int64_t e = 0; e < 4; ++e)
    acc[e] = LLVM::ExtractValueOp::create(b, loc, d, ArrayRef<int64_t>{e});
}

void buildMmaPair(OpBuilder &b, Location loc, Value tile, Value row, Value col, bool transpose,
                  ArrayRef<Value> aRegs, MutableArrayRef<Value> acc) {
  Type element = cast<MemRefType>(tile.getType()).getElementType();
  Value frag = buildLdMatrix(b, loc, tile, row, col, transpose);
  for (int64_t h = 0; h < 2; ++h)
    buildMma16816(b, loc, element, aRegs,
                  buildFragmentRegisters(b, loc, buildHalfFragment(b, loc, frag, h)),
                  acc.slice(h * 4, 4));
}

} // namespace vibee
