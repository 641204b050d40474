"""Expected values for specs/ssm/gla.vibee (NumPy float64, independent of vibeec).

Gated linear attention (Yang et al. 2024, arXiv:2312.06635), recurrent form (section
4.1), a loop over time with explicit matrices per (batch, head):
  alpha_t = sigmoid(g_t)^(1 / tau)
  S_t = alpha_t[:, None] * S_{t-1} + outer(k_t, v_t),  S_{-1} = h0
  o_t = scale * q_t @ S_t
and, as a cross-check, the parallel form of section 4.1 (eq. 6 without chunking):
  o_t = scale * sum_{s <= t} ((q_t * b_t / b_s) . k_s) v_s + scale * (q_t * b_t) @ h0,
  b_t = prod_{r <= t} alpha_r.
"""
import numpy as np
from vibee_values import fmt, rand


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def recurrent(q, k, v, g, h0, scale, tau=16.0):
    B, H, T, K = q.shape
    o = np.zeros(v.shape)
    ht = np.zeros(h0.shape)
    for b in range(B):
        for h in range(H):
            S = h0[b, h].copy()
            for t in range(T):
                alpha = sigmoid(g[b, h, t]) ** (1 / tau)
                S = alpha[:, None] * S + np.outer(k[b, h, t], v[b, h, t])
                o[b, h, t] = scale * q[b, h, t] @ S
            ht[b, h] = S
    return o, ht


def parallel(q, k, v, g, h0, scale, tau=16.0):
    bcum = np.cumprod(sigmoid(g) ** (1 / tau), axis=2)  # [B, H, T, K]
    qb, kb = q * bcum, k / bcum
    att = np.einsum("bhtk,bhsk->bhts", qb, kb)
    att = np.where(np.tril(np.ones(att.shape[-2:])) > 0, att, 0.0)
    return scale * (att @ v + np.einsum("bhtk,bhkv->bhtv", qb, h0))


q, k, v, g = rand(91, 1, 2, 5, 3), rand(92, 1, 2, 5, 3), rand(93, 1, 2, 5, 2), 4 * rand(94, 1, 2, 5, 3)
h0 = rand(95, 1, 2, 3, 2)
g = np.array(eval(fmt(g)))  # as the spec's given holds it
o, ht = recurrent(q, k, v, g, h0, 0.5)
print("// given q = rand(91, 1, 2, 5, 3), k = rand(92, ...), v = rand(93, 1, 2, 5, 2), h0 = rand(95, 1, 2, 3, 2)")
print("  given g = %s;" % fmt(g))
print("  then o ~= %s within 1e-6;" % fmt(o))
print("  then ht ~= %s within 1e-6;" % fmt(ht))
print("// (parallel form differs by %.2g)" % np.abs(parallel(q, k, v, g, h0, 0.5) - o).max())

# A gate of logit +inf-like (sigmoid = 1) gives plain linear attention's running sum.
q, k, v = rand(96, 1, 1, 4, 2), rand(97, 1, 1, 4, 2), rand(98, 1, 1, 4, 2)
o, _ = recurrent(q, k, v, np.full((1, 1, 4, 2), 40.0), np.zeros((1, 1, 2, 2)), 1.0)
print("// open gates (g = 40): causal linear attention q_t . sum_{s<=t} k_s^T v_s")
print("  then o ~= %s within 1e-6;" % fmt(o))
att = np.tril(q[0, 0] @ k[0, 0].T)
print("// (linear attention differs by %.2g)" % np.abs(att @ v[0, 0] - o[0, 0]).max())
