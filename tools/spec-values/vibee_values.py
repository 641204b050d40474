"""Shared helpers for the tools/spec-values/<spec>.py scripts.

These scripts compute the expected values of the specs' behaviors independently of
vibeec (NumPy, float64). Run one with `python3 tools/spec-values/<spec>.py`; it prints
the `given`/`then` lines to paste into specs/.
"""
import numpy as np

_MASK = (1 << 64) - 1


def rand(seed, *dims):
    """The behaviors' `rand(seed, d...)`: exactly vibee::ref::randomUniform.

    SplitMix64 with state = seed (mod 2^64); each value is (z >> 11) * 2^-52 - 1,
    uniform in [-1, 1), filled row-major.
    """
    n = 1
    for d in dims:
        n *= d
    state = seed & _MASK
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        z ^= z >> 31
        out[i] = float(z >> 11) * 2.0**-52 - 1.0  # exact: 53-bit integer times 2^-52
    return out.reshape(dims)


def fmt(a, digits=10):
    """A float64 array as a vibee literal list (`[[1, 2], [3, 4]]`)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return _num(float(a), digits)
    return "[" + ", ".join(fmt(x, digits) for x in a) + "]"


def _num(x, digits):
    s = "%.*g" % (digits, x)
    if s == "-0":
        s = "0"
    if "e" not in s and "." not in s and "inf" not in s and "nan" not in s:
        s += ".0"
    return s
