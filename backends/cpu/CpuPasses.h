// CPU-only passes on bufferized linalg (backends/cpu/CpuTiling.cpp).
#pragma once

#include "backends/cpu/CpuTarget.h"

#include <memory>

namespace mlir {
class Pass;
} // namespace mlir

namespace vibee {

/// vibee-cpu-tile-matmul: f32 matmul generics -> cache tiles, a packed B panel and
/// a vectorized register-tile micro-kernel; N panels over threads. Schedule hints
/// (tile, vector, parallel, threads) override the sizes per kernel; without them
/// the sizes come from chooseMatmulTiles for `target`.
std::unique_ptr<mlir::Pass> createCpuTileMatmulPass(const CpuTarget &target = detectHostCpu(),
                                                    bool threads = true);

/// vibee-cpu-parallelize: the first parallel loop of other top-level linalg ops (or
/// the first over a dim of a parallel(...) hint, in tile(...)-sized chunks if hinted)
/// split over the runtime's threads (scf.forall), serial when the work is small.
std::unique_ptr<mlir::Pass> createCpuParallelizePass();

/// vibee-cpu-vectorize (backends/cpu/CpuVectorize.cpp): elementwise and
/// innermost-reduction generics to the vector dialect, `vectorBits`-wide
/// registers (0: the host's), scalar remainders.
std::unique_ptr<mlir::Pass> createCpuVectorizePass(unsigned vectorBits = 0);
void registerCpuVectorizePass();

/// For vibee-opt.
void registerCpuPasses();

/// Loads libomp into the process (the JIT resolves OpenMP symbols from it).
/// False when it cannot be found: the pipeline then emits no threads.
bool loadOpenMPRuntime();

} // namespace vibee
