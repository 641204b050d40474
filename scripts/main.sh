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
printf '\n%-28s %-8s %-12s %-12s %-10s %-10s %-10s\n' spec kernels behaviors check "aot (ms)" \
  "test (ms)" "check (ms)"
while IFS= read -r spec; do
  name=$(basename "$spec" .vibee)
  kernels=$(grep -c '^kernel ' "$spec" || true)
  start=$(date +%s%N)
  if "$vibeec" compile "$spec" -o "$out/$name.o" 2>"$out/$name.err"; then
    aot=$(( ($(date +%s%N) - start) / 1000000 ))
  else
    aot=FAIL; status=1
  fi
  # The table comes from the runs' JSON reports (docs/cli.md); their text output
  # stays in the folder for a failure's details.
  rm -f "$out/$name.test.json" "$out/$name.check.json"
  "$vibeec" test "$spec" --json "$out/$name.test.json" >"$out/$name.test.txt" 2>&1 || status=1
  "$vibeec" check "$spec" --json "$out/$name.check.json" >"$out/$name.check.txt" 2>&1 || status=1
  python3 "$root/scripts/spec_table_row.py" "${spec#$root/specs/}" "$kernels" "$aot" \
    "$out/$name.test.json" "$out/$name.check.json"
done < <(find "$root/specs" -name '*.vibee' | sort)
echo
"$vibeec" test "$root/specs" | tail -n 1
"$vibeec" check "$root/specs" | tail -n 1
exit $status
