"""Expected values for tests/e2e/topk_long.vibee: top-k of long rows (the GPU cuts
them into chunks whose sorted lists a tree of merges combines), NumPy, independent
of vibeec. Order: larger first, NaN before every number, ties by lower index first
(docs/language.md, "Top-k"): a stable sort on the key below.
"""
import numpy as np
from vibee_values import fmt, rand


def topk(x, k):
    """Rows of x (float32): the k best values and their indices, in rank order."""
    values, indices = [], []
    for row in np.atleast_2d(x):
        key = np.where(np.isnan(row), -np.inf, -row.astype(np.float64))
        nan_first = np.where(np.isnan(row), 0, 1)
        order = np.lexsort((np.arange(row.size), key, nan_first))[:k]
        values.append(row[order])
        indices.append(order)
    return np.array(values), np.array(indices)


def ints(a):
    return "[" + ", ".join(ints(r) if np.ndim(r) else str(int(r)) for r in a) + "]"


def main():
    x = rand(71, 3, 20000).astype(np.float32)
    v, i = topk(x, 50)
    print("// top50(rand(71, 3, 20000))")
    print("  then v ~= %s within 1e-6;" % fmt(v, 9))
    print("  then i == %s;" % ints(i))

    t = np.floor(x * np.float32(8.0))
    v, i = topk(t, 20)
    print("// top_ties(rand(71, 3, 20000))")
    print("  then v == %s;" % fmt(v, 9))
    print("  then i == %s;" % ints(i))

    x = rand(72, 30011).astype(np.float32)
    q = np.where(x > np.float32(0.9995), np.float32(np.nan), x)
    v, i = topk(q, 9)
    print("// top_nan(rand(72, 30011))")
    print("  then i == %s;" % ints(i[0]))
    print("  // values after the NaNs: %s" % fmt(v[0][np.isfinite(v[0])], 9))


if __name__ == "__main__":
    main()
