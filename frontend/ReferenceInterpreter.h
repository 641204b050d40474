// The float64 reference interpreter: the oracle every compiled kernel is checked
// against. It walks the checked AST (after sema) directly and never touches MLIR, so a
// bug in lowering cannot hide in the oracle too.
//
// Semantics (docs/language.md):
//  - Statements run in order. Each computes the whole new value of its target into a
//    fresh array and only then assigns it, so a statement that reads its own target
//    sees the old value.
//  - A statement loops over Statement::loopIndices (extents: Kernel::dims via
//    Statement::loopDims); the first numParallel are the target's axes, the rest are
//    reduced with sum / max / min / prod (identity 0 / -inf / +inf / 1; max and min
//    propagate NaN).
//  - Every operation first converts its operands to Expr::opType, computes in it, and
//    produces Expr::type.
//
// Numerics (the deliberate choices of this oracle):
//  - Float dtypes (f64, f32, f16, bf16) are all computed in IEEE double. Values are
//    NEVER rounded to f32/f16/bf16: not on input, not by a cast (`bf16(x)` is the
//    identity on the value), not on store. The oracle is the exact-ish answer; the
//    behaviors' tolerances absorb the compiled kernel's rounding. FP8 (f8e4m3,
//    f8e5m2) is the exception: a cast to it, and a literal or constant of it, rounds
//    as the compiled code does (frontend/Float8.h: nearest even, e4m3 saturating),
//    since 2-3 mantissa bits are beyond what a tolerance could absorb.
//  - Integer dtypes (i64, i32, i8) keep integer semantics, computed exactly in int64 and
//    wrapped (two's complement) to the dtype's width after every operation: `/` truncates
//    toward zero, `%` is the C remainder (sign of the dividend), and the edge cases
//    have the language's defined results: x / 0 = 0, x % 0 = x, MIN / -1 = MIN,
//    MIN % -1 = 0. Float -> integer conversion truncates toward zero, saturating at the
//    target dtype's range, NaN -> 0.
//  - bool is 0 or 1; converting to bool is `!= 0`. Comparisons yield 0/1.
//  - `&&`, `||` short-circuit and `where(c, a, b)` evaluates only the chosen operand (the
//    language has no side effects, so this changes no result).
//  - Integer tensors are stored in Array::data as doubles, so values beyond 2^53 in
//    magnitude are not exact there; the tensors statements compute keep them exactly in
//    Array::exact too (a u64 hash through a local is exact), inputs are doubles.
//  - Unsigned dtypes (u64 u32 u16 u8) wrap modulo 2^w; `/ % >>`, comparisons, min and
//    max are unsigned; u64 is held in int64 as its bit pattern (ReferenceScalar.h).
//  - Condition: every float value carries a condition magnitude m >= |value|, a
//    first-order bound, in units of the roundoff u of a kernel computing in a float
//    dtype, on how far rounding each operation moves the value: a leaf (input, literal)
//    has m = |v|; a + b, a - b: m_a + m_b (the sum of |terms|); a * b: m_a |b| + |a| m_b;
//    a / b: m_a / |b| + |a / b| m_b / |b|; f(a): |f(a)| + |f'(a)| m_a; max/min and the
//    reductions' max/min: the larger m of the operands rounding could make the result
//    (an operand far below a max, such as a masked -1e30 score, is not one:
//    ReferenceScalar.h, extremumCondition); sum: the sum of the m; a cast: max(m, |v|).
//    sign(), floor/ceil/round/trunc, comparisons and conversions to integers are taken
//    as exact (an operand within rounding of a discontinuity is not covered).
//    `vibeec check` scales its tolerance by it (docs/architecture.md, "The oracle").
//  - Builtins: sigmoid(x) = 1 / (1 + exp(-x)), rsqrt(x) = 1 / sqrt(x), sign(±0) = 0,
//    sign(NaN) = NaN; min/max (binary) propagate NaN; pow is std::pow.
#pragma once

#include "frontend/AST.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vibee::ref {

// A dense tensor, row-major. Rank 0 (empty shape, one element) is a scalar.
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> data;
  // The condition magnitude of each float element a statement computed ("Condition");
  // empty for inputs (m = |value|) and integer tensors.
  std::vector<double> mag;
  // The exact value of each integer element a statement computed (Val::i: u64 as its
  // bit pattern), which `data` rounds beyond 2^53; empty for inputs and float tensors.
  std::vector<int64_t> exact;
};

struct Outcome {
  // Final value of every parameter, in order: inout tensors hold their updated value,
  // inputs are returned unchanged, scalars hold the value used (default included).
  std::vector<Array> params;
  // Every result, in declaration order.
  std::vector<Array> results;
  // Some float value (an operation's result, a reduction's running value, a stored
  // element) lies outside the normal range of the dtype it has in the kernel: beyond
  // its largest finite value or below its smallest normal one (not 0). The oracle
  // computes in double and goes on; a compiled kernel overflows or loses precision
  // there by design, so a differential check cannot compare such a run.
  bool outOfRange = false;
  // Some float comparison (`== != < <= > >=`) had operands closer than their rounding
  // error bound in the comparison's dtype (16 unit roundoffs of the sum of their
  // condition magnitudes): the kernel, which rounds, may decide it either way (`2^53 + 1
  // - x == 2^53` in bf16 holds in the kernel, not in double), and a perturbation of the
  // inputs does not show it when the rounding is of an integer operand or an exact
  // value. The differential check cannot compare outputs that depend on it.
  bool nearTie = false;
};

// Evaluates `kernel` (which must belong to `spec` and have passed sema) on `args`: one
// per parameter, in order; scalars as rank-0 Arrays. A scalar parameter with a default
// may be passed as an Array with empty shape and no data: the default is used.
// Integer/bool arguments are converted to their parameter's dtype (float values are
// truncated toward zero, saturating); float arguments are taken as they are.
// Throws std::invalid_argument, naming the kernel, the argument, the expected and the
// actual shape, when an argument's rank or a dim does not match (symbolic dims unify
// across all parameters), or when a scalar without default is missing; throws
// std::out_of_range when a literal subscript is outside its axis.
Outcome evaluate(const ast::Spec &spec, const ast::Kernel &kernel, const std::vector<Array> &args);

// `n` reproducible pseudo-random values uniform in [-1, 1), identical on every platform
// (the behaviors' `rand(seed, d...)` fills the tensor, row-major, with
// randomUniform(seed, d0 * d1 * ...)). Algorithm: SplitMix64 (Steele, Lea & Flood 2014)
// with state = seed (as uint64):
//   state += 0x9E3779B97F4A7C15; z = state;
//   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//   z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//   z ^= z >> 31;
// (all mod 2^64), and each value is (z >> 11) * 2^-52 - 1, i.e. the top 53 bits as a
// multiple of 2^-52 in [0, 2) shifted to [-1, 1): computed exactly in double.
// tools/spec-values/vibee_rand.py reproduces it in Python.
std::vector<double> randomUniform(uint64_t seed, size_t n);

} // namespace vibee::ref
