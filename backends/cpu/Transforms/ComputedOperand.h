//===- ComputedOperand.h - matmuls whose B is computed while packing -------===//
//
// The form in which vibee-cpu-pack-contractions hands vibee-cpu-tile-matmul a
// contraction whose weights are narrow, dequantized (issue 13) or f32 but
// transposed (w[n, k], issue 10): instead of a
// [K][N] f32 copy of B, the matmul generic reads the narrow buffers themselves
// and computes B in its body,
//     C[m, n] += A[m, k] * b(src_1[...], src_2[...], ...)     (A, C in f32)
// where each src map reads n only as a plain index and k as a plain index or
// `k floordiv G` (a per-group scale). vibee-cpu-tile-matmul then evaluates b
// while it packs each NC x KC panel of B, so the only f32 copy of the weights
// is the panel in L2, and the micro-kernel is the plain f32 one.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_COMPUTEDOPERAND_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_COMPUTEDOPERAND_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace vibee {

/// Why a source read through `map` (over loops m, n, k at positions m, n, k)
/// cannot be computed panel by panel, or the empty string; a `k floordiv G`
/// read adds G to `groups`.
std::string unsupportedComputedRead(mlir::AffineMap map, unsigned m, unsigned n, unsigned k,
                                    llvm::SmallVectorImpl<int64_t> &groups);

/// The K block nearest `target` (below it first) in which every `k floordiv G`
/// read of a tile stays exact: each G divides the block or the block divides G
/// (blocks start at multiples of their size, so none straddles a group).
/// std::nullopt when no block of a practical size (16 to 4096) does.
std::optional<int64_t> kBlockForGroups(llvm::ArrayRef<int64_t> groups, int64_t target);

/// A bufferized generic over loops (m, n, k), parallel, parallel, reduction,
/// with at least two inputs, the first read (m, k), and one init read (m, n):
/// the loop nest of every matmul vibee-cpu-tile-matmul takes.
bool isMatmulNest(mlir::linalg::GenericOp op);

/// For a generic of the form above: the G of its `k floordiv G` reads (none
/// without groups), for kBlockForGroups. std::nullopt for any other generic.
std::optional<llvm::SmallVector<int64_t>> computedMatmulKGroups(mlir::linalg::GenericOp op);

/// Bp[jb][k][jj] = b(... at n = jb * nr + jj, k) of `tile` (a tile of such a
/// matmul) into `packView`, [NC / nr][KC][nr]. Marked vibee.pack (left to
/// scalar loops) unless every source's read is a projected permutation of the
/// pack's loops once its n is split into (jb, jj).
mlir::linalg::GenericOp buildComputedPack(mlir::OpBuilder &b, mlir::Location loc,
                                          mlir::linalg::GenericOp tile, mlir::Value packView,
                                          int64_t nr);

/// The indexing maps of C[m, n] += A[m, k] * B[k, n] over (m, n, k): the
/// matmul vibee-cpu-tile-matmul takes.
llvm::SmallVector<mlir::AffineMap> plainMatmulMaps(mlir::MLIRContext *ctx);

/// Replaces `tile` (a tile of such a matmul) by the plain f32 matmul generic on
/// its A and C and the packed row `bRow` of B; returns it.
mlir::linalg::GenericOp replaceByPlainMatmul(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile,
                                             mlir::Value bRow);

/// Maps each memref operand of a matmul generic (loops m, n, k) to its view on
/// rows [m0, m0 + ms) and columns [n0, n0 + ns) (a null offset: the loop
/// whole); an operand that reads neither sliced loop stays as it is.
void mapSlices(mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::GenericOp op,
               mlir::OpFoldResult m0, mlir::OpFoldResult ms, mlir::OpFoldResult n0,
               mlir::OpFoldResult ns, mlir::IRMapping &mapping);

} // namespace vibee

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_COMPUTEDOPERAND_H
