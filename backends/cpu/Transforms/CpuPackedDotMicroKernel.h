//===- CpuPackedDotMicroKernel.h - matmuls on packed dot products ----------===//
//
// The micro-kernels of vibee-cpu-tile-matmul for narrow operands whose x86
// instruction multiplies a group of consecutive k and adds the products into
// one 32-bit lane:
//   * bf16 (bf16-dot, AVX512_BF16): vdpbf16ps, pairs of bf16 into f32;
//   * int8 into int32 (vnni, AVX512_VNNI): vpdpbusd, quads of bytes into i32
//     (A stored unsigned, a + 128, and 128 x B's column sums taken off);
//     exact, and an i32 sum that wraps wraps the same in any order.
// vibee-cpu-pack-contractions leaves such a contraction as
//     C[m, n] += wide(A[m, k]) * wide(B[k, n])     (or B[n, k], nn.Linear's w)
// with A [M][K] (packed, or the operand itself), B the operand read where it
// lies and C in the accumulator type. Instead of widening both for the f32
// kernel (or generic loops for int32), both panels are packed as groups along
// k and each group of an MR x NR register tile is one instruction per 16
// columns and row: 32 (bf16) or 64 (int8) multiply-adds.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_CPUPACKEDDOTMICROKERNEL_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_CPUPACKEDDOTMICROKERNEL_H

#include "backends/cpu/Transforms/CpuTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace vibee {

enum class PackedDot {
  Bf16Pairs, // bf16 x bf16 -> f32, vdpbf16ps
  Int8Quads, // i8 x i8 -> i32, vpdpbusd
};

/// The consecutive k values one 32-bit lane takes per instruction.
constexpr int64_t packedDotGroup(PackedDot kind) { return kind == PackedDot::Bf16Pairs ? 2 : 4; }

/// The generic described above, and which instruction it takes: loops
/// (m, n, k), A read (m, k), one B read (k, n) or (n, k), C read (m, n), body
/// `out + wide(a) * wide(b)` (extf to f32 of bf16; extsi to i32 of i8).
std::optional<PackedDot> packedDotMatmul(mlir::linalg::GenericOp op);

/// 32-bit lanes in one 512-bit accumulator: `tiles.nr` must be a multiple.
constexpr int64_t kPackedDotLanes = 16;

/// Replaces `tile`, such a generic whose M and N are whole register tiles (a
/// multiple of tiles.mr and tiles.nr), by N panels of tiles.nc, K blocks of
/// tiles.kc (a multiple of the group G; B's panel packed as
/// [nc / nr][kc / G][G * nr]), M blocks of tiles.mc (A's block packed as
/// [mc / mr][kc / G][G * mr]) and mr x nr register tiles of the instruction
/// with the accumulators in registers across k. The last group of a K that G
/// does not divide is padded with zeros in both panels. Fails when the tiles
/// do not fit that shape. With `zeroInit` (C is zero before: ZeroInit.h) the
/// first K block starts its accumulators from zero instead of loading C.
/// `onePanel` (N is at most tiles.nr): A's groups are each used once, so the
/// register tiles read A in place where a K block is whole groups.
mlir::LogicalResult buildPackedDotMicroKernel(mlir::RewriterBase &rw, mlir::linalg::GenericOp tile,
                                              const MatmulTiles &tiles, PackedDot kind,
                                              bool zeroInit, bool onePanel);

} // namespace vibee

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_CPUPACKEDDOTMICROKERNEL_H
