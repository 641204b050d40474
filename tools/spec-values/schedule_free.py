"""Expected values for specs/optim/schedule_free_adamw.vibee (NumPy float64, independent
of vibeec).

Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", arXiv:2405.15682),
Algorithm 1, one step t:
  y_t = (1 - beta1) z_t + beta1 x_t;  g_t = grad f(y_t)
  v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
  lr_t = lr sqrt(1 - beta2^t) min(1, t / warmup)
  z_{t+1} = z_t - lr_t g_t / (sqrt(v_t) + eps) - lr_t wd y_t
  c_{t+1} = lr_t^2 / sum_{i<=t} lr_i^2
  x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}
Also runs three steps on a quadratic f(y) = 0.5 * |y - target|^2 and prints each
step's inputs, so that the behaviors chain steps as a training loop would.
"""
import numpy as np
from vibee_values import fmt, rand


def step(z, x, v, grad, lr, t, lr_sq_sum, warmup=0.0, wd=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    z, x, v, grad = (np.asarray(a, dtype=np.float64) for a in (z, x, v, grad))
    y = (1 - beta1) * z + beta1 * x
    v = beta2 * v + (1 - beta2) * grad**2
    lr_t = lr * np.sqrt(1 - beta2**t) * (min(1.0, t / warmup) if warmup > 0 else 1.0)
    z = z - lr_t * grad / (np.sqrt(v) + eps) - lr_t * wd * y
    s = lr_sq_sum + lr_t**2
    c = lr_t**2 / s
    x = (1 - c) * x + c * z
    return z, x, v, (1 - beta1) * z + beta1 * x, s


def show(title, z, x, v, grad, **kw):
    print("//", title)
    print("  given z = %s, x = %s," % (fmt(z), fmt(x)))
    print("        v = %s, grad = %s;" % (fmt(v, 12), fmt(grad)))
    print("  // %s" % kw)
    z, x, v, y, s = step(z, x, v, grad, **kw)
    print("  then z ~= %s within 1e-6;" % fmt(z))
    print("  then x ~= %s within 1e-6;" % fmt(x))
    print("  then v ~= %s within 1e-9;" % fmt(v, 12))
    print("  then y ~= %s within 1e-6;" % fmt(y))
    print("  then lr_sq_sum_next ~= %s within 1e-12;" % fmt(s, 12))
    return z, x, v, y, s


# A training loop on f(y) = 0.5 |y - target|^2: grad = y - target.
target = rand(41, 4)
z = x = np.array([1.0, -0.5, 2.0, 0.0])
v, s = np.zeros(4), 0.0
y = z
for t in (1, 2, 3):
    # The givens as printed (10 digits), so that the behaviors chain exactly.
    z, x, v = (np.array([float(e) for e in fmt(a, 12 if a is v else 10).strip("[]").split(",")]) for a in (z, x, v))
    y = 0.1 * z + 0.9 * x
    grad = np.array([float(e) for e in fmt(y - target).strip("[]").split(",")])
    z, x, v, y, s = show("step %d" % t, z, x, v, grad, lr=0.5, t=float(t), lr_sq_sum=s,
                         warmup=2.0, wd=0.1)
    s = float(fmt(s, 12))

# How far a float32 evaluation lands (the kernel computes in f32, and 1 - beta2 =
# 1 - f32(0.999) is 1.00005e-3: v and lr_t are off by 5e-5 and 2.5e-5 relative): the behaviors'
# tolerances.
f = np.float32
z32 = np.array([0.2848077278, 0.1324308209, 1.268690284, 0.2205926509], f)
x32 = np.array([0.3364308653, 0.08996354107, 1.322017163, 0.2238615504], f)
v32 = np.array([0.00606539381133, 0.000684268789131, 0.0141583570858, 5.77318998948e-05], f)
g32 = np.array([1.194106768, -0.1025664519, 2.100901485, -0.016659957], f)
b1, b2 = f(0.9), f(0.999)
y32 = (f(1) - b1) * z32 + b1 * x32
v32 = b2 * v32 + (f(1) - b2) * g32 * g32
lr_t = f(0.5) * f(np.sqrt(1 - np.float64(b2)**3))  # f64 of the f32 beta2, as the kernel
z32 = z32 - lr_t * g32 / (np.sqrt(v32) + f(1e-8)) - lr_t * f(0.1) * y32
z64, x64, v64, _, _ = step([0.2848077278, 0.1324308209, 1.268690284, 0.2205926509],
                           [0.3364308653, 0.08996354107, 1.322017163, 0.2238615504],
                           [0.00606539381133, 0.000684268789131, 0.0141583570858, 5.77318998948e-05],
                           g32.astype(np.float64), lr=0.5, t=3.0, lr_sq_sum=0.00056225, warmup=2.0, wd=0.1)
print("// (float32 emulation of step 3: v differs by %.2g, z by %.2g)"
      % (np.abs(v32 - v64).max(), np.abs(z32 - z64).max()))
