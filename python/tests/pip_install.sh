#!/usr/bin/env bash
# ctest python_pip_install: what the README promises. `pip install ./python`
# against a build tree (scikit-build-core compiles only the binding; the wheel
# carries the build's runtime library), into a scratch folder, then the README's
# `python -c "import vibee, torch; ..."` line, run as written, from the
# repository root, with the build folder hidden from the installed package.
# Usage: pip_install.sh PYTHON SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
python=$1 src=$2 build=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
# No network: scikit-build-core and nanobind come from the environment.
command -v ccache >/dev/null && export CMAKE_CXX_COMPILER_LAUNCHER=ccache
VIBEE_BUILD_DIR=$build "$python" -m pip install -q --disable-pip-version-check \
  --no-build-isolation --no-deps --target "$work/site" "$src/python"
ls "$work/site/vibee"
# The runtime under its SONAME (libvibee_runtime.so.<version>), beside the extension.
compgen -G "$work/site/vibee/libvibee_runtime.so*" >/dev/null ||
  { echo "the runtime is not in the wheel"; exit 1; }
example=$(grep -m1 '^python -c "import vibee, torch;' "$src/README.md") || {
  echo "README.md has no 'python -c \"import vibee, torch; ...' line"; exit 1; }
echo "$example"
# `python` of the README is the environment's interpreter; the package comes from
# the scratch install only (its runtime library too: LD_LIBRARY_PATH is cleared).
mkdir -p "$work/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$python" > "$work/bin/python"
chmod +x "$work/bin/python"
cd "$src"
env -u LD_LIBRARY_PATH PATH="$work/bin:$PATH" PYTHONPATH="$work/site" \
  bash -c "$example"
env PYTHONPATH="$work/site" "$python" -c \
  "import vibee, sys; assert vibee.__file__.startswith('$work/site'), vibee.__file__"
