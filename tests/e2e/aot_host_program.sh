#!/usr/bin/env bash
# AOT: vibeec writes lion.o + lion.h; a host program builds against them with only
# g++ (no vibee, MLIR or LLVM) and checks one step against a float64 loop.
set -euo pipefail
vibeec=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$vibeec" compile "$src/specs/optim/lion.vibee" -o "$work/lion.o"
test -s "$work/lion.o" && test -s "$work/lion.h"
g++ -std=c++17 -Wall -Wextra -Werror -I"$work" "$src/docs/examples/aot-host/main.cpp" \
    "$work/lion.o" -lm -o "$work/lion-host"
"$work/lion-host"
