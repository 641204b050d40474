#!/bin/sh
# `vibeec check` under valgrind (issue 15): the reference interpreter, the JIT and the
# runtime's argument checks and the comparison on one spec (Lion: inout tensors,
# scalars, fused statements) with a fixed seed. The whole `vibeec check specs/` was
# clean too but takes about 20 minutes (docs/testing.md). Skips (77) without valgrind.
# usage: valgrind_check.sh <vibeec> <spec> <seed>
set -eu
vibeec=$1 spec=$2 seed=$3
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind not installed: skipped"
  exit 77
fi
# One thread: valgrind serializes threads anyway, and the runs stay reproducible.
OMP_NUM_THREADS=1 exec valgrind --quiet --error-exitcode=1 --track-origins=no \
  --leak-check=full --errors-for-leak-kinds=definite \
  "$vibeec" check --seed "$seed" "$spec"
