"""Expected values for specs/nn/gelu.vibee (NumPy float64, independent of vibeec).

GELU (Hendrycks & Gimpel 2016, "Gaussian Error Linear Units (GELUs)", arXiv:1606.08415):
  exact:  gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))
  tanh:   gelu(x) ~ 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))   (sec. 2)
erf is math.erf (C's erf) applied elementwise; NumPy has no erf of its own.
The bf16 variant rounds its f32 result to bf16 once (8 significant bits), hence 2e-2.
"""
import math

import numpy as np
from vibee_values import fmt, rand


def gelu_exact(x):
    x = np.asarray(x, dtype=np.float64)
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


points = [0.0, 1.0, -1.0, 0.5, 3.0, -3.0, 8.0, -8.0]
print("// exact GELU at a few points: 0, both signs, the tails")
print("  then y ~= %s within 1e-6;" % fmt(gelu_exact(points), 8))
print("// tanh approximation at the same points")
print("  then y ~= %s within 1e-6;" % fmt(gelu_tanh(points), 8))
print("// exact GELU on rand(21, 8)")
print("  then y ~= %s within 1e-6;" % fmt(gelu_exact(rand(21, 8)), 8))
print("// the two forms differ by at most (on [-8, 8])")
grid = np.linspace(-8, 8, 160001)
print("//   %.3g" % np.abs(gelu_exact(grid) - gelu_tanh(grid)).max())
print("// bf16 storage, exact GELU of bf16-exact inputs, 2e-2")
xb = [[1.5, -0.75, 0.125], [-2.5, 4.0, -0.03125]]
print("  then y ~= %s within 2e-2;" % fmt(gelu_exact(xb), 8))
