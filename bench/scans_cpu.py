#!/usr/bin/env python3
"""GPU-free scan benchmark: specs/ssm/prefix_sums.vibee (cumsum, exclusive cumsum,
cummax along the rows) compiled to an object by this build's vibeec (and, with
--baseline, by another vibeec: an A/B of a code change in one run), linked with the
CPU thread runtime and called with ctypes on NumPy arrays; NumPy's cumsum +
maximum.accumulate as the anchor (PyTorch's CPU cumsum is the issue's anchor where
torch is installed: bench/language_cpu.py). Each result is checked against float64
first. Medians of 9 wall-clock calls; writes bench/results/scans_cpu_<cpu>.json."""
import argparse, ctypes, json, os, platform, subprocess, tempfile, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--vibeec", default=os.path.join(ROOT, "build", "bin", "vibeec"))
ap.add_argument("--baseline", help="another vibeec to time side by side")
ap.add_argument("--threads", default="1,2")
ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
args = ap.parse_args()
OMP = "/usr/lib/llvm-22/lib"


def build(vibeec, work, tag):
    obj, lib = os.path.join(work, tag + ".o"), os.path.join(work, f"lib{tag}.so")
    subprocess.run([vibeec, "compile", os.path.join(ROOT, "specs/ssm/prefix_sums.vibee"), "--emit=obj",
                    "-o", obj], check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib, obj,
                    os.path.join(ROOT, "backends", "cpu", "CpuRuntime.c"), f"-L{OMP}",
                    "-Wl,--no-as-needed", "-lomp", "-Wl,--as-needed", f"-Wl,-rpath,{OMP}", "-lm"],
                   check=True)
    return lib


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def median_ms(fn, n=9):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[n // 2] * 1e3


# One process per thread count (the runtime reads VIBEE_NUM_THREADS once).
if os.environ.get("SCANS_CPU_CHILD"):
    libs = json.loads(os.environ["SCANS_CPU_CHILD"])
    out = {}
    P = ctypes.c_void_p
    for R, T in ((1024, 1024), (4096, 4096), (16, 1 << 20)):
        x = np.random.default_rng(0).standard_normal((R, T), dtype=np.float32)
        y64 = np.cumsum(x.astype(np.float64), 1)
        case = out.setdefault(f"{R}x{T}", {})
        for tag, path in libs.items():
            f = ctypes.CDLL(path).vibee_prefix_sums_prefix
            f.argtypes = [P, P, P, P, ctypes.c_int64, ctypes.c_int64]
            ys = [np.empty_like(x) for _ in range(3)]
            call = lambda: f(x.ctypes.data, ys[0].ctypes.data, ys[1].ctypes.data, ys[2].ctypes.data, R, T)
            call()
            err = float(max(np.abs(ys[0] - y64).max(), np.abs(ys[1] - (y64 - x)).max()) / np.abs(y64).max())
            if err > 1e-4 or not np.array_equal(ys[2], np.maximum.accumulate(x, 1)):
                raise SystemExit(f"{tag} {R}x{T}: wrong result (error {err:.1e})")
            case[tag] = {"ms": median_ms(call), "max_rel_error": err}
        case["numpy cumsum + maximum.accumulate"] = {
            "ms": median_ms(lambda: (np.cumsum(x, 1), np.maximum.accumulate(x, 1)))}
    print(json.dumps(out))
    raise SystemExit(0)

with tempfile.TemporaryDirectory() as work:
    libs = {"vibeec": build(args.vibeec, work, "vibeec")}
    if args.baseline:
        libs["vibeec baseline"] = build(args.baseline, work, "baseline")
    results = {"cpu": cpu_name(), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
               "load": os.getloadavg(), "threads": {}}
    for t in args.threads.split(","):
        env = dict(os.environ, VIBEE_NUM_THREADS=t, SCANS_CPU_CHILD=json.dumps(libs))
        run = subprocess.run(["python3", __file__], env=env, capture_output=True, text=True, check=True)
        results["threads"][t] = json.loads(run.stdout)
        for case, impls in results["threads"][t].items():
            line = ", ".join(f"{k} {v['ms']:.2f} ms" for k, v in impls.items())
            print(f"{t} thread(s) {case:13s} {line}")
os.makedirs(args.out, exist_ok=True)
path = os.path.join(args.out, "scans_cpu_" + "".join(c if c.isalnum() else "_" for c in results["cpu"])[:40] + ".json")
with open(path, "w") as fh:
    json.dump(results, fh, indent=2)
print("wrote", path)
