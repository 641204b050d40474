#!/bin/bash
# Runs on the GPU machine (CUDA 13 driver + PyTorch, no LLVM/MLIR) from the
# repository root, with gpu-artifacts/ carried from the build machine
# (bench/gpu/build_artifacts.sh). One batched call, < 8 minutes:
#   1. gpu_check of every spec kernel against the float64 reference interpreter,
#   2. the same under compute-sanitizer (memcheck),
#   3. the generated host files: built here, checked, sanitized, cuda-aot
#      (bench/gpu/check_host_files.sh),
#   4. the benchmark with its PyTorch anchors (bench/gpu/bench_gpu.py),
#   5. RMSNorm bf16 rounds against the copy anchor (bench/gpu/rmsnorm_repeats.py),
# (SKIP_HOST_FILES=1 skips 3, SKIP_REPEATS=1 skips 5, BENCH_ONLY=a,b runs only
# those case functions of bench_gpu.py: shorter runs while working on a kernel)
# writing logs and JSON to $OUT (if set) and bench/results/.
set -x
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
art=$root/gpu-artifacts
OUT=${OUT:-$root/bench/results}
mkdir -p "$OUT" bench/results
nvidia-smi || true
python3 -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))' || true
ls -la "$art" "$art/lib" "$art/bin" || { echo "FATAL: gpu-artifacts/ missing (carry it)"; exit 2; }
export LD_LIBRARY_PATH=$art/lib:${LD_LIBRARY_PATH:-}

status=0
check=$root/bench/gpu/parallel_check.sh
# 240 s: quant_pack and attention_mma spend minutes in the float64
# reference on the host (the GPU idles meanwhile), more with 14 jobs sharing cores.
"$check" 14 240 "$OUT/gpu_check_logs" "$art/lib" _cuda.so < "$art/specs.txt" > "$OUT/gpu_check.log"
check_rc=$?
echo "gpu_check exit $check_rc"
[ "$check_rc" = 0 ] || status=1

SAN=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [ -n "$SAN" ]; then
  PREFIX="$SAN --tool memcheck --error-exitcode 9 --leak-check full" "$check" 6 200 \
    "$OUT/sanitizer_logs" "$art/lib" _cuda.so --seed 1 < "$art/specs.txt" > "$OUT/compute_sanitizer.log"
  san_rc=$?
  echo "compute-sanitizer exit $san_rc"
  [ "$san_rc" = 0 ] || status=1
else
  echo "compute-sanitizer not found"; status=1
fi

# The generated host files (--emit=cuda-host): built here (-Werror, -lcuda), every
# kernel through gpu_check (the cubin; then the sm_80 PTX fallback), under
# compute-sanitizer, and docs/examples/cuda-host/aot.cpp over softmax_cuda.cpp.
if [ -z "${SKIP_HOST_FILES:-}" ]; then
  timeout 240 bash "$root/bench/gpu/check_host_files.sh" "$art" "$OUT" 2>&1 | tee "$OUT/cuda_aot.log"
  aot_rc=${PIPESTATUS[0]}
else
  aot_rc=skipped
fi
echo "cuda-aot exit $aot_rc"
[ "$aot_rc" = 0 ] || [ "$aot_rc" = skipped ] || status=1

timeout 200 python3 bench/gpu/bench_gpu.py --artifacts "$art" --out "$OUT" ${BENCH_ONLY:+--only "$BENCH_ONLY"} 2>&1 | tee "$OUT/bench.log"
bench_rc=${PIPESTATUS[0]}
echo "bench exit $bench_rc"
[ "$bench_rc" = 0 ] || status=1
# RMSNorm bf16 (the kernel closest to the 90 %-of-copy line): 7 rounds, each
# against its own copy anchor, median and spread.
[ -n "${SKIP_REPEATS:-}" ] || timeout 60 python3 bench/gpu/rmsnorm_repeats.py --rt "$art/lib/libvibee_cuda_rt.so" --rounds 7 \
  --json "$OUT/rmsnorm_repeats.json" vibeec="$art/lib/libvibee_rmsnorm_cuda.so" 2>&1 |
  tee "$OUT/rmsnorm_repeats.log"
repeats_rc=${PIPESTATUS[0]}
echo "rmsnorm repeats exit $repeats_rc"
[ "$repeats_rc" = 0 ] || status=1
cp "$OUT"/*.json bench/results/ 2>/dev/null || true
echo "== summary: gpu_check $check_rc, sanitizer ${san_rc:-none}, cuda-aot $aot_rc, bench $bench_rc, rmsnorm repeats $repeats_rc"
grep -E "^(PASS|FAIL)|passed" "$OUT/gpu_check.log" || true
grep -E "^FAIL|ERROR SUMMARY: [1-9]" "$OUT/compute_sanitizer.log" 2>/dev/null || true
tail -n 30 "$OUT/bench.log"
tail -n 4 "$OUT/rmsnorm_repeats.log"
exit $status
