"""Expected values for the contraction specs (NumPy float64, independent of vibeec):
specs/nn/linear.vibee, specs/linalg/bmm.vibee, specs/nn/lora.vibee,
specs/nn/swiglu_mlp.vibee, specs/quant/w8a16.vibee.

Run: python3 tools/spec-values/contractions.py [linear|bmm|lora|swiglu_mlp|w8a16].
The `rand` inputs are reproduced bit-exactly by vibee_values.rand.
"""
import sys

import numpy as np
from vibee_values import fmt, rand


def to_bf16(a):
    """Round-to-nearest-even to bfloat16 (via the float32 bit pattern)."""
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16
    return b.astype(np.uint32).view(np.float32).astype(np.float64)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def linear():
    # torch.nn.Linear: y = x W^T + b, W is [out_features, in_features].
    x, w, b = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]), np.array([0.5, -1.0])
    print("// exact: y = %s" % fmt(x @ w.T + b))
    x, w, b = f32(rand(31, 3, 5)), f32(rand(32, 4, 5)), f32(rand(33, 4))
    print("  then y ~= %s within 1e-6;" % fmt(x @ w.T + b))


def bmm():
    a, b = f32(rand(41, 2, 3, 4)), f32(rand(42, 2, 4, 2))
    print("  then c ~= %s within 1e-6;" % fmt(np.einsum("zmk,zkn->zmn", a, b)))


def lora():
    # Hu et al. 2022, eq. 3 with the alpha / r scaling of sec. 4.1: h = W0 x + (alpha / r) B A x.
    x, w0 = f32(rand(51, 2, 4)), f32(rand(52, 3, 4))
    a, b = f32(rand(53, 2, 4)), f32(rand(54, 3, 2))  # r = 2
    alpha, r = 4.0, 2
    y = x @ w0.T + (alpha / r) * (x @ a.T) @ b.T
    print("  then y ~= %s within 1e-6;" % fmt(y))
    print("// B = 0 (LoRA's initialisation): y = x W0^T = %s" % fmt(x @ w0.T))


def swiglu_mlp():
    # Shazeer 2020, eq. 6: FFN_SwiGLU(x, W, V, W2) = (Swish_1(x W) * x V) W2, with
    # torch's [out, in] weights: W = W1^T, V = W3^T, W2 = W2^T.
    x, w1, w3, w2 = f32(rand(61, 2, 4)), f32(rand(62, 3, 4)), f32(rand(63, 3, 4)), f32(rand(64, 4, 3))
    h1, h3 = x @ w1.T, x @ w3.T
    g = h1 / (1.0 + np.exp(-h1)) * h3
    print("  then y ~= %s within 1e-6;" % fmt(g @ w2.T))


def w8a16():
    # Weight-only int8: y = (x W_int8^T) * s[n], x in bf16, accumulation in f32.
    # Activations exact in bf16 (the oracle's unit test binds givens unrounded).
    x = np.array([[0.5, -0.25, 0.75, 1.5], [0.125, 2.0, -1.0, 0.375]])
    assert (to_bf16(x) == x).all()
    w = np.array([[127, -128, 3, 0], [-5, 17, 64, -1], [1, 2, -3, 100]], dtype=np.float64)
    s = f32(np.array([0.01, 0.02, 0.005]))
    print("  then y ~= %s within 1e-6;" % fmt((x @ w.T) * s))
    x = np.array([[1.0, -2.0, 0.5, 4.0]])
    print("// exact: y = %s" % fmt((x @ w.T) * np.array([0.5, 0.25, 1.0])))


for name in sys.argv[1:] or ["linear", "bmm", "lora", "swiglu_mlp", "w8a16"]:
    print("== " + name)
    globals()[name]()
