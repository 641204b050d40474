"""Expected values for specs/quant/nf4.vibee (NumPy float64 + ml_dtypes, independent of vibeec).

QLoRA (Dettmers et al. 2023, "QLoRA: Efficient Finetuning of Quantized LLMs"):
- NF4 (sec. 3, "4-bit NormalFloat"): 16 quantiles of N(0, 1) normalized to [-1, 1],
  asymmetric so that 0 is exact: 8 non-negative quantiles at probabilities evenly
  spaced from delta down to 1/2 and 7 negative ones from delta down to 1/2 (the 1/2
  of each is 0, kept once), delta = (1 - 1/(2*15) + 1 - 1/(2*16)) / 2 (the mean of
  the outermost probabilities of 15 and 16 quantiles); the spec takes the table
  printed in the paper's appendix E (computed in float32), which this agrees with
  to 2e-7.
- Blockwise absmax quantization, blocks of 64 weights along k: the code of w is the
  nearest NF4 value of w / absmax (ties to the lower code).
- Double quantization (sec. 3): the absmax constants, minus their mean (one offset
  for the whole tensor), are quantized to 8-bit floats (here OCP e4m3) with one f32
  scale per 256 blocks (per row of the weight here), c = e4m3((a - mean) / c1) and
  back a' = c c1 + mean.
- The forward (eq. 5): Y = X doubleDequant(c1, c2, W_NF4) + s (X L1) L2, with the LoRA
  adapters A [r, k] and B [n, r]: y = x W^T + s (x A^T) B^T.
Two 4-bit codes per int8 byte, k even in the low nibble and k odd in the high one
(the order of specs/quant/w4a16_group.vibee; bitsandbytes puts the first of a pair
in the high nibble).
Run: python3 tools/spec-values/nf4.py (pip install ml_dtypes).
"""
import math

import ml_dtypes
import numpy as np
from vibee_values import fmt, rand

PAPER = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
         -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
         0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
         0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0]


def norm_ppf(p):
    """Inverse of the standard normal CDF by bisection on erfc (to 1e-15)."""
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


delta = (1 - 1 / (2 * 15) + 1 - 1 / (2 * 16)) / 2
pos = [norm_ppf(p) for p in np.linspace(delta, 0.5, 9)[:-1]]
neg = [-norm_ppf(p) for p in np.linspace(delta, 0.5, 8)[:-1]]
table = np.sort(np.array(pos + [0.0] + neg))
table /= table.max()
# The paper's table was computed in float32 (its probabilities too): 2e-7 apart.
assert np.abs(table - PAPER).max() < 1e-6, np.abs(table - PAPER).max()
# The spec's table: the paper's values (bitsandbytes' too, so that its codes carry
# over), as the f32 literals the spec writes.
NF4 = np.array(["%.9g" % v for v in np.float32(PAPER)], dtype=np.float64)
print("// const nf4: f32[16] = [%s];" % ", ".join("%.9g" % v for v in np.float32(PAPER)))

E4M3 = ml_dtypes.float8_e4m3fn
f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)
bf16 = lambda a: np.asarray(a, dtype=np.float64).astype(ml_dtypes.bfloat16).astype(np.float64)
e4m3 = lambda a: np.clip(a, -448, 448).astype(E4M3).astype(np.float64)


def pack(codes):
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8).view(np.int8)


def ints(a):
    return "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in a) + "]"


def double_dequant(q2, c1, offset):
    return q2 * np.repeat(c1, 256, axis=1)[:, :q2.shape[1]] + offset


# Dequantize: every code in both nibbles, two blocks of 64 with different scales.
codes = (np.arange(128).reshape(1, 128) * 7 + 3) % 16
q2, c1, offset = e4m3([[-448.0, 160.0]]), f32([[0.0005]]), f32(0.25)
absmax = double_dequant(q2, c1, offset)
deq = NF4[codes] * np.repeat(absmax, 64, axis=1)
print("== dequantize")
print("  given w = %s, q2 = %s, c1 = %s;" % (ints(pack(codes)), fmt(q2), fmt(c1)))
print("  when dequantize(w, q2, c1, offset = %s);" % fmt(offset))
print("  then y ~= %s within 1e-6;" % fmt(deq))

# Quantize a random weight as QLoRA does, then the forward with a LoRA update.
M, N, K, R = 2, 3, 128, 2
W = f32(rand(71, N, K) * 0.08)
amax = np.abs(W).reshape(N, K // 64, 64).max(axis=2)
scaled = W / np.repeat(amax, 64, axis=1)
codes = np.abs(scaled[:, :, None] - NF4[None, None, :]).argmin(axis=2)
offset = f32(amax.mean())
c1 = f32(np.abs(amax - offset).max(axis=1, keepdims=True) / 448.0)
q2 = e4m3((amax - offset) / c1)
Wd = NF4[codes] * np.repeat(double_dequant(q2, c1, offset), 64, axis=1)
x, a, b, s = bf16(rand(72, M, K)), bf16(rand(73, R, K)), bf16(rand(74, N, R)), f32(0.03125)
print("== forward: quantization error max |W - W_nf4| = %.4g (absmax %.4g)" % (np.abs(W - Wd).max(), amax.max()))
print("  given x = rand(72, 2, 128), w = %s, q2 = %s, c1 = %s, a = rand(73, 2, 128), b = rand(74, 3, 2);" % (
    ints(pack(codes)), fmt(q2), fmt(c1)))
print("  when nf4_lora(x, w, q2, c1, a, b, offset = %s, s = 0.03125);" % fmt(offset))
y = x @ Wd.T + s * (x @ a.T) @ b.T
print("  then y ~= %s within 1e-5;" % fmt(y))
print("// the same with b = 0 (LoRA's initialisation): the NF4 layer alone")
print("  then y ~= %s within 1e-5;" % fmt(x @ Wd.T))
print("// against the unquantized weight (not a behavior): x W^T = %s" % fmt(x @ W.T))
