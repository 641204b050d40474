//===- CpuPairDotMicroKernel.h - matmuls on pair dot products --------------===//
//
// The micro-kernels of vibee-cpu-tile-matmul for narrow operands whose x86
// instruction multiplies pairs along k and adds both products into one 32-bit
// lane:
//   * bf16 (bf16-dot, AVX512_BF16): vdpbf16ps, bf16 pairs into f32;
//   * i8 into i32 (vnni, AVX512_VNNI): vpdpwssd, i16 pairs into i32 (i8
//     widened to i16 while packing); exact, and an i32 sum that wraps
//     wraps the same in any order.
// vibee-cpu-pack-contractions leaves such a contraction as
//     C[m, n] += wide(A[m, k]) * wide(B[k, n])     (or B[n, k], nn.Linear's w)
// with A [M][K] (packed, or the operand itself), B the operand read where it
// lies and C in the accumulator type. Instead of widening both for the f32
// kernel (or generic loops for i32), both panels are packed as pairs along k
// and each k pair of an MR x NR register tile is one instruction per 16
// columns and row: two products and two adds per lane.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_CPUPAIRDOTMICROKERNEL_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_CPUPAIRDOTMICROKERNEL_H

#include "backends/cpu/Transforms/CpuTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace vibee {

enum class PairDot {
  Bf16,  // bf16 x bf16 -> f32, vdpbf16ps
  Int16, // i8 x i8 -> i32, vpdpwssd on i16 pairs
};

/// The generic described above, and which instruction it takes: loops
/// (m, n, k), A read (m, k), one B read (k, n) or (n, k), C read (m, n), body
/// `out + wide(a) * wide(b)` (extf to f32 of bf16; extsi to i32 of i8).
std::optional<PairDot> pairDotMatmul(mlir::linalg::GenericOp op);

/// 32-bit lanes in one 512-bit accumulator: `tiles.nr` must be a multiple.
constexpr int64_t kPairDotLanes = 16;

/// Replaces `tile`, such a generic whose M and N are whole register tiles (a
/// multiple of tiles.mr and tiles.nr), by N panels of tiles.nc, K blocks of
/// tiles.kc (even; B's panel packed as [nc / nr][kc / 2][2 * nr] pairs), M
/// blocks of tiles.mc (A's block packed as [mc / mr][kc / 2][2 * mr]) and
/// mr x nr register tiles of the pair instruction with the accumulators in
/// registers across k. An odd K's last pair is padded with zeros in both
/// panels. Fails when the tiles do not fit that shape.
mlir::LogicalResult buildPairDotMicroKernel(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile,
                                            const MatmulTiles &tiles, PairDot kind);

} // namespace vibee

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_CPUPAIRDOTMICROKERNEL_H
