#!/usr/bin/env python3
"""On the GPU machine: a linear layer x[M, K] . w[N, K]^T (cbench's linear_bf16 and
linear_f32) over M around the few-rows threshold (M <= 16: the warp-per-output
kernels; M = 17 and up: the tiled and tensor-core kernels), against F.linear, at
K = N = 8192; the weight's bytes over the time is the bandwidth (roofline: copy).

  python3 bench/gpu/skinny_sweep.py --artifacts gpu-artifacts [--out DIR]
"""
import argparse, ctypes, json, os, time

import torch
import torch.nn.functional as F

from cuda_timing import median_ms

ap = argparse.ArgumentParser()
ap.add_argument("--artifacts", default="gpu-artifacts")
ap.add_argument("--out", default="")
ap.add_argument("--size", type=int, default=8192)
args = ap.parse_args()
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
rt = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
lib = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cbench_cuda.so"))
S = args.size
rows = []
for dtype, name in ((torch.bfloat16, "linear_bf16"), (torch.float32, "linear_f32")):
    f = getattr(lib, f"vibee_cbench_{name}")
    f.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int64] * 3
    for m in (1, 2, 4, 5, 8, 16, 17, 32):
        sets = [(torch.randn(m, S, device=dev, dtype=dtype), torch.randn(S, S, device=dev, dtype=dtype),
                 torch.empty(m, S, device=dev, dtype=dtype)) for _ in range(3)]
        ours = lambda s: f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), m, S, S)
        ours(sets[0]); torch.cuda.synchronize()
        x, w, y = sets[0]
        ref = x.double() @ w.double().T
        err = ((y.double() - ref).norm() / ref.norm()).item()
        t = median_ms(ours, sets, 3, 20)
        a = median_ms(lambda s: F.linear(s[0], s[1]), sets, 3, 20)
        gbps = S * S * x.element_size() / t / 1e6
        rows.append({"kernel": name, "M": m, "ms": t, "F.linear ms": a, "weight GB/s": gbps, "rel err": err})
        print(f"{name:12s} M={m:3d} vibeec {t:7.3f} ms ({gbps:6.0f} GB/s of weight)  F.linear {a:7.3f} ms"
              f"  ratio {a / t:5.2f}  rel err {err:.1e}", flush=True)
if args.out:
    name = torch.cuda.get_device_name(0).replace(" ", "_")
    with open(os.path.join(args.out, f"skinny_sweep_{name}.json"), "w") as fh:
        json.dump({"device": torch.cuda.get_device_name(0), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                   "size": S, "rows": rows}, fh, indent=1)
