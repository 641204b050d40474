#!/usr/bin/env bash
# Configures and builds vibee in build/ (Release, Ninja).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The Python package's extension builds with .venv's Python (scripts/python-env.sh)
# where it exists; without nanobind it is left out.
python=()
[ -x "$root/.venv/bin/python" ] && python=(-DPython_EXECUTABLE="$root/.venv/bin/python")
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir "${python[@]}" >/dev/null
cmake --build "$root/build" -j "$(nproc)"
