#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs every test with ctest
# (lit golden tests, GoogleTest units, spec behaviors and checks, AOT and package,
# the Python package's tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/python-env.sh"   # .venv: PyTorch, NumPy, pytest, nanobind (python/ tests)
"$root/scripts/build.sh"
cd "$root/build" && ctest --output-on-failure -j "$(nproc)"
