#!/bin/sh
# Compile time stays about linear in the number of statements (issue 15): a
# generated 2,000-statement kernel (chains, siblings, row reductions) lowers to
# LLVM IR within the ctest TIMEOUT (about 10 s on a quiet 2-core machine; it was
# minutes when fusion recomputed every chain, docs/performance.md).
# usage: compile_time_large_spec.sh <vibeec> <source dir> <work dir>
set -eu
vibeec=$1 src=$2 work=$3
mkdir -p "$work"
python3 "$src/bench/gen_large_spec.py" --statements 2000 > "$work/large2000.vibee"
start=$(date +%s)
"$vibeec" compile "$work/large2000.vibee" --emit=llvm -o "$work/large2000.ll"
echo "2000 statements to LLVM IR in $(( $(date +%s) - start )) s"
