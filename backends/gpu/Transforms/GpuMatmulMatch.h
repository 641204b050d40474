//===- GpuMatmulMatch.h - Which generics the matmul kernels take ----------===//
//
// c[z..., m, n] (+)= sum_k f(a, b) with a = a[z..., m, k] or a[z..., k, m] and
// b = b[z..., k, n] or b[z..., n, k] (the nn.Linear layout), each operand with
// all the batch indices z... or none (shared weights): loops (z..., m, n, k),
// k the only reduction. The FMA kernel (GpuMatmulKernels.cpp) takes any such
// generic; the tensor-core kernel (GpuMmaKernels.cpp) those whose payload is
// acc + ext(a) * ext(b) on bf16/f16 operands with an f32 accumulator.
//
// B may also be computed by the payload (`computedB`): the dequantizing
// prologue of a quantized weight that vibee-decompose-aggregates inlined,
// c[m, n] += f(a[m, k]) * g(w[n, k / 2], scale[n, k / G], ..., n, k) with no
// batch loops, every input but a read without m (any affine subscript of n and
// k: int4 nibbles, group scales) and g free to read loops n and k (`k % 2`).
// The FMA kernel stages g's values in shared memory as it would B's.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace vibee {

struct MatmulMatch {
  unsigned a = 0, b = 0;  ///< operand numbers
  bool aKm = false;       ///< a is a[z..., k, m]
  bool bNk = false;       ///< b is b[z..., n, k]
  bool aBatched = false;  ///< a carries the batch indices
  bool bBatched = false;  ///< b carries the batch indices
  unsigned batchDims = 0; ///< leading batch loops
  /// The payload value that is B's element when B is computed (then `b`,
  /// `bNk` and `bBatched` mean nothing); null otherwise.
  mlir::Value computedB;
};

std::optional<MatmulMatch> matchMatmul(mlir::linalg::GenericOp op);

/// The operands a computed B is loaded from: every memref input but a.
llvm::SmallVector<unsigned> computedBInputs(mlir::linalg::GenericOp op, const MatmulMatch &match);

/// The inputs a computed B reads at (n, k), loaded through their indexing
/// maps at (0, n, k) with no bounds check (at computedBInputs, null elsewhere): the
/// first half of buildComputedBAt, for kernels that issue the loads early.
/// With `segmentOffset` e >= 0, k is a multiple of 8 and the point is k + e:
/// the indices are built so that those the segment's 8 values share are equal
/// (k = 8 q + e; a floordiv or mod by a multiple of 8 drops e), and their
/// loads fold.
llvm::SmallVector<mlir::Value> loadComputedBOperands(mlir::OpBuilder &b, mlir::Location loc,
                                                     mlir::linalg::GenericOp op,
                                                     const MatmulMatch &match, mlir::Value n,
                                                     mlir::Value k, int64_t segmentOffset = -1);
/// The second half: the payload cloned up to computedB over `operands`.
mlir::Value applyComputedB(mlir::OpBuilder &b, mlir::Location loc, const MatmulMatch &match,
                           PayloadCloner &payload, llvm::ArrayRef<mlir::Value> operands,
                           mlir::Value n, mlir::Value k);

/// B's element at (n, k) when it is computed (`match.computedB`), or zero
/// outside [0, N) x [0, K): every input but a loaded through its indexing map
/// at (0, n, k), then the payload cloned up to computedB (both matmul kernels
/// stage B from this).
mlir::Value buildComputedBAt(mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::GenericOp op,
                             const MatmulMatch &match, PayloadCloner &payload, mlir::Value n,
                             mlir::Value k, mlir::Value N, mlir::Value K);

/// The launch shape both matmul kernels use: grid (ceil(N / tileN),
/// min(ceil(M / tileM), 65535), min(batch, 65535)); the kernel loops over the
/// m tiles and the batch with the grid's y and z strides, so a launch never
/// exceeds gridDim.y/z <= 65535 (docs/gpu.md, "Launch limits").
struct MatmulGrid {
  mlir::Value gridX, gridY, gridZ, tilesM, batch;
};
MatmulGrid buildMatmulGrid(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::ArrayRef<mlir::Value> sizes, unsigned batchDims, int64_t tileM,
                           int64_t tileN);

/// for (z = blockIdx.z; z < batch; z += gridDim.z)
///   for (t = blockIdx.y; t < tilesM; t += gridDim.y) body(batch indices, t)
using MatmulTileBody =
    llvm::function_ref<void(mlir::OpBuilder &, mlir::ValueRange batchIdx, mlir::Value tileM)>;
void buildMatmulTileLoops(mlir::OpBuilder &b, mlir::Location loc, mlir::gpu::LaunchOp launch,
                          mlir::ArrayRef<mlir::Value> sizes, unsigned batchDims,
                          const MatmulGrid &grid, MatmulTileBody body);

/// Indices of an operand: the batch indices when it has them, then (r, c).
llvm::SmallVector<mlir::Value> matmulIndices(mlir::ValueRange batchIdx, bool batched, mlir::Value r,
                                             mlir::Value c);

/// The tensor-core kernel (GpuMmaKernels.cpp) applies to `op`: acc +
/// ext(a) * ext(b) on bf16/f16 operands, f32 c, a not transposed.
bool isMmaMatmul(mlir::linalg::GenericOp op, const MatmulMatch &match);

/// The wgmma kernel (sm_90a) applies to `op`: what isMmaMatmul takes, and, in
/// the K-major layouts a[m, k] and b[n, k] that wgmma reads 8-bit operands in,
/// FP8 operands (e4m3, e5m2; f32 accumulator) and 8-bit integers (sign- or
/// zero-extended: s8, u8; i32 accumulator).
bool isWgmmaMatmul(mlir::linalg::GenericOp op, const MatmulMatch &match);

/// i1 at run time: the operands suit its 16-byte loads (aligned pointers, K
/// and, for b[k, n], N multiples of 8 values; of 16 for FP8).
mlir::Value buildMmaApplies(mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::GenericOp op,
                            const MatmulMatch &match, mlir::ArrayRef<mlir::Value> sizes);

/// The tensor-core kernel's launch at `b` (mma.sync, sm_80 and later).
void buildMmaLaunch(mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::GenericOp op,
                    const MatmulMatch &match, mlir::ArrayRef<mlir::Value> sizes);

/// What the wgmma kernel takes over around its matmul: the zero fill of c
/// just before it (c is then written, never read), and, when c is a
/// temporary that nothing else reads, the elementwise statement just after it
/// that reads c (a cast to bf16, a bias, an activation): c's values go through
/// its payload straight to its output and c itself is never written.
struct MatmulEpilogue {
  mlir::linalg::FillOp fill;       ///< null: c accumulates (c += a b)
  mlir::linalg::GenericOp generic; ///< null: c is stored
  unsigned cInput = 0;             ///< the input of `generic` that reads c
};
MatmulEpilogue matchMatmulEpilogue(mlir::linalg::GenericOp op);

/// The few-rows contraction kernels (GpuSkinnyContractionKernels.cpp) put an
/// op under `scf.if {kSkinnyDispatchAttr}`: their kernels in the then-branch,
/// the op (marked kSkinnyCheckedAttr), its fill and its consumer in the else
/// branch, where matchMatmulEpilogue ignores the then-branch's uses of c.
inline constexpr llvm::StringLiteral kSkinnyDispatchAttr = "vibee_skinny_dispatch";
inline constexpr llvm::StringLiteral kSkinnyCheckedAttr = "vibee_skinny_checked";

/// The same on sm_90a (GpuWgmmaKernels.cpp): wgmma, TMA loads into swizzled
/// shared memory, a 4-stage mbarrier pipeline, a producer warpgroup. For the
/// matmuls isWgmmaMatmul takes, when buildMmaApplies holds.
void buildWgmmaLaunch(mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::GenericOp op,
                      const MatmulMatch &match, mlir::ArrayRef<mlir::Value> sizes,
                      const MatmulEpilogue &epilogue);

} // namespace vibee
