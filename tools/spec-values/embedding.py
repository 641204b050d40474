"""Expected values for specs/nn/embedding.vibee (NumPy float64, independent of vibeec).

Embedding lookup (Bengio et al. 2003, "A Neural Probabilistic Language Model", JMLR,
the shared word feature matrix C): y[s] = table[ids[s]]. Its gradient with respect to
the table sums the output gradients of every position that looked a row up:
dtable[v] += sum over s with ids[s] == v of dy[s]   (np.add.at, an unbuffered scatter-add).
"""
import numpy as np
from vibee_values import fmt, rand

V, D = 4, 3
table = rand(51, V, D)
ids = np.array([2, 0, 2, 3, 2])
dy = rand(52, len(ids), D)

print("// forward: given table = rand(51, %d, %d), ids = %s" % (V, D, ids.tolist()))
print("  then y ~= %s within 1e-6;" % fmt(table[ids], 9))
dtable = rand(53, V, D)  # the gradient accumulates into it, as autograd's .grad
np.add.at(dtable, ids, dy)
print("// gradient: given dy = rand(52, %d, %d), dtable = rand(53, %d, %d); row 1 is never looked up" % (len(ids), D, V, D))
print("  then dtable ~= %s within 1e-6;" % fmt(dtable, 9))

# Mixed precision: bf16 output gradients (rand rounded to bf16, round to nearest
# even, as the kernel stores its argument) into a zero f32 gradient, i64 ids.
def bf16(a):
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)

ids2 = np.array([1, 1, 3, 1, 0, 3])
dy2 = bf16(rand(54, len(ids2), D))
dtable2 = np.zeros((V, D))
np.add.at(dtable2, ids2, dy2)
print("// mixed: given ids = %s; row 2 is never looked up" % ids2.tolist())
print("  given dy = %s;  // rand(54, %d, %d) rounded to bf16" % (fmt(dy2, 9), len(ids2), D))
print("  then dtable ~= %s within 1e-6;" % fmt(dtable2, 9))
