"""Expected values for specs/quantum/grover.vibee (NumPy complex128, independent of vibeec).

One Grover iteration (Grover 1996, "A fast quantum mechanical algorithm for database
search", STOC) simulated with explicit N x N matrices: the oracle O = I - 2 sum_m
|m><m| over the marked states, the diffusion D = 2 |s><s| - I with |s> the uniform
superposition; the new state is D O psi.
"""
import numpy as np
from vibee_values import fmt, rand


def grover(psi, marked):
    n = len(psi)
    O = np.eye(n) - 2 * np.diag(np.asarray(marked, dtype=float))
    s = np.full(n, 1 / np.sqrt(n))
    D = 2 * np.outer(s, s) - np.eye(n)
    return D @ O @ psi


marked = [0, 0, 0, 0, 0, 1, 0, 0]
psi = np.full(8, 1 / np.sqrt(8)) + 0j
print("// N = 8, state 5 marked, from the uniform superposition (theta = asin(1/sqrt 8))")
for k in (1, 2):
    psi = grover(psi, marked)
    print("  // after %d: re = %s, P(5) = %.6f, sin^2((2k+1) theta) = %.6f" % (k, fmt(psi.real), abs(psi[5])**2,
          np.sin((2 * k + 1) * np.arcsin(1 / np.sqrt(8)))**2))
psi = rand(21, 6) + 1j * rand(22, 6)
out = grover(psi, [1, 0, 0, 1, 0, 0])
print("// random complex state rand(21, 6) + i rand(22, 6), states 0 and 3 marked")
print("  then re ~= %s within 1e-6;\n  then im ~= %s within 1e-6;" % (fmt(out.real), fmt(out.imag)))
