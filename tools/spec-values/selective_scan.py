"""Expected values for specs/ssm/selective_scan.vibee (NumPy float64, independent of vibeec).

Mamba's selective scan (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with
Selective State Spaces", arXiv:2312.00752, Algorithm 2), transcribed from the reference
implementation `selective_scan_ref` of mamba_ssm (ops/selective_scan_interface.py):

    delta = softplus(delta + delta_bias)                     (delta_softplus=True)
    deltaA[b, d, l, n]   = exp(delta[b, d, l] * A[d, n])
    deltaB_u[b, d, l, n] = delta[b, d, l] * B[b, n, l] * u[b, d, l]
    x = 0;  for l: x = deltaA[:, :, l] * x + deltaB_u[:, :, l]
                   y[:, :, l] = sum_n x[:, :, n] * C[:, n, l]
    out = (y + u * D[d]) * silu(z)
"""
import numpy as np
from vibee_values import fmt, rand


def softplus(x):
    return np.log1p(np.exp(x))


def selective_scan_ref(u, delta, A, B, C, D, z=None, delta_bias=None, delta_softplus=False):
    if delta_bias is not None:
        delta = delta + delta_bias[None, :, None]
    if delta_softplus:
        delta = softplus(delta)
    Bt, Dm, L = u.shape
    N = A.shape[1]
    deltaA = np.exp(np.einsum("bdl,dn->bdln", delta, A))
    deltaB_u = np.einsum("bdl,bnl,bdl->bdln", delta, B, u)
    x = np.zeros((Bt, Dm, N))
    ys = []
    for i in range(L):
        x = deltaA[:, :, i] * x + deltaB_u[:, :, i]
        ys.append(np.einsum("bdn,bn->bd", x, C[:, :, i]))
    out = np.stack(ys, axis=2) + u * D[None, :, None]
    if z is not None:
        out = out * (z / (1.0 + np.exp(-z)))
    return out


# Plain (no softplus, no gate): Bt=2, Dm=3, L=5, N=4.
u, delta = rand(71, 2, 3, 5), rand(72, 2, 3, 5)
A, B, C, D = rand(73, 3, 4), rand(74, 2, 4, 5), rand(75, 2, 4, 5), rand(76, 3)
print("// selective_scan on u, delta, A, B, C, D = rand(71..76)")
print("  then y ~= %s within 1e-5;" % fmt(selective_scan_ref(u, delta, A, B, C, D), 8))
# Mamba's block configuration (mamba_simple.py): A = -exp(A_log) with A_log = rand(73),
# softplus(delta + bias), gated by silu(z).
bias, z = rand(77, 3), rand(78, 2, 3, 5)
print("// selective_scan_gated: A = -exp(rand(73, 3, 4)), delta_bias = rand(77, 3), z = rand(78, 2, 3, 5)")
print("  then y ~= %s within 1e-5;" % fmt(
    selective_scan_ref(u, delta, -np.exp(A), B, C, D, z, bias, True), 8))
