"""Expected values for specs/quantum/ising_annealing.vibee (NumPy float64 and Philox
4x32-10 in Python from philox.py, independent of vibeec).

A loop over chains (or replicas): site = floor(u0 * N), u0 = uniform(seed, step, c, 0);
the energy change of flipping it computed from the full energies E(s') - E(s),
E(s) = -1/2 s^T J s - h^T s (classical), and for the Trotter replicas
E_eff = sum_p E(s_p) - J_perp sum_p s_p . s_{p+1} (periodic), at temperature P T with
J_perp = (P T / 2) ln coth(Gamma / (P T)); the flip is taken when
uniform(seed, step, c, 1) < exp(-dE / T_eff), for replicas of the given parity only.
"""
import numpy as np
from philox import uniform
from vibee_values import fmt, rand


def energy(s, J, h):
    return -0.5 * s @ J @ s - h @ s


def sa_step(spins, J, h, T, seed, step):
    spins = spins.copy()
    C, N = spins.shape
    for c in range(C):
        i = int(uniform(seed, step, c, 0) * N)
        flipped = spins[c].copy()
        flipped[i] = -flipped[i]
        dE = energy(flipped, J, h) - energy(spins[c], J, h)
        if uniform(seed, step, c, 1) < np.exp(-dE / T):
            spins[c] = flipped
    return spins


def eff_energy(S, J, h, jperp):
    P = S.shape[0]
    return sum(energy(S[p], J, h) for p in range(P)) - jperp * sum(S[p] @ S[(p + 1) % P] for p in range(P))


def qa_step(spins, J, h, T, gamma, seed, step, parity):
    S = spins.copy()
    P, N = S.shape
    pt = P * T
    jperp = 0.5 * pt * np.log(1 / np.tanh(gamma / pt))
    for p in range(parity, P, 2):
        i = int(uniform(seed, step, p, 0) * N)
        F = S.copy()
        F[p, i] = -F[p, i]
        dE = eff_energy(F, J, h, jperp) - eff_energy(S, J, h, jperp)
        if uniform(seed, step, p, 1) < np.exp(-dE / pt):
            S = F
    return S, jperp


A = rand(61, 5, 5)
J = np.triu(A, 1) + np.triu(A, 1).T
h = 0.5 * rand(62, 5)
spins = np.where(rand(63, 4, 5) >= 0, 1.0, -1.0)
print("  given J = %s, h = %s;" % (fmt(J), fmt(h)))
print("  given spins = %s;" % fmt(spins))
out = sa_step(spins, J, h, 0.7, 31, 2)
print("// sa_step T = 0.7, seed 31, step 2: flipped %s" % (out != spins).any(axis=1).astype(int).tolist())
print("  then spins ~= %s within 0;" % fmt(out))
out, jp = qa_step(spins, J, h, 0.2, 0.2, 31, 3, 1)
print("// qa_step T = 0.2, Gamma = 0.2, seed 31, step 3, parity 1 (J_perp = %.6g): flipped %s"
      % (jp, (out != spins).any(axis=1).astype(int).tolist()))
print("  then spins ~= %s within 0;" % fmt(out))
