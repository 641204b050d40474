"""Expected values for specs/linalg/matmul.vibee (NumPy float64, independent of vibeec).

c[m, n] = sum_k a[m, k] * b[k, n]. The `rand` inputs are reproduced bit-exactly by
vibee_values.rand (the same SplitMix64 as vibee::ref::randomUniform).
"""
import numpy as np
from vibee_values import fmt, rand

a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = np.array([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]])
print("// 2x3 times 3x2 (also checked by hand: 1*7+2*9+3*11 = 58, ...)")
print("  then c == %s;" % fmt(a @ b))

a = rand(11, 3, 4)
b = rand(12, 4, 2)
print("// rand(11, 3, 4) times rand(12, 4, 2)")
print("  then c ~= %s within 1e-6;" % fmt(a @ b))
# the compiled kernel rounds the inputs and accumulates in f32: show how far that lands
c32 = a.astype(np.float32) @ b.astype(np.float32)
print("// (float32 emulation differs by at most %.2g)" % np.abs(c32 - a @ b).max())
