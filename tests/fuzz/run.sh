#!/usr/bin/env bash
# Builds the frontend fuzzer with clang + libFuzzer + ASan in a separate build dir
# (no MLIR needed) and runs it on a copy of the seed corpus.
#   tests/fuzz/run.sh [seconds=600] [build-dir=<repo>/build-fuzz]
set -euo pipefail
SECONDS_TO_RUN=${1:-600}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$REPO/build-fuzz}
SAN="-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer -g"

CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$REPO" -B "$BUILD" -DVIBEE_FUZZ_ONLY=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address" >/dev/null
ninja -C "$BUILD" -j2 frontend_fuzzer

# Work on a copy: the fuzzer adds what it finds to its corpus directory.
WORK="$BUILD/corpus"
mkdir -p "$WORK" "$BUILD/artifacts"
cp -n "$REPO"/tests/fuzz/corpus/* "$WORK"/ 2>/dev/null || true
exec "$BUILD/tests/fuzz/frontend_fuzzer" "$WORK" -max_total_time="$SECONDS_TO_RUN" \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$BUILD/artifacts/" \
  -print_final_stats=1
