#!/usr/bin/env bash
# docs/examples/cuda-host against an installed vibee (find_package(vibee)): builds
# cuda-jit (JIT, target "cuda") and cuda-aot (the object + header that vibeec
# compile --target=cuda generates at build time), then runs both: on a machine
# without a GPU they only say so (exit 0); with one they check softmax.
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src/docs/examples/cuda-host" -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
cd "$src"
"$work/build/cuda-jit" specs/nn/softmax.vibee
"$work/build/cuda-aot"
