#!/usr/bin/env bash
# A helper preamble of the generated code (backends/cpp/runtime/vibee_cpp_helpers.h,
# backends/gpu/runtime/vibee_cuda_host_helpers.h) is printed verbatim into every
# generated file, so it must hold up as a header of its own: compiled alone as the
# main file, and included twice in one translation unit (as two generated files
# are), with g++ and clang++ at -Wall -Wextra -Werror.
#   helpers_header.sh <header> [--cuda]
# --cuda: the header of the CUDA host file, which includes <cuda.h> and <cstdint>
# before the preamble; compiled against the toolkit's cuda.h (skips, exit 77,
# without it), as tests/e2e/gpu/cuda_host_file.sh compiles the whole file.
set -euo pipefail
header=$1 cuda=${2:-}
flags=(-std=c++17 -O1 -Wall -Wextra -Werror -fsyntax-only -x c++)
if [[ $cuda == --cuda ]]; then
  toolkit=${CUDA_HOME:-/usr/local/cuda}
  if [[ ! -f $toolkit/include/cuda.h ]]; then
    echo "skipped: no $toolkit/include/cuda.h"
    exit 77
  fi
  flags+=(-I"$toolkit/include" -include cuda.h -include cstdint)
fi
compilers=0
for cxx in g++ clang++; do
  command -v $cxx > /dev/null || { echo "no $cxx: not compiled with it"; continue; }
  $cxx "${flags[@]}" "$header"
  printf '#include "%s"\n#include "%s"\n' "$header" "$header" | $cxx "${flags[@]}" -
  echo "$cxx: $(basename "$header") compiles alone and twice in one file"
  compilers=$((compilers + 1))
done
(( compilers > 0 ))
