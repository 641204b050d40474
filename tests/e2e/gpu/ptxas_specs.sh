#!/bin/bash
# For every spec: vibeec compile --target=cuda --emit=ptx (sm_90a and the portable
# sm_80), then ptxas assembles it. Skips (exit 0, with a message) without ptxas.
set -u
vibeec=$1 src=$2 out=$3
PTXAS=${PTXAS:-$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)}
if [ ! -x "$PTXAS" ]; then
  echo "SKIP: ptxas not found (install the CUDA toolkit or set PTXAS); PTX checks skipped"
  exit 0
fi
mkdir -p "$out"
status=0
for spec in $(find "$src/specs" "$src/tests/e2e" -maxdepth 2 -name '*.vibee' | sort); do
  name=$(basename "$spec" .vibee)
  for chip in sm_90a sm_80; do
    ptx="$out/$name.$chip.ptx"
    if ! "$vibeec" compile "$spec" --target=cuda --gpu-chip=$chip --emit=ptx -o "$ptx"; then
      echo "FAIL  $spec ($chip): vibeec"; status=1; continue
    fi
    if ! "$PTXAS" -arch=$chip "$ptx" -o "$out/$name.$chip.cubin"; then
      echo "FAIL  $spec ($chip): ptxas"; status=1; continue
    fi
    echo "PASS  $spec ($chip): $(grep -c '^.visible .entry' "$ptx") kernels"
  done
done
exit $status
