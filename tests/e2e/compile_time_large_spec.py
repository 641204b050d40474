#!/usr/bin/env python3
"""Compile time stays linear in statements and in kernels (issue 15,
docs/performance.md "Compile time of large specs").

For a kernel of N statements and for a spec of N small kernels (both from
bench/gen_large_spec.py), compiles size N and 4N to LLVM IR (every MLIR pass
and the translation, OpenMP outlining included) and fails when the larger one
costs more than RATIO times the smaller one: linear is 4, quadratic 16 (the
OpenMP outlining of issue 15 gave 7.5 at these sizes, a remark per row
reduction that printed its op 6.8; 4.9-5.5 now). Each size runs three times,
interleaved, and counts its least CPU time (user + sys of the child): other
processes on a loaded machine slow a run down, never speed it up.

usage: compile_time_large_spec.py <vibeec> <source dir> <work dir>
"""
import os
import resource
import subprocess
import sys

RATIO = 6.5
CASES = [("--statements", 400), ("--kernels", 50)]  # (flag, N)


def cpu_seconds(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    vibeec, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    failed = False
    for flag, n in CASES:
        sizes = (n, 4 * n)
        specs = {}
        for size in sizes:
            specs[size] = os.path.join(work, f"large{flag[2]}{size}.vibee")
            with open(specs[size], "w") as out:
                subprocess.run([sys.executable, os.path.join(src, "bench", "gen_large_spec.py"),
                                flag, str(size)], check=True, stdout=out)
        best = {size: float("inf") for size in sizes}
        for _ in range(3):
            for size in sizes:
                cmd = [vibeec, "compile", specs[size], "--emit=llvm", "-o", specs[size] + ".ll",
                       "-Wno-untested-kernel"]  # the generated kernels have no behavior
                best[size] = min(best[size], cpu_seconds(cmd))
        ratio = best[4 * n] / best[n]
        print(f"{flag[2:]} {n}: {best[n]:.2f} s, {4 * n}: {best[4 * n]:.2f} s of CPU "
              f"to LLVM IR, ratio {ratio:.2f} (limit {RATIO})")
        failed |= ratio > RATIO
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
