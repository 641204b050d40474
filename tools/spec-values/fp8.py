"""Expected values for tests/e2e/fp8.vibee and the anchors of tests/unit/runtime/Fp8Test.cpp:
OCP FP8 casts by ml_dtypes (float8_e4m3fn, float8_e5m2), independent of vibeec.

The language's f8e4m3 cast saturates (docs/language.md, "FP8"; Micikevicius et al.
2022, "FP8 Formats for Deep Learning", sec. 3): ml_dtypes converts out-of-range
values to NaN, so the values are clipped to +-448 first. f8e5m2 overflows to inf as
ml_dtypes does. Run: python3 tools/spec-values/fp8.py (pip install ml_dtypes).
"""
import ml_dtypes
import numpy as np
from vibee_values import fmt

E4M3, E5M2 = ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2


def e4m3(x):
    x = np.asarray(x, dtype=np.float64)
    return np.clip(x, -448.0, 448.0).astype(E4M3).astype(np.float64)


def e5m2(x):
    return np.asarray(x, dtype=np.float64).astype(E5M2).astype(np.float64)


def bits(x, t):
    return [int(b) for b in np.asarray(x, dtype=np.float64).astype(t).view(np.uint8)]


print("// anchors (Fp8Test.ConversionAnchors)")
print("//   e4m3", [hex(b) for b in bits(np.clip([448, 464, 1e9, -np.inf], -448, 448), E4M3)],
      [hex(b) for b in bits([2.0**-9, 2.0**-10, 1.5 * 2.0**-9, 1.0625, 1.1875], E4M3)])
print("//   e5m2", [hex(b) for b in bits([57344, 61439, 61440, 2.0**-16], E5M2)])

# Ties between neighbours (round to even), just beside them, saturation and overflow.
x = np.array([1.0625, 1.1875, -1.0625, 1.0625000001, 240.0, 464.0, 500.0, -1000.0,
              0.0029296875, 0.0009765625])
print("// to_fp8: the ties, saturation, subnormals")
print("  given x = %s;" % fmt(x, 12))
print("  then q4 == %s;" % fmt(e4m3(x)))
print("  then q5 == %s;" % fmt(e5m2(x)))
x = np.array([57344.0, 61439.0, 60000.0, 0.75, 1.125, 0.000030517578125])
print("// e5m2's range")
print("  given x = %s;" % fmt(x, 12))
print("  then q5 == %s;" % fmt(e5m2(x)))
a, b = e4m3([1.5, -0.1015625, 448.0]), e5m2([0.75, 3.0, -0.5])
s = a * b + a  # exact in float64 and in f32 here
print("// mix: FP8 read exactly, one rounding at the cast")
print("  then s == %s;" % fmt(s))
print("  then q == %s;" % fmt(e4m3(s)))
print("  then r == %s;" % fmt(e5m2(a)))
# forms: FP8 constants and tables round like casts; where/abs/round/max in f32
tab = e4m3([0.5, -1.25, 300.0, 0.001])
c8 = e5m2(3.3)
q, r, p, n = e4m3([1.0, -0.5]), e5m2([0.75, 2.0]), e4m3([1.0, -2.0]), np.array([3, -5])
rnd = np.sign(q) * np.floor(np.abs(q) + 0.5)  # the language's round: halves away from 0
print("// forms")
print("  then u == %s;" % fmt(np.outer(q, tab)))
print("  then y == %s;" % fmt(np.where(q > r, q, r) + np.abs(q) + rnd + np.maximum(q, r) + c8))
print("  then z == %s;" % fmt(np.where([True, False], q, e4m3(n * 100.0))))
print("  then p == %s;" % fmt(e4m3(p.astype(np.float32) * np.float32(0.5) + np.float32(0.3))))
