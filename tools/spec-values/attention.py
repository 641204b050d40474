"""Expected values for the attention specs (NumPy float64, independent of vibeec):
specs/attention/attention.vibee, causal.vibee, gqa.vibee, decode.vibee.

softmax(scale * q k^T [+ mask]) v, the "scaled dot-product attention" of Vaswani
et al. 2017, eq. 1 (what FlashAttention, Dao et al. 2022, computes exactly).
Run: python3 tools/spec-values/attention.py [attention|causal|gqa|decode].
The `rand` inputs are reproduced bit-exactly by vibee_values.rand.
"""
import sys

import numpy as np
from vibee_values import fmt, rand


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def to_bf16(a):
    """Round-to-nearest-even to bfloat16 (via the float32 bit pattern)."""
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16
    return b.astype(np.uint32).view(np.float32).astype(np.float64)


def sdpa(q, k, v, scale, causal=False):
    s = scale * np.einsum("...id,...jd->...ij", q, k)
    if causal:
        i, j = np.indices(s.shape[-2:])
        s = np.where(j <= i, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return np.einsum("...ij,...je->...ie", p / p.sum(-1, keepdims=True), v)


def attention():
    q, k, v = f32(rand(61, 1, 2, 3, 4)), f32(rand(62, 1, 2, 5, 4)), f32(rand(63, 1, 2, 5, 4))
    print("  then o ~= %s within 1e-6;" % fmt(sdpa(q, k, v, f32(0.5))))
    qb, kb, vb = to_bf16(rand(61, 1, 2, 3, 4)), to_bf16(rand(62, 1, 2, 5, 4)), to_bf16(rand(63, 1, 2, 5, 4))
    print("  bf16: then o ~= %s within 1e-2;" % fmt(sdpa(qb, kb, vb, f32(0.5))))


def causal():
    q, k, v = f32(rand(71, 2, 4, 3)), f32(rand(72, 2, 4, 3)), f32(rand(73, 2, 4, 3))
    print("  then o ~= %s within 1e-6;" % fmt(sdpa(q, k, v, f32(0.5), causal=True)))


def gqa():
    # Two groups of two query heads share one key/value head: q[b, g, r, i, d].
    q, k, v = f32(rand(81, 1, 2, 2, 3, 4)), f32(rand(82, 1, 2, 5, 4)), f32(rand(83, 1, 2, 5, 4))
    o = sdpa(q, k[:, :, None], v[:, :, None], f32(0.5))
    print("  then o ~= %s within 1e-6;" % fmt(o))


def decode():
    # One query per head against seven keys: q[h, d], o[h, e].
    q, k, v = f32(rand(91, 2, 4)), f32(rand(92, 2, 7, 4)), f32(rand(93, 2, 7, 4))
    print("  then o ~= %s within 1e-6;" % fmt(sdpa(q[:, None], k, v, f32(0.5))[:, 0]))


if __name__ == "__main__":
    for name in sys.argv[1:] or ["attention", "causal", "gqa", "decode"]:
        print("//", name)
        globals()[name]()
