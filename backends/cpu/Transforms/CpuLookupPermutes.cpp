//===- CpuLookupPermutes.cpp - vector table lookups as AVX2 permutes ------===//
//
// vibee-cpu-lookup-permutes: QLoRA's NF4 weights are 4-bit codes into a table of
// 16 floats. Vectorized, each lane looks up its own code; a tree of selects on
// the code's bits costs 15 blends and 4 bit tests per vector, which made NF4
// decoding 2x slower than int4's (docs/performance.md). vpermps picks each lane's
// element of an 8-float register by the low 3 bits of its index: two of them and
// one select on bit 3 cover 16 entries. The table stays in two registers across
// the loop (its constants are hoisted by LLVM).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"
#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace vibee {
#define GEN_PASS_DEF_CPULOOKUPPERMUTESPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

constexpr int64_t kPermuteLanes = 8;  // vpermps: 8 x 32 bits
constexpr int64_t kMaxTableSize = 16; // two permutes and a select

/// The table's elements from `first` on (kPermuteLanes of them, the last one
/// repeated past the end), as f32 bits.
Value tableRegister(OpBuilder &b, Location loc, ArrayRef<Attribute> elements, size_t first) {
  SmallVector<float> values;
  for (size_t i = first; i < first + kPermuteLanes; ++i) {
    Attribute a = elements[std::min(i, elements.size() - 1)];
    if (auto f = dyn_cast<FloatAttr>(a))
      values.push_back(f.getValue().convertToFloat());
    else
      values.push_back(
          llvm::bit_cast<float>((uint32_t)cast<IntegerAttr>(a).getValue().getZExtValue()));
  }
  auto type = VectorType::get({kPermuteLanes}, b.getF32Type());
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

struct LookupAsPermutes : OpRewritePattern<vibee::LookupOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vibee::LookupOp op, PatternRewriter &rw) const override {
    auto positionType = dyn_cast<VectorType>(op.getPosition().getType());
    auto resultType = dyn_cast<VectorType>(op.getResult().getType());
    if (!positionType || positionType.isScalable() || positionType.getNumElements() % kPermuteLanes)
      return rw.notifyMatchFailure(op, "not a vector of a multiple of 8 positions");
    Type element = resultType.getElementType();
    if (!element.isF32() && !element.isInteger(32))
      return rw.notifyMatchFailure(op, "table elements are not 32-bit");
    SmallVector<Attribute> elements(op.getTable().getValues<Attribute>());
    if ((int64_t)elements.size() > kMaxTableSize)
      return rw.notifyMatchFailure(op, "table larger than 16");

    Location loc = op.getLoc();
    int64_t lanes = positionType.getNumElements();
    Type i32 = rw.getI32Type();
    auto indexType = VectorType::get({kPermuteLanes}, i32);
    auto floatType = VectorType::get({kPermuteLanes}, rw.getF32Type());
    Value low = tableRegister(rw, loc, elements, 0);
    Value high =
        elements.size() > kPermuteLanes ? tableRegister(rw, loc, elements, kPermuteLanes) : Value();
    Value eight, zero, result;
    if (high) {
      eight = arith::ConstantOp::create(rw, loc, DenseElementsAttr::get(indexType, 8));
      zero = arith::ConstantOp::create(rw, loc, DenseElementsAttr::get(indexType, 0));
    }
    if (lanes > kPermuteLanes)
      result = arith::ConstantOp::create(
          rw, loc, DenseElementsAttr::get(VectorType::get({lanes}, rw.getF32Type()), 0.0f));
    // Positions are in [0, table size): any width holds them as i32. A 2-D tile
    // (the transposed copy of a computed panel) is looked up as one row of lanes.
    Value positions = op.getPosition();
    unsigned bits = positionType.getElementTypeBitWidth();
    if (positionType.getRank() != 1)
      positions = vector::ShapeCastOp::create(
          rw, loc, VectorType::get({lanes}, positionType.getElementType()), positions);
    auto positions32 = VectorType::get({lanes}, i32);
    if (bits > 32)
      positions = arith::TruncIOp::create(rw, loc, positions32, positions);
    else if (bits < 32)
      positions = arith::ExtUIOp::create(rw, loc, positions32, positions);
    StringAttr permps = rw.getStringAttr("llvm.x86.avx2.permps");
    for (int64_t first = 0; first < lanes; first += kPermuteLanes) {
      Value index =
          lanes == kPermuteLanes
              ? positions
              : vector::ExtractStridedSliceOp::create(rw, loc, positions, first, kPermuteLanes, 1)
                    .getResult();
      Value part = LLVM::CallIntrinsicOp::create(rw, loc, floatType, permps, ValueRange{low, index})
                       .getResult(0);
      if (high) {
        Value fromHigh =
            LLVM::CallIntrinsicOp::create(rw, loc, floatType, permps, ValueRange{high, index})
                .getResult(0);
        Value bit3 = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::ne,
                                           arith::AndIOp::create(rw, loc, index, eight), zero);
        part = arith::SelectOp::create(rw, loc, bit3, fromHigh, part);
      }
      result =
          lanes == kPermuteLanes
              ? part
              : vector::InsertStridedSliceOp::create(rw, loc, part, result, first, 1).getResult();
    }
    if (element.isInteger(32))
      result = arith::BitcastOp::create(rw, loc, VectorType::get({lanes}, element), result);
    if (resultType.getRank() != 1)
      result = vector::ShapeCastOp::create(rw, loc, resultType, result);
    rw.replaceOp(op, result);
    return success();
  }
};

struct CpuLookupPermutesPass : vibee::impl::CpuLookupPermutesPassBase<CpuLookupPermutesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LookupAsPermutes>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
