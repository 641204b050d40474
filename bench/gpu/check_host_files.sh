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
mkdir -p "$out"
built=$out/host_built.txt
# One g++ per host file, all cores at once: each file embeds its PTX and takes
# seconds to compile, and the GPU machine has 16 cores.
compile_one() {
  "$CXX" "${flags[@]}" -shared -fPIC "$host/$2_cuda.cpp" "${link[@]}" -o "$host/libvibee_$2_cudahost.so" ||
    { echo "FAIL  $2: the generated host file does not compile"; return 1; }
}
export -f compile_one
export CXX host
export flags_text="${flags[*]}" link_text="${link[*]}"
grep -v -F -f <(sed 's/$/ /' "$host/refused.txt" 2>/dev/null || true) "$art/specs.txt" > "$out/host_list.txt"
xargs -P "$(nproc)" -L 1 bash -c 'flags=($flags_text); link=($link_text); compile_one "$0" "$1"' \
  < "$out/host_list.txt" || status=1
: > "$built"
while read -r spec name; do
  [ -f "$host/libvibee_${name}_cudahost.so" ] && echo "$spec $name" >> "$built"
done < "$out/host_list.txt"
[ ! -f "$host/refused.txt" ] || echo "not built (vibeec refused the host route): $(cat "$host/refused.txt")"
echo "compiled $(wc -l < "$built") host files with $CXX"

check=$root/bench/gpu/parallel_check.sh
"$check" 12 120 "$out/host_logs" "$host" _cudahost.so < "$built" > "$out/host_gpu_check.log"
rc=$?; grep -E "^(PASS|FAIL)" "$out/host_gpu_check.log"
echo "host-file gpu_check exit $rc"; [ "$rc" = 0 ] || status=1
grep -q "device code loaded: cubin-sm_90a" "$out/host_gpu_check.log" || {
  echo "FAIL  the cubin did not load"; status=1; }

# HOST_FIRST_PASS_ONLY=1 stops after the first pass and cuda-aot (a short device call).
if [ -z "${HOST_FIRST_PASS_ONLY:-}" ]; then
  VIBEE_CUDA_IMAGE=ptx-sm_80 "$check" 12 120 "$out/host_logs_sm80" "$host" _cudahost.so \
    < "$built" > "$out/host_gpu_check_ptx_sm_80.log"
  rc=$?; grep -E "^FAIL" "$out/host_gpu_check_ptx_sm_80.log"
  echo "host-file gpu_check (ptx-sm_80) exit $rc"; [ "$rc" = 0 ] || status=1
fi

SAN=$(command -v compute-sanitizer || ls "$cuda/bin/compute-sanitizer" 2>/dev/null)
if [ -n "${HOST_FIRST_PASS_ONLY:-}" ]; then
  echo "ptx-sm_80 and compute-sanitizer passes skipped (HOST_FIRST_PASS_ONLY)"
elif [ -n "$SAN" ]; then
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
