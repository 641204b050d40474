#!/usr/bin/env bash
# Configures and builds vibee in build/ (Release, Ninja). `build.sh asan` builds the
# ASan + UBSan variant in build-asan/ instead (-O1, line tables; docs/testing.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The Python package's extension builds with .venv's Python (scripts/python-env.sh)
# where it exists; without nanobind it is left out.
python=()
[ -x "$root/.venv/bin/python" ] && python=(-DPython_EXECUTABLE="$root/.venv/bin/python")
if [ "${1:-}" = asan ]; then
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
        -DVIBEE_SANITIZE=ON -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir "${python[@]}" >/dev/null
  cmake --build "$root/build-asan" -j "$(nproc)"
  exit
fi
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir "${python[@]}" >/dev/null
cmake --build "$root/build" -j "$(nproc)"
