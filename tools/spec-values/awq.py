"""Expected values for specs/quant/awq.vibee (NumPy float64, independent of vibeec).

AWQ (Lin et al. 2024, "AWQ: Activation-aware Weight Quantization for LLM Compression
and Acceleration", sec. 3.2-3.3): per input channel, s = mean_t |x[t, k]| ^ alpha
(at least 1e-4), normalized by sqrt(max s * min s); the weight's columns are
multiplied by s (the activations are divided by it in the previous operator), then
quantized to 4 bits asymmetrically per group of 128 along k (the reference
implementation's zero-point quantization): scale = max(max - min, 1e-5) / 15,
zero = clamp(-round(min / scale), 0, 15), code = clamp(round(w s / scale) + zero,
0, 15). Rounding: halves away from zero, as the language's `round` (torch.round
rounds them to even; the two differ on exact halves only).
Codes packed two per int8 byte, k even in the low nibble (specs/quant/w4a16_group.vibee).
Run: python3 tools/spec-values/awq.py
"""
import numpy as np
from vibee_values import fmt, rand

f16 = lambda a: np.asarray(a, dtype=np.float16).astype(np.float64)
f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)


def round_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def awq(x, w, alpha):
    T, G, J = x.shape
    s = np.maximum((np.abs(x).sum(axis=0) / T) ** alpha, 1e-4)
    s = s / np.sqrt(s.max() * s.min())
    ws = w * s[None]
    hi, lo = ws.max(axis=2), ws.min(axis=2)
    sc = np.maximum(hi - lo, 1e-5) / 15.0
    zp = np.clip(-round_away(lo / sc), 0, 15)
    code = np.clip(round_away(ws / sc[:, :, None]) + zp[:, :, None], 0, 15).astype(np.int64)
    q = (code[:, :, 0::2] | (code[:, :, 1::2] << 4)).astype(np.uint8).view(np.int8)
    return q, sc, zp, s, code


def ints(a):
    if a.ndim == 1:
        return "[" + ", ".join(str(int(v)) for v in a) + "]"
    return "[" + ", ".join(ints(r) for r in a) + "]"


x, w = f16(rand(81, 3, 1, 128)), f16(rand(82, 2, 1, 128))
print("  given x = rand(81, 3, 1, 128), w = rand(82, 2, 1, 128);")
for alpha in (0.5, 0.0):
    q, sc, zp, s, code = awq(x, w, alpha)
    print("== alpha = %g" % alpha)
    print("  then q == %s;" % ints(q))
    print("  then scale ~= %s within 1e-7;" % fmt(sc))
    print("  then zero == %s;" % fmt(zp))
    print("  then s ~= %s within 1e-6;" % fmt(s))
    deq = (code - zp[:, :, None]) * sc[:, :, None]
    xs = x / s[None]
    err = np.abs(xs.reshape(3, 128) @ deq.reshape(2, 128).T - x.reshape(3, 128) @ w.reshape(2, 128).T).max()
    print("// max |x/s (q - zero) scale^T - x w^T| = %.4g" % err)
