#!/usr/bin/env python3
"""Attention on the CPU (issue #11): vibeec's formed flash attention side by side with
PyTorch SDPA when torch is installed, else a NumPy/OpenBLAS SDPA (the S x T scores
through sgemm, a row softmax, sgemm with V), at the same thread count, in one process,
interleaved, medians.

    python3 bench/attention.py [--build build] [--repeats 5] [--json out.json]

Cases: f32 B1 H4 S2048 D64 non-causal and causal (specs/attention/attention.vibee,
causal.vibee), decode B1 H32 T8192 D64 (decode.vibee); 1 and 2 threads. The JSON goes
to bench/results/cpu_attention_<cpu>.json unless --json says otherwise.
"""
import argparse, ctypes, json, os, statistics, subprocess, tempfile, time

import numpy as np

from contractions import F32, F32P, I64, ROOT, build as build_library, cpu_name, ptr
from timing import time_interleaved

SPECS = ["specs/attention/attention.vibee", "specs/attention/causal.vibee", "specs/attention/decode.vibee"]


def build(vibeec, work):
    return build_library(vibeec, work, SPECS, "libattn.so")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as tf
    except ImportError:
        torch = None
    blas = ctypes.CDLL("libopenblas.so.0")
    v = build(os.path.join(args.build, "bin", "vibeec"), tempfile.mkdtemp(prefix="vibee-attn-"))
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s, dtype=np.float32)
    RM, NT, TR = 101, 111, 112

    def sgemm(m, n, k, a, lda, b, ldb, c, ldc, tb=NT, alpha=1.0):
        blas.cblas_sgemm(RM, NT, tb, m, n, k, F32(alpha), ptr(a), lda, ptr(b), ldb, F32(0.0), ptr(c), ldc)

    def numpy_sdpa(q, k, vv, o, scale, causal):
        # Per head: s = scale q k^T (sgemm), softmax rows, o = p v (sgemm).
        S, T, D = q.shape[-2], k.shape[-2], q.shape[-1]
        s = np.empty((S, T), np.float32)
        mask = np.triu(np.ones((S, T), bool), 1) if causal else None
        for h in np.ndindex(q.shape[:-2]):
            sgemm(S, T, D, q[h], D, k[h], D, s, T, tb=TR, alpha=scale)
            if causal:
                s[mask] = -np.inf
            s -= s.max(1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(1, keepdims=True)
            sgemm(S, D, T, s, T, vv[h], D, o[h], D)

    cases = []
    B, H, S, D = 1, 4, 2048, 64
    q, k, vv, o = f32(B, H, S, D), f32(B, H, S, D), f32(B, H, S, D), np.empty((B, H, S, D), np.float32)
    sc = D ** -0.5
    flops = 4.0 * B * H * S * S * D
    impls = {"vibeec": lambda: v.vibee_attention_attention_f32(ptr(q), ptr(k), ptr(vv), F32(sc), ptr(o),
                                                             I64(B), I64(H), I64(S), I64(D), I64(S)),
             "numpy-sdpa": lambda: numpy_sdpa(q, k, vv, o, sc, False)}
    if torch:
        tq, tk, tv = (torch.from_numpy(a) for a in (q, k, vv))
        impls["torch-sdpa"] = lambda: tf.scaled_dot_product_attention(tq, tk, tv)
    cases.append(("attention", f"B{B} H{H} S{S} D{D}", flops, impls))
    qc, kc, vc, oc = q[0], k[0], vv[0], np.empty((H, S, D), np.float32)
    impls = {"vibeec": lambda: v.vibee_causal_causal(ptr(qc), ptr(kc), ptr(vc), F32(sc), ptr(oc), I64(H), I64(S),
                                                     I64(D), I64(S)),
             "numpy-sdpa": lambda: numpy_sdpa(qc, kc, vc, oc, sc, True)}
    if torch:
        tq, tk, tv = (torch.from_numpy(a) for a in (qc, kc, vc))
        impls["torch-sdpa"] = lambda: tf.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    cases.append(("causal", f"B1 H{H} S{S} D{D}", flops / 2, impls))
    Hd, T = 32, 8192
    qd, kd, vd, od = f32(Hd, D), f32(Hd, T, D), f32(Hd, T, D), np.empty((Hd, D), np.float32)
    impls = {"vibeec": lambda: v.vibee_decode_decode(ptr(qd), ptr(kd), ptr(vd), F32(sc), ptr(od), I64(Hd), I64(D),
                                                     I64(T)),
             "numpy-sdpa": lambda: numpy_sdpa(qd[:, None], kd, vd, od[:, None], sc, False)}
    cases.append(("decode", f"H{Hd} T{T} D{D}", 4.0 * Hd * T * D, impls))

    load0 = os.getloadavg()
    results = []
    for threads in (1, 2):
        os.environ["VIBEE_NUM_THREADS"] = str(threads)
        blas.openblas_set_num_threads(threads)
        if torch:
            torch.set_num_threads(threads)
        for name, size, amount, impls in cases:
            samples = time_interleaved(impls, args.repeats, settle=0.25 if threads > 1 else 0.0)
            base = statistics.median(samples["vibeec"])
            for i, ts in samples.items():
                med = statistics.median(ts)
                results.append({"case": name, "size": size, "impl": i, "threads": threads, "median_s": med,
                                "min_s": min(ts), "gflops": amount / med / 1e9, "t_over_vibeec": med / base})
                print(f"{name:9} {size:18} thr={threads} {i:11} {1e3 * med:9.2f} ms {amount / med / 1e9:7.2f} GFLOP/s"
                      f"  t/t_vibeec {med / base:5.2f}", flush=True)
    info = {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__ if torch else None,
            "load_before": load0, "load_after": os.getloadavg(), "repeats": args.repeats,
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip(), "results": results}
    out = args.json or os.path.join(ROOT, "bench", "results", "cpu_attention_" +
                                    "".join(ch if ch.isalnum() else "_" for ch in info["cpu"]) + ".json")
    with open(out, "w") as f:
        json.dump(info, f, indent=1)
    print("load average before/after:", load0, info["load_after"], "->", out)


if __name__ == "__main__":
    main()
