"""Expected values for specs/quant/w4a16_group.vibee (NumPy float64, independent of vibeec).

GPTQ/AWQ layout: 4-bit codes packed two per int8 byte along k (k even in the low
nibble, k odd in the high one), one scale and zero point per group of 128 along k:
w_deq[n, k] = (code[n, k] - zero[n, k // 128]) * scale[n, k // 128]; y = x w_deq^T.
Run: python3 tools/spec-values/int4.py
"""
import numpy as np
from vibee_values import fmt, rand

K, G = 256, 128
codes = (np.arange(2 * K).reshape(2, K) * 7 + 3) % 16  # every code, both nibbles
packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8).view(np.int8)
scale = np.array([[0.5, 0.25], [0.125, 2.0]])
zero = np.array([[8.0, 7.0], [0.0, 15.0]])
x = rand(5, 1, K).astype(np.float32).astype(np.float64)
deq = (codes - np.repeat(zero, G, axis=1)) * np.repeat(scale, G, axis=1)
print("  given x = rand(5, 1, 256), w = %s, scale = %s, zero = %s;" % (
    "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in packed) + "]",
    fmt(scale), fmt(zero)))
print("  then y ~= %s within 1e-4;" % fmt(x @ deq.T))
