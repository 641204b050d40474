// What the CPU passes need to know about the machine the code will run on, and
// the pure functions that turn it (and a problem's sizes) into tile sizes and
// vector widths. No MLIR here: the choices are unit-tested on their own
// (tests/unit/cpu) and are the single place a `schedule` hint overrides.
#pragma once

#include <cstdint>
#include <optional>

namespace vibee {

struct CpuTarget {
  unsigned vectorBits = 128;         // widest usable SIMD register: 512 (AVX-512F), 256 (AVX2), 128
  int64_t l1dBytes = 32 * 1024;      // per core
  int64_t l2Bytes = 1024 * 1024;     // per core
  int64_t l3Bytes = 8 * 1024 * 1024; // shared by `cores`
  unsigned cores = 1;
  // vdpbf16ps (AVX512_BF16 on 512-bit vectors): bf16 x bf16 contractions run a
  // micro-kernel of dot products of bf16 pairs instead of widening to f32.
  bool bf16Dot = false;
  // vpdpbusd (AVX512_VNNI on 512-bit vectors): int8 contractions into int32 run
  // a micro-kernel of dot products of byte quads instead of generic loops.
  bool vnni = false;
  // Threads (OpenMP) compiled in, when libomp can be loaded: `vibeec --no-threads`
  // turns them off. Not read from VIBEE_NUM_THREADS, which limits threads when the
  // code runs (a compile's environment used to drop them from objects silently).
  bool threads = true;
};

/// The host, detected once per process: vector width from the LLVM host
/// features (what the JIT and host-CPU objects are compiled for), caches
/// from sysconf / sysfs, cores from the affinity mask; fallbacks are the
/// portable values.
const CpuTarget &detectHostCpu();

/// The x86-64 baseline (SSE2: 128-bit vectors) with modest caches: what an
/// object compiled with `--portable` may meet.
CpuTarget portableCpu();

/// Cache and register tiles of the f32 matmul micro-kernel (CpuTileMatmul.cpp):
/// loops N by nc (per thread), K by kc, M by mc, then nr x mr register tiles.
struct MatmulTiles {
  int64_t mr, nr, mc, nc, kc;
};

/// A problem size per matmul dim; nullopt when it is only known at run time.
struct MatmulShape {
  std::optional<int64_t> m, n, k;
  /// A is read in place down its columns (a transposed view: consecutive k
  /// one row of the underlying buffer apart).
  bool aByColumns = false;
};

/// BLIS-style analytic choice: nr = two vector registers, mr the rows whose
/// mr*nr/lanes accumulators fill about half the register file; kc so that an
/// mr x kc A sliver plus a kc x nr B micro-panel fit L1; mc so that the mc x kc
/// A block fits half of L2; nc so that the packed kc x nc B panel fits this
/// thread's share of L3 (and half of L2 when there is no L3) and N splits over
/// the cores. Static problem sizes clamp every tile (no larger than the
/// dimension rounded up to its register tile). Invariants: nc % nr == 0,
/// mc % mr == 0, every size > 0.
MatmulTiles chooseMatmulTiles(const CpuTarget &target, const MatmulShape &shape = {},
                              int64_t elementBytes = 4);

/// Splits `size` into the fewest tiles of at most `maxTile`, each a multiple
/// of `multiple`, as equal as possible (1000 by at most 256 -> 4 tiles of 256;
/// 520 by at most 256 -> 3 tiles of 176, not 256 + 256 + 8).
int64_t balancedTile(int64_t size, int64_t maxTile, int64_t multiple);

/// Elements of `elementBits` in one `vectorBits`-wide register.
int64_t chooseVectorLanes(unsigned vectorBits, unsigned elementBits);

/// The innermost-loop tile (elements) of vibee-cpu-vectorize for a body that
/// computes in `elementBits`: one register for elementwise loops, two for
/// innermost reductions (two independent chains of partials). A schedule
/// hint vector(w) replaces it.
int64_t chooseVectorTile(unsigned vectorBits, unsigned elementBits, bool reduction);

} // namespace vibee
