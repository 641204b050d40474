#!/usr/bin/env bash
# docs/tutorial.md, step by step on its spec (docs/examples/tutorial/silu.vibee):
# the expected values in the spec are the ones tools/spec-values/silu.py prints,
# the behaviors pass, the kernels agree with the float64 reference, and the C++
# host builds against the installed package (vibee_add_kernels) and runs.
set -euo pipefail
build=$1 src=$2 work=$3 seed=$4
spec=$src/docs/examples/tutorial/silu.vibee
if python3 -c "import numpy" 2> /dev/null; then
  python3 "$src/tools/spec-values/silu.py" | grep "then" | while read -r line; do
    grep -qF -- "$line" "$spec" || { echo "not in silu.vibee: $line"; exit 1; }
  done
else
  echo "numpy not found: the expected values were not recomputed"
fi
"$build/bin/vibeec" test "$spec"
"$build/bin/vibeec" check --seed "$seed" "$spec"
"$src/tests/e2e/build_installed_example.sh" "$build" "$src" "$work" tutorial
"$work/build/silu-bench" 100003
