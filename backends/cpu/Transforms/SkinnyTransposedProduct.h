//===- SkinnyTransposedProduct.h - few rows of x against w[n, k] -----------===//
//
// nn.Linear's product y[m, n] = sum_k x[m, k] * w[n, k] with a few rows of x
// (decoding, M <= 32) as the register micro-kernel's matmul with the roles
// swapped, x padded to P = 16 or 32 rows (one or two AVX-512 registers):
//     xT[k][j] = x[j, k]  (j < M; columns M..P-1 zero)     a K x P copy
//     cT[n][j] = sum_k w[n, k] * xT[k][j]                   vibee-cpu-tile-matmul
//     y[m, n] += cT[n][m]
// More rows, up to kTransposedRowsMax, go through it in blocks of 32.
// The weights are the micro-kernel's A, read in place (one broadcast per
// element, MR rows at a time), so they stream from memory once, unpacked and
// uncopied, and the few rows of x are one 16-wide register row per weight row:
// the FMA units do the work the dot products (two loads per FMA) or the
// packed path (a transposed copy of w amortized over 16 rows) spent on loads.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_SKINNYTRANSPOSEDPRODUCT_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_SKINNYTRANSPOSEDPRODUCT_H

#include "backends/cpu/Transforms/ContractionPacking.h"

namespace vibee {

/// The padded row counts of x (the columns of xT and cT) the product is built
/// for, each for the rows above the one before.
constexpr int64_t kTransposedColumns[] = {16, 32};

/// The most rows of x taken in blocks of 32, each streaming w once more: up to
/// there that beat packing a transposed copy of w, which more rows amortize
/// (docs/performance.md, "Session 35").
constexpr int64_t kTransposedRowsMax = 128;

/// Whether `op` can run as the transposed product: f32 operands (or bf16 ones
/// with `bf16Pairs`, the packed dot products of vdpbf16ps) and an f32
/// accumulator, one M, N and K loop, no batch loop, B read as w[n, k].
bool canTransposeSkinny(mlir::linalg::ContractOp op, const packing::Roles &roles, bool bf16Pairs);

/// Emits the transposed product of `op` at `rw`'s insertion point, for x of at
/// most `columns` rows (the caller's run-time test); `op` stays.
void buildSkinnyTransposedProduct(mlir::RewriterBase &rw, mlir::linalg::ContractOp op,
                                  const packing::Roles &roles, int64_t columns);

/// Emits, at `rw`'s insertion point, a loop over blocks of 32 rows of x and y,
/// each the transposed product for 16 or 32 rows; `op` stays.
void buildTransposedProductByRowBlocks(mlir::RewriterBase &rw, mlir::linalg::ContractOp op,
                                       const packing::Roles &roles);

} // namespace vibee

#endif
