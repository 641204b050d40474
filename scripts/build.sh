#!/usr/bin/env bash
# Configures and builds vibee in build/ (Release, Ninja). `build.sh asan` builds the
# ASan + UBSan variant in build-asan/ instead (-O1, line tables, no Python package;
# docs/testing.md). ccache is used where it is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
                                          -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# The Python package's extension builds with .venv's Python (scripts/python-env.sh)
# where it exists; without nanobind it is left out.
python=()
[ -x "$root/.venv/bin/python" ] && python=(-DPython_EXECUTABLE="$root/.venv/bin/python")
if [ "${1:-}" = asan ]; then
  # No Python package: its tests would run our extension inside an uninstrumented
  # CPython + PyTorch (docs/testing.md, "Left out of the ASan run").
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
        -DVIBEE_SANITIZE=ON -DVIBEE_PYTHON=OFF -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
        "${launcher[@]}" >/dev/null
  cmake --build "$root/build-asan" -j "$(nproc)"
  exit
fi
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir "${launcher[@]}" "${python[@]}" >/dev/null
cmake --build "$root/build" -j "$(nproc)"
