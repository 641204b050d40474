#!/usr/bin/env python3
"""Writes a large .vibee spec for compile-time measurements (docs/performance.md,
"Compile time of large specs") and the ctest `compile_time_large_spec`.

  gen_large_spec.py --statements 5000 > big.vibee   one kernel, 5000 statements
  gen_large_spec.py --kernels 10000 > many.vibee    10000 small kernels

The statements of one kernel mix what real specs have: elementwise chains (which
fuse into a consumer), independent siblings over the same domain (which merge),
and row reductions (which stop fusion), every local read by a later statement.
"""
import argparse
import sys


def kernel(name, statements):
    lines = [f"kernel {name}(x: f32[R, C], w: f32[C]) -> y: f32[R, C] {{"]
    prev = "x"        # the last 2-D local of the chain
    row = None        # a row reduction not read yet
    sibling = None    # a sibling not read yet
    for k in range(statements - 1):
        t = f"t{k}"
        if row:
            lines.append(f"  {t}[r, c] = {prev}[r, c] - {row}[r];")
            prev, row = t, None
        elif k % 10 == 9 and prev != "x":
            lines.append(f"  {t}[r] = sum(c) {prev}[r, c] * w[c];")
            row = t
        elif k % 3 == 2 and not sibling:  # reads x only: merged horizontally
            lines.append(f"  {t}[r, c] = x[r, c] * {k % 7 + 1}.0 + w[c];")
            sibling = t
        else:  # a chain link, fused into its consumer
            other = f"{sibling}[r, c]" if sibling else "x[r, c]"
            lines.append(f"  {t}[r, c] = {prev}[r, c] * 0.5 + {other};")
            prev, sibling = t, None
    terms = [f"{prev}[r, c]"] + ([f"{sibling}[r, c]"] if sibling else [])
    terms += [f"{row}[r]"] if row else []
    lines.append(f"  y[r, c] = {' + '.join(terms)};")
    lines.append("}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--statements", type=int, default=8, help="statements per kernel")
    p.add_argument("--kernels", type=int, default=1)
    a = p.parse_args()
    out = [f'spec large 1.0.0 "{a.kernels} kernels of {a.statements} statements";']
    for i in range(a.kernels):
        out.append(kernel(f"k{i}", a.statements))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
