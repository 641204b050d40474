//===- CpuTarget.cpp - host CPU detection and tile / vector choices -------===//
#include "backends/cpu/Transforms/CpuTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <fstream>
#include <sched.h>
#include <string>
#include <unistd.h>

using namespace vibee;

namespace {

/// sysfs cache size ("48K", "2048K", "32M") of cache index `index` of cpu0, or 0.
int64_t sysfsCacheBytes(int index) {
  std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
  std::string text;
  if (!(in >> text) || text.empty())
    return 0;
  int64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    value = value * 10 + (text[i] - '0');
  if (i < text.size())
    value *= text[i] == 'K' ? 1024 : text[i] == 'M' ? 1024 * 1024 : 1;
  return value;
}

/// sysconf's value (glibc reads cpuid) when positive, else sysfs, else `fallback`.
int64_t cacheBytes(int sysconfName, int sysfsIndex, int64_t fallback) {
  long value = sysconf(sysconfName);
  if (value > 0)
    return value;
  if (int64_t fromSysfs = sysfsCacheBytes(sysfsIndex); fromSysfs > 0)
    return fromSysfs;
  return fallback;
}

int64_t roundDown(int64_t value, int64_t multiple) {
  return std::max(multiple, value / multiple * multiple);
}

int64_t roundUp(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

int64_t floorPowerOfTwo(int64_t value) {
  int64_t p = 1;
  while (p * 2 <= value)
    p *= 2;
  return p;
}

} // namespace

int64_t vibee::balancedTile(int64_t size, int64_t maxTile, int64_t multiple) {
  int64_t tiles = (size + maxTile - 1) / maxTile;
  return std::min(maxTile, roundUp((size + tiles - 1) / tiles, multiple));
}

const CpuTarget &vibee::detectHostCpu() {
  static const CpuTarget host = [] {
    CpuTarget t = portableCpu();
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    auto has = [&](const char *name) {
      auto it = features.find(name);
      return it != features.end() && it->second;
    };
    t.vectorBits = has("avx512f") ? 512 : has("avx2") ? 256 : 128;
    t.bf16Dot = t.vectorBits == 512 && has("avx512bf16");
    t.vnni = t.vectorBits == 512 && has("avx512vnni");
    t.l1dBytes = cacheBytes(_SC_LEVEL1_DCACHE_SIZE, 0, t.l1dBytes);
    t.l2Bytes = cacheBytes(_SC_LEVEL2_CACHE_SIZE, 2, t.l2Bytes);
    t.l3Bytes = cacheBytes(_SC_LEVEL3_CACHE_SIZE, 3, 0);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
      t.cores = std::max(1, CPU_COUNT(&set));
    else if (long n = sysconf(_SC_NPROCESSORS_ONLN); n > 0)
      t.cores = static_cast<unsigned>(n);
    return t;
  }();
  return host;
}

CpuTarget vibee::portableCpu() { return CpuTarget{}; }

MatmulTiles vibee::chooseMatmulTiles(const CpuTarget &target, const MatmulShape &shape,
                                     int64_t elementBytes) {
  MatmulTiles t;
  int64_t lanes = std::max<int64_t>(1, target.vectorBits / (8 * elementBytes));
  // Register tile: nr = two vector registers; mr rows of two accumulators each.
  // AVX-512 has 32 registers: 8 x 2 = 16 accumulators, half the file, the rest
  // for B rows and A broadcasts. 16-register ISAs: 4 x 2 = 8. Powers of two,
  // so that common sizes take the full-tile fast path (M % mr == 0).
  t.nr = 2 * lanes;
  t.mr = target.vectorBits >= 512 ? 8 : 4;
  int64_t m = shape.m.value_or(0), n = shape.n.value_or(0), k = shape.k.value_or(0);
  // A static N of whole registers below that (the transposed product of few
  // rows, SkinnyTransposedProduct.h) is the register tile's width: otherwise
  // every column would be an edge column, off the micro-kernel.
  if (n > 0 && n < t.nr && n % lanes == 0)
    t.nr = n;

  // kc: an mr x kc A sliver plus a kc x nr B micro-panel in L1. A power of two
  // no larger than that (K tiles then line up with power-of-two K); a static K
  // is split into equal blocks instead.
  int64_t l1 = std::max<int64_t>(target.l1dBytes, 16 * 1024);
  int64_t kcMax =
      std::clamp<int64_t>(floorPowerOfTwo(l1 / ((t.mr + t.nr) * elementBytes)), 16, 1024);
  // One register column (N <= nr): each element of A is used once, so A
  // streams from memory whatever kc; long K blocks keep its rows contiguous
  // streams (short ones hop between rows), with the kc x nr B panel in L2.
  int64_t l2 = std::max<int64_t>(target.l2Bytes, 128 * 1024);
  // Not when A is read down its columns: each k is then another row of its
  // buffer (another page, for long rows), and long K blocks thrash the TLB.
  if (n > 0 && n <= t.nr && !shape.aByColumns)
    kcMax = std::clamp<int64_t>(floorPowerOfTwo(l2 / 2 / (t.nr * elementBytes)), 16, 8192);
  t.kc = k > 0 ? vibee::balancedTile(k, kcMax, 8) : kcMax;

  // mc: the mc x kc A block in half of L2. A is read in place (not packed), so
  // its rows, one leading dimension apart, fall into few cache sets: keep a
  // quarter of that, a power of two (larger blocks were slower,
  // docs/performance.md).
  int64_t mcMax = std::max(t.mr, floorPowerOfTwo(l2 / 2 / 4 / (t.kc * elementBytes)));
  mcMax = roundDown(mcMax, t.mr);
  t.mc = m > 0 ? vibee::balancedTile(m, mcMax, t.mr) : mcMax;

  // nc: the packed kc x nc B panel in this thread's share of L3 (half of L2
  // without one), and at most N / cores so every core gets a panel (dynamic N:
  // assumed 1024, the size where threads start to pay off).
  int64_t share = target.l3Bytes > 0 ? target.l3Bytes / std::max(1u, target.cores) / 2 : l2 / 2;
  int64_t ncCache = roundDown(std::min<int64_t>(share / (t.kc * elementBytes), 4096), t.nr);
  int64_t perCore = roundUp((n > 0 ? n : 1024) / std::max(1u, target.cores), t.nr);
  t.nc = std::max(t.nr, std::min(ncCache, perCore));
  if (n > 0)
    t.nc = vibee::balancedTile(n, t.nc, t.nr);
  return t;
}

int64_t vibee::chooseVectorLanes(unsigned vectorBits, unsigned elementBits) {
  return std::max<int64_t>(1, vectorBits / std::max(1u, elementBits));
}

int64_t vibee::chooseVectorTile(unsigned vectorBits, unsigned elementBits, bool reduction) {
  // Elementwise loops wait on memory: a second register per step does not
  // help them. Reductions gain from two partial registers (two chains hide the
  // add latency); four gain nothing more (docs/performance.md).
  return chooseVectorLanes(vectorBits, elementBits) * (reduction ? 2 : 1);
}
