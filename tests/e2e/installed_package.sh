#!/usr/bin/env bash
# Installs vibee into a scratch prefix and builds docs/examples/jit-host against it
# with find_package(vibee), then runs it (JIT + cache hit).
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src/docs/examples/jit-host" -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
cd "$src" && "$work/build/jit-host" specs/nn/softmax.vibee
