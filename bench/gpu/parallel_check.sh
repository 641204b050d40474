#!/bin/bash
# On the GPU machine: gpu_check of many specs, one process per spec, several at
# a time (one process over every spec runs the float64 reference of each in turn:
# past any sensible timeout once attention specs are in the list).
# Usage: parallel_check.sh <jobs> <timeout-s> <log-dir> <lib-dir> <lib-suffix> \
#          [gpu_check options...] < <artifacts>/specs.txt
#   each input line: <spec.vibee> <name>; the library is <lib-dir>/libvibee_<name><lib-suffix>
#   (a missing library is a FAIL). Prints every spec's log in order; exit 0 only
#   if every spec passed. PREFIX (environment) goes before gpu_check, e.g.
#   PREFIX="compute-sanitizer --tool memcheck --error-exitcode 9".
set -uo pipefail
jobs=$1 limit=$2 logs=$3 libs=$4 suffix=$5
shift 5
art=$(cd "$(dirname "$0")/../.." && pwd)/gpu-artifacts
mkdir -p "$logs"
export limit logs libs suffix art PREFIX="${PREFIX:-}"
export OPTIONS="$*"
one() {
  local spec=$1 name=$2 lib=$libs/libvibee_$2$suffix
  if [ ! -f "$lib" ]; then echo "FAIL  $name: $lib missing" > "$logs/$name.log"; exit 1; fi
  # shellcheck disable=SC2086
  timeout "$limit" $PREFIX "$art/bin/gpu_check" $OPTIONS "$spec" "$lib" > "$logs/$name.log" 2>&1
  local rc=$?
  [ "$rc" = 124 ] && echo "FAIL  $name: timed out after $limit s" >> "$logs/$name.log"
  exit $rc
}
export -f one
cat > "$logs/list.txt"
xargs -P "$jobs" -L 1 bash -c 'one "$0" "$1"' < "$logs/list.txt"
status=$?
while read -r _ name; do cat "$logs/$name.log"; done < "$logs/list.txt"
exit $([ "$status" = 0 ] && echo 0 || echo 1)
