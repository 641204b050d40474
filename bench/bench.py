#!/usr/bin/env python3
"""vibeec CPU benchmark: spec kernels side by side with a naive -O3 -march=native
loop, PyTorch CPU, OpenBLAS (matmul) and a STREAM-like copy, in one process,
interleaved, medians of several repeats. Prints one table, writes JSON.

    python3 bench/bench.py [--build build-perf] [--repeats 7] [--quick] [--json out.json]

Needs: a built vibeec, cc, numpy; optional: torch (pip install torch),
libopenblas (apt install libopenblas-dev). Missing optional anchors are skipped.
"""
import argparse, ctypes, json, os, platform, statistics, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F32P, U16P = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_uint16)
I64, F32 = ctypes.c_int64, ctypes.c_float


def ptr(a):
    return a.ctypes.data_as(F32P if a.dtype == np.float32 else U16P)


def sh(cmd):
    subprocess.run(cmd, check=True)


def build(args, work):
    vibeec = os.path.join(args.build, "bin", "vibeec")
    specs = {"lion": "specs/optim/lion.vibee", "adamw": "specs/optim/adamw.vibee",
             "softmax": "specs/nn/softmax.vibee", "rmsnorm": "specs/nn/rmsnorm.vibee",
             "matmul": "specs/linalg/matmul.vibee"}
    objects, compile_s = [], {}
    for name, spec in specs.items():
        # Cold JIT compile (+ the spec's few tiny behaviour runs): `vibeec test`.
        t = time.perf_counter()
        subprocess.run([vibeec, "test", os.path.join(ROOT, spec)], check=True,
                       stdout=subprocess.DEVNULL)
        compile_s[name] = {"jit_test_s": time.perf_counter() - t}
        obj = os.path.join(work, name + ".o")
        t = time.perf_counter()
        sh([vibeec, "compile", os.path.join(ROOT, spec), "--emit=obj", "-o", obj])
        compile_s[name]["aot_s"] = time.perf_counter() - t
        objects.append(obj)
    lib = os.path.join(work, "libvibee_bench.so")
    # Threads: the objects reference the thread admission runtime and libomp
    # weakly (docs/abi.md); linking both in enables them.
    omp_dir = "/usr/lib/llvm-22/lib"
    sh(["cc", "-O2", "-shared", "-fPIC", "-o", lib] + objects +
       [os.path.join(ROOT, "backends", "cpu", "CpuRuntime.c"), f"-L{omp_dir}", "-Wl,--no-as-needed", "-lomp", "-Wl,--as-needed",
        f"-Wl,-rpath,{omp_dir}", "-lm"])
    naive = os.path.join(work, "libnaive.so")
    sh(["cc", "-O3", "-march=native", "-shared", "-fPIC", "-o", naive,
        os.path.join(ROOT, "bench", "naive.c"), "-lm"])
    # The C++ output (--emit=cpp + cpp-source) built as a user would: g++ -O3
    # -march=native, no -ffast-math; single-threaded, like naive.c.
    sources = []
    for name, spec in specs.items():
        for emit, ext in (("cpp", ".hpp"), ("cpp-source", ".cpp")):
            sh([vibeec, "compile", os.path.join(ROOT, spec), f"--emit={emit}", "-o",
                os.path.join(work, name + ext)])
        sources.append(os.path.join(work, name + ".cpp"))
    cpp = os.path.join(work, "libvibee_cpp.so")
    sh(["c++", "-O3", "-march=native", "-shared", "-fPIC", "-o", cpp] + sources)
    return ctypes.CDLL(lib), ctypes.CDLL(naive), ctypes.CDLL(cpp), compile_s


def load_openblas():
    for name in ("libopenblas.so", "libopenblas.so.0"):
        try:
            lib = ctypes.CDLL(name)
            lib.cblas_sgemm.restype = None
            return lib
        except OSError:
            pass
    return None


def timeit(fn, repeats, inner=1):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-perf"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results.json"))
    ap.add_argument("--only", help="comma-separated kernels to run (copy is always run)")
    ap.add_argument("--threads", help="comma-separated thread counts (default: 1 and all cores)")
    args = ap.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        torch = None
    blas = load_openblas()
    cores = os.cpu_count()
    work = tempfile.mkdtemp(prefix="vibee-bench-")
    vib, naive, cpp, compile_s = build(args, work)

    n_opt = 1 << 20 if args.quick else 16 << 20
    rows = cols = 512 if args.quick else 4096
    mm_sizes = [256, 250] if args.quick else [1000, 1024, 2048]  # 1000, 250: edge tiles
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s, dtype=np.float32)

    cases = []  # (kernel, size, metric, amount, {impl: fn})

    # STREAM-like copy (bandwidth anchor); GB/s counts read + write.
    src, dst = f32(n_opt), np.empty(n_opt, np.float32)
    cases.append(("copy", f"{n_opt}", "GB/s", 8.0 * n_opt, {
        "naive": lambda: naive.naive_copy(ptr(dst), ptr(src), I64(n_opt)),
        "numpy": lambda: np.copyto(dst, src)}))

    # Lion: param, m read+write; grad read: 20 B/element.
    p, g, m = f32(n_opt), f32(n_opt), f32(n_opt) * 0.1
    lion = {
        "vibeec": lambda: vib.vibee_lion_step(ptr(p), ptr(g), ptr(m), F32(1e-4), F32(0.1), I64(n_opt)),
        "vibeec-cpp": lambda: cpp.vibee_lion_step(ptr(p), ptr(g), ptr(m), F32(1e-4), F32(0.1), I64(n_opt)),
        "naive": lambda: naive.naive_lion(ptr(p), ptr(g), ptr(m), F32(1e-4), F32(0.1), I64(n_opt))}
    if torch is not None:
        tp, tg, tm = torch.from_numpy(p), torch.from_numpy(g), torch.from_numpy(m)

        def torch_lion():  # in-place tensor ops (torch has no Lion optimizer)
            c = tm.mul(0.9).add_(tg, alpha=0.1).sign_()
            tp.mul_(1 - 1e-4 * 0.1).add_(c, alpha=-1e-4)
            tm.mul_(0.99).add_(tg, alpha=0.01)
        lion["torch"] = torch_lion
    cases.append(("lion", f"{n_opt}", "GB/s", 20.0 * n_opt, lion))

    # AdamW: param, m, v read+write; grad read: 28 B/element.
    ap_, ag, am, av = f32(n_opt), f32(n_opt), np.zeros(n_opt, np.float32), np.zeros(n_opt, np.float32)
    adamw = {
        "vibeec": lambda: vib.vibee_adamw_step(ptr(ap_), ptr(ag), ptr(am), ptr(av), F32(1e-3), F32(10.0),
                                               F32(0.01), F32(0.9), F32(0.999), F32(1e-8), I64(n_opt)),
        "vibeec-cpp": lambda: cpp.vibee_adamw_step(ptr(ap_), ptr(ag), ptr(am), ptr(av), F32(1e-3), F32(10.0),
                                                   F32(0.01), F32(0.9), F32(0.999), F32(1e-8), I64(n_opt)),
        "naive": lambda: naive.naive_adamw(ptr(ap_), ptr(ag), ptr(am), ptr(av), F32(1e-3), F32(10.0),
                                           F32(0.01), F32(0.9), F32(0.999), F32(1e-8), I64(n_opt))}
    if torch is not None:
        for variant in ("fused", "foreach"):
            tparam = torch.nn.Parameter(torch.from_numpy(f32(n_opt)))
            tparam.grad = torch.from_numpy(f32(n_opt))
            opt = torch.optim.AdamW([tparam], lr=1e-3, weight_decay=0.01, **{variant: True})
            opt.step()
            adamw[f"torch-{variant}"] = opt.step
    cases.append(("adamw", f"{n_opt}", "GB/s", 28.0 * n_opt, adamw))

    # Softmax rows: read x, write y.
    x, y = f32(rows, cols), np.empty((rows, cols), np.float32)
    sm = {"vibeec": lambda: vib.vibee_softmax_softmax(ptr(x), ptr(y), I64(rows), I64(cols)),
          "vibeec-cpp": lambda: cpp.vibee_softmax_softmax(ptr(x), ptr(y), I64(rows), I64(cols)),
          "naive": lambda: naive.naive_softmax(ptr(x), ptr(y), I64(rows), I64(cols))}
    if torch is not None:
        tx = torch.from_numpy(x)
        sm["torch"] = lambda: torch.softmax(tx, dim=1)
    cases.append(("softmax", f"{rows}x{cols}", "GB/s", 8.0 * rows * cols, sm))

    # RMSNorm f32 and bf16 (bf16 storage, f32 accumulation).
    w = f32(cols)
    rn = {"vibeec": lambda: vib.vibee_rmsnorm_rmsnorm_f32(ptr(x), ptr(w), F32(1e-6), ptr(y), I64(rows), I64(cols)),
          "vibeec-cpp": lambda: cpp.vibee_rmsnorm_rmsnorm_f32(ptr(x), ptr(w), F32(1e-6), ptr(y), I64(rows), I64(cols)),
          "naive": lambda: naive.naive_rmsnorm_f32(ptr(x), ptr(w), F32(1e-6), ptr(y), I64(rows), I64(cols))}
    if torch is not None:
        tw = torch.from_numpy(w)
        rn["torch"] = lambda: F.rms_norm(tx, (cols,), tw, 1e-6)
    cases.append(("rmsnorm_f32", f"{rows}x{cols}", "GB/s", 8.0 * rows * cols, rn))
    xb = (x.view(np.uint32) >> 16).astype(np.uint16)
    wb = (w.view(np.uint32) >> 16).astype(np.uint16)
    yb = np.empty_like(xb)
    rnb = {"vibeec": lambda: vib.vibee_rmsnorm_rmsnorm(ptr(xb), ptr(wb), F32(1e-6), ptr(yb), I64(rows), I64(cols)),
           "vibeec-cpp": lambda: cpp.vibee_rmsnorm_rmsnorm(ptr(xb), ptr(wb), F32(1e-6), ptr(yb), I64(rows), I64(cols)),
           "naive": lambda: naive.naive_rmsnorm_bf16(ptr(xb), ptr(wb), F32(1e-6), ptr(yb), I64(rows), I64(cols))}
    if torch is not None:
        txb, twb = tx.to(torch.bfloat16), tw.to(torch.bfloat16)
        rnb["torch"] = lambda: F.rms_norm(txb, (cols,), twb, 1e-6)
    cases.append(("rmsnorm_bf16", f"{rows}x{cols}", "GB/s", 4.0 * rows * cols, rnb))

    # Softmax bf16 (bf16 storage, f32 math): read x, write y, 2 B each.
    yb2 = np.empty_like(xb)
    smb = {"vibeec": lambda: vib.vibee_softmax_softmax_bf16(ptr(xb), ptr(yb2), I64(rows), I64(cols)),
           "vibeec-cpp": lambda: cpp.vibee_softmax_softmax_bf16(ptr(xb), ptr(yb2), I64(rows), I64(cols)),
           "naive": lambda: naive.naive_softmax_bf16(ptr(xb), ptr(yb2), I64(rows), I64(cols))}
    if torch is not None:
        smb["torch"] = lambda: torch.softmax(txb, dim=1)
    cases.append(("softmax_bf16", f"{rows}x{cols}", "GB/s", 4.0 * rows * cols, smb))

    # Matmul: GFLOP/s.
    for s in mm_sizes:
        a, b, c = f32(s, s), f32(s, s), np.empty((s, s), np.float32)
        mmi = {"vibeec": (lambda a=a, b=b, c=c, s=s: vib.vibee_matmul_matmul(ptr(a), ptr(b), ptr(c), I64(s), I64(s), I64(s))),
               "vibeec-cpp": (lambda a=a, b=b, c=c, s=s: cpp.vibee_matmul_matmul(ptr(a), ptr(b), ptr(c), I64(s), I64(s), I64(s)))}
        if s <= 1024 or args.quick:
            mmi["naive"] = lambda a=a, b=b, c=c, s=s: naive.naive_matmul(ptr(a), ptr(b), ptr(c), I64(s), I64(s), I64(s))
        if blas is not None:
            mmi["openblas"] = lambda a=a, b=b, c=c, s=s: blas.cblas_sgemm(
                101, 111, 111, s, s, s, F32(1.0), ptr(a), s, ptr(b), s, F32(0.0), ptr(c), s)
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            mmi["torch"] = lambda ta=ta, tb=tb: ta @ tb
        cases.append((f"matmul", f"{s}", "GFLOP/s", 2.0 * s ** 3, mmi))

    # matmul_bf16 (bf16 operands, f32 accumulation, bf16 result): the CPU runs it on
    # the generic loops (the packed micro-kernel is f32 only); torch uses its bf16 GEMM.
    s = 256 if args.quick else 1024
    a16 = (f32(s, s).view(np.uint32) >> 16).astype(np.uint16)
    b16 = (f32(s, s).view(np.uint32) >> 16).astype(np.uint16)
    c16 = np.empty((s, s), np.uint16)
    mmb = {"vibeec": lambda: vib.vibee_matmul_matmul_bf16(ptr(a16), ptr(b16), ptr(c16), I64(s), I64(s), I64(s)),
           "vibeec-cpp": lambda: cpp.vibee_matmul_matmul_bf16(ptr(a16), ptr(b16), ptr(c16), I64(s), I64(s), I64(s))}
    if torch is not None:
        ta16 = torch.from_numpy(a16.view(np.int16)).view(torch.bfloat16)
        tb16 = torch.from_numpy(b16.view(np.int16)).view(torch.bfloat16)
        mmb["torch"] = lambda: ta16 @ tb16
    cases.append(("matmul_bf16", f"{s}", "GFLOP/s", 2.0 * s ** 3, mmb))

    # Thread settings: 1 thread, then all cores, for the anchors that have threads.
    def set_threads(n):
        if torch is not None:
            torch.set_num_threads(n)
        if blas is not None and hasattr(blas, "openblas_set_num_threads"):
            blas.openblas_set_num_threads(n)
        os.environ["OMP_NUM_THREADS"] = str(n)

    load0 = tuple(round(x, 1) for x in os.getloadavg())
    results = []
    only = set(args.only.split(",")) | {"copy"} if args.only else None
    cases = [c for c in cases if only is None or c[0] in only]
    thread_counts = [int(t) for t in args.threads.split(",")] if args.threads else sorted({1, cores})
    for threads in thread_counts:
        set_threads(threads)
        for kernel, size, metric, amount, impls in cases:
            if threads > 1:  # the C++ output is single-threaded
                impls = {k: v for k, v in impls.items() if k != "vibeec-cpp"}
            samples = {k: [] for k in impls}
            for _ in range(args.repeats):  # interleaved repeats
                for name, fn in impls.items():
                    samples[name] += timeit(fn, 1)
            for name, ts in samples.items():
                med = statistics.median(ts)
                results.append({"kernel": kernel, "size": size, "impl": name, "threads": threads,
                                "median_s": med, "min_s": min(ts), "metric": metric,
                                "rate": amount / med / 1e9})

    copy_bw = {t: max(r["rate"] for r in results if r["kernel"] == "copy" and r["threads"] == t)
               for t in {r["threads"] for r in results}}
    print(f"machine: {platform.processor() or platform.machine()}, {cores} cores, "
          f"torch {torch.__version__ if torch else 'absent'}, openblas {'yes' if blas else 'absent'}; "
          f"medians of {args.repeats}; vibeec threads follow OMP_NUM_THREADS (thr column); "
          f"load average before the run {load0}")
    hdr = f"{'kernel':13} {'size':10} {'thr':>3} {'impl':14} {'median ms':>10} {'rate':>10} {'metric':8} {'t/t_vibeec':>10} {'%copy':>6}"
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        base = [q for q in results if q["kernel"] == r["kernel"] and q["size"] == r["size"]
                and q["threads"] == r["threads"] and q["impl"] == "vibeec"]
        ratio = r["median_s"] / base[0]["median_s"] if base else float("nan")
        r["time_over_vibeec"] = ratio if base else None
        pct = 100 * r["rate"] / copy_bw[r["threads"]] if r["metric"] == "GB/s" else float("nan")
        r["pct_copy_bw"] = pct if r["metric"] == "GB/s" else None
        print(f"{r['kernel']:13} {r['size']:10} {r['threads']:>3} {r['impl']:14} {1e3 * r['median_s']:10.3f} "
              f"{r['rate']:10.2f} {r['metric']:8} {ratio:10.2f} {pct:6.0f}")
    print("t/t_vibeec: that row's median time over vibeec's (> 1: vibeec is faster); "
          "%copy: rate as a share of the copy bandwidth at the same thread count")
    print("compile time per spec (cold process): " + ", ".join(
        f"{k}: test(JIT) {v['jit_test_s']:.2f}s, AOT {v['aot_s']:.2f}s" for k, v in compile_s.items()))
    with open(args.json, "w") as f:
        json.dump({"cores": cores, "machine": platform.processor(), "repeats": args.repeats,
                   "compile": compile_s, "results": results,
                   "loadavg": os.getloadavg()}, f, indent=1)
    print("wrote", args.json, "; load average", os.getloadavg())


if __name__ == "__main__":
    main()
