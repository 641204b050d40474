"""Expected values for specs/nn/rmsnorm.vibee (NumPy float64, independent of vibeec).

RMSNorm (Zhang & Sennrich 2019, "Root Mean Square Layer Normalization", eq. 4):
  y[r, c] = x[r, c] / sqrt(mean_c(x[r, c]^2) + eps) * w[c]
The bf16 kernel computes in f32 (the squares in f64) and rounds y to bf16 (8 significant bits: relative
error up to 2^-9 ~ 0.002), so its tolerance is 2e-2 for values of magnitude <= ~2.4 (1e-2 relative);
the f32 variant uses 1e-6.
"""
import numpy as np
from vibee_values import fmt, rand


def rmsnorm(x, w, eps=1e-6):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    inv = 1.0 / np.sqrt((x * x).mean(axis=1, keepdims=True) + eps)
    return x * inv * w


def to_bf16(a):
    """Round-to-nearest-even to bfloat16 (for the emulation line only)."""
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16
    return b.astype(np.uint32).view(np.float32).astype(np.float64)


def show(title, x, w, tol, **kw):
    y = rmsnorm(x, w, **kw)
    print("//", title)
    print("  then y ~= %s within %s;" % (fmt(y, 8), tol))
    return y


# All inputs are exactly representable in bf16.
x = [[1.0, -2.0, 0.5, 3.0], [0.25, 0.25, -0.25, 0.25]]
w = [1.0, 0.5, 2.0, -1.5]
y = show("bf16: unit-RMS rows scaled by w (eps = 1e-6 default)", x, w, "2e-2")
print("// (bf16 rounding of the result moves it by at most %.2g)" % np.abs(to_bf16(y) - y).max())
show("bf16: eps = 1.0 dominates a tiny row", [[0.0078125, -0.0078125, 0.0, 0.015625]],
     [1.0, 1.0, 1.0, 1.0], "1e-4", eps=1.0)
show("f32: same rows as the bf16 behavior", x, w, "1e-6")
show("f32: rand(5, 3, 8) with w = rand(6, 8)", rand(5, 3, 8), rand(6, 8), "1e-6")

# Rows whose squares over- or underflow f32 while y does not (float64 has the range):
# 1e20 (x^2 = 1e40) and 1e-25 (x^2 = 1e-50, below f32's smallest subnormal).
big = [[1e20, -2e20, 5e19, 3e20]]
tiny = [[1e-25, -2e-25, 5e-26, 3e-25]]
show("f32: a row of 1e20 (default eps)", big, w, "1e-6")
show("f32: rows of 1e20 and 1e-25, eps = 0", big + tiny, w, "1e-6", eps=0.0)
show("bf16: a row of 1e20 (default eps)", big, w, "2e-2")
show("bf16: rows of 1e20 and 1e-25, eps = 0", big + tiny, w, "2e-2", eps=0.0)
