#!/usr/bin/env python3
"""Issue 12's constructs on the CPU, side by side with what a PyTorch user calls (the
CPU counterpart of bench/gpu/bench_language.py, at CPU sizes): gathers (embedding,
cross-entropy's target logit), scatter-add (embedding's gradient), affine subscripts
(RoPE), scans (prefix sums, Mamba's selective scan), top-k (top-k/top-p sampling),
Philox (MinHash) and a full reduction (global-norm clipping). Each spec is compiled to
an object (`vibeec compile`, this machine's CPU), linked into one library with the
thread runtime, and called with ctypes on torch tensors' pointers. Each case checks
its result against the PyTorch one first; times are medians of wall-clock calls.

  .venv/bin/python bench/language_cpu.py --build build --threads 1 [--only embedding,...]

--threads sets VIBEE_NUM_THREADS and torch.set_num_threads alike. Writes
bench/results/bench_language_cpu_<threads>t.json (with the CPU's model name)."""
import argparse, ctypes, json, os, platform, statistics, subprocess, sys, tempfile, time, traceback

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--only", default="", help="comma-separated case names (default: every case)")
ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
args = ap.parse_args()
# Read by the kernels when they run, and by torch when it starts its pool.
os.environ["VIBEE_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)
import torch  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import time_interleaved  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECS = {"embedding": "specs/nn/embedding.vibee", "cross_entropy": "specs/nn/cross_entropy.vibee",
         "rope": "specs/nn/rope.vibee", "prefix_sums": "specs/ssm/prefix_sums.vibee",
         "selective_scan": "specs/ssm/selective_scan.vibee",
         "topk_topp_sampling": "specs/decoding/topk_topp_sampling.vibee",
         "minhash": "specs/hashing/minhash.vibee", "clip_grad_norm": "specs/optim/clip_grad_norm.vibee"}
P, F32, I64 = ctypes.c_void_p, ctypes.c_float, ctypes.c_int64


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def build_library(work):
    vibeec = os.path.join(args.build, "bin", "vibeec")
    objects = []
    for name, spec in SPECS.items():
        obj = os.path.join(work, name + ".o")
        subprocess.run([vibeec, "compile", os.path.join(ROOT, spec), "--emit=obj", "-o", obj],
                       check=True, stderr=subprocess.DEVNULL)
        objects.append(obj)
    lib = os.path.join(work, "libvibee_language.so")
    omp = "/usr/lib/llvm-22/lib"  # the objects' threads: libomp + the admission runtime
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib] + objects +
                   [os.path.join(ROOT, "backends", "cpu", "CpuRuntime.c"), f"-L{omp}",
                    "-Wl,--no-as-needed", "-lomp", "-Wl,--as-needed", f"-Wl,-rpath,{omp}", "-lm"],
                   check=True)
    return ctypes.CDLL(lib)


work = tempfile.mkdtemp(prefix="vibee-language-cpu-")
LIB = build_library(work)
results = {"device": cpu_name(), "threads": args.threads, "torch": torch.__version__,
           "time": time.strftime("%Y-%m-%d %H:%M:%S"), "load": os.getloadavg()[0],
           "benchmarks": {}}


def kernel(spec, fn, *types):
    f = getattr(LIB, f"vibee_{spec}_{fn}")
    f.argtypes = list(types)
    return f


def ptr(t):
    return t.data_ptr()


def median_ms(fn, sets, warmup=2, reps=11):
    for i in range(warmup):
        fn(sets[i % len(sets)])
    times = []
    for i in range(reps):
        t = time.perf_counter()
        fn(sets[i % len(sets)])
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def record(case, impl, ms, nbytes=None):
    r = {"ms": ms}
    if nbytes:
        r["GBps"] = nbytes / ms / 1e6
    results["benchmarks"].setdefault(case, {})[impl] = r
    print(f"{case:16s} {impl:28s} {ms:9.3f} ms" + (f" {r['GBps']:6.1f} GB/s" if nbytes else ""),
          flush=True)


def alternating(fn, sets):
    """fn on the input sets in turn, one per call."""
    calls = iter(range(1 << 62))
    return lambda: fn(sets[next(calls) % len(sets)])


def run(case, ours, anchors, sets, nbytes, check):
    ours(sets[0])
    ok, note = check(sets[0])
    if not ok:
        raise RuntimeError(f"{case}: wrong result ({note})")
    print(f"{case:16} check: {note}")
    # Interleaved; threaded runs let the other pools' spinning threads settle first
    # (bench/timing.py).
    impls = {"vibeec": alternating(ours, sets)}
    impls.update({impl: alternating(fn, sets) for impl, fn in anchors.items()})
    samples = time_interleaved(impls, 11, settle=0.25 if args.threads > 1 else 0.0)
    for impl, times in samples.items():
        record(case, impl, statistics.median(times) * 1e3, nbytes)


def close(a, b, tol):
    err = ((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30)).item()
    return err <= tol, f"max error {err:.2e} of the largest |value|"


def copy():
    n = 1 << 25
    sets = [(torch.randn(n), torch.empty(n)) for _ in range(2)]
    ms = median_ms(lambda s: s[1].copy_(s[0]), sets)
    record("copy", "torch copy_ 128 MiB", ms, 8 * n)
    results["copy_GBps"] = 8 * n / ms / 1e6


def embedding():
    V, D, S = 32000, 1024, 4096
    f = kernel("embedding", "embed", P, P, P, I64, I64, I64)
    sets = [(torch.randn(V, D), torch.randint(0, V, (S,), dtype=torch.int32), torch.empty(S, D))
            for _ in range(2)]
    run("embedding", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), V, D, S),
        {"F.embedding": lambda s: F.embedding(s[1], s[0])}, sets, 2 * S * D * 4 + S * 4,
        lambda s: close(s[2], F.embedding(s[1], s[0]), 0))


def embedding_grad():
    V, D, S = 32000, 1024, 4096
    f = kernel("embedding", "embed_grad", P, P, P, I64, I64, I64)
    sets = [(torch.randint(0, V, (S,), dtype=torch.int32), torch.randn(S, D), torch.zeros(V, D))
            for _ in range(2)]
    def check(s):
        s[2].zero_(); f(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, D, V)
        return close(s[2], torch.zeros(V, D).index_add_(0, s[0].long(), s[1]), 1e-5)
    run("embedding_grad", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, D, V),
        {"index_add_": lambda s: s[2].index_add_(0, s[0].long(), s[1])}, sets,
        2 * S * D * 4 + S * 4, check)


def cross_entropy():
    B, C = 1024, 32000
    f = kernel("cross_entropy", "cross_entropy", P, P, P, I64, I64)
    sets = [(torch.randn(B, C), torch.randint(0, C, (B,)), torch.empty(B)) for _ in range(2)]
    eager = lambda s: F.cross_entropy(s[0], s[1], reduction="none")
    run("cross_entropy", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), B, C), {"F.cross_entropy": eager},
        sets, B * C * 4, lambda s: close(s[2], eager(s), 1e-5))


def rope():
    S, H = 8192, 64
    D = 2 * H
    f = kernel("rope", "rope_rotate_half", P, P, P, P, I64, I64, I64)
    inv = 10000.0 ** (-torch.arange(H, dtype=torch.float32) * 2 / D)
    sets = [(torch.randn(S, D), torch.arange(S, dtype=torch.float32), torch.empty(S, D))
            for _ in range(2)]
    def eager(s):
        ang = s[1][:, None] * inv[None, :]
        c, sn = torch.cos(ang).repeat(1, 2), torch.sin(ang).repeat(1, 2)
        x = s[0]
        return x * c + torch.cat((-x[:, H:], x[:, :H]), dim=1) * sn
    run("rope", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(inv), ptr(s[2]), S, D, H),
        {"torch eager": eager}, sets, 2 * S * D * 4, lambda s: close(s[2], eager(s), 1e-4))


def prefix_sums():
    R, T = 1024, 1024
    f = kernel("prefix_sums", "prefix", P, P, P, P, I64, I64)
    sets = [(torch.randn(R, T), torch.empty(R, T), torch.empty(R, T), torch.empty(R, T))
            for _ in range(2)]
    def eager(s):
        y = torch.cumsum(s[0], 1)
        return y, y - s[0], torch.cummax(s[0], 1).values
    run("prefix_sums", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), ptr(s[3]), R, T),
        {"cumsum + cummax": eager}, sets, 4 * R * T * 4, lambda s: close(s[3], eager(s)[2], 0))


def selective_scan():
    Bt, Dm, L, N = 1, 256, 256, 16
    f = kernel("selective_scan", "selective_scan_gated", *([P] * 9), I64, I64, I64, I64)
    def inputs():
        return (torch.randn(Bt, Dm, L), torch.randn(Bt, Dm, L) * 0.5, torch.rand(Dm, N).log(),
                torch.randn(Bt, N, L), torch.randn(Bt, N, L), torch.randn(Dm), torch.randn(Dm) * 0.1,
                torch.randn(Bt, Dm, L), torch.empty(Bt, Dm, L))
    sets = [inputs() for _ in range(2)]
    def eager(s):  # selective_scan_ref of mamba_ssm, in PyTorch
        u, delta, A_log, B, C, D, bias, z, _ = s
        dt = F.softplus(delta + bias[None, :, None])
        dA = torch.exp(torch.einsum("bdl,dn->bdln", dt, -torch.exp(A_log)))
        dBu = torch.einsum("bdl,bnl,bdl->bdln", dt, B, u)
        x, ys = torch.zeros(Bt, Dm, N), []
        for i in range(L):
            x = dA[:, :, i] * x + dBu[:, :, i]
            ys.append(torch.einsum("bdn,bn->bd", x, C[:, :, i]))
        return (torch.stack(ys, 2) + u * D[None, :, None]) * F.silu(z)
    run("selective_scan", lambda s: f(*[ptr(t) for t in s], Bt, Dm, L, N),
        {"selective_scan_ref (torch)": eager}, sets, (4 * Bt * Dm * L + 2 * Bt * N * L) * 4,
        lambda s: close(s[8], eager(s), 1e-4))


def topk_sampling():
    B, V, K = 16, 32000, 50
    f = kernel("topk_topp_sampling", "sample", P, F32, F32, I64, I64, P, P, P, P, I64, I64, I64)
    sets = [(torch.randn(B, V) * 3, torch.empty(B, K), torch.empty(B, K, dtype=torch.int64),
             torch.empty(B, dtype=torch.int64), torch.empty(B, K)) for _ in range(2)]
    def eager(s):
        v, i = torch.topk(s[0] / 0.8, K)
        p = torch.softmax(v, 1)
        p = torch.where((torch.cumsum(p, 1) - p) < 0.9, p, 0.0)
        return i.gather(1, torch.multinomial(p, 1))
    run("topk_sampling", lambda s: f(ptr(s[0]), 0.8, 0.9, 7, 1, ptr(s[1]), ptr(s[2]), ptr(s[3]),
                                     ptr(s[4]), B, V, K),
        {"topk + multinomial": eager}, sets, B * V * 4,
        lambda s: close(s[1], torch.topk(s[0] / 0.8, K)[0], 1e-6))


def minhash():
    S, L, H = 1024, 256, 128
    f = kernel("minhash", "signature", P, P, P, I64, I64, I64)
    sets = [(torch.randint(0, 50000, (S, L), dtype=torch.int32), torch.arange(H) + 11,
             torch.empty(S, H)) for _ in range(2)]
    a = torch.randint(1, 2**31 - 1, (H,), dtype=torch.int64) | 1  # multiply-shift anchor
    def eager(s):
        return ((s[0].long()[:, None, :] * a[None, :, None]) & 0xFFFFFF).amin(2)
    run("minhash", lambda s: f(ptr(s[0]), ptr(s[1]), ptr(s[2]), S, L, H),
        {"torch multiply-shift + amin": eager}, sets, S * L * 4 + S * H * 4,
        lambda s: (bool(((s[2] >= 0) & (s[2] < 1)).all()), "signatures in [0, 1)"))


def clip_grad_norm():
    N, max_norm = 1 << 24, 1.0
    f = kernel("clip_grad_norm", "clip", P, F32, P, I64)
    sets = [(torch.randn(N), torch.empty(())) for _ in range(2)]
    def check(s):
        want = torch.linalg.vector_norm(s[0].double())
        g = s[0].double() * min(1.0, max_norm / (want.item() + 1e-6))
        f(ptr(s[0]), max_norm, ptr(s[1]), N)
        # 2e-6: the CPU sums in blocks of f32 lanes added up in f64
        # (vibee-cpu-block-reductions); torch's pairwise sum is about 1e-6 off.
        ok_norm, note = close(s[1], want, 2e-6)
        ok_g, note_g = close(s[0], g, 1e-4)
        return ok_norm and ok_g, f"norm {note}; g {note_g}"
    def eager(s):
        norm = torch.linalg.vector_norm(s[0])
        s[0].mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))
        return norm
    run("clip_grad_norm", lambda s: f(ptr(s[0]), max_norm, ptr(s[1]), N),
        {"vector_norm + mul_": eager}, sets, 3 * N * 4, check)


for case in (copy, embedding, embedding_grad, cross_entropy, rope, prefix_sums, selective_scan,
             topk_sampling, minhash, clip_grad_norm):
    if not args.only or case.__name__ in args.only.split(",") or case is copy:
        try:
            case()
        except Exception as e:  # one case's failure is reported, the others still run
            traceback.print_exc()
            results.setdefault("errors", []).append(f"{case.__name__}: {e}")

print(f"\n== summary ({results['device']}, {args.threads} thread(s), load {results['load']:.1f})")
for case, impls in results["benchmarks"].items():
    ours = impls.get("vibeec")
    anchors = {k: v["ms"] for k, v in impls.items() if k != "vibeec"}
    if ours and anchors:
        best = min(anchors, key=anchors.get)
        print(f"{case:16s} vibeec {ours['ms']:9.3f} ms, {best} {anchors[best]:9.3f} ms: "
              f"{anchors[best] / ours['ms']:6.2f}x")
os.makedirs(args.out, exist_ok=True)
path = os.path.join(args.out, f"bench_language_cpu_{args.threads}t.json")
with open(path, "w") as fh:
    json.dump(results, fh, indent=2)
print("wrote", path)
sys.exit(1 if results.get("errors") else 0)
