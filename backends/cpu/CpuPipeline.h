// Pass pipelines that take vibee kernels to the LLVM dialect on CPUs.
#pragma once

#include "backends/cpu/CpuTarget.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace vibee {

/// vibee dialect -> destination-passing func.func over linalg on tensors:
/// form-softmax, lower-to-linalg, canonicalize, cse.
void buildVibeeToLinalgPipeline(mlir::OpPassManager &pm);

/// The output of buildVibeeToLinalgPipeline -> LLVM dialect, with a C entry
/// point `vibee_<spec>_<kernel>` per kernel (docs/abi.md): decompose aggregates,
/// bufferize, free temporaries, add the C wrappers, lower to loops and to LLVM.
/// Tiles and vector widths are chosen for `target` (the host for the JIT and
/// host-CPU objects, portableCpu() for portable objects).
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const CpuTarget &target = detectHostCpu());

/// The three stages of buildLinalgToLLVMPipeline, for backends that share a
/// prefix of it (C++ emission stops after bufferization):
/// linalg on tensors -> optimized linalg on tensors (fusion, tiling, ...),
void buildLinalgOptimizationPipeline(mlir::OpPassManager &pm);
/// -> memrefs with every temporary freed,
void buildBufferizationPipeline(mlir::OpPassManager &pm);
/// -> loops, C wrappers, LLVM dialect.
void buildBuffersToLLVMPipeline(mlir::OpPassManager &pm,
                                const CpuTarget &target = detectHostCpu());

/// bf16/f16 arithmetic and math computed in f32, stored in the narrow type (on
/// loops, before lowering to LLVM or EmitC).
void addNarrowFloatEmulation(mlir::OpPassManager &pm);

/// Both of the above.
void buildVibeeToLLVMPipeline(mlir::OpPassManager &pm,
                              const CpuTarget &target = detectHostCpu());

/// Registers the pipelines as vibee-to-linalg, vibee-linalg-to-llvm and
/// vibee-to-llvm (for vibee-opt).
void registerCpuPipelines();

} // namespace vibee
