"""Expected values for specs/nn/cross_entropy.vibee (NumPy float64, independent of vibeec).

Cross-entropy of a softmax over logits against integer targets (the multinomial
log-loss; Goodfellow, Bengio & Courville 2016, "Deep Learning", sec. 6.2.2.3):
  loss[b]        = logsumexp(logits[b, :]) - logits[b, target[b]]
  dlogits[b, c]  = (softmax(logits[b])[c] - [c == target[b]]) * dloss[b]
logsumexp is max-subtracted. The gradient is checked against central differences too.
"""
import numpy as np
from vibee_values import fmt, rand

B, C = 3, 5
logits = np.round(rand(61, B, C) * 4.0, 3)  # exact enough in f32 at 1e-6
target = np.array([4, 0, 2])
dloss = np.array([1.0, 0.5, -2.0])


def loss(z):
    m = z.max(axis=1)
    return np.log(np.exp(z - m[:, None]).sum(axis=1)) + m - z[np.arange(B), target]


def grad(z):
    p = np.exp(z - z.max(axis=1)[:, None])
    p /= p.sum(axis=1)[:, None]
    p[np.arange(B), target] -= 1.0
    return p * dloss[:, None]


g = grad(logits)
h = 1e-6
for b in range(B):
    for c in range(C):
        e = np.zeros_like(logits)
        e[b, c] = h
        fd = (loss(logits + e) - loss(logits - e)) / (2 * h)
        assert abs(fd[b] * dloss[b] - g[b, c]) < 1e-6
print("// given logits = %s, target = %s" % (fmt(logits), target.tolist()))
print("  then loss ~= %s within 1e-5;" % fmt(loss(logits), 9))
print("// dloss = %s" % fmt(dloss))
print("  then dlogits ~= %s within 1e-6;" % fmt(g, 9))
print("// large logits (1000, 0, -1000): exp would overflow without the max")
big = np.array([[1000.0, 0.0, -1000.0]])
m = big.max(axis=1)
print("  loss for target 1: %s" % fmt(np.log(np.exp(big - m[:, None]).sum(axis=1)) + m - big[0, 1]))
