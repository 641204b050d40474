// The compiler fuzzer's differential mode: a JIT-compiled kernel against the float64
// reference interpreter on small random non-zero inputs, with `vibeec check`'s inputs
// and tolerances (tools/vibeec/CheckSupport.h). Fuzzed kernels are often
// ill-conditioned (cancellation, huge literals, exp of exp), where f32 code and a
// float64 oracle differ by design; a mismatch counts only when the reference itself
// is stable under perturbations of the inputs and literals far larger than the
// rounding the kernel does, and no value left its dtype's range (docs/testing.md).
#pragma once

#include "frontend/AST.h"

#include <cstdint>
#include <string>

namespace vibee {
class JitModule;
}

namespace vibee::fuzz {

// Bounds on one trial, so that one input runs in well under a second.
struct TrialBudget {
  int64_t maxElements = 4096; // per tensor (parameter, result, local)
  int64_t maxWork = 1 << 14;  // loop iterations per statement
};

// What the differential runs saw (printed by the fuzzer now and then).
struct DiffStats {
  int64_t compared = 0;       // trials that agreed with the reference
  int64_t overBudget = 0;     // trials skipped: tensors or loops beyond the budget
  int64_t referenceThrew = 0; // the reference rejected the arguments (not compared)
  int64_t outOfRange = 0;     // mismatches where a value left its dtype's range
  int64_t illConditioned = 0; // mismatches the perturbed reference explains
  int64_t nearTie = 0;        // mismatches after a float comparison within rounding
  int64_t bothThrew = 0;      // the reference and the JIT call both threw
};

// Runs `kernel` (a kernel of `spec`, a separately loaded AST of the module's source:
// its literals are perturbed and restored here) on two small shape sets. Returns ""
// or the description of a mismatch that conditioning and range do not explain.
std::string differentialCheck(const JitModule &module, ast::Spec &spec, const ast::Kernel &kernel,
                              uint64_t seed, const TrialBudget &budget, DiffStats &stats);

} // namespace vibee::fuzz
