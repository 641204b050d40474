// Pass pipelines that take vibee kernels to the LLVM dialect on CPUs.
#pragma once

#include "backends/cpu/Transforms/CpuTarget.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace vibee {

/// The output of buildVibeeToLinalgPipeline -> LLVM dialect, with a C entry
/// point `vibee_<spec>_<kernel>` per kernel (docs/abi.md): decompose aggregates,
/// bufferize, free temporaries, add the C wrappers, lower to loops and to LLVM.
/// Tiles and vector widths are chosen for `target` (the host for the JIT and
/// host-CPU objects, portableCpu() for portable objects).
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm, const CpuTarget &target = detectHostCpu());

/// The CPU tail of buildLinalgToLLVMPipeline, after bufferization:
/// -> loops, C wrappers, LLVM dialect.
void buildBuffersToLLVMPipeline(mlir::OpPassManager &pm, const CpuTarget &target = detectHostCpu());

/// buildVibeeToLinalgPipeline (transforms/Pipelines.h), then buildLinalgToLLVMPipeline.
void buildVibeeToLLVMPipeline(mlir::OpPassManager &pm, const CpuTarget &target = detectHostCpu());

/// Registers the CPU passes and the pipelines vibee-linalg-to-llvm and
/// vibee-to-llvm (for vibee-opt).
void registerCpuPipelines();

/// Loads libomp into the process (the JIT resolves OpenMP symbols from it).
/// False when it cannot be found: the pipeline then emits no threads.
bool loadOpenMPRuntime();

} // namespace vibee
