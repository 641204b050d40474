"""Expected values for tests/e2e/unsigned.vibee (NumPy's unsigned integers,
independent of vibeec).

NumPy's uint8/uint16/uint32/uint64 arithmetic gives the wraparound of + - *, the
unsigned / % and >> (logical), the comparisons and min/max of u64 values above 2^63,
the zero extension of astype to a wider unsigned dtype and the low bits of a
narrowing one. Where NumPy has no defined answer the language's rule is written out
here (docs/language.md, "Unsigned integers"): x / 0 = 0 and x % 0 = x (NumPy gives 0
for both, with a warning), a shift by a count outside [0, width) gives 0, and float
-> unsigned truncates toward zero, saturating at [0, 2^w - 1] with NaN -> 0 (NumPy's
astype is undefined out of range: it is checked against that rule in range only).
u64 results that a behavior compares are exact doubles (a behavior's numbers are
doubles): hashes are shifted right by 11 first (53 bits).
Run: python3 tools/spec-values/unsigned.py
"""
import warnings

import numpy as np
from vibee_values import fmt, rand

warnings.simplefilter("ignore")  # NumPy's division-by-zero and overflow warnings


def ints(a):
    """A list of integers as a vibee literal list; each must be an exact double."""
    out = []
    for x in np.asarray(a).ravel().tolist():
        x = int(x)
        assert float(x) == x, x  # a behavior's numbers are doubles
        out.append(str(x))
    return "[" + ", ".join(out) + "]"


def bools(a):
    return "[" + ", ".join("1" if x else "0" for x in np.asarray(a).ravel()) + "]"


def divmod_language(a, b):
    q = np.where(b == 0, 0, a // np.where(b == 0, 1, b)).astype(a.dtype)
    r = np.where(b == 0, a, a % np.where(b == 0, 1, b)).astype(a.dtype)
    return q, r


def shift_language(a, n, left):
    width = a.dtype.itemsize * 8
    inside = n < width
    safe = np.where(inside, n, 0).astype(a.dtype)
    s = (a << safe) if left else (a >> safe)
    return np.where(inside, s, 0).astype(a.dtype)


def saturate(x, dtype):
    info = np.iinfo(dtype)
    t = np.trunc(np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=np.inf, neginf=-np.inf))
    t = np.clip(t, 0, float(info.max))  # float(2^64 - 1) is 2^64: saturates below
    out = np.array([info.max if v >= float(info.max) else int(v) for v in t], dtype=dtype)
    inside = (x >= 0) & (x < float(info.max))
    assert (out[inside] == x[inside].astype(dtype)).all()  # NumPy agrees where defined
    return out


def main():
    print("// arith8")
    a = np.array([200, 255, 0, 17, 128], dtype=np.uint8)
    b = np.array([100, 1, 1, 15, 2], dtype=np.uint8)
    print("  given a = %s, b = %s;" % (ints(a), ints(b)))
    print("  then s == %s;\n  then d == %s;\n  then p == %s;" % (ints(a + b), ints(a - b), ints(a * b)))
    print("  then total == %d;" % int(a.sum(dtype=np.uint8)))

    print("// divmod32")
    a = np.array([7, 4294967295, 4294967295, 5, 0, 2147483648, 100], dtype=np.uint32)
    b = np.array([2, 2, 4294967295, 0, 0, 3, 4294967294], dtype=np.uint32)
    q, r = divmod_language(a, b)
    print("  given a = %s, b = %s;" % (ints(a), ints(b)))
    print("  then q == %s;\n  then r == %s;" % (ints(q), ints(r)))

    print("// shifts16")
    a = np.array([65535, 32768, 1, 40000, 65535, 3], dtype=np.uint16)
    n = np.array([4, 15, 15, 16, 65535, 0], dtype=np.uint16)
    print("  given a = %s, n = %s;" % (ints(a), ints(n)))
    print("  then l == %s;\n  then r == %s;\n  then nt == %s;" % (
        ints(shift_language(a, n, True)), ints(shift_language(a, n, False)), ints(~a)))

    print("// order64")
    a = np.array([2**64 - 2048, 2**63, 1, 2**63 + 4096, 5], dtype=np.uint64)
    b = np.array([1, 2**63 - 1024, 2**64 - 4096, 2**63 + 4096, 2**63], dtype=np.uint64)
    q, r = divmod_language(a, b)
    lo, up = 2**62, 2**63 + 2048
    print("  given a = %s, b = %s;" % (ints(a), ints(b)))
    print("  when order64(a, b, lo = %d, up = %d);" % (lo, up))
    print("  then lt == %s;\n  then ge == %s;" % (bools(a < b), bools(a >= b)))
    print("  then mx == %s;\n  then mn == %s;" % (ints(np.maximum(a, b)), ints(np.minimum(a, b))))
    print("  then q == %s;\n  then r == %s;" % (ints(q), ints(r)))
    print("  then hi == %s;" % ints(a >> np.uint64(11)))
    print("  then c == %s;" % ints(np.clip(a, np.uint64(lo), np.uint64(up))))

    print("// hash64")
    x = np.array([0, 1, 2, 12345, 2**63 + 2048, 2**64 - 2048], dtype=np.uint64)
    mul, inc = np.uint64(6364136223846793005), np.uint64(1442695040888963407)
    h = x * mul + inc
    h = h ^ (h >> np.uint64(29))
    print("  given x = %s;" % ints(x))
    print("  then h == %s;" % ints(h >> np.uint64(11)))

    print("// saturate")
    # x / z: NaN, inf and -inf come from dividing by 0 (f32, as the kernel does)
    xs = [0.0, 1.9, -1.0, -0.5, 300.0, 70000.5, 5e9, 3e19, 0.0, 1.0, -1.0, 255.99]
    zs = [1.0] * 8 + [0.0, 0.0, 0.0, 1.0]
    x = np.array(xs, dtype=np.float32) / np.array(zs, dtype=np.float32)
    print(("  given x = [%s], z = [%s];" % (", ".join(map(repr, xs)), ", ".join(map(repr, zs)))).replace("e+", "e"))
    for name, dt in (("a", np.uint8), ("b", np.uint16), ("c", np.uint32), ("d", np.uint64)):
        s = saturate(x, dt)
        if dt == np.uint64:
            s = s >> np.uint64(11)  # the behavior compares d >> 11 (2^64 - 1 is no double)
        print("  then %s == %s;" % (name, ints(s)))

    print("// mixed")
    a = np.array([255, 0, 128, 7], dtype=np.uint8)
    i = np.array([1, -1, -200, 2**31 - 1], dtype=np.int32)
    s8 = np.array([-1, -128, 127, 1], dtype=np.int8)
    u32 = np.array([4294967295, 2**31, 300, 7], dtype=np.uint32)
    print("  given a = %s, i = %s, s = %s, u = %s;" % (ints(a), ints(i), ints(s8), ints(u32)))
    print("  then w == %s;" % ints(a.astype(np.int32) + i))
    print("  then lt == %s;" % bools(a.astype(np.int32) < i))
    print("  then z == %s;" % ints(s8.astype(np.uint32)))
    print("  then n == %s;" % ints(u32.astype(np.int8)))
    print("  then e == %s;" % ints(u32.astype(np.uint64) * np.uint64(3)))
    print("  then f == %s;" % ints(u32.astype(np.float64)))

    print("// orders")
    # Rows with values on both sides of 2^31 (u32) and 2^63 (u64): a signed order
    # would pick the other end. argmax/argmin: the lowest index on ties.
    x = np.array([[5, 4294967295, 2147483648, 0, 4294967295],
                  [2147483647, 2147483648, 1, 7, 0]], dtype=np.uint32)
    y = np.array([[2**63, 1, 2**64 - 2048, 2**63 - 1024, 0],
                  [3, 2**63 + 2048, 2**63 + 2048, 9, 2**64 - 4096]], dtype=np.uint64)
    print("  given x = [%s], y = [%s];" % (", ".join(ints(r) for r in x), ", ".join(ints(r) for r in y)))
    print("  then mx == %s;\n  then mn == %s;" % (ints(x.max(axis=1)), ints(y.min(axis=1))))
    print("  then ax == %s;\n  then an == %s;" % (ints(x.argmax(axis=1)), ints(y.argmin(axis=1))))
    cm = np.maximum.accumulate(x, axis=1)
    print("  then cm == [%s];" % ", ".join(ints(r) for r in cm))
    top = -np.sort(-y.astype(object), axis=1)[:, :2]  # exact: Python ints
    order = np.argsort(-y.astype(object), axis=1, kind="stable")[:, :2]
    print("  then tv == [%s];" % ", ".join(ints(np.array(r, dtype=np.uint64)) for r in top))
    print("  then ti == [%s];" % ", ".join(ints(r) for r in order))
    print("  then all == %d;" % int(y.max()))  # over both axes: a rank-0 result

    print("// gather8")
    table = rand(3, 256, 2).astype(np.float32)  # the behavior's rand(3, 256, 2), stored as f32
    ids = np.array([255, 0, 128, 200], dtype=np.uint8)
    print("  given table = rand(3, 256, 2), ids = %s;" % ints(ids))
    print("  then y == %s;" % fmt(table[ids].astype(np.float64), 17))

    print("// hist8")
    ids = np.array([255, 0, 255, 3, 200], dtype=np.uint8)
    h = np.zeros(256, dtype=np.int32)
    np.add.at(h, ids, 1)
    print("  given ids = %s, h = zeros(256);" % ints(ids))
    print("  then h == %s;" % ints(h))

    print("// scalar64")
    x = np.array([1, 2**63, 2**64 - 4096], dtype=np.uint64)
    k = np.uint64(2**63 + 2048)
    print("  given x = %s; when scalar64(x, k = %d);" % (ints(x), int(k)))
    print("  then y == %s;\n  then gt == %s;" % (ints((x + k) >> np.uint64(11)), bools(x > k)))


if __name__ == "__main__":
    main()
