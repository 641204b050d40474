#!/usr/bin/env python3
"""Quantized linear layers on the CPU (issue 13: dequantization while packing):
w8a16 (int8, per-channel scale, bf16 x) and int8 with group-128 scales, M=64,
K=N=2048 by default, one thread. Each case runs in its own process so that its
peak resident memory (ru_maxrss) is its own.

    python3 bench/quant_pack.py [--vibeec build/bin/vibeec] [--repeats 15] [--threads 1]
"""
import argparse, os, resource, statistics, subprocess, sys, tempfile, time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contractions import bf16, build, ptr, I64  # noqa: E402

SPECS = ["specs/quant/w8a16.vibee", "bench/contractions.vibee"]


def run_case(args):
    v = build(args.vibeec, tempfile.mkdtemp(prefix="vibee-quant-"), SPECS)
    M, K, N = args.m, args.k, args.n
    rng = np.random.default_rng(0)
    x = rng.standard_normal((M, K), dtype=np.float32)
    w = rng.integers(-128, 128, (N, K), dtype=np.int8)
    y = np.empty((M, N), np.float32)
    if args.case == "w8a16":
        xb, s = bf16(x), np.abs(rng.standard_normal(N, dtype=np.float32)) * 0.01
        fn = lambda: v.vibee_w8a16_w8a16(ptr(xb), ptr(w), ptr(s), ptr(y), I64(M), I64(K), I64(N))
    else:
        G = (K + 127) // 128
        s = np.abs(rng.standard_normal((N, G), dtype=np.float32)) * 0.01
        fn = lambda: v.vibee_contractions_bench_w8_group128(ptr(x), ptr(w), ptr(s), ptr(y), I64(M), I64(K),
                                                            I64(N), I64(G))
    fn()
    ts = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.case} {M}x{K}x{N} thr={os.environ.get('OMP_NUM_THREADS')} median {1e3 * statistics.median(ts):.2f} ms"
          f" min {1e3 * min(ts):.2f} ms peak RSS {rss:.1f} MB", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vibeec", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                     "build", "bin", "vibeec"))
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("-m", type=int, default=64)
    ap.add_argument("-k", type=int, default=2048)
    ap.add_argument("-n", type=int, default=2048)
    ap.add_argument("--case")
    args = ap.parse_args()
    if args.case:
        return run_case(args)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), VIBEE_NUM_THREADS=str(args.threads))
    print("load average before:", os.getloadavg())
    for case in ("w8a16", "w8_group128"):
        subprocess.run([sys.executable, __file__, "--case", case] + sys.argv[1:], env=env, check=True)
    print("load average after:", os.getloadavg())


if __name__ == "__main__":
    main()
