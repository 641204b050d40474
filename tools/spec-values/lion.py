"""Expected values for specs/optim/lion.vibee (NumPy float64, independent of vibeec).

Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Alg. 2):
  c = beta1 * m + (1 - beta1) * g
  param = param - lr * (sign(c) + wd * param)
  m = beta2 * m + (1 - beta2) * g
"""
import numpy as np
from vibee_values import fmt

BETA1, BETA2 = 0.9, 0.99


def lion(param, grad, m, lr, wd):
    param, grad, m = (np.asarray(a, dtype=np.float64) for a in (param, grad, m))
    c = BETA1 * m + (1 - BETA1) * grad
    new_param = param - lr * (np.sign(c) + wd * param)
    new_m = BETA2 * m + (1 - BETA2) * grad
    return new_param, new_m


def show(title, **kw):
    p, m = lion(**kw)
    print("//", title)
    print("  then param ~= %s within 1e-6;" % fmt(p))
    print("  then m ~= %s within 1e-6;" % fmt(m))


show("steps against the sign of the momentum",
     param=[1.0, -1.0, 0.5], grad=[0.3, -2.0, 0.0], m=[0.0, 0.0, 0.0], lr=0.1, wd=0.0)
# The interpolated momentum c, not the gradient, picks the sign: element 0 has a
# positive gradient but a negative momentum that dominates; weight decay shrinks.
show("momentum decides the sign; weight decay is decoupled",
     param=[2.0, -0.5, 0.25, 1.0], grad=[0.5, 0.1, -0.4, 0.0],
     m=[-1.0, 0.2, 0.1, -0.3], lr=0.01, wd=0.1)
