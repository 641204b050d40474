"""Expected values for specs/nn/softmax.vibee (NumPy float64, independent of vibeec).

Row softmax with the max subtracted first (the standard numerically stable form, e.g.
Goodfellow, Bengio & Courville 2016, "Deep Learning", sec. 4.1).
"""
import numpy as np
from vibee_values import fmt, rand


def softmax(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def show(title, x, tol):
    print("//", title)
    print("  then y ~= %s within %s;" % (fmt(softmax(x), 8), tol))


show("rows sum to one and keep their order", [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], "1e-6")
# exp(1000) overflows even float64; subtracting the row max keeps it finite and the
# result equals the softmax of the shifted row.
show("large inputs stay finite", [[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], "1e-6")
show("random rows (rand(3, 4, 5))", rand(3, 4, 5), "1e-6")

# softmax_bf16: inputs exact in bf16 (8 significant bits: between 512 and 1024 the
# spacing is 4, so 1000, 1004 and 1008 are exact, 1001 is not); the kernel's output
# is rounded to bf16, hence the looser tolerance.
show("bf16 rows sum to one", [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], "1e-2")
show("bf16 large inputs stay finite", [[1000.0, 1004.0, 1008.0], [-1000.0, 0.0, 1000.0]], "1e-2")
