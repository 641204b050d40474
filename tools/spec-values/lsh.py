"""Expected values for specs/hashing/lsh.vibee (plain Python integers and NumPy,
independent of vibeec).

LSH banding over MinHash signatures (Leskovec, Rajaraman & Ullman, "Mining of Massive
Datasets", section 3.4.1; Indyk & Motwani 1998): the H = Bn * R entries of a
signature are cut into Bn bands of R rows; a band's key is a hash of its R values,
and two documents are candidates when they agree on some band's key. Here:
  code = the 24-bit integer of a MinHash value (value * 2^24, exact)
  key  = (sum_r code_r * mult_r mod 2^64) >> 16   (u64: a logical shift, 48 bits)
The MinHash signatures are those of specs/hashing/minhash.vibee, recomputed here with
the Philox of philox.py: sig[s, h] = min over the document's tokens x of
uniform(seeds[h], x).
"""
import numpy as np
from philox import uniform
from vibee_values import fmt

M64 = (1 << 64) - 1

docs = [list(range(20)), list(range(18)) + [100, 101], list(range(10, 30)), list(range(200, 220))]
Bn, R = 4, 3
seeds = list(range(1, Bn * R + 1))
# The documents padded to one length by repeating a token (a set: repeats change nothing).
L = max(len(d) for d in docs)
tokens = [d + [d[0]] * (L - len(d)) for d in docs]
sig = np.array([[min(uniform(s, x) for x in d) for s in seeds] for d in docs])
print("// Jaccard: %s" % ["%d-%d %.3f" % (a, b, len(set(docs[a]) & set(docs[b])) / len(set(docs[a]) | set(docs[b])))
                         for a in range(4) for b in range(a + 1, 4)])
print("// tokens = %s, seeds = %s" % (fmt(np.array(tokens)), seeds))
print("  given sig = %s;" % fmt(sig.reshape(len(docs), Bn, R), 17))
rng = np.random.default_rng(7)
mult = [int(x) | 1 for x in rng.integers(1 << 40, 1 << 52, size=R)]  # odd, exact in a double
print("  given mult = %s;" % mult)


def key(band):
    h = 0
    for v, a in zip(band, mult):
        code = int(v * 2**24)
        assert code == v * 2**24
        h = (h + code * a) & M64
    return h >> 16  # h is in [0, 2^64): the logical shift of a u64


keys = [[key(sig[s, b * R:(b + 1) * R]) for b in range(Bn)] for s in range(len(docs))]
print("  then key == %s;" % keys)
cand = [[int(any(keys[s][b] == keys[u][b] for b in range(Bn))) for u in range(len(docs))] for s in range(len(docs))]
print("  then cand == %s;" % cand)
agree = [[int(np.sum(sig[s] == sig[u])) for u in range(len(docs))] for s in range(len(docs))]
print("// signature entries that agree: %s" % agree)
