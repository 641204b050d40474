#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs every test with ctest
# (lit golden tests, GoogleTest units, spec behaviors and checks, AOT and package,
# the Python package's tests), then both fuzz targets for 60 s each on the seed
# corpus (tests/fuzz/run.sh ci: a finding fails the run; docs/testing.md, "Fuzzing").
# VIBEE_ASAN=1 then also builds the compiler, runtime and tests with ASan + UBSan
# (build-asan/) and runs the same suite there, but for the valgrind tests
# (docs/testing.md: not yet the default, no green run of it so far).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/python-env.sh"   # .venv: PyTorch, NumPy, pytest, nanobind (python/ tests)
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")
"$root/tests/fuzz/run.sh" ci 60
[ "${VIBEE_ASAN:-0}" = 1 ] || exit 0
"$root/scripts/build.sh" asan
# shellcheck source=scripts/asan-env.sh
. "$root/scripts/asan-env.sh"
cd "$root/build-asan" && ctest --output-on-failure -j "$(nproc)" -LE valgrind
