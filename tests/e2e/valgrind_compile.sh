#!/bin/sh
# The compiler under valgrind on one spec whose fusion merges siblings (Lion:
# FuseElementwise once read an erased op there). Skips (77) without valgrind.
# usage: valgrind_compile.sh <vibeec> <spec> <work dir>
set -eu
vibeec=$1 spec=$2 work=$3
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind not installed: skipped"
  exit 77
fi
mkdir -p "$work"
# --emit=llvm stops before LLVM's code generation: the part we own, in less time.
exec valgrind --quiet --error-exitcode=1 --track-origins=no \
  --leak-check=full --errors-for-leak-kinds=definite \
  "$vibeec" compile "$spec" --emit=llvm -o "$work/out.ll"
