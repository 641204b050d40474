#!/usr/bin/env python3
"""Contractions on the CPU (issue #10): vibeec side by side with OpenBLAS (and PyTorch
when it is installed) at the same thread count, in one process, interleaved, medians.

    python3 bench/contractions.py [--build build] [--repeats 5] [--quick] [--json out.json]
                                  [--baseline other/vibeec] [--only case,case]

Cases: linear x W^T + b, plain, batched, per-head scores, bf16 GEMM and bf16 nn.Linear,
bf16 batched and per-head scores, int8 x int8 -> int32 GEMM, few rows M in
{1, 4, 16, 32, 33, 64, 128, 256} (linear layout, f32 and bf16) and {1, 4, 16, 32}
(plain layout), int8-weight GEMV, column sum; 1 and 2 threads. --baseline adds the same kernels built by another vibeec (a
"vibeec baseline" column, e.g. main before a change). The JSON goes to
bench/results/cpu_contractions_<cpu>.json unless --json says otherwise.
"""
import argparse, ctypes, json, os, platform, re, statistics, subprocess, tempfile, time

import numpy as np
from timing import time_interleaved

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F32P, U16P, I8P = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_uint16), ctypes.POINTER(ctypes.c_int8)
I32P = ctypes.POINTER(ctypes.c_int32)
I64, F32 = ctypes.c_int64, ctypes.c_float
SPECS = ["specs/nn/linear.vibee", "specs/linalg/matmul.vibee", "specs/linalg/bmm.vibee",
         "specs/quant/w8a16.vibee", "specs/quant/int8_gemm.vibee", "bench/contractions.vibee"]


def ptr(a, off=0):
    p = {np.float32: F32P, np.uint16: U16P, np.int8: I8P, np.int32: I32P}[a.dtype.type]
    return ctypes.cast(a.ctypes.data + off * a.itemsize, p)


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def build(vibeec, work, specs=SPECS, lib_name="libc.so"):
    """Compiles `specs` ahead of time and links them with the CPU runtime into one
    library of `work` (bench/attention.py builds its specs with it too)."""
    objs = []
    for spec in specs:
        obj = os.path.join(work, os.path.basename(spec).replace(".vibee", ".o"))
        subprocess.run([vibeec, "compile", os.path.join(ROOT, spec), "--emit=obj", "-o", obj], check=True)
        objs.append(obj)
    lib, omp = os.path.join(work, lib_name), "/usr/lib/llvm-22/lib"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib] + objs +
                   [os.path.join(ROOT, "backends/cpu/CpuRuntime.c"), f"-L{omp}", "-Wl,--no-as-needed",
                    "-lomp", "-Wl,--as-needed", f"-Wl,-rpath,{omp}", "-lm"], check=True)
    return ctypes.CDLL(lib)


def bf16(a):
    return (a.view(np.uint32) >> 16).astype(np.uint16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--baseline", help="another vibeec whose kernels run beside (\"vibeec baseline\")")
    ap.add_argument("--only", help="comma-separated case names")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    blas = ctypes.CDLL("libopenblas.so.0")
    work = tempfile.mkdtemp(prefix="vibee-contract-")
    v = build(os.path.join(args.build, "bin", "vibeec"), work)
    vb = build(args.baseline, work, lib_name="libbase.so") if args.baseline else None
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s, dtype=np.float32)
    S = 256 if args.quick else 1024
    G = 1024 if args.quick else 4096
    RM, NT, TR = 101, 111, 112

    def sgemm(m, n, k, a, lda, b, ldb, c, ldc, tb=NT, alpha=1.0, aoff=0, boff=0, coff=0):
        blas.cblas_sgemm(RM, NT, tb, m, n, k, F32(alpha), ptr(a, aoff), lda, ptr(b, boff), ldb,
                         F32(0.0), ptr(c, coff), ldc)

    cases = []  # name, size, flops or bytes, metric, impls

    def add(name, size, amount, metric, impls, tfn=None):
        if args.only and name not in args.only.split(","):
            return
        if vb is not None:  # the vibeec call again, on the baseline's library
            call = impls["vibeec"]
            impls["vibeec baseline"] = lambda: call(vb)
            impls["vibeec"] = lambda: call(v)
        if torch is not None and tfn is not None:
            impls["torch"] = tfn
        cases.append((name, size, amount, metric, impls))

    x, w, b, y = f32(S, S), f32(S, S), f32(S), np.empty((S, S), np.float32)
    T = (lambda a: torch.from_numpy(a)) if torch else None
    add("linear", f"{S}^3", 2.0 * S**3, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_linear_linear(ptr(x), ptr(w), ptr(b), ptr(y), I64(S), I64(S), I64(S)),
         "openblas": lambda: sgemm(S, S, S, x, S, w, S, y, S, tb=TR)},
        torch and (lambda tx=T(x), tw=T(w), tb_=T(b): torch.nn.functional.linear(tx, tw, tb_)))
    add("plain", f"{S}^3", 2.0 * S**3, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_matmul_matmul(ptr(x), ptr(w), ptr(y), I64(S), I64(S), I64(S)),
         "openblas": lambda: sgemm(S, S, S, x, S, w, S, y, S)},
        torch and (lambda tx=T(x), tw=T(w): tx @ tw))
    Z, Sb = 8, S // 2
    ba, bb, bc = f32(Z, Sb, Sb), f32(Z, Sb, Sb), np.empty((Z, Sb, Sb), np.float32)
    add("batched", f"{Z}x{Sb}^3", 2.0 * Z * Sb**3, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_bmm_bmm(ptr(ba), ptr(bb), ptr(bc), I64(Z), I64(Sb), I64(Sb), I64(Sb)),
         "openblas": lambda: [sgemm(Sb, Sb, Sb, ba, Sb, bb, Sb, bc, Sb, aoff=z * Sb * Sb, boff=z * Sb * Sb,
                                    coff=z * Sb * Sb) for z in range(Z)]},
        torch and (lambda ta=T(ba), tb_=T(bb): torch.bmm(ta, tb_)))
    B, H, L, D = 1, 8, S // 2, 64
    q, k, sc = f32(B, L, H, D), f32(B, L, H, D), np.empty((B, H, L, L), np.float32)
    add("scores", f"{B * H}x{L}x{L}x{D}", 2.0 * B * H * L * L * D, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_bmm_head_scores(ptr(q), ptr(k), ptr(sc), I64(L), I64(H)),
         "openblas": lambda: [sgemm(L, L, D, q, H * D, k, H * D, sc, L, tb=TR, alpha=D**-0.5, aoff=h * D,
                                    boff=h * D, coff=h * L * L) for h in range(H)]},
        torch and (lambda tq=T(q).transpose(1, 2), tk=T(k).transpose(1, 2): (tq @ tk.transpose(-1, -2)) * D**-0.5))
    a16, b16, c16 = bf16(f32(S, S)), bf16(f32(S, S)), np.empty((S, S), np.uint16)
    add("bf16_gemm", f"{S}^3", 2.0 * S**3, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_matmul_matmul_bf16(ptr(a16), ptr(b16), ptr(c16), I64(S), I64(S), I64(S)),
         "openblas-f32": lambda: sgemm(S, S, S, x, S, w, S, y, S)},
        torch and (lambda ta=T(a16.view(np.int16)).view(torch.bfloat16),
                   tb_=T(b16.view(np.int16)).view(torch.bfloat16): ta @ tb_))
    add("bf16_linear", f"{S}^3", 2.0 * S**3, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_contractions_bench_linear_bf16(
            ptr(a16), ptr(b16), ptr(y), I64(S), I64(S), I64(S)),
         "openblas-f32": lambda: sgemm(S, S, S, x, S, w, S, y, S, tb=TR)},
        torch and (lambda ta=T(a16.view(np.int16)).view(torch.bfloat16),
                   tb_=T(b16.view(np.int16)).view(torch.bfloat16): torch.nn.functional.linear(ta, tb_)))
    ba16, bb16 = bf16(ba), bf16(bb)
    add("bf16_batched", f"{Z}x{Sb}^3", 2.0 * Z * Sb**3, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_contractions_bench_bmm_bf16(
            ptr(ba16), ptr(bb16), ptr(bc), I64(Z), I64(Sb), I64(Sb), I64(Sb))},
        torch and (lambda ta=T(ba16.view(np.int16)).view(torch.bfloat16),
                   tb_=T(bb16.view(np.int16)).view(torch.bfloat16): torch.bmm(ta, tb_)))
    q16, k16 = bf16(q), bf16(k)
    add("bf16_scores", f"{B * H}x{L}x{L}x{D}", 2.0 * B * H * L * L * D, "GFLOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_contractions_bench_scores_bf16(
            ptr(q16), ptr(k16), ptr(sc), I64(L), I64(H), I64(D))},
        torch and (lambda tq=T(q16.view(np.int16)).view(torch.bfloat16)[0].transpose(0, 1),
                   tk=T(k16.view(np.int16)).view(torch.bfloat16)[0].transpose(0, 1):
                   tq @ tk.transpose(-1, -2)))
    i8a, i8b = rng.integers(-128, 128, (S, S), dtype=np.int8), rng.integers(-128, 128, (S, S), dtype=np.int8)
    i32c = np.empty((S, S), np.int32)
    add("int8_gemm", f"{S}^3", 2.0 * S**3, "GOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_int8_gemm_int8_gemm(
            ptr(i8a), ptr(i8b), ptr(i32c), I64(S), I64(S), I64(S)),
         "openblas-f32": lambda: sgemm(S, S, S, x, S, w, S, y, S, tb=TR)},
        torch and (lambda ta=T(i8a), tb_=T(i8b).t(): torch._int_mm(ta, tb_)))
    q8, k8 = rng.integers(-128, 128, (L, H, D), dtype=np.int8), rng.integers(-128, 128, (L, H, D), dtype=np.int8)
    s32 = np.empty((H, L, L), np.int32)
    # torch has no batched int8 matmul: _int_mm per head, on contiguous per-head
    # copies made outside the timing.
    add("int8_scores", f"{H}x{L}x{L}x{D}", 2.0 * H * L * L * D, "GOP/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_contractions_bench_scores_int8(
            ptr(q8), ptr(k8), ptr(s32), I64(L), I64(H), I64(D))},
        torch and (lambda tq=[T(q8[:, h, :].copy()) for h in range(H)],
                   tk=[T(k8[:, h, :].T.copy()) for h in range(H)]:
                   [torch._int_mm(a, b) for a, b in zip(tq, tk)]))
    wg = f32(G, G)
    for M in (1, 4, 16, 32, 33, 64, 128, 256):
        xs, ys = f32(M, G), np.empty((M, G), np.float32)
        add(f"skinny_m{M}", f"{M}x{G}x{G}", 4.0 * G * G, "GB/s",
            {"vibeec": lambda lib=None, xs=xs, ys=ys, M=M: (lib or v).vibee_linear_linear_nobias(ptr(xs), ptr(wg), ptr(ys), I64(M), I64(G), I64(G)),
             "openblas": lambda xs=xs, ys=ys, M=M: sgemm(M, G, G, xs, G, wg, G, ys, G, tb=TR)},
            torch and (lambda tx=T(xs), tw=T(wg): torch.nn.functional.linear(tx, tw)))
    # The plain layout b[k, n] (weights stored [in, out]) with few rows: b's
    # rows in order for 1 or 2 rows, the transposed product from 3 to 32 rows,
    # b read through a transposed view.
    for M in (1, 2, 4, 16, 32):
        xs, ys = f32(M, G), np.empty((M, G), np.float32)
        add(f"plain_m{M}", f"{M}x{G}x{G}", 4.0 * G * G, "GB/s",
            {"vibeec": lambda lib=None, xs=xs, ys=ys: (lib or v).vibee_matmul_matmul(ptr(xs), ptr(wg), ptr(ys), I64(xs.shape[0]), I64(G), I64(G)),
             "openblas": lambda xs=xs, ys=ys: sgemm(xs.shape[0], G, G, xs, G, wg, G, ys, G)},
            torch and (lambda tx=T(xs), tw=T(wg): tx @ tw))
    # Decoding with bf16 weights and activations: M rows of x against nn.Linear's
    # w[n, k] in bf16, f32 results (the transposed product from 3 to 128 rows).
    wg16 = bf16(wg)
    for M in (1, 4, 16, 32, 33, 64, 128, 256):
        xs16, ys = bf16(f32(M, G)), np.empty((M, G), np.float32)
        add(f"skinny_bf16_m{M}", f"{M}x{G}x{G}", 2.0 * G * G, "GB/s",
            {"vibeec": lambda lib=None, xs16=xs16, ys=ys, M=M: (lib or v).vibee_contractions_bench_linear_bf16(
                ptr(xs16), ptr(wg16), ptr(ys), I64(M), I64(G), I64(G))},
            torch and (lambda tx=T(xs16.view(np.int16)).view(torch.bfloat16),
                       tw=T(wg16.view(np.int16)).view(torch.bfloat16): torch.nn.functional.linear(tx, tw)))
    w8 = rng.integers(-128, 128, (G, G), dtype=np.int8)
    s8, x1, y1 = np.abs(f32(G)) * 0.01, bf16(f32(1, G)), np.empty((1, G), np.float32)
    add("int8_gemv", f"1x{G}x{G}", 1.0 * G * G, "GB/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_w8a16_w8a16(ptr(x1), ptr(w8), ptr(s8), ptr(y1), I64(1), I64(G), I64(G)),
         "openblas-f32-gemv": lambda: sgemm(1, G, G, xs, G, wg, G, ys, G, tb=TR)},
        torch and (lambda tx=T(x1.view(np.int16)).view(torch.bfloat16), tw=T(w8), ts=T(s8):
                   torch.nn.functional.linear(tx, tw.to(torch.bfloat16)).float() * ts))
    dy, db = f32(G, G), np.empty(G, np.float32)
    add("colsum", f"{G}x{G}", 4.0 * G * G, "GB/s",
        {"vibeec": lambda lib=None: (lib or v).vibee_contractions_bench_colsum(ptr(dy), ptr(db), I64(G), I64(G)),
         "numpy": lambda: dy.sum(axis=0, out=db)},
        torch and (lambda t=T(dy): t.sum(0)))

    load0 = os.getloadavg()
    results = []
    for threads in (1, 2):
        os.environ["OMP_NUM_THREADS"] = str(threads)
        blas.openblas_set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        for name, size, amount, metric, impls in cases:
            samples = time_interleaved(impls, args.repeats, settle=0.25 if threads > 1 else 0.0)
            base = statistics.median(samples["vibeec"])
            for i, ts in samples.items():
                med = statistics.median(ts)
                results.append({"case": name, "size": size, "impl": i, "threads": threads, "median_s": med,
                                "min_s": min(ts), "metric": metric, "rate": amount / med / 1e9,
                                "vibeec_speedup": med / base})
                print(f"{name:11} {size:16} thr={threads} {i:18} {1e3 * med:9.3f} ms {amount / med / 1e9:8.2f} {metric}"
                      f"  t/t_vibeec {med / base:5.2f}", flush=True)
    info = {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__ if torch else None,
            "load_before": load0, "load_after": os.getloadavg(), "repeats": args.repeats,
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip(), "results": results}
    out = args.json or os.path.join(ROOT, "bench", "results",
                                    "cpu_contractions_" + re.sub(r"[^A-Za-z0-9]+", "_", info["cpu"]) + ".json")
    with open(out, "w") as f:
        json.dump(info, f, indent=1)
    print("load average before/after:", load0, info["load_after"], "->", out)


if __name__ == "__main__":
    main()
