#!/usr/bin/env python3
"""vibeec --target=cuda kernels vs PyTorch anchors, one timer for both (CUDA events
on torch's current stream; the generated host libraries are loaded with ctypes and
called on torch tensors' data pointers). Medians after warm-up, rotating buffers.
Writes <out>/bench_gpu_<device>.json. Run by bench/gpu/run_on_device.sh."""
import argparse, ctypes, json, math, os, statistics, sys, time, traceback
import torch
import torch.nn.functional as F

from cuda_timing import median_ms
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from quant_ref import deq_nf4, deq_w4, quant_bytes, quant_deq, quant_gen  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--artifacts", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--quick", action="store_true")
ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile anchors")
ap.add_argument("--only", default="",
                help="comma-separated case functions to run (default: all); a trailing * matches a prefix (quant_*)")
args = ap.parse_args()
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
name = torch.cuda.get_device_name(0)
print("device", name, "torch", torch.__version__, flush=True)

lib = lambda n: ctypes.CDLL(os.path.join(args.artifacts, "lib", f"libvibee_{n}_cuda.so"))
rt = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_last_error.restype = ctypes.c_char_p
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
P, F32, I64 = ctypes.c_void_p, ctypes.c_float, ctypes.c_int64

def use_torch_stream():
    rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))

def check_error(what):
    e = rt.vibee_cuda_last_error()
    if e:
        raise RuntimeError(f"{what}: {e.decode()}")

def bench(fn, sets, warmup=3, reps=20):
    """Median ms of fn(set) over reps, rotating among the buffer sets."""
    return median_ms(fn, sets, warmup, reps)

results = {"device": name, "torch": torch.__version__, "time": time.strftime("%Y-%m-%d %H:%M:%S"),
           "benchmarks": {}}
def record(bench_name, impl, ms, nbytes=None, flops=None, note=None):
    r = {"ms": ms}
    if nbytes: r["GBps"] = nbytes / ms / 1e6
    if nbytes and bench_name != "copy" and results.get("copy_GBps"):
        r["of_copy"] = r["GBps"] / results["copy_GBps"]
    if flops: r["TFLOPs"] = flops / ms / 1e9
    if note: r["note"] = note
    results["benchmarks"].setdefault(bench_name, {})[impl] = r
    print(f"{bench_name:10s} {impl:28s} {ms:9.3f} ms" + (f" {r['GBps']:8.0f} GB/s" if nbytes else "")
          + (f" {r['TFLOPs']:7.1f} TFLOP/s" if flops else ""), flush=True)

def guarded(fn):
    only = [o for o in args.only.split(",") if o]
    if only and fn.__name__ != "copy" and not any(
            fn.__name__ == o or (o.endswith("*") and fn.__name__.startswith(o[:-1])) for o in only):
        return
    try:
        fn()
    except Exception as e:
        traceback.print_exc()
        results.setdefault("errors", []).append(f"{fn.__name__}: {e}")

use_torch_stream()

# --- copy ceiling: 1 GiB device-to-device (bytes read + written) ---------------
def copy():
    n = 1 << 28
    src = [torch.randn(n, device=dev) for _ in range(2)]
    dst = torch.empty(n, device=dev)
    ms = bench(lambda s: dst.copy_(s), src)
    record("copy", "torch copy_ 1GiB", ms, nbytes=2 * 4 * n)
    results["copy_GBps"] = 2 * 4 * n / ms / 1e6
guarded(copy)

N = (1 << 26) if not args.quick else (1 << 22)
def lion():
    L = lib("lion"); f = L.vibee_lion_step; f.argtypes = [P, P, P, F32, F32, I64]
    lr, wd = 1e-4, 0.1
    sets = [[torch.randn(N, device=dev) for _ in range(3)] for _ in range(3)]
    def ours(s):
        f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), lr, wd, N)
    ours(sets[0]); torch.cuda.synchronize(); check_error("lion")
    # correctness vs eager on one set
    p, g, m = [t.clone() for t in sets[1]]
    def eager(s):
        p, g, m = s
        c = 0.9 * m + 0.1 * g
        p.sub_(lr * (torch.sign(c) + wd * p))
        m.mul_(0.99).add_(0.01 * g)
    ours(sets[1]); eager([p, g, m]); torch.cuda.synchronize()
    err = ((sets[1][0] - p).norm() / p.norm()).item()
    print("lion rel err vs eager", err)
    nbytes = 5 * 4 * N
    record("lion", "vibeec", bench(ours, sets), nbytes, note=f"rel err vs eager {err:.2e}")
    record("lion", "torch eager", bench(eager, sets), nbytes)
    comp = torch.compile(eager)
    record("lion", "torch.compile", bench(comp, sets), nbytes)
guarded(lion)

def adamw():
    L = lib("adamw"); f = L.vibee_adamw_step
    f.argtypes = [P, P, P, P, F32, F32, F32, F32, F32, F32, I64]
    lr, step, wd = 1e-3, 10.0, 0.01
    sets = [[torch.randn(N, device=dev), torch.randn(N, device=dev),
             torch.randn(N, device=dev), torch.rand(N, device=dev)] for _ in range(3)]
    def ours(s):
        f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), s[3].data_ptr(), lr, step, wd,
          0.9, 0.999, 1e-8, N)
    ours(sets[0]); torch.cuda.synchronize(); check_error("adamw")
    nbytes = 7 * 4 * N
    record("adamw", "vibeec", bench(ours, sets), nbytes)
    for fused in (True,):
        params = [torch.nn.Parameter(torch.randn(N, device=dev))]
        params[0].grad = torch.randn(N, device=dev)
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd, fused=fused)
        opt.step()
        record("adamw", "torch AdamW(fused=True)", bench(lambda s: opt.step(), [0]), nbytes)
guarded(adamw)

R, C = (16384, 4096) if not args.quick else (1024, 4096)
def rmsnorm():
    L = lib("rmsnorm"); f = L.vibee_rmsnorm_rmsnorm; f.argtypes = [P, P, F32, P, I64, I64]
    sets = [(torch.randn(R, C, device=dev, dtype=torch.bfloat16),
             torch.randn(C, device=dev, dtype=torch.bfloat16),
             torch.empty(R, C, device=dev, dtype=torch.bfloat16)) for _ in range(3)]
    def ours(s):
        f(s[0].data_ptr(), s[1].data_ptr(), 1e-6, s[2].data_ptr(), R, C)
    ours(sets[0]); torch.cuda.synchronize(); check_error("rmsnorm")
    ref = F.rms_norm(sets[0][0].float(), (C,), sets[0][1].float(), 1e-6)
    err = ((sets[0][2].float() - ref).norm() / ref.norm()).item()
    print("rmsnorm rel err vs torch f32", err)
    nbytes = 2 * 2 * R * C
    record("rmsnorm", "vibeec", bench(ours, sets), nbytes, note=f"rel err {err:.2e}")
    eager = lambda s: F.rms_norm(s[0], (C,), s[1], 1e-6)
    record("rmsnorm", "F.rms_norm", bench(eager, sets), nbytes)
    record("rmsnorm", "torch.compile", bench(torch.compile(eager), sets), nbytes)
guarded(rmsnorm)

SR, SC = (32768, 4096) if not args.quick else (1024, 4096)
def softmax():
    # The spec's softmax is f32 (specs/nn/softmax.vibee); the anchors run the same dtype.
    L = lib("softmax"); f = L.vibee_softmax_softmax; f.argtypes = [P, P, I64, I64]
    sets = [(torch.randn(SR, SC, device=dev), torch.empty(SR, SC, device=dev)) for _ in range(2)]
    def ours(s):
        f(s[0].data_ptr(), s[1].data_ptr(), SR, SC)
    ours(sets[0]); torch.cuda.synchronize(); check_error("softmax")
    ref = torch.softmax(sets[0][0].double(), -1)
    err = ((sets[0][1].double() - ref).norm() / ref.norm()).item()
    print("softmax rel err vs torch f64", err)
    nbytes = 2 * 4 * SR * SC
    record("softmax", "vibeec (f32)", bench(ours, sets), nbytes, note=f"rel err {err:.2e}")
    eager = lambda s: torch.softmax(s[0], -1)
    record("softmax", "torch.softmax (f32)", bench(eager, sets), nbytes)
    record("softmax", "torch.compile (f32)", bench(torch.compile(eager), sets), nbytes)
guarded(softmax)

def softmax_bf16():
    # The case: bf16 storage, f32 math (softmax_bf16 in specs/nn/softmax.vibee).
    L = lib("softmax"); f = L.vibee_softmax_softmax_bf16; f.argtypes = [P, P, I64, I64]
    sets = [(torch.randn(SR, SC, device=dev, dtype=torch.bfloat16),
             torch.empty(SR, SC, device=dev, dtype=torch.bfloat16)) for _ in range(3)]
    def ours(s):
        f(s[0].data_ptr(), s[1].data_ptr(), SR, SC)
    ours(sets[0]); torch.cuda.synchronize(); check_error("softmax_bf16")
    ref = torch.softmax(sets[0][0].double(), -1)
    err = ((sets[0][1].double() - ref).norm() / ref.norm()).item()
    print("softmax_bf16 rel err vs torch f64", err)
    nbytes = 2 * 2 * SR * SC
    record("softmax_bf16", "vibeec", bench(ours, sets), nbytes, note=f"rel err {err:.2e}")
    eager = lambda s: torch.softmax(s[0], -1)
    record("softmax_bf16", "torch.softmax", bench(eager, sets), nbytes)
    record("softmax_bf16", "torch.compile", bench(torch.compile(eager), sets), nbytes)
guarded(softmax_bf16)

M = 4096 if not args.quick else 1024
def matmul():
    L = lib("matmul"); f = L.vibee_matmul_matmul; f.argtypes = [P, P, P, I64, I64, I64]
    a, b, c = (torch.randn(M, M, device=dev), torch.randn(M, M, device=dev),
               torch.empty(M, M, device=dev))
    def ours(s):
        f(a.data_ptr(), b.data_ptr(), c.data_ptr(), M, M, M)
    ours(0); torch.cuda.synchronize(); check_error("matmul")
    ref = a.double() @ b.double()
    err = ((c.double() - ref).norm() / ref.norm()).item()
    print("matmul rel err vs f64", err)
    flops = 2 * M ** 3
    record("matmul_f32", "vibeec", bench(ours, [0], warmup=1, reps=3), flops=flops,
           note=f"rel err {err:.2e}")
    record("matmul_f32", "torch.matmul (cuBLAS, no TF32)", bench(lambda s: a @ b, [0]), flops=flops)
guarded(matmul)

def rel_err(out, ref):
    return ((out.double() - ref).norm() / ref.norm()).item()

MB = [4096, 8192] if not args.quick else [1024]
def matmul_bf16():
    # bf16 operands, f32 accumulation, bf16 result (specs/linalg/matmul.vibee matmul_bf16).
    L = lib("matmul"); f = L.vibee_matmul_matmul_bf16; f.argtypes = [P, P, P, I64, I64, I64]
    for n in MB:
        a, b = (torch.randn(n, n, device=dev, dtype=torch.bfloat16) for _ in range(2))
        c = torch.empty(n, n, device=dev, dtype=torch.bfloat16)
        def ours(s):
            f(a.data_ptr(), b.data_ptr(), c.data_ptr(), n, n, n)
        ours(0); torch.cuda.synchronize(); check_error("matmul_bf16")
        err = rel_err(c, a.double() @ b.double())
        print(f"matmul_bf16 {n} rel err vs f64 on the bf16 inputs", err)
        flops = 2 * n ** 3
        record(f"matmul_bf16_{n}", "vibeec", bench(ours, [0], warmup=2, reps=10), flops=flops,
               note=f"rel err {err:.2e}")
        record(f"matmul_bf16_{n}", "torch.matmul (cuBLAS)", bench(lambda s: a @ b, [0]), flops=flops)
guarded(matmul_bf16)

def fp8_gemm():
    # e4m3 x e4m3 -> f32 on the tensor cores, per-tensor scales and the bf16 cast in
    # the epilogue (specs/quant/fp8_gemm.vibee), against torch._scaled_mm (cuBLASLt FP8)
    # on the same operands (b column-major: w[n, k] row-major, as _scaled_mm wants).
    L = lib("fp8_gemm"); f = L.vibee_fp8_gemm_fp8_gemm; f.argtypes = [P, P, F32, F32, P, I64, I64, I64]
    sa, sb = 0.5, 0.25
    for n in MB:
        a = torch.randn(n, n, device=dev).to(torch.float8_e4m3fn)
        w = torch.randn(n, n, device=dev).to(torch.float8_e4m3fn)
        c = torch.empty(n, n, device=dev, dtype=torch.bfloat16)
        def ours(s):
            f(a.data_ptr(), w.data_ptr(), sa, sb, c.data_ptr(), n, n, n)
        ours(0); torch.cuda.synchronize(); check_error("fp8_gemm")
        err = rel_err(c, (a.double() @ w.double().T) * (sa * sb))
        print(f"fp8_gemm {n} rel err vs f64 on the e4m3 inputs", err)
        ta, tb = torch.tensor(sa, device=dev), torch.tensor(sb, device=dev)
        scaled = lambda s: torch._scaled_mm(a, w.t(), scale_a=ta, scale_b=tb, out_dtype=torch.bfloat16)
        print(f"fp8_gemm {n} torch._scaled_mm rel err", rel_err(scaled(0), (a.double() @ w.double().T) * (sa * sb)))
        flops = 2 * n ** 3
        record(f"fp8_gemm_{n}", "vibeec", bench(ours, [0], warmup=2, reps=10), flops=flops,
               note=f"rel err {err:.2e}")
        record(f"fp8_gemm_{n}", "torch._scaled_mm", bench(scaled, [0]), flops=flops)
        # use_fast_accum: cuBLAS keeps the tensor core's accumulation, as vibeec does
        # (the default promotes partial sums to f32 every so often).
        fast = lambda s: torch._scaled_mm(a, w.t(), scale_a=ta, scale_b=tb, out_dtype=torch.bfloat16,
                                          use_fast_accum=True)
        print(f"fp8_gemm {n} torch._scaled_mm fast accum rel err",
              rel_err(fast(0), (a.double() @ w.double().T) * (sa * sb)))
        record(f"fp8_gemm_{n}", "torch._scaled_mm use_fast_accum", bench(fast, [0]), flops=flops)
        wb = w.to(torch.bfloat16); ab = a.to(torch.bfloat16)
        record(f"fp8_gemm_{n}", "bf16 cuBLAS (same values)", bench(lambda s: ab @ wb.t(), [0]), flops=flops)
guarded(fp8_gemm)

def int8_gemm():
    # int8 x int8 -> int32 on the tensor cores (specs/quant/int8_gemm.vibee) against
    # torch._int_mm (cuBLASLt) on the same operands (b column-major: w[n, k] row-major).
    L = lib("int8_gemm"); f = L.vibee_int8_gemm_int8_gemm; f.argtypes = [P, P, P, I64, I64, I64]
    for n in MB:
        a = torch.randint(-128, 128, (n, n), device=dev, dtype=torch.int8)
        w = torch.randint(-128, 128, (n, n), device=dev, dtype=torch.int8)
        c = torch.empty(n, n, device=dev, dtype=torch.int32)
        def ours(s):
            f(a.data_ptr(), w.data_ptr(), c.data_ptr(), n, n, n)
        ours(0); torch.cuda.synchronize(); check_error("int8_gemm")
        ref = torch._int_mm(a, w.t())
        print(f"int8_gemm {n} equal to torch._int_mm:", bool(torch.equal(c, ref)))
        flops = 2 * n ** 3
        record(f"int8_gemm_{n}", "vibeec", bench(ours, [0], warmup=2, reps=10), flops=flops,
               note=f"equal to _int_mm: {bool(torch.equal(c, ref))}")
        record(f"int8_gemm_{n}", "torch._int_mm", bench(lambda s: torch._int_mm(a, w.t()), [0]), flops=flops)
guarded(int8_gemm)

CB = lambda: lib("cbench")
ZB, MBT = (32, 1024) if not args.quick else (4, 256)
def bmm_f32():
    # The batched case that failed to launch (CUDA_ERROR_INVALID_VALUE) before issue 10.
    f = CB().vibee_cbench_bmm; f.argtypes = [P, P, P, I64, I64, I64, I64]
    n = MBT
    a, b = (torch.randn(ZB, n, n, device=dev) for _ in range(2))
    c = torch.empty(ZB, n, n, device=dev)
    def ours(s):
        f(a.data_ptr(), b.data_ptr(), c.data_ptr(), ZB, n, n, n)
    ours(0); torch.cuda.synchronize(); check_error("bmm")
    err = rel_err(c, torch.bmm(a.double(), b.double()))
    print("bmm f32 rel err vs f64", err)
    flops = 2 * ZB * n ** 3
    record("bmm_f32", "vibeec", bench(ours, [0], warmup=1, reps=5), flops=flops,
           note=f"{ZB}x{n}^3, rel err {err:.2e}")
    record("bmm_f32", "torch.bmm (cuBLAS, no TF32)", bench(lambda s: torch.bmm(a, b), [0]),
           flops=flops)
guarded(bmm_f32)

def bmm_bf16():
    f = CB().vibee_cbench_bmm_bf16; f.argtypes = [P, P, P, I64, I64, I64, I64]
    n = MBT
    a, b = (torch.randn(ZB, n, n, device=dev, dtype=torch.bfloat16) for _ in range(2))
    c = torch.empty(ZB, n, n, device=dev, dtype=torch.bfloat16)
    def ours(s):
        f(a.data_ptr(), b.data_ptr(), c.data_ptr(), ZB, n, n, n)
    ours(0); torch.cuda.synchronize(); check_error("bmm_bf16")
    err = rel_err(c, torch.bmm(a.double(), b.double()))
    print("bmm bf16 rel err vs f64", err)
    flops = 2 * ZB * n ** 3
    record("bmm_bf16", "vibeec", bench(ours, [0], warmup=2, reps=10), flops=flops,
           note=f"{ZB}x{n}^3, rel err {err:.2e}")
    record("bmm_bf16", "torch.bmm (cuBLAS)", bench(lambda s: torch.bmm(a, b), [0]), flops=flops)
guarded(bmm_bf16)

def linear_bf16():
    # x . W^T, W stored [N, K] as nn.Linear keeps it.
    f = CB().vibee_cbench_linear_bf16; f.argtypes = [P, P, P, I64, I64, I64]
    n = MB[0]
    x, w = (torch.randn(n, n, device=dev, dtype=torch.bfloat16) for _ in range(2))
    y = torch.empty(n, n, device=dev, dtype=torch.bfloat16)
    def ours(s):
        f(x.data_ptr(), w.data_ptr(), y.data_ptr(), n, n, n)
    ours(0); torch.cuda.synchronize(); check_error("linear_bf16")
    err = rel_err(y, x.double() @ w.double().T)
    print("linear bf16 rel err vs f64", err)
    flops = 2 * n ** 3
    record(f"linear_bf16_{n}", "vibeec", bench(ours, [0], warmup=2, reps=10), flops=flops,
           note=f"rel err {err:.2e}")
    record(f"linear_bf16_{n}", "F.linear (cuBLAS)", bench(lambda s: F.linear(x, w), [0]),
           flops=flops)
guarded(linear_bf16)

SK = 8192 if not args.quick else 2048
def skinny():
    # Decoding's linear layers: M in {1, 16} rows against a K x N = 8192^2 weight
    # (nn.Linear layout), bound by the weight's bytes (read once): roofline = copy.
    W8 = lib("w8a16").vibee_w8a16_w8a16; W8.argtypes = [P, P, P, P, I64, I64, I64]
    LB = CB().vibee_cbench_linear_bf16; LB.argtypes = [P, P, P, I64, I64, I64]
    LF = CB().vibee_cbench_linear_f32; LF.argtypes = [P, P, P, I64, I64, I64]
    for m, dtype, f, label in ((1, torch.bfloat16, LB, "bf16"), (16, torch.bfloat16, LB, "bf16"),
                               (1, torch.float32, LF, "f32")):
        sets = [(torch.randn(m, SK, device=dev, dtype=dtype),
                 torch.randn(SK, SK, device=dev, dtype=dtype),
                 torch.empty(m, SK, device=dev, dtype=dtype)) for _ in range(3)]
        def ours(s):
            f(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), m, SK, SK)
        ours(sets[0]); torch.cuda.synchronize(); check_error(f"skinny {label} M={m}")
        err = rel_err(sets[0][2], sets[0][0].double() @ sets[0][1].double().T)
        esize = sets[0][0].element_size()
        nbytes = (SK * SK + 2 * m * SK) * esize
        bname = f"skinny_{label}_M{m}"
        record(bname, "vibeec", bench(ours, sets), nbytes, note=f"{m}x{SK}x{SK}, rel err {err:.2e}")
        record(bname, "F.linear (cuBLAS)", bench(lambda s: F.linear(s[0], s[1]), sets), nbytes)
    # int8 weights, one bf16 row, a scale per output (specs/quant/w8a16.vibee).
    sets = [(torch.randn(1, SK, device=dev, dtype=torch.bfloat16),
             torch.randint(-127, 128, (SK, SK), device=dev, dtype=torch.int8),
             torch.rand(SK, device=dev) / 64, torch.empty(1, SK, device=dev)) for _ in range(3)]
    def ours(s):
        W8(s[0].data_ptr(), s[1].data_ptr(), s[2].data_ptr(), s[3].data_ptr(), 1, SK, SK)
    ours(sets[0]); torch.cuda.synchronize(); check_error("w8a16 gemv")
    x, w, sc, y = sets[0]
    err = rel_err(y, (x.double() @ w.double().T) * sc.double())
    nbytes = SK * SK + 2 * SK + 8 * SK
    record("gemv_w8a16", "vibeec", bench(ours, sets), nbytes, note=f"1x{SK}x{SK}, rel err {err:.2e}")
    eager = lambda s: F.linear(s[0], s[1].to(torch.bfloat16)).float() * s[2]
    record("gemv_w8a16", "torch (int8 -> bf16, F.linear, scale)", bench(eager, sets), nbytes)
    if not args.no_compile:
        record("gemv_w8a16", "torch.compile", bench(torch.compile(eager), sets), nbytes)
guarded(skinny)

CR, CC = (16384, 4096) if not args.quick else (1024, 4096)
def colsum():
    for dtype, name in ((torch.float32, "colsum"), (torch.bfloat16, "colsum_bf16")):
        f = getattr(CB(), f"vibee_cbench_{name}"); f.argtypes = [P, P, I64, I64]
        sets = [(torch.randn(CR, CC, device=dev, dtype=dtype),
                 torch.empty(CC, device=dev)) for _ in range(3)]
        def ours(s):
            f(s[0].data_ptr(), s[1].data_ptr(), CR, CC)
        ours(sets[0]); torch.cuda.synchronize(); check_error(name)
        err = rel_err(sets[0][1], sets[0][0].double().sum(0))
        print(name, "rel err vs f64", err)
        nbytes = CR * CC * sets[0][0].element_size() + CC * 4
        record(name, "vibeec", bench(ours, sets), nbytes, note=f"{CR}x{CC}, rel err {err:.2e}")
        eager = lambda s: s[0].sum(0, dtype=torch.float32)
        record(name, "torch.sum(0)", bench(eager, sets), nbytes)
        if not args.no_compile:
            record(name, "torch.compile", bench(torch.compile(eager), sets), nbytes)
guarded(colsum)

# --- Issue 13: weight-only quantized GEMV / GEMM ---------------------------------
# Each case: the vibeec kernel; "bf16 cuBLAS" = F.linear on the weights dequantized to
# bf16 once, outside the timed region (the anchor); the eager torch expression
# that dequantizes and multiplies on every call; its torch.compile. GB/s counts the
# bytes each implementation actually reads and writes (quantized weights + scales +
# activations + outputs for vibeec, bench/quant_ref.py quant_bytes; the bf16 weights
# for cuBLAS; for the eager and compiled expressions the same bytes as vibeec's, what
# a fused kernel has to move), "of_copy" is that over the copy bandwidth of this run. The check: vibeec's output against float64 of
# the same dequantized computation (codes, scales and activations as stored).
QK = 8192 if not args.quick else 2048
QN = (8192, 28672) if not args.quick else (2048, 7168)
QGM = 4096 if not args.quick else 512
QSETS = 4  # 4-bit 8192^2 weights are 32 MiB: rotate over more than the 50 MiB of L2


def quant_case(case, kind, m, n, k, lora_rank=0):
    """One benchmark function named `case` (for --only) over y = x deq(W)^T, x [m, k]."""
    def fn():
        r = lora_rank
        if kind == "w8a16":
            f = lib("w8a16").vibee_w8a16_w8a16; f.argtypes = [P, P, P, P, I64, I64, I64]
        elif kind == "w4a16":
            f = lib("w4a16_group").vibee_w4a16_group_w4a16_group
            f.argtypes = [P, P, P, P, P, I64, I64, I64, I64, I64]
        elif kind == "w4a16_bf16":
            f = lib("qbench").vibee_qbench_w4a16_bf16
            f.argtypes = [P, P, P, P, P, I64, I64, I64, I64, I64]
        elif r:
            f = lib("nf4").vibee_nf4_nf4_lora
            f.argtypes = [P, P, P, P, P, P, F32, F32, P, I64, I64, I64, I64, I64, I64, I64]
        else:
            f = lib("qbench").vibee_qbench_nf4_gemv
            f.argtypes = [P, P, P, P, F32, P, I64, I64, I64, I64, I64, I64]
        lora_s = 1.0 / 16
        sets = []
        for _ in range(QSETS if m < 256 else 2):
            xb = torch.randn(m, k, device=dev).to(torch.bfloat16)  # bf16-exact activations
            q = quant_gen(kind, n, k, dev)
            st = dict(q, xb=xb, wb=quant_deq(kind, q).to(torch.bfloat16),
                      y=torch.empty(m, n, device=dev))
            if kind == "w4a16":
                st["x"] = xb.float()  # the spec's activations are f32 (bf16-exact values)
            if r:
                st["a"] = (torch.randn(r, k, device=dev) / k ** 0.5).to(torch.bfloat16)
                st["b"] = (torch.randn(n, r, device=dev) / r ** 0.5).to(torch.bfloat16)
            sets.append(st)
        if kind == "w8a16":
            ours = lambda s: f(s["xb"].data_ptr(), s["w"].data_ptr(), s["s"].data_ptr(),
                               s["y"].data_ptr(), m, k, n)
        elif kind in ("w4a16", "w4a16_bf16"):
            ours = lambda s: f(s["x" if kind == "w4a16" else "xb"].data_ptr(), s["w"].data_ptr(), s["scale"].data_ptr(),
                               s["zero"].data_ptr(), s["y"].data_ptr(), m, k, n, k // 2, k // 128)
        elif r:
            ours = lambda s: f(s["xb"].data_ptr(), s["w"].data_ptr(), s["q2"].data_ptr(),
                               s["c1"].data_ptr(), s["a"].data_ptr(), s["b"].data_ptr(),
                               s["offset"], lora_s, s["y"].data_ptr(),
                               m, k, n, k // 2, s["q2"].shape[1], s["c1"].shape[1], r)
        else:
            ours = lambda s: f(s["xb"].data_ptr(), s["w"].data_ptr(), s["q2"].data_ptr(),
                               s["c1"].data_ptr(), s["offset"], s["y"].data_ptr(),
                               m, k, n, k // 2, s["q2"].shape[1], s["c1"].shape[1])
        qbytes = quant_bytes(kind, m, n, k, r)
        ours(sets[0]); torch.cuda.synchronize(); check_error(case)
        s0 = sets[0]
        ref = s0["xb"].double() @ quant_deq(kind, s0, torch.float64).T
        if r:
            ref = ref + lora_s * ((s0["xb"].double() @ s0["a"].double().T) @ s0["b"].double().T)
        err = rel_err(s0["y"], ref)
        print(f"{case} vibeec rel err vs float64 of the dequantized computation {err:.2e}", flush=True)
        # one timed call picks the repetitions (the GEMM on a slow path can take seconds)
        t0 = time.perf_counter(); ours(sets[1]); torch.cuda.synchronize()
        t1 = time.perf_counter() - t0
        flops = 2 * m * n * k if m >= 256 else None
        ms = bench(ours, sets, warmup=3 if t1 < 0.05 else 1 if t1 < 1 else 0,
                   reps=20 if t1 < 0.05 else 5 if t1 < 1 else 3)
        record(case, "vibeec", ms, qbytes, flops, note=f"{kind} {m}x{n}x{k}"
               + (f" lora r={r}" if r else "") + f", rel err {err:.2e}")
        # the anchor: cuBLAS bf16 on the weights dequantized beforehand
        if r:
            cub = lambda s: F.linear(s["xb"], s["wb"]) + lora_s * F.linear(F.linear(s["xb"], s["a"]), s["b"])
        else:
            cub = lambda s: F.linear(s["xb"], s["wb"])
        cerr = rel_err(cub(s0), ref)
        cms = bench(cub, sets)
        record(case, "F.linear bf16 (cuBLAS, W dequantized beforehand)", cms,
               2 * n * k + 2 * m * k + 2 * m * n + (2 * r * (k + n) if r else 0), flops,
               note=f"rel err {cerr:.2e}")
        mine = results["benchmarks"][case]["vibeec"]
        mine["vs_bf16_cublas"] = cms / ms  # > 1: vibeec faster
        # dequantize + matmul on every call, eager and compiled
        if kind == "w8a16":  # the scale as the epilogue, as the spec has it
            eager = lambda s: F.linear(s["xb"], s["w"].to(torch.bfloat16)).float() * s["s"]
        elif kind in ("w4a16", "w4a16_bf16"):
            eager = lambda s: F.linear(s["xb"], deq_w4(s["w"], s["scale"], s["zero"]).to(torch.bfloat16)).float()
        else:
            def eager(s):
                y = F.linear(s["xb"], deq_nf4(s["w"], s["q2"], s["c1"], s["offset"]).to(torch.bfloat16))
                if r:
                    y = y + lora_s * F.linear(F.linear(s["xb"], s["a"]), s["b"])
                return y.float()
        record(case, "torch eager (dequantize + F.linear bf16)", bench(eager, sets, warmup=1, reps=10), qbytes, flops)
        if not args.no_compile:
            torch._dynamo.reset()
            comp = torch.compile(eager, dynamic=False)
            record(case, "torch.compile (dequantize + F.linear)", bench(comp, sets), qbytes, flops)
        print(f"{case}: vibeec {mine['ms']:.3f} ms" + (f", {100 * mine['of_copy']:.1f}% of copy" if "of_copy" in mine else "")
              + f", {mine['vs_bf16_cublas']:.2f}x of bf16 cuBLAS's speed", flush=True)
    fn.__name__ = case
    return fn


QUANT_CASES = []
for _kind in ("w8a16", "w4a16"):
    for _n in QN:
        for _m in (1, 16):
            QUANT_CASES.append(quant_case(f"quant_{_kind}_m{_m}_n{_n}_k{QK}", _kind, _m, _n, QK))
QUANT_CASES.append(quant_case(f"quant_w4a16_gemm_m{QGM}_n{QK}_k{QK}", "w4a16", QGM, QK, QK))
# bf16 activations and scales: the tensor-core kernel with a computed B
QUANT_CASES.append(quant_case(f"quant_w4a16bf16_gemm_m{QGM}_n{QK}_k{QK}", "w4a16_bf16", QGM, QK, QK))
QUANT_CASES.append(quant_case(f"quant_nf4_gemm_m{QGM}_n{QK}_k{QK}", "nf4", QGM, QK, QK))
QUANT_CASES.append(quant_case(f"quant_nf4_m1_n{QK}_k{QK}", "nf4", 1, QK, QK))
QUANT_CASES.append(quant_case(f"quant_nf4_lora16_m1_n{QK}_k{QK}", "nf4", 1, QK, QK, lora_rank=16))
for _fn in QUANT_CASES:
    guarded(_fn)

# Summary: fraction of the copy bandwidth, ratio to the best PyTorch anchor.
copy_bw = results.get("copy_GBps")
print("\n== summary (copy ceiling %s GB/s)" % (f"{copy_bw:.0f}" if copy_bw else "?"))
for bname, impls in results["benchmarks"].items():
    ours = next((v for k, v in impls.items() if k.startswith("vibeec")), None)
    anchors = [v["ms"] for k, v in impls.items() if not k.startswith("vibeec")]
    if not ours or not anchors:
        continue
    line = f"{bname:10s} vibeec {ours['ms']:9.3f} ms, best anchor {min(anchors):9.3f} ms, speedup {min(anchors)/ours['ms']:5.2f}x"
    if copy_bw and "GBps" in ours:
        line += f", {100*ours['GBps']/copy_bw:5.1f}% of copy bandwidth"
    print(line)
fname = os.path.join(args.out, "bench_gpu_" + name.replace(" ", "_") + ".json")
os.makedirs(args.out, exist_ok=True)
with open(fname, "w") as fh:
    json.dump(results, fh, indent=2)
print("wrote", fname)
sys.exit(1 if results.get("errors") else 0)
