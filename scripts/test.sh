#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs every test with ctest
# (lit golden tests, GoogleTest units, spec behaviors and checks, AOT and package,
# the Python package's tests), then both fuzz targets for 60 s each on the seed
# corpus (tests/fuzz/run.sh ci: a finding fails the run; docs/testing.md, "Fuzzing"),
# then builds the compiler, runtime and tests with ASan + UBSan (build-asan/) and
# runs the same suite there, but for the tests that cannot run in it (docs/testing.md,
# "The ASan + UBSan run"). VIBEE_ASAN=0 skips that second build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stage() { echo "test.sh: $1 ($(( $(date +%s) - start )) s so far)"; }
start=$(date +%s)
"$root/scripts/bootstrap.sh"
"$root/scripts/python-env.sh"   # .venv: PyTorch, NumPy, pytest, nanobind (python/ tests)
"$root/scripts/build.sh"
stage "built build/"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")
stage "ctest of build/ passed"
"$root/tests/fuzz/run.sh" ci 60
stage "fuzz step passed"
[ "${VIBEE_ASAN:-1}" = 1 ] || exit 0
"$root/scripts/build.sh" asan
stage "built build-asan/"
# shellcheck source=scripts/asan-env.sh
. "$root/scripts/asan-env.sh"
(cd "$root/build-asan" && ctest --output-on-failure -j "$(nproc)" -LE 'valgrind|asan_skip')
stage "ctest of build-asan/ passed"
