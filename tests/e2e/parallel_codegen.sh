#!/usr/bin/env bash
# A large object compiled on threads: three specs of 120 kernels each, one in 3
# parts of code generation (backends/cpu/ParallelCodeGen.h), one in 5 kernel
# groups (runtime/KernelGroups.h) and one as one module serially, link into one
# host program (the internal symbols of parts and groups are local: every spec
# has a k7__chunk0) and compute what a double loop computes, on threads; the
# JIT's objects of kernel groups run specs' behaviors.
set -euo pipefail
vibeec=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
gen() { python3 "$src/bench/gen_large_spec.py" --kernels 120 --statements 4 | sed "s/^spec large/spec $1/"; }
gen alpha > "$work/alpha.vibee"
gen beta > "$work/beta.vibee"
gen gamma > "$work/gamma.vibee"
VIBEE_KERNEL_GROUPS=1 VIBEE_CODEGEN_PARTS=3 "$vibeec" compile -Wno-untested-kernel \
  "$work/alpha.vibee" -o "$work/alpha.o"
VIBEE_KERNEL_GROUPS=1 VIBEE_CODEGEN_PARTS=1 "$vibeec" compile -Wno-untested-kernel \
  "$work/beta.vibee" -o "$work/beta.o"
VIBEE_KERNEL_GROUPS=5 "$vibeec" compile -Wno-untested-kernel "$work/gamma.vibee" -o "$work/gamma.o"
for spec in alpha beta gamma; do
  # Only the kernels are global; every helper stays local to its object.
  nm -g --defined-only "$work/$spec.o" > "$work/$spec.global"
  nm "$work/$spec.o" > "$work/$spec.all"
  test "$(grep -c " T vibee_${spec}_k" "$work/$spec.global")" = 120
  test "$(wc -l < "$work/$spec.global")" = 120
  grep -q " t k7__chunk0$" "$work/$spec.all"
done
# More groups asked for than kernels: one group per kernel.
python3 "$src/bench/gen_large_spec.py" --kernels 3 --statements 2 > "$work/three.vibee"
VIBEE_KERNEL_GROUPS=256 "$vibeec" compile -Wno-untested-kernel "$work/three.vibee" -o "$work/three.o"
test "$(nm -g --defined-only "$work/three.o" | grep -c " T vibee_large_k[012]$")" = 3
# The JIT compiles in groups too, into one object it loads (and caches): the
# behaviors pass, compiled and then from the disk cache. lr_schedules' cosine
# read another group's constants (NaN) when RuntimeDyld loaded such an object.
for spec in specs/optim/lr_schedules.vibee tests/e2e/unsigned.vibee; do
  for run in compiled cached; do
    VIBEE_CACHE_DIR="$work/cache" VIBEE_KERNEL_GROUPS=3 "$vibeec" test -Wno-untested-kernel \
      "$src/$spec" > "$work/test.log" 2>&1 || { cat "$work/test.log"; exit 1; }
  done
done
cat > "$work/main.c" <<'C'
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
void vibee_alpha_k7(const float *x, const float *w, float *y, int64_t R, int64_t C);
void vibee_beta_k93(const float *x, const float *w, float *y, int64_t R, int64_t C);
void vibee_gamma_k119(const float *x, const float *w, float *y, int64_t R, int64_t C);
int main(void) {
  enum { R = 96, C = 1000 };
  float *x = malloc(sizeof(float) * R * C), *w = malloc(sizeof(float) * C);
  float *ya = malloc(sizeof(float) * R * C), *yb = malloc(sizeof(float) * R * C);
  float *yc = malloc(sizeof(float) * R * C);
  srand(7);
  for (int i = 0; i < R * C; ++i) x[i] = (float)rand() / RAND_MAX - 0.5f;
  for (int c = 0; c < C; ++c) w[c] = (float)rand() / RAND_MAX + 0.25f;
  vibee_alpha_k7(x, w, ya, R, C);
  vibee_beta_k93(x, w, yb, R, C);
  vibee_gamma_k119(x, w, yc, R, C);
  double worst = 0;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      double v = x[r * C + c], t0 = v * 0.5 + v, t1 = t0 * 0.5 + v, t2 = v * 3.0 + w[c];
      double want = t1 + t2;
      double err = fmax(fabs(ya[r * C + c] - want), fabs(yb[r * C + c] - want));
      err = fmax(err, fabs(yc[r * C + c] - want));
      worst = fmax(worst, err / fmax(1.0, fabs(want)));
    }
  printf("max relative error %.3g\n", worst);
  return worst < 1e-6 ? 0 : 1;
}
C
omp=$(ls /usr/lib/llvm-*/lib/libomp.so 2>/dev/null | sort -V | tail -1)
cc -O2 -std=c11 "$work/main.c" "$work/alpha.o" "$work/beta.o" "$work/gamma.o" \
   "$src/backends/cpu/CpuRuntime.c" \
   -L"$(dirname "$omp")" -Wl,--no-as-needed -lomp -Wl,--as-needed -Wl,-rpath,"$(dirname "$omp")" \
   -ldl -lpthread -lm -o "$work/host"
VIBEE_NUM_THREADS=2 "$work/host"
