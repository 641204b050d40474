#!/usr/bin/env python3
"""On the GPU machine: attention as users write it (bench/gpu/specs/attention_bench.vibee,
one vibee.attention each, one kernel each) against PyTorch in the same run: SDPA with each
backend forced (flash, cuDNN, memory-efficient) and torch.compile of the naive graph.
bf16 storage; TFLOP/s count 4 B H S T D multiply-adds x 2 (half for causal); decode's
GB/s count K and V read once (roofline: the copy bandwidth measured here).
Checked against float32 SDPA of the same inputs first (relative Frobenius error).

  python3 bench/gpu/attention_gpu.py --artifacts gpu-artifacts [--out DIR] [--quick] [--no-compile]
"""
import argparse, ctypes, json, os, time, traceback

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from cuda_timing import median_ms

ap = argparse.ArgumentParser()
ap.add_argument("--artifacts", default="gpu-artifacts")
ap.add_argument("--out", default="")
ap.add_argument("--quick", action="store_true", help="small shapes only")
ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
ap.add_argument("--reps", type=int, default=10)
args = ap.parse_args()
dev = torch.device("cuda")
rt = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
rt.vibee_cuda_last_error.restype = ctypes.c_char_p
lib = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_abench_cuda.so"))
P, F32, I64 = ctypes.c_void_p, ctypes.c_float, ctypes.c_int64

def kernel(name, dims):
    f = getattr(lib, f"vibee_abench_{name}")
    f.argtypes = [P, P, P, F32, P] + [I64] * dims
    return f

def naive(q, k, v, scale, causal):
    s = (q.float() @ k.float().transpose(-1, -2)) * scale
    if causal:
        n, t = s.shape[-2:]
        s = s.masked_fill(torch.ones(n, t, device=s.device, dtype=torch.bool).triu(1), float("-inf"))
    return (torch.softmax(s, -1) @ v.float()).to(q.dtype)

def copy_gbps():
    n = 1 << 28
    src = [torch.randn(n, device=dev) for _ in range(2)]
    dst = torch.empty(n, device=dev)
    return 2 * 4 * n / median_ms(lambda s: dst.copy_(s), src, 3, 10) / 1e6

rows = []
def record(case, impl, ms, flops=None, nbytes=None, err=None, note=None):
    r = {"case": case, "impl": impl, "ms": ms}
    if flops: r["TFLOPs"] = flops / ms / 1e9
    if nbytes: r["GBps"] = nbytes / ms / 1e6
    if err is not None: r["rel_err_vs_f32_sdpa"] = err
    if note: r["note"] = note
    rows.append(r)
    print(f"{case:28s} {impl:20s} {ms:9.3f} ms" + (f" {r['TFLOPs']:7.1f} TFLOP/s" if flops else "")
          + (f" {r['GBps']:7.0f} GB/s" if nbytes else "") + (f"  err {err:.1e}" if err is not None else "")
          + (f"  ({note})" if note else ""), flush=True)

def run_case(case, B, H, S, T, D, causal, decode=False):
    scale = D ** -0.5
    shape_q = (B, H, D) if decode else (B, H, S, D)
    sets = [(torch.randn(*shape_q, device=dev, dtype=torch.bfloat16),
             torch.randn(B, H, T, D, device=dev, dtype=torch.bfloat16),
             torch.randn(B, H, T, D, device=dev, dtype=torch.bfloat16),
             torch.empty(*shape_q, device=dev, dtype=torch.bfloat16)) for _ in range(2)]
    if decode:
        f = kernel("decode", 4)
        ours = lambda s: f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), scale, s[3].data_ptr(), B, H, D, T)
    else:
        f = kernel("causal" if causal else "attention", 5)
        ours = lambda s: f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), scale, s[3].data_ptr(), B, H, S, D, T)
    ours(sets[0]); torch.cuda.synchronize()
    e = rt.vibee_cuda_last_error()
    if e:
        raise RuntimeError(e.decode())
    q, k, v, o = sets[0]
    q4 = q.unsqueeze(2) if decode else q
    ref = F.scaled_dot_product_attention(q4.float(), k.float(), v.float(), is_causal=causal, scale=scale)
    ref = ref.squeeze(2) if decode else ref
    err = ((o.float() - ref).norm() / ref.norm()).item()
    flops = 4 * B * H * S * T * D / (2 if causal else 1)
    nbytes = 2 * B * H * T * D * 2 if decode else None
    record(case, "vibeec", median_ms(ours, sets, 2, args.reps), flops, nbytes, err)
    for backend, label in ((SDPBackend.CUDNN_ATTENTION, "sdpa-cudnn"), (SDPBackend.FLASH_ATTENTION, "sdpa-flash"),
                           (SDPBackend.EFFICIENT_ATTENTION, "sdpa-efficient")):
        try:
            with sdpa_kernel([backend]):
                fn = lambda s: F.scaled_dot_product_attention(s[0].unsqueeze(2) if decode else s[0], s[1], s[2],
                                                              is_causal=causal, scale=scale)
                fn(sets[0])
                record(case, label, median_ms(fn, sets, 2, args.reps), flops, nbytes)
        except Exception as ex:
            record(case, label, float("nan"), note=f"unavailable: {str(ex).splitlines()[0][:80]}")
    if not args.no_compile:
        try:
            comp = torch.compile(naive)
            fn = lambda s: comp(s[0].unsqueeze(2) if decode else s[0], s[1], s[2], scale, causal)
            fn(sets[0])
            record(case, "torch.compile naive", median_ms(fn, sets, 2, args.reps), flops, nbytes)
        except Exception as ex:
            record(case, "torch.compile naive", float("nan"), note=f"failed: {str(ex).splitlines()[0][:80]}")

copy = copy_gbps()
print(f"copy {copy:.0f} GB/s", flush=True)
cases = [("B2 H16 S2048 D128", 2, 16, 2048, 2048, 128, False),
         ("odd B1 H3 S1000 T777 D80", 1, 3, 1000, 777, 80, False),
         ("causal odd B1 H3 S1000 D80", 1, 3, 1000, 1000, 80, True)]
if not args.quick:
    cases += [("B4 H32 S4096 D128", 4, 32, 4096, 4096, 128, False),
              ("causal B4 H32 S4096 D128", 4, 32, 4096, 4096, 128, True),
              ("causal B1 H32 S16384 D128", 1, 32, 16384, 16384, 128, True)]
for c in cases:
    try:
        run_case(*c)
    except Exception:
        traceback.print_exc()
for B, H, T in ((16, 32, 8192),) if not args.quick else ((2, 8, 1000),):
    try:
        run_case(f"decode B{B} H{H} T{T} D128", B, H, 1, T, 128, False, decode=True)
    except Exception:
        traceback.print_exc()
if args.out:
    name = torch.cuda.get_device_name(0).replace(" ", "_")
    with open(os.path.join(args.out, f"attention_gpu_{name}.json"), "w") as fh:
        json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
                   "time": time.strftime("%Y-%m-%d %H:%M:%S"), "copy_GBps": copy, "rows": rows}, fh, indent=1)
