"""Expected values for tests/e2e/long_sums.vibee: long f32 sums (issue 15, "no silent
wrong answer"), NumPy float64, independent of vibeec.

Each kernel's inputs are the behaviors' rand(seed, d...) rounded to the parameter's
dtype (f32; bf16 by round-to-nearest-even), the products or shifts the kernel computes
in f32 are computed in f32 here too (correctly rounded by NumPy), and only the sum is
taken in float64: the printed value is the exact answer to about 1e-16, and each
tolerance is 2e-6 of it (relative), what a blocked or pairwise f32 sum reaches and a
sum accumulated over the whole axis in f32 vector lanes does not (8e-5 at 2^24 terms).
"""
import numpy as np
from vibee_values import fmt, rand

REL = 2e-6


def rand_fast(seed, *dims):
    """vibee_values.rand (SplitMix64), vectorized: the same values, bit for bit."""
    n = int(np.prod(dims))
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return ((z >> np.uint64(11)).astype(np.float64) * 2.0**-52 - 1.0).reshape(dims)


assert np.array_equal(rand_fast(151, 3, 333), rand(151, 3, 333))


def f32(seed, *dims):
    return rand_fast(seed, *dims).astype(np.float32)


def bf16(seed, *dims):
    bits = f32(seed, *dims).view(np.uint32)
    bits = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return bits.view(np.float32)


def then(name, value):
    value = np.asarray(value, dtype=np.float64)
    tol = REL * float(np.max(np.abs(value)))
    print("  then %s ~= %s within %s;" % (name, fmt(value, 12), fmt(tol, 3)))


x = f32(151, 1 << 24)
print("// sumsq(rand(151, 16777216))")
then("s", np.sum((x * x).astype(np.float64)))
x = f32(152, 1 << 22)
print("// shifted(rand(152, 4194304))")
then("s", np.sum((x + np.float32(1.0)).astype(np.float64)))
x = f32(153, 2, 1 << 22)
print("// rows(rand(153, 2, 4194304))")
then("s", np.sum((x * x).astype(np.float64), axis=1))
x = f32(154, 16384, 256)
print("// all2d(rand(154, 16384, 256))")
then("s", np.sum((x * x).astype(np.float64)))
x = bf16(155, 1 << 22)
print("// sumsq_bf16(rand(155, 4194304))")
then("s", np.sum((x * x).astype(np.float64)))
