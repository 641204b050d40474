"""Expected values for specs/optim/adamw.vibee (NumPy float64, independent of vibeec).

AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Alg. 2) in
the update order of torch.optim.AdamW:
  param *= 1 - lr * wd                      (decoupled weight decay, first)
  m = beta1 * m + (1 - beta1) * g
  v = beta2 * v + (1 - beta2) * g^2
  mhat = m / (1 - beta1^t);  vhat = v / (1 - beta2^t)
  param -= lr * mhat / (sqrt(vhat) + eps)
"""
import numpy as np
from vibee_values import fmt


def adamw(param, grad, m, v, lr, step, wd=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    param, grad, m, v = (np.asarray(a, dtype=np.float64) for a in (param, grad, m, v))
    param = param * (1 - lr * wd)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    mhat = m / (1 - beta1**step)
    vhat = v / (1 - beta2**step)
    param = param - lr * mhat / (np.sqrt(vhat) + eps)
    return param, m, v


def show(title, **kw):
    p, m, v = adamw(**kw)
    print("//", title)
    print("  then param ~= %s within 1e-6;" % fmt(p))
    print("  then m ~= %s within 1e-7;" % fmt(m))
    print("  then v ~= %s within 1e-9;" % fmt(v))
    return p, m, v


param0 = [1.0, -0.5, 2.0, 0.0]
grad1 = [0.1, -0.2, 0.0, 0.5]
p1, m1, v1 = show("step 1 from zero moments (defaults wd, betas, eps)",
                  param=param0, grad=grad1, m=np.zeros(4), v=np.zeros(4), lr=1e-3, step=1)
# Step 2 continues from step 1's state, written as the givens with 10 digits.
p1, m1, v1 = (np.array([float(t) for t in fmt(a).strip("[]").split(",")]) for a in (p1, m1, v1))
grad2 = [-0.3, 0.1, 0.2, 0.5]
print("// step 2 givens:")
print("  given param = %s, grad = %s," % (fmt(p1), fmt(grad2)))
print("        m = %s, v = %s;" % (fmt(m1), fmt(v1)))
p2, _, _ = show("step 2 continues from step 1; wd = 0.1", param=p1, grad=grad2, m=m1, v=v1,
                lr=1e-3, step=2, wd=0.1)

# How far a float32 evaluation lands (the compiled kernel computes in f32).
f = np.float32
def adamw32(param, grad, m, v, lr, step, wd, beta1=f(0.9), beta2=f(0.999), eps=f(1e-8)):
    param, grad, m, v = (np.asarray(a, dtype=np.float32) for a in (param, grad, m, v))
    lr, step, wd = f(lr), f(step), f(wd)
    param = param * (f(1) - lr * wd)
    m = beta1 * m + (f(1) - beta1) * grad
    v = beta2 * v + (f(1) - beta2) * grad * grad
    param = param - lr * (m / (f(1) - beta1**step)) / (np.sqrt(v / (f(1) - beta2**step)) + eps)
    return param
print("// (float32 emulation of step 2 differs by at most %.2g)"
      % np.abs(adamw32(p1, grad2, m1, v1, 1e-3, 2, 0.1) - p2).max())
