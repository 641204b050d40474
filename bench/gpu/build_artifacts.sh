#!/bin/bash
# Builds, on a machine with LLVM/MLIR 22 (no GPU needed), everything the GPU machine
# needs into gpu-artifacts/ (gitignored; carry it to the device):
#   bin/gpu_check                 the differential checker (no LLVM/MLIR inside)
#   lib/libvibee_cuda_rt.so       mgpu* runtime over dlopen'ed libcuda
#   lib/libvibee_<spec>_cuda.so   each spec's host code + embedded sm_90a PTX
#                                 (embedding and cross_entropy also _nochecks_cuda.so:
#                                 --no-gpu-gather-checks, for bench_language.py)
#   lib/libantlr4-runtime.so.4.9  for gpu_check's frontend
#   ptx/<spec>.ptx, <spec>.h      the PTX and the object's host headers
#   host/<spec>_cuda.cpp          the generated host files (--emit=cuda-host), compiled
#                                 on the device (with -lcuda) by run_on_device.sh, with
#                                 host/aot.cpp (docs/examples/cuda-host, the cuda-aot step)
#   specs.txt                     the specs gpu_check runs: specs/, the language tests
#                                 of tests/e2e/ and tests/e2e/gpu/
#                                 (bench/gpu/specs/ is built for the benchmark only)
# Usage: bench/gpu/build_artifacts.sh [build-dir] [out-dir]   (from the repository root)
set -euxo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-gpu}
out=${2:-$root/gpu-artifacts}
ninja -C "$build" -j2 vibeec gpu_check VibeeCudaRuntimeShared
rm -rf "$out"; mkdir -p "$out/bin" "$out/lib" "$out/ptx" "$out/obj" "$out/host"
cp "$build/bin/gpu_check" "$out/bin/"
# The shared runtime and its versioned soname (SOVERSION), which gpu_check and the
# spec libraries load.
for lib in "$build"/runtime/cuda/libvibee_cuda_rt.so*; do cp -L "$lib" "$out/lib/"; done  # no links: carried as files
cp -L /usr/lib/x86_64-linux-gnu/libantlr4-runtime.so.4.9 "$out/lib/"
for spec in "$root"/specs/*/*.vibee "$root"/tests/e2e/*.vibee "$root"/tests/e2e/gpu/*.vibee \
            "$root"/bench/gpu/specs/*.vibee; do
  name=$(sed -n 's/^spec \([A-Za-z0-9_]*\) .*/\1/p' "$spec" | head -1)
  "$build/bin/vibeec" compile "$spec" --target=cuda --emit=ptx -o "$out/ptx/$name.ptx"
  "$build/bin/vibeec" compile "$spec" --target=cuda --emit=cuda-header -o "$out/ptx/$name.h"
  # A spec the host-source route refuses is listed, not fatal: gpu_check runs the
  # object (below) either way.
  "$build/bin/vibeec" compile "$spec" --target=cuda --emit=cuda-host -o "$out/host/${name}_cuda.cpp" \
    || echo "${spec#$root/}" >> "$out/host/refused.txt"
  "$build/bin/vibeec" compile "$spec" --target=cuda --emit=obj -o "$out/obj/$name.o"
  g++ -shared -o "$out/lib/libvibee_${name}_cuda.so" "$out/obj/$name.o" \
      -L"$out/lib" -lvibee_cuda_rt -Wl,-rpath,'$ORIGIN'
  case "$spec" in
    "$root"/bench/*) ;;
    *) echo "${spec#$root/} $name" >> "$out/specs.txt" ;;
  esac
done
# The gathers' benchmark also runs them without the device-side index check
# (bench_language.py: what the flag costs).
for name in embedding cross_entropy; do
  "$build/bin/vibeec" compile "$root/specs/nn/$name.vibee" --target=cuda --no-gpu-gather-checks \
    --emit=obj -o "$out/obj/${name}_nochecks.o"
  g++ -shared -o "$out/lib/libvibee_${name}_nochecks_cuda.so" "$out/obj/${name}_nochecks.o" \
      -L"$out/lib" -lvibee_cuda_rt -Wl,-rpath,'$ORIGIN'
done
# The embedding gradient with f32 atomics (vibeec --gpu-float-atomics), beside the
# default ordered one.
"$build/bin/vibeec" compile "$root/specs/nn/embedding.vibee" --target=cuda --gpu-float-atomics \
  --emit=obj -o "$out/obj/embedding_atomics.o"
g++ -shared -o "$out/lib/libvibee_embedding_atomics_cuda.so" "$out/obj/embedding_atomics.o" \
    -L"$out/lib" -lvibee_cuda_rt -Wl,-rpath,'$ORIGIN'
# docs/examples/cuda-host/aot.cpp, built there over the generated softmax_cuda.cpp.
cp "$root/docs/examples/cuda-host/aot.cpp" "$root/docs/examples/common/softmax_reference.h" \
   "$out/host/"
strip "$out/bin/gpu_check" "$out"/lib/*.so || true
[ ! -f "$out/host/refused.txt" ] || { echo "cuda-host refused:"; cat "$out/host/refused.txt"; }
du -sh "$out"
