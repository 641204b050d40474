//===- GpuMmaFragments.h - mma.sync m16n8k16 fragments and their loads ---===//
//
// What the mma.sync kernels (matmuls: GpuMmaKernels.cpp; attention:
// GpuAttentionMmaKernel.cpp) share: where each lane's ldmatrix.x4 row starts, the
// fragments as the registers nvvm.mma.sync takes, and one m16n8k16 step.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/Builders.h"

namespace vibee {

/// A lane's position in ldmatrix.x4: it supplies row `r` (0..7) of matrix
/// lane / 8; `low` and `high` (0 or 8) are that matrix's offsets, low from its
/// parity and high from its half.
struct LdMatrixLane {
  mlir::Value r, low, high;
};
LdMatrixLane buildLdMatrixLane(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lane);

/// ldmatrix.x4 of `tile` (shared memory) at (row, col): a vector<4x2> of the
/// tile's element type.
mlir::Value buildLdMatrix(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tile, mlir::Value row,
                          mlir::Value col, bool transpose);

/// Rows [2 h, 2 h + 1] of an ldmatrix.x4 result: the B fragment of one n tile.
mlir::Value buildHalfFragment(mlir::OpBuilder &b, mlir::Location loc, mlir::Value frag, int64_t h);

/// A fragment (vector<Nx2> of bf16 or f16) as nvvm.mma.sync's registers: bf16
/// pairs as i32, f16 pairs as vector<2xf16>.
llvm::SmallVector<mlir::Value> buildFragmentRegisters(mlir::OpBuilder &b, mlir::Location loc,
                                                      mlir::Value frag);

/// Two f32 values rounded to `element` (bf16 or f16) as one fragment register.
mlir::Value buildPackedPair(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y,
                            mlir::Type element);

/// acc += a . b on one 16 x 8 tile (m16n8k16, row x col, f32 accumulator):
/// `acc` holds c0..c3 of the PTX fragment and is updated in place.
void buildMma16816(mlir::OpBuilder &b, mlir::Location loc, mlir::Type element,
                   llvm::ArrayRef<mlir::Value> aRegs, llvm::ArrayRef<mlir::Value> bRegs,
                   llvm::MutableArrayRef<mlir::Value> acc);

/// Two n tiles of B from one ldmatrix.x4 of `tile` at (row, col) (.trans for a
/// [k, n] tile), each multiplied by the A fragment `aRegs` into its four of `acc`.
void buildMmaPair(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tile, mlir::Value row,
                  mlir::Value col, bool transpose, llvm::ArrayRef<mlir::Value> aRegs,
                  llvm::MutableArrayRef<mlir::Value> acc);

} // namespace vibee
