"""Expected values for specs/nn/rope.vibee (NumPy float64, independent of vibeec).

RoPE (Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding",
arXiv:2104.09864, eq. 34): feature pair j of the token at position p is rotated by the
angle p * theta_j, theta_j = base^(-2j/D):
  interleaved pairs (x[2j], x[2j+1])   (the paper's eq. 34, GPT-J):
     y[2j]   = x[2j] cos - x[2j+1] sin,   y[2j+1] = x[2j+1] cos + x[2j] sin
  rotate-half pairs (x[j], x[j+H])      (GPT-NeoX, Llama's rotate_half):
     y[j]    = x[j] cos - x[j+H] sin,     y[j+H]  = x[j+H] cos + x[j] sin
The kernels write y as [S, H, 2] (interleaved) and [S, 2, H] (rotate-half): both are the
row-major [S, D] layout of the result.
"""
import numpy as np
from vibee_values import fmt, rand

S, H = 3, 2
D = 2 * H
x = rand(41, S, D)
pos = np.array([0.0, 1.0, 5.0])
inv_freq = 10000.0 ** (-2.0 * np.arange(H) / D)  # theta_j


def angles():
    return pos[:, None] * inv_freq[None, :]  # [S, H]


def interleaved(x):
    a = angles()
    c, s = np.cos(a), np.sin(a)
    even, odd = x[:, 0::2], x[:, 1::2]
    y = np.empty((S, H, 2))
    y[:, :, 0] = even * c - odd * s
    y[:, :, 1] = odd * c + even * s
    return y


def rotate_half(x):
    a = angles()
    c, s = np.cos(a), np.sin(a)
    lo, hi = x[:, :H], x[:, H:]
    y = np.empty((S, 2, H))
    y[:, 0, :] = lo * c - hi * s
    y[:, 1, :] = hi * c + lo * s
    return y


print("// given x = rand(41, %d, %d), pos = %s, inv_freq = %s" % (S, D, fmt(pos), fmt(inv_freq, 17)))
print("// interleaved:")
print("  then y ~= %s within 1e-5;" % fmt(interleaved(x), 9))
print("// rotate-half:")
print("  then y ~= %s within 1e-5;" % fmt(rotate_half(x), 9))
# Position 0 is the identity; a rotation keeps each pair's norm.
assert np.allclose(interleaved(x)[0].reshape(-1), x[0])
assert np.allclose(np.linalg.norm(interleaved(x), axis=2), np.hypot(x[:, 0::2], x[:, 1::2]))
