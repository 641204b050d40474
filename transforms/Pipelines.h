// The stages every target shares: vibee -> linalg on tensors, the
// target-independent optimizations of linalg on tensors, bufferization, and the
// narrow-float emulation. Each backend's pipeline (backends/*/…Pipeline.cpp)
// is built of these plus its own passes.
#pragma once

#include <cstdint>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace vibee {

/// vibee dialect -> destination-passing func.func over linalg on tensors:
/// form-softmax, lower-to-linalg, canonicalize, cse.
void buildVibeeToLinalgPipeline(mlir::OpPassManager &pm);

/// linalg on tensors -> optimized linalg on tensors: elementwise fusion. Named
/// ops that carry structure (linalg.softmax) survive it; each target decomposes
/// them after its own rewrite of them, with addLateDecomposition.
/// `maxBroadcastRecompute`: vibee-fuse-elementwise's max-broadcast-recompute
/// (1: a producer is fused only where each element is computed once).
void buildLinalgOptimizationPipeline(mlir::OpPassManager &pm, int64_t maxBroadcastRecompute = 1);

/// Aggregated ops no target rewrite took (linalg.softmax) -> generics
/// (vibee-decompose-aggregates), fused like statements. `keepContractions`:
/// linalg.contract stays for the target's own rewrite (the CPU's packing).
/// `scanRows`: vibee-lower-scans' rows as parallel chunks, those also kept for a
/// warp per row where they take it (the GPU), as a loop nest
/// (the CPU, which splits the row loop over its threads), or in order with the
/// running value in memory (C++ output through EmitC).
/// `keepGatherIndices`: vibee.gather_index stays for the target's own check (the
/// GPU's vibee-gpu-gather-checks); otherwise it is clamped here.
/// `keepIntegerSums`: i32/i64 vibee.scatter_add stays, to be bufferized and added
/// atomically by the target (the GPU's vibee-gpu-atomic-scatters); `keepFloatSums`:
/// f32/f64 ones too (not bit-reproducible: only when the user asks).
enum class ScanRows { Chunked, Warps, Serial, SerialEmitC };
void addLateDecomposition(mlir::OpPassManager &pm, bool keepContractions = false,
                          bool keepAttention = false, ScanRows scanRows = ScanRows::Chunked,
                          bool keepGatherIndices = false, bool keepIntegerSums = false,
                          bool keepFloatSums = false);

/// linalg on tensors -> memrefs, every temporary freed, inout results in place.
/// One tensor.empty (and fill) per destination first, which keeps bufferization
/// linear in the number of statements and keeps two reductions of one shared
/// fill (CSE'd) into two results apart: without it one-shot-bufferize writes
/// both into one buffer (every target: CPU, C++ output and GPU).
void buildBufferizationPipeline(mlir::OpPassManager &pm);

/// bf16/f16 arithmetic and math computed in f32, stored in the narrow type (on
/// loops, before lowering to LLVM or EmitC).
void addNarrowFloatEmulation(mlir::OpPassManager &pm);

/// canonicalize + cse nested on each func.func (the same rewrites as over the
/// module, without re-simplifying every function after each rewrite).
void addFunctionCleanup(mlir::OpPassManager &pm);

/// Registers vibee-to-linalg (for vibee-opt).
void registerSharedPipelines();

} // namespace vibee
