#!/usr/bin/env bash
# Golden files of the C++ backend: `vibeec compile <spec> --emit=cpp` for every spec
# in specs/ must equal tests/backends/cpp/golden/<spec>.hpp (a changed output is a
# reviewed diff). Every output carries the same helper preamble, printed verbatim
# from backends/cpp/runtime/vibee_cpp_helpers.h: it is cut out of the output (from
# the header's first line through its last) and compared with that header byte for
# byte, and the golden files hold the rest with one marker line in its place.
# To accept a new output: golden.sh <vibeec> <src> <work> --update
set -euo pipefail
vibeec=$1 src=$2 work=$3 update=${4:-}
golden=$src/tests/backends/cpp/golden
helpers=backends/cpp/runtime/vibee_cpp_helpers.h
marker="// [the helper preamble: $helpers]"
rm -rf "$work" && mkdir -p "$work"
cd "$src" # the header names the spec by the path given: keep it relative
first=$(head -n 1 "$helpers") last=$(tail -n 1 "$helpers")

# split <emitted> <preamble>: writes the preamble to <preamble>, prints the rest.
split() {
  : > "$2"
  awk -v first="$first" -v last="$last" -v preamble="$2" -v marker="$marker" '
    state == 0 && $0 == first { state = 1; print marker }
    state == 1 { print > preamble; if ($0 == last) state = 2; next }
    { print }' "$1"
}

status=0
for spec in $(find specs -name '*.vibee' | sort); do
  name=$(basename "$spec" .vibee)
  "$vibeec" compile "$spec" --emit=cpp -o "$work/$name.hpp"
  split "$work/$name.hpp" "$work/$name.preamble" > "$work/$name.golden.hpp"
  if ! cmp -s "$helpers" "$work/$name.preamble"; then
    diff -u "$helpers" "$work/$name.preamble" || true
    echo "golden: the preamble of $spec's header differs from $helpers" >&2
    status=1
  fi
  if [[ $update == --update ]]; then
    cp "$work/$name.golden.hpp" "$golden/$name.hpp"
  elif ! diff -u "$golden/$name.hpp" "$work/$name.golden.hpp"; then
    echo "golden: $spec differs from tests/backends/cpp/golden/$name.hpp" >&2
    status=1
  fi
done
# A golden file without a spec is stale.
for file in "$golden"/*.hpp; do
  name=$(basename "$file" .hpp)
  [[ -n $(find specs -name "$name.vibee") ]] || { echo "golden: stale $file" >&2; status=1; }
done
exit $status
