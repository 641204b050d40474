#!/usr/bin/env bash
# valgrind on the whole compiler and checker (issue 15, docs/testing.md "valgrind"):
#   1. `vibeec check --seed <seed>` (reference interpreter, JIT, runtime argument
#      checks, comparison) of every spec under specs/, one valgrind run per spec;
#   2. `vibeec compile` of every spec under specs/ to its object file and C header
#      (MLIR pipeline, LLVM O3, code generation), one valgrind run per spec.
# --smc-check=all-non-file: the JIT writes code into anonymous memory and runs it.
# Too slow for CI (tens of minutes: valgrind runs LLVM's code generation too); the
# ctests valgrind_compile and valgrind_check run a representative subset.
# Prints one line per run (seconds, valgrind's error count) and exits non-zero when
# any run reports an error or a definite leak.
# usage: scripts/valgrind-all.sh [build dir (default build)] [work dir]
# VALGRIND_STAGES="compile check" (default both) picks the stages, VALGRIND_SPECS a list
# of spec names (basenames without .vibee; default every spec), so that a partial run can
# be resumed or split over cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=${2:-$build/valgrind-all}
vibeec=$build/bin/vibeec
seed=20261122
mkdir -p "$work"
# One thread: valgrind serializes threads anyway, and the runs stay reproducible.
export OMP_NUM_THREADS=1
vg=(valgrind --error-exitcode=9 --errors-for-leak-kinds=definite --leak-check=full
    --track-origins=no --smc-check=all-non-file)
failed=0
run() { # <name> <command...>: runs one command under valgrind, logs to $work/<name>.log
  local name=$1 start rc=0
  shift
  start=$(date +%s)
  "${vg[@]}" "$@" >"$work/$name.log" 2>&1 || rc=$?
  local errors
  errors=$(grep -o 'ERROR SUMMARY: [0-9]*' "$work/$name.log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  echo "$name: exit $rc, $errors errors, $(( $(date +%s) - start )) s"
  [ "$rc" = 0 ] || failed=1
}
# The compiles first: they take about 30 s each, a check several minutes.
mapfile -t specs < <(find "$root/specs" -name '*.vibee' | sort)
if [ -n "${VALGRIND_SPECS:-}" ]; then
  wanted=" $VALGRIND_SPECS "
  picked=()
  for spec in "${specs[@]}"; do
    [[ $wanted == *" $(basename "$spec" .vibee) "* ]] && picked+=("$spec")
  done
  specs=("${picked[@]}")
fi
stages=" ${VALGRIND_STAGES:-compile check} "
if [[ $stages == *" compile "* ]]; then
  for spec in "${specs[@]}"; do
    name=$(basename "$spec" .vibee)
    run "compile-$name" "$vibeec" compile "$spec" -o "$work/$name.o"
  done
fi
if [[ $stages == *" check "* ]]; then
  for spec in "${specs[@]}"; do
    name=$(basename "$spec" .vibee)
    run "check-$name" "$vibeec" check --seed "$seed" "$spec"
  done
fi
exit "$failed"
