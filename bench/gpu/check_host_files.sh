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
built=$out/host_built.txt
: > "$built"
while read -r spec name; do
  if ! "$CXX" "${flags[@]}" -shared -fPIC "$host/${name}_cuda.cpp" "${link[@]}" \
       -o "$host/libvibee_${name}_cudahost.so"; then
    echo "FAIL  $name: the generated host file does not compile"; status=1; continue
  fi
  echo "$spec $name" >> "$built"
done < <(grep -v -F -f <(sed 's/$/ /' "$host/refused.txt" 2>/dev/null || true) "$art/specs.txt")
[ ! -f "$host/refused.txt" ] || echo "not built (vibeec refused the host route): $(cat "$host/refused.txt")"
echo "compiled $(wc -l < "$built") host files with $CXX"

check=$root/bench/gpu/parallel_check.sh
"$check" 12 120 "$out/host_logs" "$host" _cudahost.so < "$built" > "$out/host_gpu_check.log"
rc=$?; grep -E "^(PASS|FAIL)" "$out/host_gpu_check.log"
echo "host-file gpu_check exit $rc"; [ "$rc" = 0 ] || status=1
grep -q "device code loaded: cubin-sm_90a" "$out/host_gpu_check.log" || {
  echo "FAIL  the cubin did not load"; status=1; }

VIBEE_CUDA_IMAGE=ptx-sm_80 "$check" 12 120 "$out/host_logs_sm80" "$host" _cudahost.so \
  < "$built" > "$out/host_gpu_check_ptx_sm_80.log"
rc=$?; grep -E "^FAIL" "$out/host_gpu_check_ptx_sm_80.log"
echo "host-file gpu_check (ptx-sm_80) exit $rc"; [ "$rc" = 0 ] || status=1

SAN=$(command -v compute-sanitizer || ls "$cuda/bin/compute-sanitizer" 2>/dev/null)
if [ -n "$SAN" ]; then
  PREFIX="$SAN --tool memcheck --error-exitcode 9 --leak-check full" "$check" 6 200 \
    "$out/host_logs_memcheck" "$host" _cudahost.so --seed 1 < "$built" \
    > "$out/host_compute_sanitizer.log"
  rc=$?; grep -E "^FAIL|ERROR SUMMARY: [1-9]" "$out/host_compute_sanitizer.log"
  echo "host-file compute-sanitizer exit $rc"; [ "$rc" = 0 ] || status=1
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
