#!/usr/bin/env python3
"""On the GPU machine: the CUDA kernels one vibeec call launches and their times
(torch.profiler, medians over the repeats), e.g. to see which level of a
decomposition costs what.

  python3 bench/gpu/profile_kernels.py --artifacts gpu-artifacts topk_long top50 64x32000:f32 64x50:f32 64x50:i64 --dims 64,32000
"""
import argparse, collections, ctypes, os, statistics

import torch
from torch.profiler import ProfilerActivity, profile

ap = argparse.ArgumentParser()
ap.add_argument("--artifacts", default="gpu-artifacts")
ap.add_argument("--repeats", type=int, default=20)
ap.add_argument("--dims", default="", help="the kernel's dim arguments, comma-separated")
ap.add_argument("spec")
ap.add_argument("kernel")
ap.add_argument("tensors", nargs="+", help="each pointer argument as SHAPE:DTYPE, e.g. 64x50:f32")
args = ap.parse_args()
rt = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
lib = ctypes.CDLL(os.path.join(args.artifacts, "lib", f"libvibee_{args.spec}_cuda.so"))
f = getattr(lib, f"vibee_{args.spec}_{args.kernel}")
dtypes = {"f32": torch.float32, "i64": torch.int64, "i32": torch.int32, "bf16": torch.bfloat16,
          "i8": torch.int8}
tensors = []
for t in args.tensors:
    shape, dtype = t.split(":")
    dims = [int(d) for d in shape.split("x")]
    tensors.append(torch.randn(dims, device="cuda").to(dtypes[dtype]))
dims = [int(d) for d in args.dims.split(",") if d]
f.argtypes = [ctypes.c_void_p] * len(tensors) + [ctypes.c_int64] * len(dims)
call = lambda: f(*[t.data_ptr() for t in tensors], *dims)
for _ in range(3):
    call()
torch.cuda.synchronize()
with profile(activities=[ProfilerActivity.CUDA]) as prof:
    for _ in range(args.repeats):
        call()
    torch.cuda.synchronize()
times = collections.defaultdict(list)
order = []
for e in prof.events():
    if e.device_type == torch.autograd.DeviceType.CUDA:
        if e.name not in times:
            order.append(e.name)
        times[e.name].append(e.device_time)
total = 0.0
for name in order:
    med = statistics.median(times[name])
    total += med * len(times[name]) / args.repeats
    print(f"{med:10.1f} us  x{len(times[name]) // args.repeats}  {name}")
print(f"{total:10.1f} us  per call in all")
