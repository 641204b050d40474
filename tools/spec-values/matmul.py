"""Expected values for specs/linalg/matmul.vibee (NumPy float64, independent of vibeec).

c[m, n] = sum_k a[m, k] * b[k, n]. The `rand` inputs are reproduced bit-exactly by
vibee_values.rand (the same SplitMix64 as vibee::ref::randomUniform).
"""
import numpy as np
from vibee_values import fmt, rand

a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = np.array([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]])
print("// 2x3 times 3x2 (also checked by hand: 1*7+2*9+3*11 = 58, ...)")
print("  then c == %s;" % fmt(a @ b))

a = rand(11, 3, 4)
b = rand(12, 4, 2)
print("// rand(11, 3, 4) times rand(12, 4, 2)")
print("  then c ~= %s within 1e-6;" % fmt(a @ b))
# the compiled kernel rounds the inputs and accumulates in f32: show how far that lands
c32 = a.astype(np.float32) @ b.astype(np.float32)
print("// (float32 emulation differs by at most %.2g)" % np.abs(c32 - a @ b).max())


def to_bf16(a):
    """Round-to-nearest-even to bfloat16 (via the float32 bit pattern)."""
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16
    return b.astype(np.uint32).view(np.float32).astype(np.float64)


# matmul_bf16: the inputs are rounded to bf16 when they are bound; the product is
# float64 here (the kernel accumulates in f32), the result rounded to bf16 once.
a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = np.array([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]])
c = to_bf16(to_bf16(a) @ to_bf16(b))
assert (c == a @ b).all()  # exact in bf16
print("// bf16 2x3 times 3x2")
print("  then c == %s;" % fmt(c))

ones = np.ones((1, 512)) @ np.ones((512, 1))
acc = 0.0
for _ in range(512):  # what a bf16 accumulator would give
    acc = float(to_bf16(acc + 1.0))
print("// bf16: 512 ones (a bf16 accumulator would give %s)" % fmt(np.array([[acc]])))
print("  then c == %s;" % fmt(to_bf16(ones)))

a = to_bf16(rand(21, 3, 5))
b = to_bf16(rand(22, 5, 4))
c = to_bf16(a @ b)
print("// bf16: rand(21, 3, 5) times rand(22, 5, 4), inputs and result rounded to bf16")
print("  then c ~= %s within 1e-2;" % fmt(c, 8))
print("// (the bf16 rounding of the result moves it by at most %.2g)" % np.abs(c - a @ b).max())

# matmul_scheduled (the same product under schedule hints): 8x128 times 128x32 is the
# smallest shape of the packed, register-tiled path (M % 8, N % 32, M*N*K >= 32768).
a = rand(21, 8, 128)
b = rand(22, 128, 32)
print("// matmul_scheduled: rand(21, 8, 128) times rand(22, 128, 32)")
print("  then c ~= %s within 1e-5;" % fmt(a @ b))
c32 = a.astype(np.float32) @ b.astype(np.float32)
print("// (float32 emulation differs by at most %.2g)" % np.abs(c32 - a @ b).max())
