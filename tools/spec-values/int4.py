"""Expected values for specs/quant/w4a16_group.vibee and tests/e2e/int4.vibee (NumPy,
independent of vibeec).

w4a16_group, GPTQ/AWQ layout: 4-bit codes packed two per int8 byte along k (k even
in the low nibble, k odd in the high one), one scale and zero point per group of 128
along k: w_deq[n, k] = (code[n, k] - zero[n, k // 128]) * scale[n, k // 128];
y = x w_deq^T.

tests/e2e/int4.vibee: every byte, so every unsigned (0..15) and signed (-8..7) 4-bit
code in both nibbles, unpacked by NumPy's own uint8/int8 arithmetic: unsigned
b & 15 and b >> 4 on the byte as uint8; signed by the int8 shifts (b << 4) >> 4 and
b >> 4 (NumPy's >> on int8 is arithmetic), checked against the two's complement
definition code - 16 (code >= 8).
Run: python3 tools/spec-values/int4.py [w4a16_group|exhaustive]
"""
import sys

import numpy as np
from vibee_values import fmt, rand


def w4a16_group():
    K, G = 256, 128
    codes = (np.arange(2 * K).reshape(2, K) * 7 + 3) % 16  # every code, both nibbles
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8).view(np.int8)
    scale = np.array([[0.5, 0.25], [0.125, 2.0]])
    zero = np.array([[8.0, 7.0], [0.0, 15.0]])
    x = rand(5, 1, K).astype(np.float32).astype(np.float64)
    deq = (codes - np.repeat(zero, G, axis=1)) * np.repeat(scale, G, axis=1)
    print("  given x = rand(5, 1, 256), w = %s, scale = %s, zero = %s;" % (
        "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in packed) + "]",
        fmt(scale), fmt(zero)))
    print("  then y ~= %s within 1e-4;" % fmt(x @ deq.T))


def ints(a):
    return "[" + ", ".join(str(int(v)) for v in a) + "]"


def pairs(a, b):
    return "[" + ", ".join("[%d.0, %d.0]" % (x, y) for x, y in zip(a, b)) + "]"


def exhaustive():
    # Four behaviors of 64 bytes (a behavior's expression holds at most 200 operators).
    for first in (-128, -64, 0, 64):
        b = np.arange(first, first + 64).astype(np.int8)
        u = b.view(np.uint8)
        ulo, uhi = u & 15, u >> 4
        slo, shi = (b << 4) >> 4, b >> 4  # int8: the left shift wraps, >> sign-fills
        assert (slo == ulo.astype(np.int64) - 16 * (ulo >= 8)).all()
        assert (shi == uhi.astype(np.int64) - 16 * (uhi >= 8)).all()
        print("== bytes %d to %d" % (first, first + 63))
        print("  given w = %s;" % ints(b))
        print("  then u == %s;" % pairs(ulo, uhi))
        print("  then s == %s;" % pairs(slo, shi))
        print("  then lo == %s;" % ints(slo))
        print("  then hi == %s;" % ints(shi))


for name in sys.argv[1:] or ["w4a16_group", "exhaustive"]:
    print("// " + name)
    globals()[name]()
