#!/usr/bin/env bash
# Runs the Python package's tests on a GPU machine (CUDA driver, PyTorch, Python
# 3.12; no LLVM/MLIR, no network), from the repository root, with
# gpu-artifacts/python/ carried from the build machine
# (python/tests/build_gpu_bundle.sh): test_cuda.py (CUDA tensors, PyTorch's
# current stream, torch.compile of a CUDA op), every GPU test run and passed,
# then test_call.py and test_torch_op.py (the CPU side) and the README's example.
# Logs to $OUT (if set). One call, a few minutes.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
OUT=${OUT:-/tmp/vibee-gpu-out}
mkdir -p "$OUT"
art=$root/gpu-artifacts/python/site
[ -f "$art/vibee/libvibee_runtime.so.xz" ] || { echo "FATAL: gpu-artifacts/python missing (carry it)"; exit 2; }
nvidia-smi -L || true
# CUDA kernels link libdevice (__nv_expf, ...) from the toolkit at compile time.
ls /usr/local/cuda/nvvm/libdevice || echo "WARNING: no /usr/local/cuda/nvvm/libdevice"
python3 -c 'import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name(0))' ||
  { echo "FATAL: no PyTorch with a GPU"; exit 2; }
site=/tmp/vibee-site
rm -rf "$site" && cp -r "$art" "$site"
python3 -c "import lzma, shutil, sys
with lzma.open(sys.argv[1]) as i, open(sys.argv[2], 'wb') as o: shutil.copyfileobj(i, o)" \
  "$site/vibee/libvibee_runtime.so.xz" "$site/vibee/libvibee_runtime.so" || exit 2
rm "$site/vibee/libvibee_runtime.so.xz"
export PYTHONPATH=$site VIBEE_SOURCE_DIR=$root PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
status=0
cd python/tests
timeout 300 python3 -m pytest -v -rs -p no:cacheprovider test_cuda.py 2>&1 | tee "$OUT/python_cuda.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# Every @gpu test ran and passed (a skip would make the run prove nothing).
want=$(grep -c '^@gpu' test_cuda.py)
passed=$(grep -c '::test_.* PASSED' "$OUT/python_cuda.log")
[ "$passed" = "$want" ] || { echo "FAIL: $passed of the $want GPU tests passed"; status=1; }
timeout 300 python3 -m pytest -q -p no:cacheprovider test_call.py test_torch_op.py 2>&1 | tee "$OUT/python_cpu.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
cd "$root"
example=$(grep -m1 '^python -c "import vibee, torch;' README.md)
echo "$example"
timeout 120 bash -c "${example/#python /python3 }" 2>&1 | tee "$OUT/readme_example.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
echo "run_gpu: $([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
