"""Expected values for docs/examples/tutorial/silu.vibee (NumPy float64, independent
of vibeec); docs/tutorial.md walks through writing that spec.

SiLU (Elfwing, Uchibe & Doya 2018, "Sigmoid-weighted linear units for neural network
function approximation in reinforcement learning"): silu(x) = x * sigmoid(x).
SwiGLU's gate (Shazeer 2020, "GLU Variants Improve Transformer", with the two
projections already applied): swiglu(a, b) = silu(a) * b.
"""
import numpy as np
from vibee_values import fmt, rand


def silu(x):
    x = np.asarray(x, dtype=np.float64)
    return x / (1.0 + np.exp(-x))


def swiglu(a, b):
    return silu(a) * np.asarray(b, dtype=np.float64)


print("// silu at a few points: 0, both signs, a large positive and a large negative x")
print("  then y ~= %s within 1e-6;" % fmt(silu([0.0, 1.0, -1.0, 2.5, 20.0, -20.0]), 8))
print("// swiglu on rand(11, 2, 3) and rand(12, 2, 3)")
print("  then y ~= %s within 1e-6;" % fmt(swiglu(rand(11, 2, 3), rand(12, 2, 3)), 8))
