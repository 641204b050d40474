#!/usr/bin/env bash
# Flash attention's memory (issue #11): causal attention at S = T = 16384, B1 H1
# D64 from an AOT object. The score matrix alone would be 1 GiB in f32; the
# blocked online softmax keeps O(block x D) per thread, so the process's peak
# RSS stays within the inputs and outputs (4 x 4 MiB) plus the program's own
# base. The same program at S = 4096 shows how the peak grows (with S D).
# A few query rows are checked against a float64 loop.
set -euo pipefail
vibeec=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$vibeec" compile "$src/specs/attention/causal.vibee" -o "$work/causal.o"
cat > "$work/main.cpp" <<'CPP'
#include "causal.h"
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>
#include <vector>

int main(int argc, char **argv) {
  const int64_t H = 1, S = atol(argv[1]), T = S, D = 64;
  std::vector<float> q(H * S * D), k(H * T * D), v(H * T * D), o(H * S * D, NAN);
  uint64_t x = 42;
  auto next = [&] { x = x * 6364136223846793005ull + 1442695040888963407ull; return (float)((x >> 40) * 0x1p-24 * 2 - 1); };
  for (float *a : {q.data(), k.data(), v.data()})
    for (int64_t i = 0; i < S * D; ++i)
      a[i] = next();
  const float scale = 0.125f;
  vibee_causal_causal(q.data(), k.data(), v.data(), scale, o.data(), H, S, D, T);
  double worst = 0;
  for (int64_t i : {(int64_t)0, S / 3, S - 1}) {
    std::vector<double> p(i + 1);
    double m = -INFINITY, l = 0;
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t d = 0; d < D; ++d)
        s += (double)q[i * D + d] * k[j * D + d];
      p[j] = (double)scale * s;
      m = std::fmax(m, p[j]);
    }
    for (int64_t j = 0; j <= i; ++j)
      l += p[j] = std::exp(p[j] - m);
    for (int64_t e = 0; e < D; ++e) {
      double want = 0;
      for (int64_t j = 0; j <= i; ++j)
        want += p[j] / l * v[j * D + e];
      worst = std::fmax(worst, std::fabs(want - o[i * D + e]));
    }
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("S=%ld peak_rss_kib=%ld worst_abs_error=%.3g\n", (long)S, usage.ru_maxrss, worst);
  return worst < 1e-4 ? 0 : 1;
}
CPP
g++ -std=c++17 -O2 -I"$work" "$work/main.cpp" "$work/causal.o" -lm -o "$work/attention-memory"
small=$("$work/attention-memory" 4096)
large=$("$work/attention-memory" 16384)
echo "$small"
echo "$large"
rss() { sed 's/.*peak_rss_kib=\([0-9]*\).*/\1/' <<< "$1"; }
# Inputs and output at 16384: 16 MiB. The score matrix would add 1 GiB (S^2) and a
# single row block of it per thread far less than 64 MiB: allow 96 MiB in all.
if (( $(rss "$large") > 96 * 1024 )); then
  echo "peak RSS $(rss "$large") KiB at S=16384: the S x T scores are in memory" >&2
  exit 1
fi
# From 4096 to 16384 the inputs grow by 12 MiB (S D); S^2 scores would add 960 MiB.
if (( $(rss "$large") - $(rss "$small") > 32 * 1024 )); then
  echo "peak RSS grew by more than S D explains" >&2
  exit 1
fi
