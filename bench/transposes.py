#!/usr/bin/env python3
"""Transposed reads on the CPU (issue 10: "packing absorbs layout"): a transpose kernel
(`y[j, i] = x[i, j]`, tests/e2e/transposes.vibee) against PyTorch's `x.t().contiguous()`
and a plain copy of the same bytes, and nn.Linear's layout (`y = x w^T`,
specs/nn/linear.vibee's linear_nobias, whose packing copies w transposed above the
few-rows path's 16 rows) against F.linear and against the same product with w
already [K, N] (specs/linalg/matmul.vibee). One thread, interleaved rounds, medians
(bench/timing.py); every output checked against NumPy.

    python3 bench/transposes.py [--vibeec build/bin/vibeec] [--repeats 7] [--json out.json]
"""
import argparse, ctypes, json, os, sys, tempfile

os.environ["VIBEE_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contractions import ROOT, build, cpu_name, ptr  # noqa: E402
from timing import time_interleaved  # noqa: E402

I64 = ctypes.c_int64


def median_ms(samples):
    return {k: sorted(s)[len(s) // 2] * 1e3 for k, s in samples.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vibeec", default=os.path.join(ROOT, "build", "bin", "vibeec"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    v = build(args.vibeec, tempfile.mkdtemp(prefix="vibee-transposes-"),
              ["tests/e2e/transposes.vibee", "specs/nn/linear.vibee", "specs/linalg/matmul.vibee"])
    rng = np.random.default_rng(0)
    results = []
    for n in (1024, 4000, 4096):
        x = rng.standard_normal((n, n), dtype=np.float32)
        y, z = np.empty_like(x), np.empty_like(x)
        tx = torch.from_numpy(x)
        med = median_ms(time_interleaved({
            "vibeec": lambda: v.vibee_transposes_transpose(ptr(x), ptr(y), I64(n), I64(n)),
            "torch": lambda: tx.t().contiguous(),
            "copy": lambda: np.copyto(z, x)}, args.repeats))
        assert (y == x.T).all()
        gbps = {k: 8.0 * n * n / (t * 1e-3) / 1e9 for k, t in med.items()}
        results.append({"case": "transpose", "size": f"{n}x{n}", "ms": med, "GBps": gbps})
        print(f"transpose {n}x{n}: " + "  ".join(f"{k} {t:.2f} ms ({gbps[k]:.1f} GB/s)" for k, t in med.items()),
              flush=True)
    G = 4096
    w = rng.standard_normal((G, G), dtype=np.float32)
    wt = np.ascontiguousarray(w.T)
    tw = torch.from_numpy(w)
    for M in (17, 64, 256):
        x = rng.standard_normal((M, G), dtype=np.float32)
        y, y2 = np.empty((M, G), np.float32), np.empty((M, G), np.float32)
        tx = torch.from_numpy(x)
        med = median_ms(time_interleaved({
            "vibeec": lambda: v.vibee_linear_linear_nobias(ptr(x), ptr(w), ptr(y), I64(M), I64(G), I64(G)),
            "vibeec_w_KN": lambda: v.vibee_matmul_matmul(ptr(x), ptr(wt), ptr(y2), I64(M), I64(G), I64(G)),
            "torch": lambda: torch.nn.functional.linear(tx, tw)}, args.repeats))
        ref = x.astype(np.float64) @ w.T.astype(np.float64)
        for out in (y, y2):
            err = np.abs(out - ref).max() / np.abs(ref).max()
            assert err < 1e-5, err
        gflops = {k: 2.0 * M * G * G / (t * 1e-3) / 1e9 for k, t in med.items()}
        results.append({"case": "linear_xwT", "size": f"{M}x{G}x{G}", "ms": med, "GFLOPs": gflops})
        print(f"linear x w^T {M}x{G}x{G}: " + "  ".join(f"{k} {t:.1f} ms ({gflops[k]:.1f} GFLOP/s)"
                                                      for k, t in med.items()), flush=True)
    out = args.json or os.path.join(ROOT, "bench", "results",
                                    "transposes_" + cpu_name().replace(" ", "_") + ".json")
    with open(out, "w") as f:
        json.dump({"device": cpu_name(), "threads": 1, "repeats": args.repeats, "results": results}, f, indent=1)
    print("wrote", out)


if __name__ == "__main__":
    main()
