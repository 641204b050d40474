"""Expected values for the specs that draw random numbers: specs/sampling/metropolis.vibee,
specs/optim/sgld.vibee and specs/hashing/minhash.vibee (plain Python integers and NumPy
float64, independent of vibeec; Philox 4x32-10 from philox.py, which checks itself
against Random123's known-answer vectors on import).
"""
import sys

import numpy as np
from philox import normal, uniform
from vibee_values import fmt, rand


def metropolis():
    # Kirkpatrick et al. 1983 / Metropolis et al. 1953: take the proposal when
    # u < exp(-(E' - E) / T), u = uniform(seed, step, chain).
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    proposal = x + 0.5
    energy = np.ones(6)
    proposal_energy = np.array([0.5, 1.2, 1.5, 0.9, 3.0, 1.05])
    T, seed, step = 0.5, 2026, 7
    u = np.array([uniform(seed, step, i) for i in range(6)])
    taken = u < np.exp((energy - proposal_energy) / T)
    print("// metropolis: u = %s, acceptance = %s" % (fmt(u, 9), fmt(np.exp((energy - proposal_energy) / T), 9)))
    print("  then x_next ~= %s within 0;" % fmt(np.where(taken, proposal, x), 9))
    print("  then energy_next ~= %s within 0;" % fmt(np.where(taken, proposal_energy, energy), 9))


def sgld():
    # Welling & Teh 2011, eq. 4: theta + lr / 2 * grad log p + N(0, lr), here as a
    # descent on a loss: theta - lr / 2 * grad + sqrt(lr) * normal(seed, step, i).
    theta, grad = rand(81, 5), rand(82, 5)
    lr, seed, step = 0.01, 99, 3
    z = np.array([normal(seed, step, i) for i in range(5)])
    print("// sgld: given theta = rand(81, 5), grad = rand(82, 5), lr = %s, seed = %d, step = %d" % (lr, seed, step))
    print("  then theta_next ~= %s within 1e-5;" % fmt(theta - 0.5 * lr * grad + np.sqrt(lr) * z, 10))


def minhash():
    # Broder 1997: per hash function h, the least hash of a set's elements; two
    # sets agree on a signature entry with probability J(A, B). Hash h(x) =
    # uniform(seeds[h], x) (24 bits of Philox).
    tokens = np.array([[3, 17, 42, 8], [17, 3, 42, 99], [5, 6, 7, 8]])
    seeds = [11, 12, 13, 14, 15]
    sig = np.array([[min(uniform(s, int(t)) for t in row) for s in seeds] for row in tokens])
    print("// minhash: given tokens = %s, seeds = %s" % (fmt(tokens), fmt(np.array(seeds))))
    print("  then sig ~= %s within 0;" % fmt(sig, 17))


if __name__ == "__main__":
    {"metropolis": metropolis, "sgld": sgld, "minhash": minhash}[sys.argv[1]]()
