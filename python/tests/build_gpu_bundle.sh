#!/usr/bin/env bash
# Builds, here (LLVM/MLIR 22 from apt, no GPU needed), what run_gpu.sh needs on a
# GPU machine that has a CUDA driver, PyTorch and Python 3.12 but no LLVM/MLIR:
#   gpu-artifacts/python/site/vibee/   the package: its .py files, the extension for
#       Python 3.12 (_vibee.cpython-312-*.so), libantlr4-runtime.so.4.9, and
#       libvibee_runtime.so.xz: the runtime with LLVM and MLIR linked in statically
#       (about 130 MB, 25 MB compressed; only vibee's symbols exported, so it
#       cannot clash with another LLVM in the process, e.g. Triton's), which
#       run_gpu.sh unpacks there.
# Usage: python/tests/build_gpu_bundle.sh [build-dir] [python3.12]
#   (from the repository root; build-dir: a Release build, default build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
py312=${2:-}
if [ -z "$py312" ]; then # the GPU machine's Python is 3.12 (docs: device KINDS.md)
  for candidate in "$HOME"/.pyenv/versions/3.12*/bin/python3.12 python3.12; do
    if "$candidate" -c '' 2>/dev/null; then py312=$candidate; break; fi
  done
fi
"$py312" -c 'import sys; assert sys.version_info[:2] == (3, 12)' ||
  { echo "usage: $0 [build-dir] [python3.12]: no Python 3.12 found"; exit 1; }
out=$root/gpu-artifacts/python
llvm=/usr/lib/llvm-22/lib
ninja -C "$build" -j2 VibeeRuntime
rm -rf "$out" && mkdir -p "$out/site/vibee" "$out/work"

# 1. The runtime's own link line (objects, then vibee's archives, whole), with
#    LLVM and MLIR's static libraries in place of libLLVM.so / libMLIR.so.
link=$(ninja -C "$build" -t commands VibeeRuntime | grep -e '--whole-archive' | tail -1)
[ -n "$link" ] || { echo "no link line of VibeeRuntime in $build"; exit 1; }
objects=$(tr ' ' '\n' <<<"$link" | grep 'VibeeRuntime.dir/.*\.o$')
archives=$(tr ' ' '\n' <<<"$link" | sed -n '/--whole-archive/,/--no-whole-archive/p' | grep '\.a$')
cat > "$out/work/exports.map" <<'MAP'
{
  global:
    vibee_*; mgpu*;
    extern "C++" { vibee::*; "typeinfo for vibee::*"; "typeinfo name for vibee::*"; "vtable for vibee::*"; };
  local: *;
};
MAP
(cd "$build" && g++ -shared -o "$out/work/libvibee_runtime.so" -Wl,-soname,libvibee_runtime.so \
  $objects -Wl,--whole-archive $archives -Wl,--no-whole-archive \
  -Wl,--start-group "$llvm"/libMLIR*.a "$llvm"/libLLVM*.a -Wl,--end-group \
  -lantlr4-runtime /usr/lib/x86_64-linux-gnu/libzstd.a /usr/lib/x86_64-linux-gnu/libz.a \
  -ldl -lpthread -Wl,-rpath,'$ORIGIN' -Wl,--version-script="$out/work/exports.map" \
  -Wl,-z,defs -Wl,--gc-sections -s)
cp -L /usr/lib/x86_64-linux-gnu/libantlr4-runtime.so.4.9 "$out/site/vibee/"

# 2. The extension for Python 3.12, built by python/CMakeLists.txt as pip would,
#    against that runtime (a vibee-runtime.cmake of its own).
mkdir -p "$out/work/python"
cat > "$out/work/python/vibee-runtime.cmake" <<CMAKE
set(VIBEE_RUNTIME_FILE "$out/work/libvibee_runtime.so")
set(VIBEE_RUNTIME_SONAME "libvibee_runtime.so")
set(VIBEE_RUNTIME_INCLUDE_DIRS "$root")
CMAKE
"$py312" -m venv "$out/work/venv"
"$out/work/venv/bin/python" -m pip install -q --disable-pip-version-check nanobind
cmake -S "$root/python" -B "$out/work/ext" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DVIBEE_BUILD_DIR="$out/work" -DPython_EXECUTABLE="$out/work/venv/bin/python" >/dev/null
cmake --build "$out/work/ext" -j2
cmake --install "$out/work/ext" --prefix "$out/site" >/dev/null
cp "$root"/python/vibee/*.py "$out/site/vibee/"

# 3. The runtime compressed (the device's working tree travels within 64 MiB).
xz -T2 -6 "$out/site/vibee/libvibee_runtime.so"
rm -rf "$out/work"
ls -la "$out/site/vibee"
du -sh "$out"
