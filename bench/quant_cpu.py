#!/usr/bin/env python3
"""Issue 13's quantized GEMV/GEMM cases on the CPU: the vibeec kernels (specs/quant/
w8a16, w4a16_group, nf4's nf4_lora and bench/gpu/specs/quant_bench.vibee's nf4_gemv,
the same as bench/gpu/bench_gpu.py's `quant_*` cases) against PyTorch's F.linear on the
weights dequantized beforehand, in f32 and in bf16, and the eager torch expression that
dequantizes on every call. One thread everywhere (VIBEE_NUM_THREADS/OMP_NUM_THREADS=1,
torch.set_num_threads(1)), one warm-up call each, then --repeats interleaved rounds
(bench/timing.py), medians; GB/s also as a fraction of a 1-thread copy of 64 MiB
measured in the same run. Each vibeec output is checked against float64 of the
dequantized computation. Sizes fit a 2-core machine: GEMV at M = 1 and 16 with
N = K = 4096, the W4A16 GEMM at M = 256, N = K = 2048.

    python3 bench/quant_cpu.py [--vibeec build/bin/vibeec] [--repeats 9] [--quick] [--json out.json]

Writes bench/results/quant_cpu_<cpu>.json unless --json says otherwise.
"""
import argparse, ctypes, json, os, re, statistics, subprocess, sys, tempfile, time

os.environ["VIBEE_NUM_THREADS"] = "1"  # before the CPU runtime reads it
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contractions import ROOT, build, cpu_name  # noqa: E402
from quant_ref import deq_nf4, deq_w4, quant_bytes, quant_deq, quant_gen  # noqa: E402
from timing import time_interleaved  # noqa: E402

SPECS = ["specs/quant/w8a16.vibee", "specs/quant/w4a16_group.vibee", "specs/quant/nf4.vibee",
         "bench/gpu/specs/quant_bench.vibee"]
P, F32, I64 = ctypes.c_void_p, ctypes.c_float, ctypes.c_int64
LORA_S = 1.0 / 16


def kernel(v, kind, m, n, k, r):
    """The vibeec call on a dict of torch CPU tensors (bench_gpu.py's argument order)."""
    if kind == "w8a16":
        f = v.vibee_w8a16_w8a16; f.argtypes = [P, P, P, P, I64, I64, I64]
        return lambda s: f(s["xb"].data_ptr(), s["w"].data_ptr(), s["s"].data_ptr(), s["y"].data_ptr(), m, k, n)
    if kind == "w4a16":
        f = v.vibee_w4a16_group_w4a16_group; f.argtypes = [P, P, P, P, P, I64, I64, I64, I64, I64]
        return lambda s: f(s["x"].data_ptr(), s["w"].data_ptr(), s["scale"].data_ptr(), s["zero"].data_ptr(),
                           s["y"].data_ptr(), m, k, n, k // 2, k // 128)
    if r:
        f = v.vibee_nf4_nf4_lora
        f.argtypes = [P, P, P, P, P, P, F32, F32, P, I64, I64, I64, I64, I64, I64, I64]
        return lambda s: f(s["xb"].data_ptr(), s["w"].data_ptr(), s["q2"].data_ptr(), s["c1"].data_ptr(),
                           s["a"].data_ptr(), s["b"].data_ptr(), s["offset"], LORA_S, s["y"].data_ptr(),
                           m, k, n, k // 2, s["q2"].shape[1], s["c1"].shape[1], r)
    f = v.vibee_qbench_nf4_gemv; f.argtypes = [P, P, P, P, F32, P, I64, I64, I64, I64, I64, I64]
    return lambda s: f(s["xb"].data_ptr(), s["w"].data_ptr(), s["q2"].data_ptr(), s["c1"].data_ptr(),
                       s["offset"], s["y"].data_ptr(), m, k, n, k // 2, s["q2"].shape[1], s["c1"].shape[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vibeec", default=os.path.join(ROOT, "build", "bin", "vibeec"))
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="quarter sizes (a smoke test)")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    v = build(args.vibeec, tempfile.mkdtemp(prefix="vibee-quant-cpu-"), SPECS)
    G, GM, GK = (1024, 64, 512) if args.quick else (4096, 256, 2048)
    cases = [(f"{kind}_m{m}", kind, m, G, G, 0) for kind in ("w8a16", "w4a16") for m in (1, 16)]
    cases += [(f"w4a16_gemm_m{GM}", "w4a16", GM, GK, GK, 0), ("nf4_m1", "nf4", 1, G, G, 0),
              ("nf4_lora16_m1", "nf4", 1, G, G, 16)]
    load0 = os.getloadavg()
    print("cpu", cpu_name(), "torch", torch.__version__, "threads 1, load average", load0, flush=True)
    # the copy anchor, one thread: 64 MiB f32 -> 64 MiB (bytes read + written), far over the caches
    src, dst = torch.randn(1 << 24), torch.empty(1 << 24)
    copy_s = statistics.median(time_interleaved({"copy": lambda: dst.copy_(src)}, args.repeats)["copy"])
    copy_bw = 2 * 4 * (1 << 24) / copy_s / 1e9
    del src, dst
    print(f"copy 64 MiB, 1 thread: {1e3 * copy_s:.2f} ms, {copy_bw:.2f} GB/s", flush=True)
    results, failed = [], []
    for name, kind, m, n, k, r in cases:
        q = quant_gen(kind, n, k, "cpu")
        xb = torch.randn(m, k).to(torch.bfloat16)  # bf16-exact activations for every implementation
        s = dict(q, xb=xb, x=xb.float(), y=torch.empty(m, n))
        if r:
            s["a"] = (torch.randn(r, k) / k ** 0.5).to(torch.bfloat16)
            s["b"] = (torch.randn(n, r) / r ** 0.5).to(torch.bfloat16)
        ours = kernel(v, kind, m, n, k, r)
        ours(s)
        ref = xb.double() @ quant_deq(kind, q, torch.float64).T
        if r:
            ref = ref + LORA_S * ((xb.double() @ s["a"].double().T) @ s["b"].double().T)
        err = ((s["y"].double() - ref).norm() / ref.norm()).item()
        if not err < 1e-5:
            failed.append(f"{name}: rel err {err:.2e}")
        w32 = quant_deq(kind, q)  # dequantized beforehand, outside the timed calls
        w16 = w32.to(torch.bfloat16)
        x32 = s["x"]
        lora = (lambda x, dt: LORA_S * F.linear(F.linear(x, s["a"].to(dt)), s["b"].to(dt))) if r else None
        impls = {"vibeec": lambda: ours(s),
                 "torch f32 (W dequantized)": (lambda: F.linear(x32, w32) + lora(x32, torch.float32)) if r
                 else (lambda: F.linear(x32, w32)),
                 "torch bf16 (W dequantized)": (lambda: F.linear(xb, w16) + lora(xb, torch.bfloat16)) if r
                 else (lambda: F.linear(xb, w16))}
        if kind == "w8a16":
            impls["torch eager dequant + f32"] = lambda: F.linear(x32, q["w"].float()) * q["s"]
        elif kind == "w4a16":
            impls["torch eager dequant + f32"] = lambda: F.linear(x32, deq_w4(q["w"], q["scale"], q["zero"]))
        else:
            impls["torch eager dequant + f32"] = lambda: F.linear(x32, deq_nf4(q["w"], q["q2"], q["c1"], q["offset"])) \
                + (lora(x32, torch.float32) if r else 0)
        amounts = {"vibeec": quant_bytes(kind, m, n, k, r),
                   "torch f32 (W dequantized)": 4 * (n * k + m * k + m * n + r * (k + n)),
                   "torch bf16 (W dequantized)": 2 * (n * k + m * k + m * n + r * (k + n))}
        amounts["torch eager dequant + f32"] = amounts["vibeec"]
        flops = 2.0 * m * n * k
        samples = time_interleaved(impls, args.repeats)
        base = statistics.median(samples["vibeec"])
        size = f"{m}x{n}x{k}" + (f" r={r}" if r else "")
        for impl, ts in samples.items():
            med = statistics.median(ts)
            row = {"case": name, "kind": kind, "size": size, "impl": impl, "threads": 1, "median_s": med,
                   "min_s": min(ts), "GBps": amounts[impl] / med / 1e9, "GFLOPs": flops / med / 1e9,
                   "t_over_vibeec": med / base}
            row["of_copy"] = row["GBps"] / copy_bw
            if impl == "vibeec":
                row["rel_err_vs_f64"] = err
            results.append(row)
            print(f"{name:14} {size:20} {impl:28} {1e3 * med:9.3f} ms  {row['GBps']:7.2f} GB/s"
                  f" ({100 * row['of_copy']:5.1f}% of copy)"
                  f" {row['GFLOPs']:7.2f} GFLOP/s  t/t_vibeec {med / base:6.2f}"
                  + (f"  rel err {err:.1e}" if impl == "vibeec" else ""), flush=True)
    vibeec_path = os.path.realpath(args.vibeec)
    info = {"cpu": cpu_name(), "cores": os.cpu_count(), "threads": 1, "torch": torch.__version__,
            "copy_GBps": copy_bw, "copy_bytes": "64 MiB f32 read + 64 MiB written, torch copy_, 1 thread",
            "load_before": load0, "load_after": os.getloadavg(), "repeats": args.repeats, "quick": args.quick,
            "time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "vibeec": {"path": args.vibeec, "mtime": time.strftime(
                "%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(vibeec_path)))},
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip(),
            "bytes": "vibeec and the eager expression: quantized weights + scales + activations + f32 result "
                     "(bench/quant_ref.py quant_bytes); torch f32/bf16: the dequantized weights in that dtype",
            "failed": failed, "results": results}
    out = args.json or os.path.join(ROOT, "bench", "results",
                                    "quant_cpu_" + re.sub(r"[^A-Za-z0-9]+", "_", info["cpu"]) + ".json")
    with open(out, "w") as fh:
        json.dump(info, fh, indent=1)
    print("load average before/after:", load0, info["load_after"], "->", out)
    if failed:
        print("FAILED:", failed)
        sys.exit(1)


if __name__ == "__main__":
    main()
