"""Expected values for specs/decoding/topk_topp_sampling.vibee, beam_search.vibee and
speculative.vibee (NumPy float64 and plain-Python Philox 4x32-10 from philox.py,
independent of vibeec). Run `python3 decoding.py <name>`.

- topk_topp: Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration"
  (ICLR), nucleus sampling (section 3.1) on top of top-k (Fan et al. 2018): logits /
  temperature, the k largest (stable order), their softmax, the smallest prefix whose
  mass reaches p (the mass before a token is < p), renormalized; the token is the
  first whose cumulative kept mass exceeds u * total, u = uniform(seed, step, b).
- beam: Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural
  Networks" (NeurIPS), the left-to-right beam search decoder: each hypothesis w of
  batch b extends by every token v with score beam_logp[b, w] + log_softmax(logits[b,
  w])[v]; the next beams are the k best (beam, token) pairs over beams x vocabulary.
- speculative: Leviathan, Kalman & Matias 2023, "Fast Inference from Transformers via
  Speculative Decoding" (ICML), section 2.3: a draft token x ~ q is kept when
  u < min(1, p(x) / q(x)), else a token is drawn from norm(max(0, p - q)); the
  output is distributed as p.
"""
import sys

import numpy as np
from philox import uniform
from vibee_values import fmt, rand


def ints(a):
    a = np.asarray(a)
    if a.ndim == 0:
        return str(int(a))
    return "[" + ", ".join(ints(x) for x in a) + "]"


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def pick(weights, u):
    """The first index whose cumulative weight exceeds u * total (the kernels' rule:
    the count of cumulative weights <= u * total, clamped to the last positive one)."""
    c = np.cumsum(weights)
    n = int(np.sum(c <= u * c[-1]))
    return min(n, int(np.sum(weights > 0)) - 1) if np.any(weights > 0) else 0


def topk_topp():
    logits = f32(rand(61, 2, 10))
    T, top_p, seed, step, K = 0.25, 0.8, 5, 16, 4
    z = logits / T
    print("// sample: logits = rand(61, 2, 10), temperature = %s, top_p = %s, seed = %d, step = %d, k = %d"
          % (T, top_p, seed, step, K))
    toks, probs, cands, ids = [], [], [], []
    for b in range(z.shape[0]):
        order = np.argsort(-z[b], kind="stable")[:K]
        cand = z[b][order]
        e = np.exp(cand - cand[0])
        p0 = e / e.sum()
        before = np.concatenate([[0.0], np.cumsum(p0)[:-1]])
        kept = np.where(before < top_p, p0, 0.0)
        u = uniform(seed, step, b)
        toks.append(int(order[pick(kept, u)]))
        probs.append(kept / kept.sum())
        cands.append(cand)
        ids.append(order)
        print("//   row %d: u = %.9g, candidates %s, kept mass %s" % (b, u, order.tolist(), fmt(kept, 6)))
    print("  then cand ~= %s within 1e-5;" % fmt(np.array(cands), 9))
    print("  then ids == %s;" % ints(ids))
    print("  then prob ~= %s within 1e-6;" % fmt(np.array(probs), 9))
    print("  then tok == %s;" % ints(toks))


def beam():
    B, W, V, K = 2, 3, 5, 3
    logits = f32(rand(71, B, W * V))
    beam_logp = f32([[-0.25, -1.5, -0.75], [-2.0, -0.5, -0.125]])
    total = np.empty((B, W * V))
    for b in range(B):
        for w in range(W):
            row = logits[b, w * V:(w + 1) * V]
            m = row.max()
            lse = m + np.log(np.exp(row - m).sum())
            total[b, w * V:(w + 1) * V] = beam_logp[b, w] + row - lse
    order = np.argsort(-total, axis=1, kind="stable")[:, :K]
    print("// step: beam_logp = %s, logits = rand(71, %d, %d), vocab = %d, k = %d"
          % (fmt(beam_logp), B, W * V, V, K))
    print("  then score ~= %s within 1e-5;" % fmt(np.take_along_axis(total, order, 1), 9))
    print("  then cand == %s;" % ints(order))
    print("  then beam == %s;" % ints(order // V))
    print("  then tok == %s;" % ints(order % V))


def speculative():
    p = f32([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]])
    q = f32([[0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25], [0.1, 0.1, 0.1, 0.7]])
    x = [0, 2, 3]
    seed, step = 17, 4
    toks, acc = [], []
    for b in range(3):
        u = uniform(seed, step, b, 0)
        ok = u * q[b, x[b]] < p[b, x[b]]
        r = np.maximum(p[b] - q[b], 0.0)
        u2 = uniform(seed, step, b, 1)
        y = min(int(np.sum(np.cumsum(r) <= u2 * r.sum())), 3)
        toks.append(x[b] if ok else y)
        acc.append(ok)
        print("//   row %d: u = %.9g (accept below p/q = %.9g), u2 = %.9g -> %d" % (b, u, p[b, x[b]] / q[b, x[b]], u2, y))
    print("  then accepted == %s;" % fmt(np.array(acc, dtype=float)).replace("1.0", "true").replace("0.0", "false"))
    print("  then tok == %s;" % ints(toks))


def speculative_trials():
    p = f32([0.1, 0.2, 0.3, 0.4])
    q = f32([0.4, 0.3, 0.2, 0.1])
    seed, T = 2023, 20000
    counts = np.zeros(4)
    cq, r = np.cumsum(q), np.maximum(p - q, 0.0)
    cr = np.cumsum(r)
    for t in range(T):
        x = min(int(np.sum(cq <= uniform(seed, t, 2) * cq[-1])), 3)
        ok = uniform(seed, t, 0) * q[x] < p[x]
        y = min(int(np.sum(cr <= uniform(seed, t, 1) * cr[-1])), 3)
        counts[x if ok else y] += 1
    freq = counts / T
    sigma = np.sqrt(p * (1 - p) / T)
    print("// trials: p = %s, q = %s, seed = %d, T = %d" % (fmt(p), fmt(q), seed, T))
    print("//   |freq - p| = %s, 5 standard deviations = %s" % (fmt(np.abs(freq - p), 3), fmt(5 * sigma, 3)))
    print("  then freq ~= %s within 1e-6;" % fmt(freq, 9))


if __name__ == "__main__":
    {"topk_topp": topk_topp, "beam": beam, "speculative": speculative,
     "speculative_trials": speculative_trials}[sys.argv[1]]()
