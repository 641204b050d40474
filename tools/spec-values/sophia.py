"""Expected values for specs/optim/sophia.vibee (NumPy float64, independent of vibeec).

Sophia (Liu et al. 2023, "Sophia: A Scalable Stochastic Second-order Optimizer for
Language Model Pre-training", arXiv:2305.14342), Algorithm 3:
  m = beta1 * m + (1 - beta1) * g
  h = beta2 * h + (1 - beta2) * hhat          (every k steps; GNB: hhat = B * ghat^2)
  theta = theta - lr * wd * theta
  theta = theta - lr * clip(m / max(gamma * h, eps), 1),   clip(z, 1) = max(min(z, 1), -1)
"""
import numpy as np
from vibee_values import fmt, rand


def step(param, grad, m, h, lr, wd=0.1, gamma=0.01, beta1=0.965, eps=1e-12):
    param, grad, m, h = (np.asarray(a, dtype=np.float64) for a in (param, grad, m, h))
    m = beta1 * m + (1 - beta1) * grad
    param = param - lr * wd * param
    ratio = m / np.maximum(gamma * h, eps)
    param = param - lr * np.maximum(np.minimum(ratio, 1.0), -1.0)
    return param, m, ratio


p, m, r = step([1.0, -0.5, 0.25, 2.0, -1.0, 0.5], [0.5, -0.2, 0.1, 0.02, -0.01, 0.0],
               [0.1, 0.0, -0.3, 0.01, 0.004, 0.0], [0.5, 2.0, -1.0, 40.0, 3.0, 1.0], lr=0.01)
print("// clipped and unclipped coordinates: ratio m / max(gamma h, eps) = %s" % fmt(r, 4))
print("  then param ~= %s within 1e-6;" % fmt(p))
print("  then m ~= %s within 1e-7;" % fmt(m))

p, m, r = step(rand(31, 8), rand(32, 8), rand(33, 8), [0.5, 3.0, 100.0, 0.01, 20.0, 7.0, 60.0, 1.0],
               lr=0.05, wd=0.0, gamma=0.02)
print("// random state: ratio = %s" % fmt(r, 4))
print("  then param ~= %s within 1e-6;" % fmt(p))

h, hhat = np.array([1.0, 0.0, 2.5]), np.array([3.0, 0.5, -1.0])
print("// hessian_ema\n  then h ~= %s within 1e-7;" % fmt(0.99 * h + 0.01 * hhat))
ghat = np.array([0.1, -0.3, 0.02])
print("// gnb_hessian_ema, B = 32\n  then h ~= %s within 1e-7;" % fmt(0.99 * h + 0.01 * 32 * ghat**2))
