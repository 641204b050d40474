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

/// The divisor c when `map` reads `inner floordiv c` (c > 1) as its last result
/// and is a projected permutation of the other loops otherwise.
std::optional<int64_t> dividedReadDivisor(mlir::AffineMap map, unsigned inner);

/// Whether every input of `op` whose map is not a projected permutation is a
/// divided read that a tile of `width` lanes can take (see above), and its
/// reduction, if any, is one linalg::vectorize combines.
bool dividedReadsFit(mlir::linalg::GenericOp op, int64_t width);

/// In a full tile of `width` lanes (its inner loop at a multiple of `width`),
/// each divided read becomes a projected one: a rank-reduced view of the one
/// element, or a `width`-element stack buffer holding the replicated elements
/// (stored by vector ops before the tile; LLVM keeps it in registers).
void materializeDividedReads(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile, int64_t width);

/// In a full tile of `width` lanes of the innermost loop, whose tile loop
/// variable `tileStart` steps from 0 by `width`: `(tileStart + i) rem c` with c
/// dividing `width` is `i rem c` (i the tile's own index, both sides
/// non-negative). Vectorized, `i` is a constant vector, so the nibble shifts of
/// int4 codes (`4 * (k % 2)`) fold to constants instead of lanes of i64 math.
void foldAlignedRemainders(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile,
                           mlir::Value tileStart, int64_t width);

/// Arithmetic on values the same in every lane (a uniform read such as a
/// group's scale, its FP8 conversion, constants) done once on the scalar and
/// broadcast after, not once per lane.
void populateUniformLanePatterns(mlir::RewritePatternSet &patterns);

} // namespace vibee
