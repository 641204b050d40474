#!/usr/bin/env python3
"""On the GPU machine: tests/e2e/topk_long.vibee's kernels on long rows (the merge
tree of transforms/TopKMergeTree.cpp), values and indices against the NumPy order of
tools/spec-values/topk_long.py (larger first, NaN first, ties by lower index), on
the behaviors' inputs and on fresh random rows with many ties. gpu_check's random
shapes stay under 1,100 elements per row; these reach 200,000.

  python3 bench/gpu/check_topk_long.py --artifacts gpu-artifacts [--seed N]
"""
import argparse, ctypes, os, sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "spec-values"))
from topk_long import topk  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--artifacts", default="gpu-artifacts")
ap.add_argument("--seed", type=int, default=1)
args = ap.parse_args()
rt = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_last_error.restype = ctypes.c_char_p
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
lib = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_topk_long_cuda.so"))
P, I64 = ctypes.c_void_p, ctypes.c_int64
rng = np.random.default_rng(args.seed)
failures = 0


def run(name, x, k, index_dtype, transform):
    global failures
    f = getattr(lib, f"vibee_topk_long_{name}")
    one_d = x.ndim == 1
    f.argtypes = [P, P, P] + [I64] * x.ndim
    dev = torch.from_numpy(x).cuda()
    v = torch.full((k,) if one_d else (x.shape[0], k), float("nan"), device="cuda")
    i = torch.full(v.shape, -7, dtype=index_dtype, device="cuda")
    f(dev.data_ptr(), v.data_ptr(), i.data_ptr(), *x.shape)
    torch.cuda.synchronize()
    err = rt.vibee_cuda_last_error()
    want_v, want_i = topk(transform(x), k)
    got_v, got_i = v.cpu().numpy().reshape(want_v.shape), i.cpu().numpy().reshape(want_i.shape)
    same_i = np.array_equal(got_i, want_i)
    same_v = np.array_equal(np.isnan(got_v), np.isnan(want_v)) and np.array_equal(
        np.nan_to_num(got_v), np.nan_to_num(want_v))
    ok = not err and same_i and same_v
    failures += not ok
    where = "" if ok else f" (first index difference at {np.argwhere(got_i != want_i)[:1].tolist()})"
    print(f"{'PASS' if ok else 'FAIL'}  {name} {list(x.shape)} k={k}{' ' + err.decode() if err else ''}{where}")


def rand_rows(*shape):
    return (rng.random(shape, dtype=np.float32) * 2 - 1).astype(np.float32)


ties = lambda x: np.floor(x * np.float32(8.0))
nans = lambda x: np.where(x > np.float32(0.9995), np.float32(np.nan), x)
for shape in [(3, 20000), (64, 32000), (1, 200000), (5, 130), (2, 6401), (7, 50)]:
    run("top50", rand_rows(*shape), 50, torch.int64, lambda x: x)
for shape in [(3, 20000), (16, 65536), (1, 100003), (4, 21)]:
    run("top_ties", rand_rows(*shape), 20, torch.int32, ties)
for n in [30011, 200000, 9, 1000]:
    run("top_nan", rand_rows(n), 9, torch.int64, nans)
print(f"check_topk_long: {failures} failure(s)")
sys.exit(1 if failures else 0)
