#!/usr/bin/env python3
"""RMSNorm bf16 (16384 x 4096) against the copy ceiling, several rounds in one
process: each round times the 1 GiB torch copy_ anchor, every given vibeec
library (libvibee_rmsnorm_cuda.so builds, e.g. variants of the row-group shape)
and F.rms_norm, interleaved, so that drifts of the card hit all alike. Prints
each round's % of that round's copy bandwidth and, last, the median and the
spread (min-max) per library. Run on the GPU machine after bench_gpu.py:
  rmsnorm_repeats.py --rt gpu-artifacts/lib/libvibee_cuda_rt.so --rounds 7 \\
      name=path/libvibee_rmsnorm_cuda.so ...
"""
import argparse, ctypes, json, statistics, sys
import torch
import torch.nn.functional as F

from cuda_timing import median_ms

ap = argparse.ArgumentParser()
ap.add_argument("--rt", required=True)
ap.add_argument("--rounds", type=int, default=7)
ap.add_argument("--json")
ap.add_argument("libs", nargs="+", help="name=path")
args = ap.parse_args()
dev = torch.device("cuda")
rt = ctypes.CDLL(args.rt)
rt.vibee_cuda_last_error.restype = ctypes.c_char_p
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
P, F32, I64 = ctypes.c_void_p, ctypes.c_float, ctypes.c_int64


def bench(fn, sets, warmup=5, reps=50):
    """Median ms of fn(set) over reps, rotating among the buffer sets."""
    return median_ms(fn, sets, warmup, reps)


R, C = 16384, 4096
sets = [(torch.randn(R, C, device=dev, dtype=torch.bfloat16),
         torch.randn(C, device=dev, dtype=torch.bfloat16),
         torch.empty(R, C, device=dev, dtype=torch.bfloat16)) for _ in range(3)]
nbytes = 2 * 2 * R * C
n = 1 << 28
src = [torch.randn(n, device=dev) for _ in range(2)]
dst = torch.empty(n, device=dev)

impls = {}
for spec in args.libs:
    name, path = spec.split("=", 1)
    f = ctypes.CDLL(path).vibee_rmsnorm_rmsnorm
    f.argtypes = [P, P, F32, P, I64, I64]
    impl = (lambda f: lambda s: f(s[0].data_ptr(), s[1].data_ptr(), 1e-6, s[2].data_ptr(), R, C))(f)
    # Correctness first: every output element written (poisoned with NaN), and
    # close to the f32 reference on fresh random rows.
    for s in sets:
        s[2].fill_(float("nan"))
        impl(s)
    torch.cuda.synchronize()
    e = rt.vibee_cuda_last_error()
    if e:
        sys.exit(f"{name}: {e.decode()}")
    errs = []
    for s in sets:
        ref = F.rms_norm(s[0].float(), (C,), s[1].float(), 1e-6)
        errs.append(((s[2].float() - ref).norm() / ref.norm()).item())
    if not all(x < 1e-2 for x in errs):  # NaN fails too
        sys.exit(f"{name}: relative error {errs}")
    print(f"{name}: rel err vs F.rms_norm f32 {max(errs):.2e}", flush=True)
    impls[name] = impl
impls["F.rms_norm"] = lambda s: F.rms_norm(s[0], (C,), s[1], 1e-6)


def back_to_back(fn, sets, calls=20):
    """Device time per call with the queue kept full (no host sync between calls):
    the host launch path (ctypes, driver) hides behind the previous call."""
    for i in range(3):
        fn(sets[i % len(sets)])
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for i in range(calls):
        fn(sets[i % len(sets)])
    e.record()
    e.synchronize()
    return s.elapsed_time(e) / calls


pct = {k: [] for k in impls}
ms = {k: [] for k in impls}
copies = []
for r in range(args.rounds):
    copy_ms = bench(lambda s: dst.copy_(s), src, warmup=2, reps=10)
    copy_bw = 2 * 4 * n / copy_ms / 1e6
    copies.append(copy_bw)
    line = f"round {r}: copy {copy_bw:5.0f} GB/s"
    for k, fn in impls.items():
        t = bench(fn, sets)
        ms[k].append(t)
        pct[k].append(100 * nbytes / t / 1e6 / copy_bw)
        line += f" | {k} {t:.4f} ms {pct[k][-1]:5.1f}%"
    print(line, flush=True)
b2b = {k: back_to_back(fn, sets) for k, fn in impls.items()}
print("back-to-back (device time per call, 20 queued calls): " +
      ", ".join(f"{k} {t:.4f} ms" for k, t in b2b.items()))

print(f"\n== RMSNorm bf16 {R}x{C}, {args.rounds} rounds; copy {statistics.median(copies):.0f} GB/s "
      f"(min {min(copies):.0f}, max {max(copies):.0f})")
anchor = statistics.median(ms["F.rms_norm"])
summary = {}
for k in impls:
    med = statistics.median(pct[k])
    summary[k] = {"ms_median": statistics.median(ms[k]), "pct_copy_median": med,
                  "pct_copy_min": min(pct[k]), "pct_copy_max": max(pct[k]),
                  "speedup_vs_F.rms_norm": anchor / statistics.median(ms[k])}
    print(f"{k:12s} {statistics.median(ms[k]):.4f} ms  {med:5.1f}% of copy "
          f"(min {min(pct[k]):5.1f}, max {max(pct[k]):5.1f})  {summary[k]['speedup_vs_F.rms_norm']:.2f}x F.rms_norm")
if args.json:
    with open(args.json, "w") as fh:
        json.dump({"device": torch.cuda.get_device_name(0), "copy_GBps": copies, "back_to_back_ms": b2b,
                   "pct": pct, "ms": ms, "summary": summary}, fh, indent=2)
