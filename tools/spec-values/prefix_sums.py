"""Expected values for specs/ssm/prefix_sums.vibee (NumPy float64, independent of vibeec).

Prefix sums (Blelloch 1990, "Prefix Sums and Their Applications", CMU-CS-90-190):
inclusive y[t] = x[0] + ... + x[t] (np.cumsum), exclusive y[t] = x[0] + ... + x[t-1]
(0 at t = 0), and the running maximum (np.maximum.accumulate).
"""
import numpy as np
from vibee_values import fmt, rand

x = rand(81, 3, 6)
print("// cumsum, exclusive cumsum and running max of rand(81, 3, 6) along the last axis")
print("  then y ~= %s within 1e-6;" % fmt(np.cumsum(x, axis=1), 8))
excl = np.concatenate([np.zeros((3, 1)), np.cumsum(x, axis=1)[:, :-1]], axis=1)
print("  then e ~= %s within 1e-6;" % fmt(excl, 8))
print("  then m ~= %s within 1e-6;" % fmt(np.maximum.accumulate(x, axis=1), 8))
