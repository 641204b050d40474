"""Expected values for specs/optim/loss_scaling.vibee (NumPy, independent of vibeec).

Dynamic loss scaling (Micikevicius et al. 2018, "Mixed Precision Training", section
3.3) with torch.cuda.amp.GradScaler's update rule, written as a state machine:
  found_inf = any(!isfinite(g16))             (the f16 gradients of the scaled loss)
  if found_inf: skip the step; scale *= backoff; good = 0
  else:         param -= lr * g16 / scale; good += 1
                if good == interval: scale *= growth; good = 0
The f16 rounding of the givens is NumPy's (np.float16: 70000 overflows to inf).
"""
import warnings

import numpy as np
from vibee_values import fmt

warnings.simplefilter("ignore", RuntimeWarning)  # the f16 overflow is the point


def sgd_step(param, g_scaled, scale, good, lr, growth=2.0, backoff=0.5, interval=2000):
    g16 = np.asarray(g_scaled, dtype=np.float64).astype(np.float16)
    if not np.all(np.isfinite(g16)):
        return np.asarray(param, dtype=np.float64), scale * backoff, 0, True
    param = np.asarray(param, dtype=np.float64) - lr * g16.astype(np.float64) / scale
    good += 1
    if good == interval:
        return param, scale * growth, 0, False
    return param, scale, good, False


def show(title, **kw):
    p, s, g, inf = sgd_step(**kw)
    print("// %s: found_inf %s" % (title, inf))
    print("  then param ~= %s within 1e-7;\n  then scale ~= [%s] within 0;\n  then good_steps == [%d];"
          % (fmt(p), fmt(s), g))


param = [1.0, -2.0, 0.5, 0.25]
show("overflow: skipped, scale halved", param=param, g_scaled=[1024.0, -512.0, 70000.0, 3.0],
     scale=65536.0, good=5, lr=0.1)
show("no overflow, counting", param=param, g_scaled=[1024.0, -512.0, 2048.0, 3.0],
     scale=1024.0, good=5, lr=0.1, interval=8)
show("no overflow for interval steps: scale doubled", param=param,
     g_scaled=[1024.0, -512.0, 2048.0, 3.0], scale=1024.0, good=7, lr=0.1, interval=8)
g16 = np.array([1024.0, -512.0, 0.1, 3.0]).astype(np.float16)
print("// unscale [1024, -512, 0.1, 3] (f16) by 1024:\n  then grad ~= %s within 1e-9;"
      % fmt(g16.astype(np.float64) / 1024.0, 12))
