#!/usr/bin/env bash
# The main job: installs dependencies, builds vibeec, compiles every spec of the
# library ahead of time, runs its behaviors and its differential checks on the JIT,
# and prints one row per spec.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
vibeec="$root/build/bin/vibeec"
out="$root/build/specs-out"
mkdir -p "$out"
status=0
printf '\n%-28s %-8s %-12s %-12s %-10s\n' spec kernels behaviors check "aot (ms)"
while IFS= read -r spec; do
  name=$(basename "$spec" .vibee)
  kernels=$(grep -c '^kernel ' "$spec" || true)
  start=$(date +%s%N)
  if "$vibeec" compile "$spec" -o "$out/$name.o" 2>"$out/$name.err"; then
    aot=$(( ($(date +%s%N) - start) / 1000000 ))
  else
    aot=FAIL; status=1
  fi
  tests=$("$vibeec" test "$spec" 2>&1 | tail -n 1) || status=1
  check=$("$vibeec" check "$spec" 2>&1 | tail -n 1) || status=1
  printf '%-28s %-8s %-12s %-12s %-10s\n' "${spec#$root/specs/}" "$kernels" \
    "$(echo "$tests" | awk '{print $1 "/" $1+$3}')" "$(echo "$check" | awk '{print $1 "/" $1+$3}')" "$aot"
done < <(find "$root/specs" -name '*.vibee' | sort)
echo
"$vibeec" test "$root/specs" | tail -n 1
"$vibeec" check "$root/specs" | tail -n 1
exit $status
