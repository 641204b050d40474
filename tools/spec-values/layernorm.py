"""Expected values for specs/nn/layernorm.vibee (NumPy float64, independent of vibeec).

LayerNorm (Ba, Kiros & Hinton 2016, "Layer Normalization", arXiv:1607.06450, eq. 4):
per row, mu = mean(x), sigma^2 = mean((x - mu)^2) (the biased variance),
y = (x - mu) / sqrt(sigma^2 + eps) * gamma + beta.
"""
import numpy as np
from vibee_values import fmt, rand

x = rand(71, 3, 5) * 3.0 + 1.0
gamma = np.array([1.0, 0.5, -1.0, 2.0, 1.5])
beta = np.array([0.0, 0.25, 0.5, -1.0, 0.125])
eps = 1e-5


def layernorm(x):
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


x = np.round(x, 3)
print("// given x = %s" % fmt(x))
print("  then y ~= %s within 1e-5;" % fmt(layernorm(x), 9))
const = np.full((1, 5), 7.0)
print("// a constant row: (x - mu) = 0, y = beta")
print("  then y ~= %s within 1e-6;" % fmt(layernorm(const), 9))
