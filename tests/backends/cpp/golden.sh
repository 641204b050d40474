#!/usr/bin/env bash
# Golden files of the C++ backend: `vibeec compile <spec> --emit=cpp` for every spec
# in specs/ must equal tests/backends/cpp/golden/<spec>.hpp (a changed output is a
# reviewed diff). To accept a new output: golden.sh <vibeec> <src> <work> --update
set -euo pipefail
vibeec=$1 src=$2 work=$3 update=${4:-}
golden=$src/tests/backends/cpp/golden
rm -rf "$work" && mkdir -p "$work"
cd "$src" # the header names the spec by the path given: keep it relative
status=0
for spec in $(find specs -name '*.vibee' | sort); do
  name=$(basename "$spec" .vibee)
  "$vibeec" compile "$spec" --emit=cpp -o "$work/$name.hpp"
  if [[ $update == --update ]]; then
    cp "$work/$name.hpp" "$golden/$name.hpp"
  elif ! diff -u "$golden/$name.hpp" "$work/$name.hpp"; then
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
