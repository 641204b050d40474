#!/usr/bin/env bash
# The generated C++ used with nothing but a C++ compiler:
#  1. docs/examples/aot-host/main.cpp, written for the object file + its header
#     (`#include "lion.h"`, vibee::lion::step(param, grad, m, lr, wd, n)), builds
#     unchanged against the --emit=cpp header named lion.h, and passes;
#  2. docs/examples/cpp-host (Lion through the documented ABI, and a bf16 RMSNorm
#     with the header's conversion helpers) builds with g++ and clang++ at
#     -Wall -Wextra -Werror and passes;
#  3. the --emit=cpp-source pair (.hpp + .cpp) links into the same program and also
#     exports the C symbols vibee_<spec>_<kernel>.
set -euo pipefail
vibeec=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work/aot" "$work/pair"
flags="-std=c++17 -Wall -Wextra -Werror -O2"

"$vibeec" compile "$src/specs/optim/lion.vibee" --emit=cpp -o "$work/aot/lion.h"
g++ $flags -I"$work/aot" "$src/docs/examples/aot-host/main.cpp" -o "$work/aot/lion-host"
"$work/aot/lion-host"

"$vibeec" compile "$src/specs/optim/lion.vibee" --emit=cpp -o "$work/lion.hpp"
"$vibeec" compile "$src/specs/nn/rmsnorm.vibee" --emit=cpp -o "$work/rmsnorm.hpp"
for cxx in g++ $(command -v clang++-22 || true); do
  $cxx $flags -I"$work" "$src/docs/examples/cpp-host/main.cpp" -o "$work/cpp-host"
  "$work/cpp-host"
done

"$vibeec" compile "$src/specs/optim/lion.vibee" --emit=cpp-source -o "$work/pair/lion.cpp"
"$vibeec" compile "$src/specs/nn/rmsnorm.vibee" --emit=cpp-source -o "$work/pair/rmsnorm.cpp"
test -s "$work/pair/lion.hpp" && test -s "$work/pair/rmsnorm.hpp"
cat > "$work/pair/c_symbol.cpp" <<'CPP'
#include "lion.hpp"
// The C symbol of the pair, called as a C program would.
int c_symbol_check() {
  float p[2] = {1, -1}, g[2] = {0.5f, -0.5f}, m[2] = {0, 0};
  vibee_lion_step(p, g, m, 0.1f, 0.0f, 2);
  return p[0] < 1 && p[1] > -1 ? 0 : 1;
}
CPP
g++ $flags -I"$work/pair" "$src/docs/examples/cpp-host/main.cpp" "$work/pair/lion.cpp" \
    "$work/pair/rmsnorm.cpp" "$work/pair/c_symbol.cpp" -o "$work/pair/cpp-host"
"$work/pair/cpp-host"
nm "$work/pair/cpp-host" | grep -q " T vibee_lion_step$"
