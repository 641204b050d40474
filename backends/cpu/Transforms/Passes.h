// The CPU transforms (backends/cpu/Transforms/Passes.td, and three passes whose
// options are a CpuTarget) and their registration.
#pragma once

#include "backends/cpu/Transforms/CpuTarget.h"

#include "mlir/Pass/Pass.h"

#include <memory>

namespace vibee {

#define GEN_PASS_DECL
#include "backends/cpu/Transforms/Passes.h.inc"

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

/// vibee-cpu-vectorize (CpuVectorize.cpp): elementwise and
/// innermost-reduction generics to the vector dialect, `vectorBits`-wide
/// registers (0: the host's), scalar remainders.
std::unique_ptr<mlir::Pass> createCpuVectorizePass(unsigned vectorBits = 0);
void registerCpuVectorizePass();

/// Every CPU pass, for vibee-opt.
void registerCpuPasses();

#define GEN_PASS_REGISTRATION
#include "backends/cpu/Transforms/Passes.h.inc"

} // namespace vibee
