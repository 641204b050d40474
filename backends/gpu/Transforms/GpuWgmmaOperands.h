//===- GpuWgmmaOperands.h - TMA tensor maps and wgmma operands ------------===//
//
// What the sm_90a kernels (matmuls: GpuWgmmaKernels.cpp; attention:
// GpuAttentionWgmmaKernel.cpp) share: the host-built TMA tensor maps, the
// matrix descriptors of 128-byte swizzled shared-memory tiles, and the wgmma
// whose A operand comes from registers (MLIR 22's nvvm.wgmma.mma_async reads
// both operands from shared memory only).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/Builders.h"

namespace vibee {

/// vibee_cuda_tensor_map(base, dtype, inner, rows, batch, row stride, batch
/// stride (bytes), box inner, box rows): the device address (index) of a 3-D
/// tensor map over the contiguous bf16/f16/8-bit `operand` ([batch][rows][inner])
/// with the 128-byte swizzle; 0 on failure (recorded) or when a dim is 0.
mlir::Value buildTensorMap(mlir::OpBuilder &b, mlir::Location loc, mlir::Value operand,
                           mlir::Value inner, mlir::Value rows, mlir::Value batch,
                           int64_t boxInner, int64_t boxRows);

/// The wgmma matrix descriptor (i64) of the 128-byte swizzled tile at shared
/// address `address` (index): 8-row groups 1024 bytes apart, and
/// `leadingBytes` between the 64-wide column blocks of an MN-major operand.
mlir::Value buildWgmmaDescriptor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value address,
                                 int64_t leadingBytes);

/// acc += A . B for one m64nNk16 step of a warpgroup, A (bf16 or f16, `element`)
/// in registers: `aRegs` are the four 32-bit words of the mma.sync m16n8k16 A
/// fragment of each warp's 16 rows. B is the MN-major tile at `descB`
/// (transposed: b[k, n] with n contiguous). `acc` is the literal struct of
/// N / 2 f32 accumulators.
mlir::Value buildWgmmaRegisterA(mlir::OpBuilder &b, mlir::Location loc, mlir::Type element,
                                int64_t n, mlir::Value acc, mlir::ArrayRef<mlir::Value> aRegs,
                                mlir::Value descB);

} // namespace vibee
