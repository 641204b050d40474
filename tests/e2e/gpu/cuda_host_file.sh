#!/usr/bin/env bash
# The generated host files (--emit=cuda-host) in CI, without a GPU: for every spec
# in specs/ and tests/backends/gpu/cuda-host-source.vibee, the launches agree with
# their PTX signatures (cuda_host_params.py), the helpers are the header's, and the
# file compiles with g++ and clang++ at -Wall -Wextra -Werror against the toolkit's
# cuda.h; then cuda_host_no_gpu.cpp links softmax_cuda.cpp with -lcuda (the
# toolkit's stub library stands in for a missing driver) and must get clean
# errors, no crash.
# Skips (exit 77) without the CUDA toolkit.
set -euo pipefail
vibeec=$1 src=$2 work=$3
cuda=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -f $cuda/include/cuda.h ]]; then
  echo "skipped: no $cuda/include/cuda.h"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
cd "$src"
files=()
refused=$(grep -v '^#' "$src/tests/e2e/gpu/cuda_host_refused.txt" || true)
for spec in $(find specs -name '*.vibee' | sort) tests/backends/gpu/cuda-host-source.vibee; do
  name=$(sed -n 's/^spec \([A-Za-z0-9_]*\) .*/\1/p' "$spec" | head -1)
  if grep -qxF "$spec" <<< "$refused"; then
    if "$vibeec" compile "$spec" --target=cuda --emit=cuda-host -o /dev/null 2>/dev/null; then
      echo "$spec compiles now: take it off tests/e2e/gpu/cuda_host_refused.txt"; exit 1
    fi
    echo "refused as listed: $spec"
    continue
  fi
  "$vibeec" compile "$spec" --target=cuda --emit=cuda-host -o "$work/${name}_cuda.cpp"
  files+=("$work/${name}_cuda.cpp")
done
python3 "$src/tests/e2e/gpu/cuda_host_params.py" "${files[@]}"
# Each file carries its helpers exactly as backends/gpu/runtime/vibee_cuda_host_helpers.h
# has them (the header is compiled on its own by gpu_cuda_host_helpers_header).
python3 - "$src/backends/gpu/runtime/vibee_cuda_host_helpers.h" "${files[@]}" <<'PY'
import sys
helpers = open(sys.argv[1]).read()
for path in sys.argv[2:]:
    if open(path).read().count(helpers) != 1:
        sys.exit(f"{path}: does not carry {sys.argv[1]} once, byte for byte")
print(f"{len(sys.argv) - 2} host files carry the helpers header byte for byte")
PY
flags=(-std=c++17 -O1 -Wall -Wextra -Werror -I"$cuda/include")
for cxx in g++ clang++; do
  command -v $cxx > /dev/null || { echo "no $cxx: not compiled with it"; continue; }
  for f in "${files[@]}"; do
    $cxx "${flags[@]}" -c "$f" -o "$work/$(basename "$f" .cpp).$cxx.o"
  done
  echo "$cxx: ${#files[@]} host files compile with -Wall -Wextra -Werror"
done
g++ "${flags[@]}" -I"$work" "$src/tests/e2e/gpu/cuda_host_no_gpu.cpp" "$work/softmax_cuda.cpp" \
    -L"$cuda/lib64/stubs" -lcuda -o "$work/cuda_host_no_gpu"
# No driver on this machine: the stub (CUDA_ERROR_STUB_LIBRARY from every call).
if ! ldconfig -p | grep -q 'libcuda\.so\.1 '; then
  mkdir -p "$work/driver"
  ln -sf "$cuda/lib64/stubs/libcuda.so" "$work/driver/libcuda.so.1"
  export LD_LIBRARY_PATH=$work/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
"$work/cuda_host_no_gpu"
