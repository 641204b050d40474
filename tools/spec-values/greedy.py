"""Expected values for specs/decoding/greedy.vibee (NumPy float64, independent of vibeec).

Greedy decoding (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration",
ICLR, section 2: maximization-based decoding): the next token is np.argmax of the
logits (the first on ties), scored by its log-probability, log_softmax(logits)[tok]
= logits[tok] - max - log(sum(exp(logits - max))); with a mask, the best allowed
token (np.argmax over the logits with the banned ones at -1e30).
"""
import numpy as np
from vibee_values import fmt, rand

# The kernels read f32: round the inputs as the behavior's `given` does.
logits = rand(7, 3, 10).astype(np.float32).astype(np.float64)
tok = np.argmax(logits, axis=1)
m = logits.max(axis=1)
logp = logits[np.arange(3), tok] - m - np.log(np.exp(logits - m[:, None]).sum(axis=1))
print("// next_token of rand(7, 3, 10)")
print("  then tok == [%s];" % ", ".join(str(int(t)) for t in tok))
print("  then logp ~= %s within 1e-6;" % fmt(logp, 8))

allowed = rand(8, 3, 10) > -0.3
print("// masked: rand(7, 3, 10), allowed = rand(8, 3, 10) > -0.3")
print("  given allowed = [%s];" % ", ".join(
    "[" + ", ".join("true" if a else "false" for a in row) + "]" for row in allowed))
masked = np.argmax(np.where(allowed, logits, -1e30), axis=1)
print("  then tok == [%s];" % ", ".join(str(int(t)) for t in masked))

tie = np.array([[0.5, 2.0, 2.0, -1.0]])
tm = tie.max(axis=1)
print("// next_token of %s (a tie: the first)" % fmt(tie))
print("  then tok == [%d];" % np.argmax(tie[0]))
print("  then logp ~= %s within 1e-6;" % fmt(
    -np.log(np.exp(tie - tm[:, None]).sum(axis=1)), 8))
