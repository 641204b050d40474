#!/usr/bin/env bash
# docs/examples/cuda-host against an installed vibee (find_package(vibee)): builds
# cuda-jit (JIT, target "cuda") and cuda-aot (the C++ host file that vibeec
# compile --target=cuda --emit=cuda-host generates at build time, linked with
# -lcuda; built when CMake finds the CUDA toolkit), then runs both: on a machine
# without a GPU they only say so (exit 0); with one they check softmax.
set -euo pipefail
build=$1 src=$2 work=$3
"$src/tests/e2e/build_installed_example.sh" "$build" "$src" "$work" cuda-host
cd "$src"
"$work/build/cuda-jit" specs/nn/softmax.vibee
if [[ -x $work/build/cuda-aot ]]; then
  # No driver here: the toolkit's stub libcuda lets it start (cuInit then fails).
  if ! ldconfig -p | grep -q 'libcuda\.so\.1 '; then
    mkdir -p "$work/driver"
    ln -sf "${CUDA_HOME:-/usr/local/cuda}/lib64/stubs/libcuda.so" "$work/driver/libcuda.so.1"
    export LD_LIBRARY_PATH=$work/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  fi
  "$work/build/cuda-aot"
else
  echo "cuda-aot: not built (no CUDA toolkit)"
fi
