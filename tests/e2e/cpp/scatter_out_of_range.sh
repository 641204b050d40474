#!/usr/bin/env bash
# Scatter-add indices outside the target's axis in the compiled code that checks no
# precondition (docs/language.md, "Scatter-add"): the C++ output (under ASan and
# UBSan) and the object file add nothing for such a point, write nothing outside the
# tensor (canaries around it stay), and add the in-range points as usual. The JIT's
# check before the call is CallChecks.ScatterIndexOutsideItsAxisIsAnErrorBeforeAnyWrite.
set -euo pipefail
vibeec=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
spec=$src/tests/e2e/scatter.vibee
cat > "$work/main.cpp" <<'CPP'
#include SCATTER_HEADER
#include <cstdio>
#include <vector>
int main() {
  // ids 5 and -3 are outside [0, 2); 1 and 0 inside.
  const int32_t ids[4] = {1, 5, -3, 0};
  const float dy[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  // dt (2 x 2) between canaries, in one heap block ASan watches as a whole.
  std::vector<float> block(2 + 4 + 2, -9.0f);
  float *dt = block.data() + 2;
  for (int i = 0; i < 4; ++i)
    dt[i] = 0.5f;
  vibee::scatter::rows(ids, dy, dt, 4, 2, 2);
  const float want[8] = {-9, -9, 7.5f, 8.5f, 1.5f, 2.5f, -9, -9};
  for (int i = 0; i < 8; ++i)
    if (block[i] != want[i]) {
      std::printf("FAIL element %d: %g, want %g\n", i - 2, block[i], want[i]);
      return 1;
    }
  // A histogram with every id outside: nothing at all is added.
  const int8_t bad[3] = {-1, 3, 100};
  std::vector<int32_t> h(2 + 3 + 2, 7);
  vibee::scatter::histogram(bad, h.data() + 2, 3, 3);
  for (int32_t v : h)
    if (v != 7) {
      std::printf("FAIL histogram: %d\n", v);
      return 1;
    }
  std::printf("PASS\n");
  return 0;
}
CPP
"$vibeec" compile "$spec" --emit=cpp -o "$work/scatter.hpp"
g++ -std=c++17 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
    -DSCATTER_HEADER='"scatter.hpp"' -I"$work" "$work/main.cpp" -o "$work/cpp"
"$work/cpp"
"$vibeec" compile "$spec" -o "$work/scatter.o"
g++ -std=c++17 -Wall -Wextra -Werror -O1 -DSCATTER_HEADER='"scatter.h"' -I"$work" \
    "$work/main.cpp" "$work/scatter.o" -o "$work/object"
"$work/object"
