#!/bin/bash
# On the GPU machine: the generated host files in <artifacts>/host (vibeec
# --emit=cuda-host, bench/gpu/build_artifacts.sh) compiled with this machine's
# toolchain (-Wall -Wextra -Werror, linked with -lcuda), then
#   1. gpu_check of every kernel through them (cubin-sm_90a expected to load),
#   2. the same with only the portable PTX allowed (VIBEE_CUDA_IMAGE=ptx-sm_80),
#   3. compute-sanitizer memcheck of 1,
#   4. cuda-aot: docs/examples/cuda-host/aot.cpp over softmax_cuda.cpp.
# Usage: check_host_files.sh <artifacts> <out-dir>   (exit 0 only if all pass)
set -uo pipefail
art=$1 out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
host=$art/host
export LD_LIBRARY_PATH=$art/lib:${LD_LIBRARY_PATH:-}
cuda=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")
CXX=$(command -v g++ || command -v c++ || command -v clang++)
flags=(-std=c++17 -O2 -Wall -Wextra -Werror -I"$cuda/include")
link=(-L"$cuda/lib64/stubs" -L"$cuda/lib64" -lcuda)
status=0
args=()
while read -r spec name; do
  if ! "$CXX" "${flags[@]}" -shared -fPIC "$host/${name}_cuda.cpp" "${link[@]}" \
       -o "$host/libvibee_${name}_cudahost.so"; then
    echo "FAIL  $name: the generated host file does not compile"; status=1; continue
  fi
  args+=("$spec" "$host/libvibee_${name}_cudahost.so")
done < "$art/specs.txt"
echo "compiled $(( ${#args[@]} / 2 )) host files with $CXX"

timeout 90 "$art/bin/gpu_check" "${args[@]}" 2>&1 | tee "$out/host_gpu_check.log"
rc=${PIPESTATUS[0]}; echo "host-file gpu_check exit $rc"; [ "$rc" = 0 ] || status=1
grep -q "device code loaded: cubin-sm_90a" "$out/host_gpu_check.log" || {
  echo "FAIL  the cubin did not load"; status=1; }

VIBEE_CUDA_IMAGE=ptx-sm_80 timeout 90 "$art/bin/gpu_check" "${args[@]}" 2>&1 |
  tee "$out/host_gpu_check_ptx_sm_80.log"
rc=${PIPESTATUS[0]}; echo "host-file gpu_check (ptx-sm_80) exit $rc"; [ "$rc" = 0 ] || status=1

SAN=$(command -v compute-sanitizer || ls "$cuda/bin/compute-sanitizer" 2>/dev/null)
if [ -n "$SAN" ]; then
  timeout 180 "$SAN" --tool memcheck --error-exitcode 9 --leak-check full \
    "$art/bin/gpu_check" --seed 1 "${args[@]}" 2>&1 | tee "$out/host_compute_sanitizer.log"
  rc=${PIPESTATUS[0]}; echo "host-file compute-sanitizer exit $rc"; [ "$rc" = 0 ] || status=1
else
  echo "compute-sanitizer not found"; status=1
fi

if "$CXX" "${flags[@]}" -I"$host" "$host/aot.cpp" "$host/softmax_cuda.cpp" "${link[@]}" \
     -o "$host/cuda-aot"; then
  timeout 30 "$host/cuda-aot"
  rc=$?; echo "cuda-aot run exit $rc"; [ "$rc" = 0 ] || status=1
else
  echo "FAIL  cuda-aot does not compile"; status=1
fi
exit $status
