"""FP8 casts on the JIT against ml_dtypes, exhaustively over the finite results.

Writes a spec whose behaviors give every finite f8e4m3 / f8e5m2 value, every tie
between neighbours and the f32 values just beside each tie, values beyond the
range (f8e4m3 saturates: ml_dtypes' conversion gives NaN there, so its inputs are
clipped to +-448 first, the language's rule) and every code read back to f32, with
the expected values from ml_dtypes, and runs `vibeec test` on it. Infinities and
NaN cannot be written in a behavior: tests/unit/runtime/Fp8Test.cpp covers them
(against frontend/Float8.h, whose anchors match ml_dtypes: tools/spec-values/fp8.py).

Usage: fp8_ml_dtypes.py <vibeec> <work dir>; exit 77 (skipped) without ml_dtypes.
"""
import os
import subprocess
import sys

try:
    import ml_dtypes
    import numpy as np
except ImportError:
    print("fp8_ml_dtypes: needs numpy and ml_dtypes (scripts/python-env.sh): skipped")
    sys.exit(77)

vibeec, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
CHUNK = 90
FORMATS = {"f8e4m3": ml_dtypes.float8_e4m3fn, "f8e5m2": ml_dtypes.float8_e5m2}


def finite_values(t):
    v = np.arange(128, dtype=np.uint8).view(t).astype(np.float64)
    return np.sort(v[np.isfinite(v)])


def sweep(t):
    """f32 inputs: values, ties, one f32 step either side, beyond the range; negated."""
    v = finite_values(t)
    ties = (v[:-1] + v[1:]) / 2
    t32 = ties.astype(np.float32)
    xs = [v, ties, np.nextafter(t32, np.float32(0)), np.nextafter(t32, np.float32(np.inf))]
    x = np.concatenate([a.astype(np.float32) for a in xs]).astype(np.float64)
    return np.concatenate([x, -x])


def cast(x, name):
    if name == "f8e4m3":
        x = np.clip(x, -448.0, 448.0)
    return x.astype(np.float32).astype(FORMATS[name]).astype(np.float64)


def literal(a):
    return "[" + ", ".join(repr(float(x)) for x in a) + "]"


lines = ['spec fp8_ml_dtypes 1.0.0 "FP8 casts against ml_dtypes";']
for name in FORMATS:
    lines.append("kernel to_%s(x: f32[N]) -> q: %s[N] { q[i] = %s(x[i]); }" % (name, name, name))
    lines.append("kernel from_%s(q: %s[N]) -> y: f32[N] { y[i] = f32(q[i]); }" % (name, name))
for name, t in FORMATS.items():
    x = sweep(t)
    if name == "f8e4m3":  # saturation: the tie beyond 448 and far beyond
        x = np.concatenate([x, [464.0, 470.0, 1e4, 3e38, -464.0, -1e4]])
    q = cast(x, name)
    keep = np.isfinite(q)  # e5m2's overflow to inf: Fp8Test
    x, q = x[keep], q[keep]
    v = finite_values(t)
    v = np.concatenate([v, -v])
    # Chunks of CHUNK: a behavior's expression holds at most 200 operators (the
    # minus signs count).
    for c in range(0, len(x), CHUNK):
        lines += ['behavior "%s: values, ties and neighbours, part %d" {' % (name, c // CHUNK),
                  "  given x = %s;" % literal(x[c:c + CHUNK]), "  when to_%s(x);" % name,
                  "  then q == %s;" % literal(q[c:c + CHUNK]), "}"]
    for c in range(0, len(v), CHUNK):
        lines += ['behavior "%s: every finite code to f32, part %d" {' % (name, c // CHUNK),
                  "  given q = %s;" % literal(v[c:c + CHUNK]), "  when from_%s(q);" % name,
                  "  then y == %s;" % literal(v[c:c + CHUNK]), "}"]
spec = os.path.join(work, "fp8_ml_dtypes.vibee")
with open(spec, "w") as f:
    f.write("\n".join(lines) + "\n")
run = subprocess.run([vibeec, "test", "-Wno-untested-kernel", spec], capture_output=True, text=True)
# The report's last line (the count) and every failure, without the long lists.
for line in (run.stdout + run.stderr).splitlines():
    if line.startswith("FAIL") or " passed, " in line:
        print(line[:300])
sys.exit(run.returncode)
