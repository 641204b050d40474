// The CPU transforms (backends/cpu/Transforms/Passes.td) and their registration.
#pragma once

#include "backends/cpu/Transforms/CpuTarget.h"

#include "mlir/Pass/Pass.h"

#include <memory>

namespace vibee {

#define GEN_PASS_DECL
#include "backends/cpu/Transforms/Passes.h.inc"

/// vibee-cpu-tile-matmul with its target options (vector-bits, l1-bytes,
/// l2-bytes, l3-bytes, cores) describing `target`: the tiles chooseMatmulTiles
/// picks for it, unless a schedule hint overrides them.
std::unique_ptr<mlir::Pass> createCpuTileMatmulPass(const CpuTarget &target, bool threads);

/// vibee-cpu-vectorize at the vector width of `target`.
std::unique_ptr<mlir::Pass> createCpuVectorizePass(const CpuTarget &target);

#define GEN_PASS_REGISTRATION
#include "backends/cpu/Transforms/Passes.h.inc"

} // namespace vibee
