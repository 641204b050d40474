#!/usr/bin/env bash
# Installs vibee into a scratch prefix and builds docs/examples/jit-host against it
# with find_package(vibee), then runs it (JIT + cache hit).
set -euo pipefail
build=$1 src=$2 work=$3
"$src/tests/e2e/build_installed_example.sh" "$build" "$src" "$work" jit-host
cd "$src" && "$work/build/jit-host" specs/nn/softmax.vibee
