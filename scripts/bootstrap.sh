#!/usr/bin/env bash
# Installs everything vibee needs from Debian 12 packages (idempotent).
set -euo pipefail
packages=(
  cmake ninja-build g++ python3 python3-venv python3-dev
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 libclang-rt-22-dev
  libzstd-dev zlib1g-dev
  antlr4 libantlr4-runtime-dev default-jre-headless
  googletest libgtest-dev
  libomp-22-dev pkgconf
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
