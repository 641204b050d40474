//===- SkinnyTransposedProduct.cpp - few rows of x against w[n, k] ---------===//
//
// See SkinnyTransposedProduct.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/SkinnyTransposedProduct.h"
#include "backends/cpu/Transforms/ComputedOperand.h"
#include "backends/cpu/Transforms/ZeroInit.h"
#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace vibee::packing;

bool vibee::canTransposeSkinny(linalg::ContractOp op, const Roles &roles, bool bf16Pairs) {
  if (!op.hasPureBufferSemantics() || !roles.batch.empty() || roles.m.size() != 1 ||
      roles.n.size() != 1 || roles.k.size() != 1)
    return false;
  Type x = getElementTypeOrSelf(op.getInputs()[0].getType());
  Type w = getElementTypeOrSelf(op.getInputs()[1].getType());
  bool operands = (x.isF32() && w.isF32()) || (bf16Pairs && x.isBF16() && w.isBF16());
  if (!operands || !getElementTypeOrSelf(op.getOutputs()[0].getType()).isF32())
    return false;
  AffineMap mapB = op.getIndexingMapsArray()[1];
  if (mapB.getNumResults() != 2)
    return false;
  if (position(mapB, roles.n[0]) == 0u && position(mapB, roles.k[0]) == 1u)
    return true;
  // b[k, n] (f32): read as w[n, k] through a transposed view, MR weights of a
  // broadcast step one contiguous run of b's row k.
  return x.isF32() && position(mapB, roles.k[0]) == 0u && position(mapB, roles.n[0]) == 1u;
}

namespace {

/// The map from a 2-loop nest to the contract's loops: `first` and `second` of
/// the contract become d0 and d1, its third loop the constant 0 (no operand
/// read through the result reads it).
AffineMap toContractLoops(MLIRContext *ctx, unsigned numLoops, unsigned first, unsigned second) {
  SmallVector<AffineExpr> exprs(numLoops, getAffineConstantExpr(0, ctx));
  exprs[first] = getAffineDimExpr(0, ctx);
  exprs[second] = getAffineDimExpr(1, ctx);
  return AffineMap::get(2, 0, exprs, ctx);
}

Value view2d(OpBuilder &b, Location loc, Value source, Value rows, Value cols) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  return memref::SubViewOp::create(b, loc, source, {zero, zero}, {rows, cols}, {one, one});
}

/// `source`'s rows [start, start + count) along dimension `dim` of two.
Value rowSlice(OpBuilder &b, Location loc, Value source, unsigned dim, Value start, Value count) {
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)), sizes, strides(2, b.getIndexAttr(1));
  for (unsigned d = 0; d < 2; ++d)
    sizes.push_back(memref::DimOp::create(b, loc, source, d).getResult());
  offsets[dim] = start;
  sizes[dim] = count;
  return memref::SubViewOp::create(b, loc, source, offsets, sizes, strides);
}

} // namespace

void vibee::buildTransposedProductByRowBlocks(RewriterBase &rw, linalg::ContractOp op,
                                              const Roles &roles) {
  Location loc = op.getLoc();
  Value x = op.getInputs()[0], y = op.getOutputs()[0];
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned xRows = *position(maps[0], roles.m[0]), yRows = *position(maps[2], roles.m[0]);
  auto [fewer, block] = std::pair(kTransposedColumns[0], kTransposedColumns[1]);
  Value rows = memref::DimOp::create(rw, loc, x, xRows);
  Value step = arith::ConstantIndexOp::create(rw, loc, block);
  auto loop = scf::ForOp::create(rw, loc, arith::ConstantIndexOp::create(rw, loc, 0), rows, step);
  rw.setInsertionPointToStart(loop.getBody());
  Value start = loop.getInductionVar();
  Value count = arith::MinSIOp::create(rw, loc, step, arith::SubIOp::create(rw, loc, rows, start));
  IRMapping slices;
  slices.map(x, rowSlice(rw, loc, x, xRows, start, count));
  slices.map(y, rowSlice(rw, loc, y, yRows, start, count));
  auto slice = cast<linalg::ContractOp>(rw.clone(*op, slices));
  Value few = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sle, count,
                                    arith::ConstantIndexOp::create(rw, loc, fewer));
  auto ifOp = scf::IfOp::create(rw, loc, few, /*withElse=*/true);
  rw.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  buildSkinnyTransposedProduct(rw, slice, roles, fewer);
  rw.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  buildSkinnyTransposedProduct(rw, slice, roles, block);
  rw.eraseOp(slice);
  rw.setInsertionPointAfter(loop);
}

void vibee::buildSkinnyTransposedProduct(RewriterBase &rw, linalg::ContractOp op,
                                         const Roles &roles, int64_t columnCount) {
  Location loc = op.getLoc();
  MLIRContext *ctx = rw.getContext();
  Value x = op.getInputs()[0], w = op.getInputs()[1], y = op.getOutputs()[0];
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned m = roles.m[0], n = roles.n[0], k = roles.k[0], loops = op.getNumLoops();
  if (position(maps[1], n) == 1u) // b[k, n] as w[n, k]
    w = memref::TransposeOp::create(
        rw, loc, w,
        AffineMapAttr::get(AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx)));
  Value rows = memref::DimOp::create(rw, loc, x, *position(maps[0], m));
  Value depth = memref::DimOp::create(rw, loc, w, 1);
  Value columns = memref::DimOp::create(rw, loc, w, 0);
  auto padded = MemRefType::get({ShapedType::kDynamic, columnCount}, rw.getF32Type());
  auto par = utils::IteratorType::parallel;
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);

  // f32: xT[k][j] = x[j, k], the micro-kernel's B. bf16: xP[j][k] = x[j, k],
  // read by rows as the packed dot products read nn.Linear's w (they pack
  // their own panels). The padding is zero, so its products are.
  bool bf16 = getElementTypeOrSelf(x.getType()).isBF16();
  Type xType = getElementTypeOrSelf(x.getType());
  auto xPadded = bf16 ? MemRefType::get({columnCount, ShapedType::kDynamic}, xType) : padded;
  Value xT = memref::AllocOp::create(rw, loc, xPadded, ValueRange{depth}, rw.getI64IntegerAttr(64));
  emitZeroFill(rw, loc, xT);
  Value xView = bf16 ? view2d(rw, loc, xT, rows, depth) : view2d(rw, loc, xT, depth, rows);
  AffineMap xRead = bf16 ? toContractLoops(ctx, loops, m, k) : toContractLoops(ctx, loops, k, m);
  auto copy = linalg::GenericOp::create(
      rw, loc, ValueRange{x}, ValueRange{xView}, {maps[0].compose(xRead), identity}, {par, par},
      [](OpBuilder &b, Location l, ValueRange args) { linalg::YieldOp::create(b, l, args[0]); });
  // Left to scalar loops (vibee.pack), as the epilogue below: M x K and M x N
  // elements beside the M x N x K product, and vectorized as transposes they
  // made the kernel's code 2.7 times as large (docs/performance.md, "Session 34").
  copy->setAttr(vibee::attr::kPack, rw.getUnitAttr());

  // cT[n][j] = sum_k w[n, k] * xT[k][j] (bf16: f32(w[n, k]) * f32(xP[j][k])),
  // the matmul vibee-cpu-tile-matmul takes, from zero (the fill right before
  // it, which it absorbs).
  Value cT =
      memref::AllocOp::create(rw, loc, padded, ValueRange{columns}, rw.getI64IntegerAttr(64));
  emitZeroFill(rw, loc, cT);
  auto red = utils::IteratorType::reduction;
  SmallVector<AffineMap> matmulMaps = plainMatmulMaps(ctx);
  if (bf16)
    matmulMaps[1] = AffineMap::get(3, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)}, ctx);
  linalg::GenericOp::create(rw, loc, ValueRange{w, xT}, ValueRange{cT}, matmulMaps, {par, par, red},
                            [bf16](OpBuilder &b, Location l, ValueRange args) {
                              Value a = args[0], c = args[1];
                              if (bf16) {
                                a = arith::ExtFOp::create(b, l, b.getF32Type(), a);
                                c = arith::ExtFOp::create(b, l, b.getF32Type(), c);
                              }
                              Value p = arith::MulFOp::create(b, l, a, c);
                              linalg::YieldOp::create(
                                  b, l, arith::AddFOp::create(b, l, args[2], p).getResult());
                            });

  // y[m, n] += cT[n][m], n innermost: y's rows are written contiguously.
  AffineMap swap = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(0, ctx)}, ctx);
  auto add = linalg::GenericOp::create(
      rw, loc, ValueRange{view2d(rw, loc, cT, columns, rows)}, ValueRange{y},
      {swap, maps[2].compose(toContractLoops(ctx, loops, m, n))}, {par, par},
      [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, args[1], args[0]).getResult());
      });
  add->setAttr(vibee::attr::kPack, rw.getUnitAttr());
  memref::DeallocOp::create(rw, loc, xT);
  memref::DeallocOp::create(rw, loc, cT);
}
