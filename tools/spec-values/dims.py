"""Expected values for tests/e2e/dims.vibee (NumPy float64, independent of vibeec).

Result dims written as expressions: a valid 1-D convolution (np.convolve with the
flipped filter, mode "valid": N - K + 1 outputs), forward differences (N - 1), a
2x nearest-neighbour upsampling of the columns (2 * C) and a 3-tap box sum (N - 2).
The inputs are f32 values (rand rounded to f32, as vibeec test stores them).
Run: python3 tools/spec-values/dims.py
"""
import numpy as np
from vibee_values import fmt, rand


def f32(a):
    return np.asarray(a, np.float32).astype(np.float64)


print("conv1d:")
x, w = f32(rand(3, 9)), f32(rand(4, 4))
y = np.convolve(x, w[::-1], mode="valid")
assert y.shape == (9 - 4 + 1,)
print("  given x = rand(3, 9), w = rand(4, 4);")
print("  then y ~= %s within 1e-5;" % fmt(y))
print("  then e ~= %s within 1e-5;" % fmt(np.sum(y * y)))

print("diff_upsample:")
x = f32(rand(5, 3, 4))
print("  given x = rand(5, 3, 4);")
print("  then d ~= %s within 1e-6;" % fmt(np.diff(x, axis=0)))
print("  then u ~= %s within 1e-6;" % fmt(np.repeat(x, 2, axis=1)))

print("box3:")
x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
y = np.convolve(x, np.ones(3), mode="valid")
print("  then y == %s;" % fmt(y))
print("  then m == %s;" % fmt(np.max(y * y)))
