"""Expected values for specs/quant/*.vibee (NumPy float64 and ml_dtypes, independent of vibeec).

absmax_int8: LLM.int8's vector-wise quantization, q = round(127 x / max|x|) per row
(halves away from zero, the language's `round`), s = max|x| / 127.
fp8_e4m3: per-tensor scale s = max|x| / 448, q = e4m3(x / s) (saturating), y = q s.
fp8_linear: y = (x e4m3(w)^T) * s[n], bf16 activations.
Run: python3 tools/spec-values/quant.py (pip install ml_dtypes).
"""
import ml_dtypes
import numpy as np
from vibee_values import fmt

np.set_printoptions(precision=10)


def round_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def absmax_int8(x):
    amax = np.abs(x).max(axis=1, keepdims=True)
    inv = np.where(amax > 0, 127.0 / np.where(amax > 0, amax, 1), 0.0)
    return np.clip(round_away(x * inv), -127, 127), amax[:, 0] / 127.0


f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)
x = f32([[1.0, -0.5, 0.25, 2.54], [-3.0, 1.5, 0.0, 0.75], [0.0, 0.0, 0.0, 0.0]])
q, s = absmax_int8(x)
print("// absmax_int8 quantize")
print("  then q == %s;" % fmt(q))
print("  then s ~= %s within 1e-7;" % fmt(s))
s2 = f32(s[:2])
print("// absmax_int8 dequantize (s as given: 0.02, 0.0236220472)")
print("  then y ~= %s within 1e-6;" % fmt(q[:2] * f32([0.02, 0.0236220472])[:, None]))


def e4m3(v):
    return np.clip(v, -448, 448).astype(ml_dtypes.float8_e4m3fn).astype(np.float64)


x = f32([[0.5, -1.75, 3.5, 0.01], [-7.0, 0.3, 2.2, -0.125]])
amax = np.abs(x).max()
s = f32(amax / 448.0)
q = e4m3(x / s)
print("// fp8_e4m3 row_amax")
print("  then a == %s;" % fmt(np.abs(x).max(axis=1)))
print("// fp8_e4m3 quantize: amax %g, s = %r" % (amax, s))
print("  then q == %s;" % fmt(q))
print("// fp8_e4m3 quantize with a stale scale s / 2 (saturates)")
print("  then q == %s;" % fmt(e4m3(x / (s / 2))))
print("// fp8_e4m3 dequantize")
print("  then y ~= %s within 1e-6;" % fmt(q * s))

xa = f32([[1.0, -2.0, 0.5, 0.25], [0.125, 1.5, -1.0, 3.0]])  # bf16-exact
w = e4m3(np.array([[0.5, -1.0, 2.0, 448.0], [-0.1015625, 3.0, 0.75, -6.0], [1.125, 0.0, -0.5, 0.25]]))
sc = f32([0.5, 2.0, 0.25])
print("// fp8_linear")
print("  then y ~= %s within 1e-5;" % fmt((xa @ w.T) * sc))

# fp8_gemm: c = bf16((a b^T) * (scale_a * scale_b)); fp8_gemm_e5m2: dx = scale *
# (dy w^T), dy in e5m2, w in e4m3, f32 out. The operands are drawn here and
# printed as the givens (values exact in their FP8 format).
from vibee_values import rand


def e5m2(v):
    return np.asarray(v).astype(ml_dtypes.float8_e5m2).astype(np.float64)


def bf16(v):
    return np.asarray(v, dtype=np.float32).astype(ml_dtypes.bfloat16).astype(np.float64)


a, b = e4m3(rand(91, 3, 8) * 8), e4m3(rand(92, 4, 8) * 8)
prod = f32(np.float32(0.75) * np.float32(1.5))
print("// fp8_gemm random 3 x 4 x 8, scale_a 0.75, scale_b 1.5")
print("  given a = %s, b = %s, scale_a = 0.75, scale_b = 1.5;" % (fmt(a), fmt(b)))
# float64 values: the oracle does not round c to bf16, the compiled code does (half a
# bf16 ulp below |c| = 128 is 0.25: the tolerance).
print("  then c ~= %s within 0.25;" % fmt((a @ b.T) * prod))
print("  (bf16-rounded, for reference: %s)" % fmt(bf16(f32(a @ b.T) * prod)))
dy, w = e5m2(rand(93, 2, 6) * 100), e4m3(rand(94, 3, 6))
print("// fp8_gemm_e5m2 random 2 x 3 x 6, scale 0.5")
print("  given dy = %s, w = %s, scale = 0.5;" % (fmt(dy), fmt(w)))
print("  then dx ~= %s within 1e-4;" % fmt(0.5 * (dy @ w.T)))

# int8_gemm: c = a b^T in int32; int8_gemm_scaled: y = f32(a b^T) * sa[m] * sb[n]
# (LLM.int8's vector-wise dequantization). Operands drawn here, printed as givens.
rng = np.random.default_rng(95)
a8, b8 = rng.integers(-128, 128, (3, 8)), rng.integers(-128, 128, (4, 8))
print("// int8_gemm random 3 x 4 x 8 (extremes -128 and 127 included)")
a8[0, 0], b8[0, 0], a8[1, 1], b8[1, 1] = -128, -128, 127, -128
print("  given a = %s, b = %s;" % (fmt(a8), fmt(b8)))
print("  then c == %s;" % fmt(a8 @ b8.T))
sa, sb = f32([0.5, 0.01, 2.0]), f32([0.25, 1.0, 0.003, 4.0])
print("// int8_gemm_scaled, sa = %s, sb = %s" % (fmt(sa), fmt(sb)))
print("  then y ~= %s within 0.02;" % fmt(f32((a8 @ b8.T)) * sa[:, None] * sb[None, :]))
