"""Expected values for specs/optim/clip_grad_norm.vibee (NumPy float64, independent of
vibeec).

Global-norm clipping (Pascanu et al. 2013, Algorithm 1) with the coefficient of
torch.nn.utils.clip_grad_norm_: total = ||concat(grads)||_2 (np.linalg.norm of the
flattened, concatenated gradients), coef = min(1, max_norm / (total + 1e-6)).
"""
import numpy as np
from vibee_values import fmt, rand


def clip(grads, max_norm):
    total = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in grads], total


(g,), n = clip([np.array([3.0, -4.0, 12.0])], 6.5)
print("// clip [3, -4, 12] to 6.5: norm %s\n  then g ~= %s within 1e-6;" % (fmt(n), fmt(g)))
(g,), n = clip([np.array([0.3, -0.4])], 1.0)
print("// under the threshold: norm %s\n  then g ~= %s within 0;" % (fmt(n), fmt(g)))
(gw, gb), n = clip([rand(61, 3, 4), rand(62, 3)], 1.0)
print("// clip2 of rand(61, 3, 4), rand(62, 3) to 1: norm %s" % fmt(n))
print("  then gw ~= %s within 1e-6;\n  then gb ~= %s within 1e-6;" % (fmt(gw), fmt(gb)))
print("// (the norms: weight alone %s, bias alone %s)" % (fmt(np.linalg.norm(rand(61, 3, 4))), fmt(np.linalg.norm(rand(62, 3)))))
