"""Expected values for specs/nn/dropout.vibee and tests/e2e/random.vibee, and the
Philox functions the other random specs' scripts import (plain
Python integers and NumPy float64, independent of vibeec).

Philox 4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3",
SC'11, section 4.2), written here from the paper's round function and checked
against its reference implementation's known-answer vectors (Random123 kat_vectors)
before anything is printed. The language's layout (docs/language.md "Random
numbers"): key = the seed's low and high 32 bits; one or two counters fill the
counter words with 64 bits each (low word first), three or four with their low 32
bits; uniform = (word0 >> 8) * 2^-24; normal = Box-Muller of u1 = ((word0 >> 8) + 1)
* 2^-24 and u2 = (word1 >> 8) * 2^-24.
"""
import numpy as np
from vibee_values import fmt, rand

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
U32 = 0xFFFFFFFF


def philox(c, k):
    c, k = list(c), list(k)
    for _ in range(10):
        p0, p1 = M0 * c[0], M1 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & U32, (p0 >> 32) ^ c[3] ^ k[1], p0 & U32]
        k = [(k[0] + W0) & U32, (k[1] + W1) & U32]
    return c


KAT = [([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
       ([U32] * 4, [U32] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
       ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1])]
for counter, key, expected in KAT:
    assert philox(counter, key) == expected, "Philox 4x32-10 does not match Random123"


def words(seed, *counters):
    seed &= (1 << 64) - 1
    key = [seed & U32, seed >> 32]
    c = [0, 0, 0, 0]
    if len(counters) <= 2:
        for i, x in enumerate(counters):
            x &= (1 << 64) - 1
            c[2 * i], c[2 * i + 1] = x & U32, x >> 32
    else:
        for i, x in enumerate(counters):
            c[i] = x & U32
    return philox(c, key)


def uniform(seed, *counters):
    return (words(seed, *counters)[0] >> 8) * 2.0**-24


def normal(seed, *counters):
    w = words(seed, *counters)
    u1 = ((w[0] >> 8) + 1) * 2.0**-24
    u2 = (w[1] >> 8) * 2.0**-24
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def table(f, seed, shape):
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        out[idx] = f(seed, *idx)
    return out


if __name__ == "__main__":
    print("// tests/e2e/random.vibee")
    print("  then u ~= %s within 0;" % fmt(table(uniform, 42, (2, 3)), 17))
    print("  then g ~= %s within 1e-5;" % fmt(table(normal, 42, (2, 3)), 10))
    print("  then w ~= %s within 0;" % fmt(table(uniform, -7, (2, 2, 2)), 17))
    print("  then v ~= %s within 0;" % fmt(np.array([uniform(5, 2**40 + i) for i in range(3)]), 17))

    # specs/nn/dropout.vibee: inverted dropout, keep where uniform >= p, scale 1 / (1 - p).
    x = rand(71, 3, 4)
    p, seed = 0.25, 1234
    keep = table(uniform, seed, (3, 4)) >= p
    y = np.where(keep, x / (1.0 - p), 0.0)
    print("// dropout: given x = rand(71, 3, 4), seed = %d, p = %s" % (seed, p))
    print("  then y ~= %s within 1e-6;" % fmt(y, 10))
