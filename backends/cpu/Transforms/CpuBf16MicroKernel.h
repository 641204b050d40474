//===- CpuBf16MicroKernel.h - bf16 x bf16 matmuls on vdpbf16ps -------------===//
//
// The bf16 register micro-kernel of vibee-cpu-tile-matmul (bf16-dot=true, a
// target with AVX512_BF16). vibee-cpu-pack-contractions leaves a bf16 x bf16
// contraction as
//     C[m, n] += f32(A[m, k]) * f32(B[k, n])     (or B[n, k], nn.Linear's w)
// with A bf16 [M][K] (packed, or the operand itself), B the bf16 operand read
// where it lies and C f32. Instead of widening both to f32 for the f32 kernel,
// B's panels are packed as bf16 pairs along k and each k pair of an MR x NR
// register tile is one vdpbf16ps per 16 columns and row: two products and two
// adds per lane, twice the f32 FMA's work per instruction.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_CPUBF16MICROKERNEL_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_CPUBF16MICROKERNEL_H

#include "backends/cpu/Transforms/CpuTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {

/// The generic described above: loops (m, n, k), A bf16 read (m, k), one bf16
/// B read (k, n) or (n, k), C f32 read (m, n), body `out + f32(a) * f32(b)`.
bool isBf16DotMatmul(mlir::linalg::GenericOp op);

/// Lanes of f32 in one vdpbf16ps accumulator (512 bits): `tiles.nr` must be a
/// multiple, and `tiles.kc` even.
constexpr int64_t kBf16DotLanes = 16;

/// Replaces `tile`, such a generic whose M and N are whole register tiles (a
/// multiple of tiles.mr and tiles.nr), by N panels of tiles.nc, K blocks of
/// tiles.kc (B's panel packed as [nc / nr][kc / 2][2 * nr] bf16 pairs), M
/// blocks of tiles.mc (A's block packed as [mc / mr][kc / 2][2 * mr]) and
/// mr x nr register tiles of vdpbf16ps with the accumulators in registers
/// across k. An odd K's last pair is padded with zeros in both panels.
mlir::LogicalResult buildBf16MicroKernel(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile,
                                         const MatmulTiles &tiles);

} // namespace vibee

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_CPUBF16MICROKERNEL_H
