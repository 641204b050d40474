"""Expected values for specs/optim/adafactor.vibee (NumPy float64, independent of vibeec).

Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear
Memory Cost", ICML), Algorithm 4 with relative step size (section 8), d = 1,
eps1 = 1e-30, eps2 = 1e-3, beta2_t = 1 - t^-0.8, rho_t = min(1e-2, 1/sqrt(t)):
  alpha = max(eps2, RMS(X)) * rho
  R = beta2 R + (1 - beta2) (G^2 + eps1) 1_K          (row sums)
  C = beta2 C + (1 - beta2) 1_M^T (G^2 + eps1)        (column sums)
  V = R C^T / (1_M^T R)                                (outer product)
  U = G / sqrt(V);  U /= max(1, RMS(U) / d)
  X = X - alpha U
"""
import numpy as np
from vibee_values import fmt, rand


def rms(a):
    return np.sqrt(np.mean(a * a))


def step(X, G, R, C, t, eps1=1e-30, eps2=1e-3, d=1.0):
    beta2 = 1 - t**-0.8
    rho = min(1e-2, 1 / np.sqrt(t))
    alpha = max(eps2, rms(X)) * rho
    G2 = G * G + eps1
    R = beta2 * R + (1 - beta2) * G2 @ np.ones(G.shape[1])
    C = beta2 * C + (1 - beta2) * np.ones(G.shape[0]) @ G2
    V = np.outer(R, C) / R.sum()
    U = G / np.sqrt(V)
    U = U / max(1.0, rms(U) / d)
    return X - alpha * U, R, C, rms(G / np.sqrt(V))


def read(a, digits=10):  # an array as the spec's givens hold it
    return np.array(eval(fmt(a, digits)))


X, G = rand(51, 3, 4), rand(52, 3, 4)
X1, R1, C1, u = step(X, G, np.zeros(3), np.zeros(4), 1.0)
print("// step 1 from zero moments: given X = rand(51, 3, 4), G = rand(52, 3, 4); RMS(U) = %.4g" % u)
print("  then X ~= %s within 1e-6;" % fmt(X1))
print("  then R ~= %s within 1e-6;" % fmt(R1))
print("  then C ~= %s within 1e-6;" % fmt(C1))

X1, R1, C1 = read(X1), read(R1), read(C1)
G2 = rand(53, 3, 4)
X2, R2, C2, u = step(X1, G2, R1, C1, 2.0, d=0.5)  # RMS(U) > d: clipped
print("// step 2 (d = 0.5): given X = %s, G = rand(53, 3, 4), R = %s, C = %s; RMS(U) = %.4g" % (fmt(X1), fmt(R1), fmt(C1), u))
print("  then X ~= %s within 1e-6;" % fmt(X2))
print("  then R ~= %s within 1e-6;" % fmt(R2))
print("  then C ~= %s within 1e-6;" % fmt(C2))

# A rank-1 gradient has V = G^2 exactly (its row/column sums factor it): U = sign(G),
# RMS(U) = 1, and every entry moves by alpha = max(eps2, RMS(X)) * 1e-2 against G's sign.
a, b = np.array([1.0, -2.0]), np.array([0.5, 0.25, -1.0])
G = np.outer(a, b)
X = np.full((2, 3), 0.5)
X3, _, _, u = step(X, G, np.zeros(2), np.zeros(3), 1.0)
print("// rank-1 gradient %s: RMS(U) = %.4g" % (fmt(G), u))
print("  then X ~= %s within 1e-7;" % fmt(X3))
