#!/usr/bin/env bash
# The Python environment of the Python package (python/): a virtual environment
# in .venv (or $VIBEE_VENV) with NumPy, PyTorch, pytest, nanobind and
# scikit-build-core from PyPI (python/requirements-dev.txt). Idempotent: a second
# run only checks. scripts/build.sh builds the package's extension with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VIBEE_VENV:-$root/.venv}
if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv"
  python3 -m venv "$venv"
fi
start=$(date +%s)
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  -r "$root/python/requirements-dev.txt"
echo "python-env: $venv ready ($(( $(date +%s) - start )) s)"
