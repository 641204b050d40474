//===- ContractionPacking.h - a linalg.contract's roles and packed operands ===//
//
// What vibee-cpu-pack-contractions (CpuPackContractions.cpp) knows about one
// contraction: its loops by role (batch, M, N, K), its operands packed into the
// micro-kernel's layouts (Packer), and a B that can be computed while packing
// instead of copied (Dequant: narrow weights, or a dequantizing prologue).
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_CONTRACTIONPACKING_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_CONTRACTIONPACKING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace vibee::packing {

using namespace mlir;

/// The contract's loops by role, each group in the order the result (batch, M,
/// N) or B (K) lists them.
struct Roles {
  SmallVector<unsigned> batch, m, n, k;
};

/// Where loop `dim` is among `map`'s results.
std::optional<unsigned> position(AffineMap map, unsigned dim);

/// The loops of `op` by role; std::nullopt when a loop is a broadcast (in
/// neither operand) or not every loop has a role.
std::optional<Roles> classify(linalg::ContractOp op);

struct Packer {
  RewriterBase &rw;
  Location loc;
  linalg::ContractOp op;
  SmallVector<AffineMap> maps;
  SmallVector<Value> extents; // per loop of the contract

  Value c(int64_t v) { return arith::ConstantIndexOp::create(rw, loc, v); }
  Value product(ArrayRef<unsigned> loops) {
    // (The batch loop's trip count.)
    Value p = c(1);
    for (unsigned d : loops)
      p = arith::MulIOp::create(rw, loc, p, extents[d]);
    return p;
  }

  /// `operand` as a [batch?][rows][cols] buffer of `elem` (f32, or bf16 for
  /// the bf16 micro-kernel) whose loops are `order` (batch ++ rows ++ cols): a
  /// view when it already is one, else a packed copy (appended to `allocs`).
  Value pack(Value operand, AffineMap map, ArrayRef<unsigned> batch, ArrayRef<unsigned> rows,
             ArrayRef<unsigned> cols, bool copyIn, SmallVectorImpl<Value> &allocs,
             Type elem = {}) {
    if (!elem)
      elem = rw.getF32Type();
    SmallVector<unsigned> order(batch);
    llvm::append_range(order, rows);
    llvm::append_range(order, cols);
    auto type = cast<MemRefType>(operand.getType());
    SmallVector<ReassociationIndices> groups;
    unsigned next = 0;
    for (ArrayRef<unsigned> g : {batch, rows, cols}) {
      if (g.empty())
        continue;
      ReassociationIndices group;
      for (size_t i = 0; i < g.size(); ++i)
        group.push_back(next++);
      groups.push_back(group);
    }
    bool inPlace = type.getElementType() == elem && type.getLayout().isIdentity();
    for (auto [i, d] : llvm::enumerate(order))
      inPlace &= map.getResult(i) == getAffineDimExpr(d, rw.getContext());
    if (inPlace && groups.size() == order.size())
      return operand; // the operand itself: schedule hints still find its dims' names
    if (inPlace)
      return memref::CollapseShapeOp::create(rw, loc, operand, groups);
    // Allocated with one axis per loop and collapsed (expand-strided-metadata
    // crashes on a memref.expand_shape with dynamic sizes in a group).
    SmallVector<Value> fullSizes;
    for (unsigned d : order)
      fullSizes.push_back(extents[d]);
    SmallVector<int64_t> fullShape(order.size(), ShapedType::kDynamic);
    Value full = memref::AllocOp::create(rw, loc, MemRefType::get(fullShape, elem), fullSizes,
                                         rw.getI64IntegerAttr(64));
    allocs.push_back(full);
    Value flat = memref::CollapseShapeOp::create(rw, loc, full, groups);
    // The operand's map over the loops of `order`.
    SmallVector<AffineExpr> replacement(maps[0].getNumDims(), rw.getAffineConstantExpr(0));
    for (auto [i, d] : llvm::enumerate(order))
      replacement[d] = rw.getAffineDimExpr(i);
    AffineMap read = map.replaceDimsAndSymbols(replacement, {}, order.size(), 0);
    AffineMap identity = rw.getMultiDimIdentityMap(order.size());
    SmallVector<utils::IteratorType> parallel(order.size(), utils::IteratorType::parallel);
    if (copyIn) {
      linalg::GenericOp::create(rw, loc, ValueRange{operand}, ValueRange{full},
                                ArrayRef<AffineMap>{read, identity}, parallel,
                                [&](OpBuilder &b, Location l, ValueRange args) {
                                  Value v = elem.isF32() ? toF32(b, l, args[0]) : args[0];
                                  linalg::YieldOp::create(b, l, v);
                                });
    }
    packedToOriginal = read;
    fullView = full;
    return flat;
  }
  AffineMap packedToOriginal; // of the last pack: the original's map over its loops
  Value fullView;             // of the last pack: the packed buffer, one axis per loop

  static Value toF32(OpBuilder &b, Location l, Value v) {
    Type t = v.getType();
    if (t.isF32())
      return v;
    if (isa<FloatType>(t) && cast<FloatType>(t).getWidth() < 32)
      return arith::ExtFOp::create(b, l, b.getF32Type(), v);
    if (isa<FloatType>(t))
      return arith::TruncFOp::create(b, l, b.getF32Type(), v);
    return arith::SIToFPOp::create(b, l, b.getF32Type(), v);
  }
};

/// B computed from narrow sources while packing, instead of an f32 copy.
struct Dequant {
  SmallVector<Value> sources;
  SmallVector<AffineMap> maps;        // over the contract's loops
  linalg::GenericOp prologue;         // writes B; null: B itself is read and converted
  SmallVector<unsigned> prologueLoops; // the contract's loop for each loop of the prologue
};

/// `map` (over the contract's loops) over (m, n, k), the loops of the packed matmul.
AffineMap toMNK(AffineMap map, const Roles &roles);

/// How B can be computed while packing where it would otherwise be copied to
/// f32 (narrow, or written by a prologue). std::nullopt with an empty `why`
/// when B is f32 data already.
std::optional<Dequant> dequantizedB(linalg::ContractOp op, const Roles &roles, std::string &why);

/// The generic over `maps` (A, the sources of B, C) with `iterators` that adds
/// cast(A) * b(sources) into C; its loop `loopOf[d]` is the contract's loop d.
linalg::GenericOp buildComputedGeneric(RewriterBase &rw, Location loc, const Dequant &dq, Value a,
                                       Value c, ArrayRef<AffineMap> maps,
                                       ArrayRef<utils::IteratorType> iterators,
                                       ArrayRef<unsigned> loopOf);

/// Erases the prologue that `dq` computes B with, and its buffer.
void erasePrologue(RewriterBase &rw, const Dequant &dq);

} // namespace vibee::packing

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_CONTRACTIONPACKING_H
