#!/usr/bin/env bash
# The installed package as a build system sees it: installs vibee into a scratch
# prefix, builds docs/examples/build-kernels (vibee_add_kernels: specs compiled at
# build time; the CUDA object route is built, not run) against it and runs it;
# then checks the dependency tracking (an edited spec is recompiled, an unchanged
# build does nothing), the sonames, the installed tools and runtime files, and the
# pkg-config file (the JIT example built with it).
set -euo pipefail
build=$1 src=$2 work=$3
specs=$work-specs # outside <work>, which build_installed_example.sh recreates
rm -rf "$specs" && mkdir -p "$specs"
cp "$src/specs/optim/lion.vibee" "$specs/lion.vibee"
"$src/tests/e2e/build_installed_example.sh" "$build" "$src" "$work" build-kernels \
  -DLION_SPEC="$specs/lion.vibee"
"$work/build/build-kernels"

# Dependency tracking: the edited spec is recompiled (and only it), then nothing is.
sleep 1 && touch "$specs/lion.vibee"
cmake --build "$work/build" > "$work/rebuild.log"
grep -q "vibeec: lion.vibee" "$work/rebuild.log" || { cat "$work/rebuild.log"; echo "lion.vibee not recompiled"; exit 1; }
if grep -q "vibeec: softmax.vibee" "$work/rebuild.log"; then
  echo "softmax.vibee recompiled although unchanged"; exit 1
fi
cmake --build "$work/build" > "$work/nothing.log"
grep -q "no work to do" "$work/nothing.log" || { cat "$work/nothing.log"; echo "a build without changes did work"; exit 1; }

prefix=$work/prefix
# Shared libraries have a versioned soname; the tools and runtime files are installed.
for lib in libvibee_runtime libvibee_cuda_rt; do
  readelf -d "$prefix/lib/$lib.so" | grep -q "SONAME.*\[$lib\.so\.[0-9]*\.[0-9]*\]" \
    || { echo "$lib.so has no versioned SONAME"; readelf -d "$prefix/lib/$lib.so" | grep SONAME; exit 1; }
done
test -f "$prefix/lib/libvibee_cpurt.a" && test -f "$prefix/share/vibee/CpuRuntime.c"
"$prefix/bin/vibee-opt" --help > /dev/null
"$prefix/bin/vibee-lsp-server" --help > /dev/null
echo 'func.func @f() { return }' | "$prefix/bin/vibee-opt" --canonicalize > /dev/null

# pkg-config: the JIT example built with the flags it gives, from a moved prefix.
if command -v pkg-config > /dev/null; then
  mv "$prefix" "$work/moved"
  flags=$(PKG_CONFIG_PATH="$work/moved/lib/pkgconfig" pkg-config --cflags --libs vibee)
  g++ -std=c++17 -I"$src/docs/examples/common" "$src/docs/examples/jit-host/main.cpp" $flags \
      -o "$work/jit-host-pc"
  (cd "$src" && "$work/jit-host-pc" specs/nn/softmax.vibee)
else
  echo "pkg-config not found: the .pc file was not checked"
fi
