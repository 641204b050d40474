"""Expected values for specs/quant/llm_int8.vibee (NumPy float64, independent of vibeec).

LLM.int8() (Dettmers et al. 2022, "LLM.int8(): 8-bit Matrix Multiplication for
Transformers at Scale", sec. 3.2-3.3): the feature dimensions (columns of x, the
inputs of w) where any row has |x| >= the threshold (the paper's alpha = 6) are
multiplied in 16-bit; the rest are quantized vector-wise, x per row and w per
output channel, to int8 with scale 127 / absmax (absmax over those columns),
multiplied in int32 and rescaled by absmax_x absmax_w / 127^2; the two parts are
summed. Rounding: halves away from zero, as the language's `round` (NumPy's rounds
them to even: sign(v) floor(|v| + 0.5) here).
Run: python3 tools/spec-values/llm_int8.py
"""
import numpy as np
from vibee_values import fmt

f16 = lambda a: np.asarray(a, dtype=np.float16).astype(np.float64)
f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)


def round_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def llm_int8(x, w, threshold):
    outlier = (np.abs(x) >= threshold).any(axis=0)
    xi, wi = np.where(outlier, 0.0, x), np.where(outlier, 0.0, w)
    ax, aw = np.abs(xi).max(axis=1), np.abs(wi).max(axis=1)
    inv = lambda a: np.where(a > 0, 127.0 / np.where(a > 0, a, 1.0), 0.0)
    xq = round_away(xi * inv(ax)[:, None])
    wq = round_away(wi * inv(aw)[:, None])
    hi = np.where(outlier, x, 0.0) @ w.T
    return hi + (xq @ wq.T) * np.outer(ax / 127.0, aw / 127.0), outlier


x = f16([[0.5, -1.25, 8.5, 0.125, -0.75, 2.0, 0.0625, -0.3],
         [1.5, 0.25, -0.5, -2.0, 0.875, -0.125, 1.0, 0.6],
         [-0.25, 0.75, 1.25, 0.5, -1.5, 6.5, -0.375, 0.2]])
w = f16([[0.02, -0.11, 0.3, 0.07, -0.05, 0.12, -0.2, 0.09],
         [-0.15, 0.04, -0.08, 0.22, 0.1, -0.03, 0.06, -0.17]])
print("  given x = %s, w = %s;" % (fmt(x), fmt(w)))
y, outlier = llm_int8(x, w, 6.0)
print("// outlier columns at threshold 6: %s" % np.nonzero(outlier)[0].tolist())
print("  then y ~= %s within 1e-5;" % fmt(y))
print("// x w^T in float64 (not a behavior): %s" % fmt(x @ w.T))
y, outlier = llm_int8(x, w, 100.0)
print("// threshold 100, no outlier: int8 alone")
print("  then y ~= %s within 1e-5;" % fmt(y))
