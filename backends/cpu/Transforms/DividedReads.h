//===- DividedReads.h - reads through `k floordiv c` in vector tiles ------===//
//
// Quantized weights are read through a division of the innermost loop: int4
// nibbles two to a byte (w[n, k floordiv 2]), a scale per group of G weights
// (s[n, k floordiv G]). vibee-cpu-vectorize tiles the innermost loop by W
// lanes from 0, so a tile covers [k0, k0 + W) with k0 a multiple of W, and a
// divided read is one of two things inside it:
//   - c a multiple of W: every lane reads the same element, k0 / c (a scalar
//     broadcast: the group scale);
//   - W a multiple of c: W / c consecutive elements from k0 / c, each used c
//     times (one vector load and one shuffle: the packed bytes).
// Rewritten so, a full tile's maps are projected permutations and
// linalg::vectorize takes it. Remainder tiles keep the division (scalar loops).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace vibee {

/// The divisor c when `map` reads `dim floordiv c` (c > 1) as its last result
/// and is a projected permutation of the other loops otherwise.
std::optional<int64_t> dividedReadDivisor(mlir::AffineMap map, unsigned dim);

/// Whether every input of `op` whose map is not a projected permutation is a
/// read through `dim floordiv c` that tiles of `width` along `dim` can take
/// (see above), and its reduction, if any, is one linalg::vectorize combines.
bool dividedReadsFit(mlir::linalg::GenericOp op, unsigned dim, int64_t width);

/// In a full tile of `width` along `dim` (starting at a multiple of `width`),
/// each divided read becomes a projected one: a rank-reduced view of the one
/// element, or a stack buffer of `width` lanes holding the replicated elements
/// (stored by vector ops before the tile; LLVM keeps it in registers). In a
/// transposed tile, `rowsLoop` is its other tiled loop (`width` long as well):
/// the buffer holds a row per value of it.
mlir::LogicalResult materializeDividedReads(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile,
                                            unsigned dim, int64_t width,
                                            std::optional<unsigned> rowsLoop = std::nullopt);

/// In a tile whose index along `dim` is a sum of its own linalg.index and tile
/// or block starts (loop variables from 0 by steps that c divides):
/// `index rem c` is the tile's own `linalg.index rem c` (every term is
/// non-negative). Vectorized, that is a constant vector, so the nibble shifts
/// of int4 codes (`4 * (k % 2)`) are constants instead of lanes of i64 math.
void foldAlignedRemainders(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile, unsigned dim);

/// Arithmetic on values the same in every lane (a uniform read such as a
/// group's scale, its FP8 conversion, constants) done once on the scalar and
/// broadcast after, not once per lane.
void populateUniformLanePatterns(mlir::RewritePatternSet &patterns);

} // namespace vibee
