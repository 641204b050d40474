// Philox 4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011): the counter-based generator behind `uniform` and `normal`
// (docs/language.md "Random numbers"). The reference interpreter calls these; the
// compiled code computes the same rounds in arith ops (MLIRGenRandom.cpp). Checked
// against the paper's known-answer vectors (tests/unit/frontend/PhiloxTest.cpp).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace vibee::philox {

using Counter = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
constexpr int kRounds = 10;

inline Counter philox4x32(Counter c, Key k) {
  for (int round = 0; round < kRounds; ++round) {
    uint64_t p0 = (uint64_t)kMul0 * c[0], p1 = (uint64_t)kMul1 * c[2];
    c = {(uint32_t)(p1 >> 32) ^ c[1] ^ k[0], (uint32_t)p1, (uint32_t)(p0 >> 32) ^ c[3] ^ k[1],
         (uint32_t)p0};
    k = {k[0] + kWeyl0, k[1] + kWeyl1};
  }
  return c;
}

// The key is the seed's two 32-bit halves. One or two counters fill the four
// counter words with their 64 bits each (low word first); three or four give
// their low 32 bits each. Missing words are 0.
inline Counter counterOf(const std::vector<int64_t> &counters) {
  Counter c = {0, 0, 0, 0};
  if (counters.size() <= 2) {
    for (size_t i = 0; i < counters.size(); ++i) {
      c[2 * i] = (uint32_t)(uint64_t)counters[i];
      c[2 * i + 1] = (uint32_t)((uint64_t)counters[i] >> 32);
    }
  } else {
    for (size_t i = 0; i < counters.size() && i < 4; ++i)
      c[i] = (uint32_t)(uint64_t)counters[i];
  }
  return c;
}

inline Key keyOf(int64_t seed) {
  return {(uint32_t)(uint64_t)seed, (uint32_t)((uint64_t)seed >> 32)};
}

// [0, 1) with 24 random bits: exactly representable in f32, so every target and
// the reference agree bit for bit.
inline double unitInterval(uint32_t word) { return (double)(word >> 8) * 0x1p-24; }

// A standard normal by Box-Muller from the first two words: u1 in (0, 1] (no
// log(0)), u2 in [0, 1). The targets compute it in f32 with their own log, sqrt
// and cos, so it agrees with this float64 value to a few f32 roundoffs.
inline double boxMuller(const Counter &w) {
  double u1 = unitInterval(w[0]) + 0x1p-24, u2 = unitInterval(w[1]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

} // namespace vibee::philox
