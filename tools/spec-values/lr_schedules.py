"""Expected values for specs/optim/lr_schedules.vibee (NumPy float64, independent of
vibeec).

- warmup + cosine: lr_max * t / warmup for t < warmup, else lr_min + (lr_max - lr_min)
  * (1 + cos(pi * min(1, (t - warmup) / (total - warmup)))) / 2.
- SGDR (Loshchilov & Hutter 2017, eq. 5): found by walking the periods T_0, T_0 t_mult,
  ... from step 0 (a loop, not the spec's closed form), then lr_min + (lr_max - lr_min)
  * (1 + cos(pi * T_cur / T_i)) / 2.
- triangular (Smith 2017, section 3.1): cycle = floor(1 + t / (2 step_size)),
  x = |t / step_size - 2 cycle + 1|, lr = base + (max - base) * max(0, 1 - x).
"""
import numpy as np
from vibee_values import fmt


def warmup_cosine(t, lr_max, lr_min, warmup, total):
    if t < warmup:
        return lr_max * t / warmup
    p = min(1.0, (t - warmup) / (total - warmup))
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + np.cos(np.pi * p))


def sgdr(t, lr_max, lr_min, t0, t_mult):
    start, period = 0, t0
    while t >= start + period:
        start, period = start + period, period * t_mult
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + np.cos(np.pi * (t - start) / period))


def triangular(t, base_lr, max_lr, step_size):
    cycle = np.floor(1 + t / (2 * step_size))
    x = abs(t / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)


t = list(range(14))
print("// t = %s" % t)
print("// warmup_cosine(lr_max 0.1, lr_min 0.01, warmup 3, total 11)")
print("  then lr ~= %s within 1e-7;" % fmt([warmup_cosine(s, 0.1, 0.01, 3, 11) for s in t]))
t = list(range(0, 32, 1))
print("// sgdr(lr_max 1, lr_min 0, t0 2, t_mult 1), t = 0..8")
print("  then lr ~= %s within 1e-7;" % fmt([sgdr(s, 1.0, 0.0, 2, 1) for s in range(9)]))
print("// sgdr(lr_max 1, lr_min 0.1, t0 3, t_mult 2), t = 0..31 (restarts at 3, 9, 21)")
print("  then lr ~= %s within 1e-7;" % fmt([sgdr(s, 1.0, 0.1, 3, 2) for s in t]))
print("// sgdr(lr_max 1, lr_min 0, t0 1, t_mult 3), t = 0..40 (restarts at 1, 4, 13, 40)")
print("  then lr ~= %s within 1e-7;" % fmt([sgdr(s, 1.0, 0.0, 1, 3) for s in range(41)]))
print("// triangular(base 0.001, max 0.006, step_size 4), t = 0..17")
print("  then lr ~= %s within 1e-8;" % fmt([triangular(s, 0.001, 0.006, 4) for s in range(18)]))
