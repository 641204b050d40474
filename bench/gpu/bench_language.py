#!/usr/bin/env python3
"""Issue 12's constructs on the GPU, side by side with what a PyTorch user calls:
gathers (embedding, cross-entropy's target logit), scatter-add (embedding's
gradient), a full reduction (global-norm clipping), affine subscripts (RoPE), scans (prefix sums, Mamba's selective scan),
top-k (top-k/top-p sampling) and Philox (MinHash). The spec libraries built by
bench/gpu/build_artifacts.sh are called with ctypes on torch tensors' pointers,
timed with the same CUDA-event timer as bench_gpu.py (cuda_timing.median_ms).
Each case checks its result against the PyTorch one first. Writes
<out>/bench_language_<device>.json. Run from the repository root on the GPU machine."""
import argparse, ctypes, json, os, time, traceback
import torch
import torch.nn.functional as F

from cuda_timing import median_ms

ap = argparse.ArgumentParser()
ap.add_argument("--artifacts", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--only", default="", help="comma-separated case names (default: every case)")
args = ap.parse_args()
dev = torch.device("cuda")
name = torch.cuda.get_device_name(0)
print("device", name, "torch", torch.__version__, flush=True)
rt = ctypes.CDLL(os.path.join(args.artifacts, "lib", "libvibee_cuda_rt.so"))
rt.vibee_cuda_last_error.restype = ctypes.c_char_p
rt.vibee_cuda_set_stream.argtypes = [ctypes.c_void_p]
rt.vibee_cuda_set_stream(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
P, F32, I64 = ctypes.c_void_p, ctypes.c_float, ctypes.c_int64


def kernel(spec, fn, *types, variant=""):
    """variant "_nochecks": the library compiled with --no-gpu-gather-checks."""
    lib = os.path.join(args.artifacts, "lib", f"libvibee_{spec}{variant}_cuda.so")
    f = getattr(ctypes.CDLL(lib), f"vibee_{spec}_{fn}")
    f.argtypes = list(types)
    return f


def ptr(t):
    return t.data_ptr()


results = {"device": name, "torch": torch.__version__,
           "time": time.strftime("%Y-%m-%d %H:%M:%S"), "benchmarks": {}}


def record(case, impl, ms, nbytes=None, note=None):
    r = {"ms": ms}
    if nbytes:
        r["GBps"] = nbytes / ms / 1e6
    if note:
        r["note"] = note
    results["benchmarks"].setdefault(case, {})[impl] = r
    print(f"{case:18s} {impl:26s} {ms:9.3f} ms" + (f" {r['GBps']:7.0f} GB/s" if nbytes else ""),
          flush=True)


def run(case, ours, anchors, sets, nbytes, check):
    """ours(s), anchors {name: fn(s)}; check(s) -> (ok, note) after one call of ours."""
    ours(sets[0]); torch.cuda.synchronize()
    e = rt.vibee_cuda_last_error()
    if e:
        raise RuntimeError(f"{case}: {e.decode()}")
    ok, note = check(sets[0])
    if not ok:
        raise RuntimeError(f"{case}: wrong result ({note})")
    record(case, "vibeec", median_ms(ours, sets), nbytes, note)
    for impl, fn in anchors.items():
        record(case, impl, median_ms(fn, sets), nbytes)


def close(a, b, tol):
    err = ((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30)).item()
    return err <= tol, f"max error {err:.2e} of the largest |value|"


def guarded(fn):
    try:
        fn()
    except Exception as e:
        traceback.print_exc()
        results.setdefault("errors", []).append(f"{fn.__name__}: {e}")


def copy():
    n = 1 << 28
    src = [torch.randn(n, device=dev) for _ in range(2)]
    dst = torch.empty(n, device=dev)
    ms = median_ms(lambda s: dst.copy_(s), src)
    record("copy", "torch copy_ 1GiB", ms, 8 * n)
    results["copy_GBps"] = 8 * n / ms / 1e6


def embedding():
    V, D, S = 32000, 4096, 8192
    f = kernel("embedding", "embed", P, P, P, I64, I64, I64)
    unchecked = kernel("embedding", "embed", P, P, P, I64, I64, I64, variant="_nochecks")
    sets = [(torch.randn(V, D, device=dev), torch.randint(0, V, (S,), device=dev, dtype=torch.int32),
             torch.empty(S, D, device=dev)) for _ in range(2)]
    run("embedding", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), V, D, S),
        {"F.embedding": lambda s: F.embedding(s[1], s[0]),
         "vibeec --no-gpu-gather-checks": lambda s: unchecked(ptr(s[0]), ptr(s[1]), ptr(s[2]), V, D, S)},
        sets, 2 * S * D * 4 + S * 4,
        lambda s: close(s[2], F.embedding(s[1], s[0]), 0))


def embedding_grad():
    V, D, S = 32000, 1024, 8192
    f = kernel("embedding", "embed_grad", P, P, P, I64, I64, I64)
    sets = [(torch.randint(0, V, (S,), device=dev, dtype=torch.int32), torch.randn(S, D, device=dev),
             torch.zeros(V, D, device=dev)) for _ in range(2)]
    def ref(s):
        return torch.zeros(V, D, device=dev).index_add_(0, s[0].long(), s[1])
    def check(s):
        s[2].zero_(); f(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, D, V); torch.cuda.synchronize()
        return close(s[2], ref(s), 1e-5)
    # The table is inout: each call adds into it (as a training step accumulates).
    anchors = {"index_add_ (fp32 atomics)": lambda s: s[2].index_add_(0, s[0].long(), s[1])}
    # The same spec built with vibeec --gpu-float-atomics (build_artifacts.sh), checked first.
    if os.path.exists(os.path.join(args.artifacts, "lib", "libvibee_embedding_atomics_cuda.so")):
        atomic = kernel("embedding", "embed_grad", P, P, P, I64, I64, I64, variant="_atomics")
        s = sets[0]
        s[2].zero_(); atomic(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, D, V); torch.cuda.synchronize()
        ok, note = close(s[2], ref(s), 1e-5)
        print(f"embedding_grad --gpu-float-atomics check: {ok} {note}", flush=True)
        if ok:
            anchors["vibeec --gpu-float-atomics"] = \
                lambda s: atomic(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, D, V)
    run("embedding_grad", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, D, V), anchors, sets,
        2 * S * D * 4 + S * 4, check)


def counts(case, spec, fn, S, N, ids_dtype):
    """A scatter-add of i32 counts, h[ids[s]] += 1, against torch.bincount (exact)."""
    f = kernel(spec, fn, P, P, I64, I64)
    sets = [(torch.randint(0, N, (S,), device=dev, dtype=ids_dtype),
             torch.zeros(N, device=dev, dtype=torch.int32)) for _ in range(2)]
    def check(s):
        s[1].zero_(); f(ptr(s[0]), ptr(s[1]), S, N); torch.cuda.synchronize()
        ref = torch.bincount(s[0].long(), minlength=N).int()
        return bool(torch.equal(s[1], ref)), "exact" if torch.equal(s[1], ref) else "differs"
    run(case, lambda s: f(ptr(s[0]), ptr(s[1]), S, N),
        {"torch.bincount": lambda s: torch.bincount(s[0].long(), minlength=N)}, sets,
        S * element_bytes(ids_dtype), check)


def element_bytes(dtype):
    return torch.tensor([], dtype=dtype).element_size()


def histogram():
    # No directly indexed loop (tests/e2e/scatter.vibee), few bins: one atomic add per
    # id (vibee-gpu-atomic-scatters; before it, ranges of bins each reading every id).
    counts("histogram", "scatter", "histogram", 1 << 20, 100, torch.int8)


def token_counts():
    # Token frequencies over a vocabulary (bench/gpu/specs/scatter_bench.vibee): many
    # bins, little contention per bin.
    counts("token_counts", "scatter_bench", "token_counts", 1 << 23, 32000, torch.int32)


def cross_entropy():
    B, C = 4096, 32000
    f = kernel("cross_entropy", "cross_entropy", P, P, P, I64, I64)
    unchecked = kernel("cross_entropy", "cross_entropy", P, P, P, I64, I64, variant="_nochecks")
    sets = [(torch.randn(B, C, device=dev), torch.randint(0, C, (B,), device=dev),
             torch.empty(B, device=dev)) for _ in range(2)]
    eager = lambda s: F.cross_entropy(s[0], s[1], reduction="none")
    run("cross_entropy", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), B, C),
        {"F.cross_entropy": eager, "torch.compile": torch.compile(eager),
         "vibeec --no-gpu-gather-checks": lambda s: unchecked(ptr(s[0]), ptr(s[1]), ptr(s[2]), B, C)},
        sets, B * C * 4,
        lambda s: close(s[2], eager(s), 1e-5))


def cross_entropy_grad():
    # The gradient with respect to the logits: one row group whose output reads
    # its column index (c == target[b]).
    B, C = 4096, 32000
    f = kernel("cross_entropy", "cross_entropy_grad", P, P, P, P, I64, I64)
    sets = [(torch.randn(B, C, device=dev), torch.randint(0, C, (B,), device=dev),
             torch.rand(B, device=dev), torch.empty(B, C, device=dev)) for _ in range(2)]
    def eager(s):
        g = torch.softmax(s[0], dim=1)
        g[torch.arange(B, device=dev), s[1]] -= 1.0
        return g * s[2][:, None]
    run("cross_entropy_grad", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), ptr(s[3]), B, C),
        {"softmax + index - 1 (eager)": eager, "torch.compile": torch.compile(eager)},
        sets, 2 * B * C * 4, lambda s: close(s[3], eager(s), 1e-5))


def dropout():
    # Philox per element (uniform(seed, r, c)): a payload that reads its indices.
    R, C = 8192, 8192
    f = kernel("dropout", "dropout", P, I64, ctypes.c_float, P, I64, I64)
    sets = [(torch.randn(R, C, device=dev), torch.empty(R, C, device=dev)) for _ in range(2)]
    def check(s):
        kept = (s[1] != 0).double().mean().item()
        scaled = torch.allclose(s[1][s[1] != 0], s[0][s[1] != 0] / 0.9)
        return abs(kept - 0.9) < 1e-3 and scaled, f"kept {kept:.4f} of the elements (p = 0.1)"
    run("dropout", lambda s: f(ptr(s[0]), 1234, 0.1, ptr(s[1]), R, C),
        {"F.dropout": lambda s: F.dropout(s[0], 0.1, training=True)},
        sets, 2 * R * C * 4, check)


def softmax_vocab():
    # Rows longer than the row-group kernel keeps in registers (a vocabulary of
    # 32,000 logits): the max and the exp-sum as one online pass, then the output.
    B, C = 4096, 32000
    f = kernel("softmax", "softmax", P, P, I64, I64)
    sets = [(torch.randn(B, C, device=dev) * 3, torch.empty(B, C, device=dev)) for _ in range(2)]
    eager = lambda s: torch.softmax(s[0], dim=1)
    run("softmax_vocab", lambda s: f(ptr(s[0]), ptr(s[1]), B, C),
        {"torch.softmax": eager, "torch.compile": torch.compile(eager)},
        sets, 2 * B * C * 4, lambda s: close(s[1], eager(s), 1e-5))


def rope(S=32768, case="rope"):
    H = 64  # S rows (tokens, or tokens x heads) of D = 128
    D = 2 * H
    f = kernel("rope", "rope_rotate_half", P, P, P, P, I64, I64, I64)
    inv = 10000.0 ** (-torch.arange(H, device=dev, dtype=torch.float32) * 2 / D)
    sets = [(torch.randn(S, D, device=dev), torch.arange(S, device=dev, dtype=torch.float32),
             torch.empty(S, D, device=dev)) for _ in range(2)]
    def eager(s):
        ang = s[1][:, None] * inv[None, :]
        c, sn = torch.cos(ang).repeat(1, 2), torch.sin(ang).repeat(1, 2)
        x = s[0]
        return x * c + torch.cat((-x[:, H:], x[:, :H]), dim=1) * sn
    anchors = {"torch eager": eager, "torch.compile": torch.compile(eager)}
    lib = lambda name: os.path.exists(os.path.join(args.artifacts, "lib", f"libvibee_{name}_cuda.so"))
    others = {}
    # The same rotation with its cos/sin table in memory (bench/gpu/specs/rope_bench.vibee).
    if lib("rope_bench"):
        table = kernel("rope_bench", "rope_table", P, P, P, P, I64, I64, I64, I64)
        others["vibeec table"] = lambda s: table(ptr(s[0]), ptr(s[1]), ptr(inv), ptr(s[2]), S, D, H, 2)
    # An A/B of a code change: specs/nn/rope.vibee built by another vibeec, when present.
    if lib("rope_baseline"):
        base = kernel("rope", "rope_rotate_half", P, P, P, P, I64, I64, I64, variant="_baseline")
        others["vibeec baseline"] = lambda s: base(ptr(s[0]), ptr(s[1]), ptr(inv), ptr(s[2]), S, D, H)
    for impl, fn in others.items():
        fn(sets[0]); torch.cuda.synchronize()
        ok, note = close(sets[0][2], eager(sets[0]), 1e-4)
        if not ok:
            raise RuntimeError(f"rope, {impl}: wrong result ({note})")
        anchors[impl] = fn
    run(case, lambda s: f(ptr(s[0]), ptr(s[1]), ptr(inv), ptr(s[2]), S, D, H),
        anchors, sets, 2 * S * D * 4, lambda s: close(s[2], eager(s), 1e-4))


def rope_heads():
    """32k tokens x 8 heads as 262,144 rows (268 MB moved): a size where the launch
    no longer dominates (rope's 33.5 MB take about 11 us at copy speed)."""
    rope(S=32768 * 8, case="rope_heads")


def prefix_sums(R=4096, T=4096, case="prefix_sums"):
    f = kernel("prefix_sums", "prefix", P, P, P, P, I64, I64)
    sets = [(torch.randn(R, T, device=dev), torch.empty(R, T, device=dev), torch.empty(R, T, device=dev),
             torch.empty(R, T, device=dev)) for _ in range(2)]
    def eager(s):
        y = torch.cumsum(s[0], 1)
        return y, y - s[0], torch.cummax(s[0], 1).values
    def check(s):
        y, e, m = eager(s)
        ok_m, note = close(s[3], m, 0)
        ok_y, note_y = close(s[1], y, 1e-4)
        ok_e, note_e = close(s[2], e, 1e-4)
        return ok_m and ok_y and ok_e, f"cumsum {note_y}; exclusive {note_e}; cummax {note}"
    anchors = {"cumsum + cummax": eager}
    # An A/B of a code change: specs/ssm/prefix_sums.vibee built by another vibeec.
    if os.path.exists(os.path.join(args.artifacts, "lib", "libvibee_prefix_sums_baseline_cuda.so")):
        base = kernel("prefix_sums", "prefix", P, P, P, P, I64, I64, variant="_baseline")
        call = lambda s: base(ptr(s[0]), ptr(s[1]), ptr(s[2]), ptr(s[3]), R, T)
        call(sets[0]); torch.cuda.synchronize()
        ok, note = check(sets[0])
        if not ok:
            raise RuntimeError(f"{case}, baseline: wrong result ({note})")
        anchors["vibeec baseline"] = call
    run(case, lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), ptr(s[3]), R, T),
        anchors, sets, 4 * R * T * 4, check)


def prefix_long():
    """Few long rows: 4 rows of 4M steps (a warp per chunk, three launches)."""
    prefix_sums(R=4, T=4 << 20, case="prefix_long")


def prefix_short():
    """Many short rows: 262,144 rows of 50 steps (a warp per row, one partial step)."""
    prefix_sums(R=262144, T=50, case="prefix_short")


def selective_scan():
    Bt, Dm, L, N = 2, 1536, 1024, 16
    f = kernel("selective_scan", "selective_scan_gated", *([P] * 9), I64, I64, I64, I64)
    def inputs():
        return (torch.randn(Bt, Dm, L, device=dev), torch.randn(Bt, Dm, L, device=dev) * 0.5,
                torch.rand(Dm, N, device=dev).log(), torch.randn(Bt, N, L, device=dev),
                torch.randn(Bt, N, L, device=dev), torch.randn(Dm, device=dev),
                torch.randn(Dm, device=dev) * 0.1, torch.randn(Bt, Dm, L, device=dev),
                torch.empty(Bt, Dm, L, device=dev))
    sets = [inputs() for _ in range(2)]
    def eager(s):  # selective_scan_ref of mamba_ssm, in PyTorch
        u, delta, A_log, B, C, D, bias, z, _ = s
        dt = F.softplus(delta + bias[None, :, None])
        A = -torch.exp(A_log)
        dA = torch.exp(torch.einsum("bdl,dn->bdln", dt, A))
        dBu = torch.einsum("bdl,bnl,bdl->bdln", dt, B, u)
        x = torch.zeros(Bt, Dm, N, device=dev)
        ys = []
        for i in range(L):
            x = dA[:, :, i] * x + dBu[:, :, i]
            ys.append(torch.einsum("bdn,bn->bd", x, C[:, :, i]))
        return (torch.stack(ys, 2) + u * D[None, :, None]) * F.silu(z)
    run("selective_scan", lambda s: f(*[ptr(t) for t in s], Bt, Dm, L, N),
        {"selective_scan_ref (torch)": eager}, sets, (4 * Bt * Dm * L + 2 * Bt * N * L) * 4,
        lambda s: close(s[8], eager(s), 1e-4))


def topk_sampling():
    B, V, K = 64, 32000, 50
    f = kernel("topk_topp_sampling", "sample", P, F32, F32, I64, I64, P, P, P, P, I64, I64, I64)
    sets = [(torch.randn(B, V, device=dev) * 3, torch.empty(B, K, device=dev),
             torch.empty(B, K, device=dev, dtype=torch.int64), torch.empty(B, device=dev, dtype=torch.int64),
             torch.empty(B, K, device=dev)) for _ in range(2)]
    def eager(s):
        v, i = torch.topk(s[0] / 0.8, K)
        p = torch.softmax(v, 1)
        keep = (torch.cumsum(p, 1) - p) < 0.9
        p = torch.where(keep, p, 0.0)
        return i.gather(1, torch.multinomial(p, 1))
    def check(s):
        v, i = torch.topk(s[0] / 0.8, K)
        ok, note = close(s[1], v, 1e-6)
        same = bool((s[2] == i).all())  # random normal logits: no ties
        return ok and same, f"{note}; indices {'equal' if same else 'differ'}"
    run("topk_sampling", lambda s: f(ptr(s[0]), 0.8, 0.9, 7, 1, ptr(s[1]), ptr(s[2]), ptr(s[3]),
                                     ptr(s[4]), B, V, K),
        {"topk + multinomial": eager}, sets, B * V * 4, check)


def topk():
    """The top-k alone (tests/e2e/topk_long.vibee's top50), a batch and one decode row."""
    f = kernel("topk_long", "top50", P, P, P, I64, I64)
    for B, V in ((64, 32000), (1, 128256)):
        K = 50
        sets = [(torch.randn(B, V, device=dev), torch.empty(B, K, device=dev),
                 torch.empty(B, K, device=dev, dtype=torch.int64)) for _ in range(2)]
        def check(s):
            v, i = torch.topk(s[0], K)
            ok, note = close(s[1], v, 0.0)
            same = bool((s[2] == i).all())
            return ok and same, f"{note}; indices {'equal' if same else 'differ'}"
        run(f"topk_{B}x{V}", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), B, V),
            {"torch.topk": lambda s: torch.topk(s[0], K)}, sets, B * V * 4, check)


def minhash():
    S, L, H = 4096, 256, 128
    f = kernel("minhash", "signature", P, P, P, I64, I64, I64)
    sets = [(torch.randint(0, 50000, (S, L), device=dev, dtype=torch.int32),
             torch.arange(H, device=dev, dtype=torch.int64) + 11, torch.empty(S, H, device=dev))
            for _ in range(2)]
    # The anchor a PyTorch user would write: a multiply-shift universal hash per
    # function (not Philox: torch has no counter-based hash), min over the row.
    a = torch.randint(1, 2**31 - 1, (H,), device=dev, dtype=torch.int64) | 1
    def eager(s):
        h = (s[0].long()[:, None, :] * a[None, :, None]) & 0xFFFFFF
        return h.amin(2)
    def check(s):
        ok = bool(((s[2] >= 0) & (s[2] < 1)).all())
        return ok, "signatures in [0, 1)"
    anchors = {"torch multiply-shift + amin": eager}
    base = baseline("minhash", "signature", P, P, P, I64, I64, I64)
    if base:
        anchors["vibeec baseline"] = lambda s: base(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, L, H)
    run("minhash", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, L, H), anchors, sets,
        S * L * 4 + S * H * 4, check)


def baseline(spec, fn, *types):
    """The same kernel from the library of the baseline compiler (artifacts'
    libvibee_<spec>_baseline_cuda.so), when the run has one."""
    if not os.path.exists(os.path.join(args.artifacts, "lib", f"libvibee_{spec}_baseline_cuda.so")):
        return None
    return kernel(spec, fn, *types, variant="_baseline")


def short_rows():
    # Row groups of short rows (a warp per row up to 512 f32 elements, a block per
    # row beyond): softmax and LayerNorm over rows of 128-1024, RMSNorm over a
    # head's 128 (QK-norm); one long-row shape as the control. Bytes: read + write.
    sm = kernel("softmax", "softmax", P, P, I64, I64)
    sm_base = baseline("softmax", "softmax", P, P, I64, I64)
    for R, C in ((1 << 20, 128), (1 << 18, 512), (1 << 17, 1024), (4096, 4096)):
        sets = [(torch.randn(R, C, device=dev), torch.empty(R, C, device=dev)) for _ in range(2)]
        anchors = {"torch.softmax": lambda s: torch.softmax(s[0], -1)}
        if sm_base:
            anchors["vibeec baseline"] = lambda s, R=R, C=C: sm_base(ptr(s[0]), ptr(s[1]), R, C)
        run(f"softmax_{R}x{C}", lambda s, R=R, C=C: sm(ptr(s[0]), ptr(s[1]), R, C), anchors, sets,
            8 * R * C, lambda s: close(s[1], torch.softmax(s[0].double(), -1), 1e-5))
    ln = kernel("layernorm", "layernorm", P, P, P, F32, P, I64, I64)
    ln_base = baseline("layernorm", "layernorm", P, P, P, F32, P, I64, I64)
    R, C = 1 << 19, 256
    sets = [(torch.randn(R, C, device=dev), torch.randn(C, device=dev), torch.randn(C, device=dev),
             torch.empty(R, C, device=dev)) for _ in range(2)]
    ref = lambda s: F.layer_norm(s[0], (C,), s[1], s[2], 1e-5)
    anchors = {"F.layer_norm": ref}
    if ln_base:
        anchors["vibeec baseline"] = lambda s: ln_base(ptr(s[0]), ptr(s[1]), ptr(s[2]), 1e-5, ptr(s[3]), R, C)
    run(f"layernorm_{R}x{C}", lambda s: ln(ptr(s[0]), ptr(s[1]), ptr(s[2]), 1e-5, ptr(s[3]), R, C),
        anchors, sets, 8 * R * C, lambda s: close(s[3], ref(s), 1e-4))
    rn = kernel("rmsnorm", "rmsnorm", P, P, F32, P, I64, I64)
    rn_base = baseline("rmsnorm", "rmsnorm", P, P, F32, P, I64, I64)
    R, C = 1 << 20, 128
    sets = [(torch.randn(R, C, device=dev, dtype=torch.bfloat16), torch.randn(C, device=dev, dtype=torch.bfloat16),
             torch.empty(R, C, device=dev, dtype=torch.bfloat16)) for _ in range(2)]
    ref = lambda s: F.rms_norm(s[0], (C,), s[1], 1e-6)
    anchors = {"F.rms_norm": ref}
    if rn_base:
        anchors["vibeec baseline"] = lambda s: rn_base(ptr(s[0]), ptr(s[1]), 1e-6, ptr(s[2]), R, C)
    run(f"rmsnorm_bf16_{R}x{C}", lambda s: rn(ptr(s[0]), ptr(s[1]), 1e-6, ptr(s[2]), R, C),
        anchors, sets, 4 * R * C, lambda s: close(s[2], F.rms_norm(s[0].float(), (C,), s[1].float(), 1e-6), 1e-2))


def clip_grad_norm():
    # A full reduction (the global norm: a sum of squares over every element) and
    # the rescale that reads it: specs/optim/clip_grad_norm.vibee's clip.
    N, max_norm = 1 << 26, 1.0
    f = kernel("clip_grad_norm", "clip", P, F32, P, I64)
    sets = [(torch.randn(N, device=dev), torch.empty((), device=dev)) for _ in range(2)]
    def check(s):
        s[0].copy_(torch.randn(N, device=dev, generator=torch.Generator(dev).manual_seed(5)))
        want = torch.linalg.vector_norm(s[0].double())
        g = s[0].double() * min(1.0, max_norm / (want.item() + 1e-6))
        f(ptr(s[0]), max_norm, ptr(s[1]), N); torch.cuda.synchronize()
        ok_norm, note = close(s[1], want, 1e-5)
        ok_g, note_g = close(s[0], g, 1e-5)
        return ok_norm and ok_g, f"norm {note}; g {note_g}"
    # clip_grad_norm_ clips parameters' .grad: each set's gradient is a parameter's.
    params = []
    for s in sets:
        w = torch.empty(N, device=dev, requires_grad=True)
        w.grad = s[0]
        params.append(w)
    by_grad = {id(w.grad): w for w in params}
    def eager(s):
        return torch.nn.utils.clip_grad_norm_([by_grad[id(s[0])]], max_norm)
    def manual(s):
        norm = torch.linalg.vector_norm(s[0])
        s[0].mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))
        return norm
    run("clip_grad_norm", lambda s: f(ptr(s[0]), max_norm, ptr(s[1]), N),
        {"clip_grad_norm_": eager, "torch.compile": torch.compile(manual)}, sets, 3 * N * 4, check)


for case in (copy, clip_grad_norm, embedding, embedding_grad, histogram, token_counts, cross_entropy, cross_entropy_grad, dropout, softmax_vocab, rope, rope_heads, prefix_sums,
             prefix_long, prefix_short, selective_scan,
             topk_sampling, topk, minhash, short_rows):
    if not args.only or case.__name__ in args.only.split(","):
        guarded(case)

copy_bw = results.get("copy_GBps")
print("\n== summary (copy ceiling %s GB/s)" % (f"{copy_bw:.0f}" if copy_bw else "?"))
for case, impls in results["benchmarks"].items():
    ours = impls.get("vibeec")
    anchors = {k: v["ms"] for k, v in impls.items() if not k.startswith("vibeec")}
    if not ours or not anchors:
        continue
    best = min(anchors, key=anchors.get)
    line = (f"{case:18s} vibeec {ours['ms']:9.3f} ms, {best} {anchors[best]:9.3f} ms: "
            f"{anchors[best] / ours['ms']:6.2f}x")
    if copy_bw and "GBps" in ours:
        line += f", {100 * ours['GBps'] / copy_bw:5.1f}% of copy bandwidth"
    print(line)
os.makedirs(args.out, exist_ok=True)
path = os.path.join(args.out, "bench_language_" + name.replace(" ", "_") + ".json")
with open(path, "w") as fh:
    json.dump(results, fh, indent=2)
print("wrote", path)
