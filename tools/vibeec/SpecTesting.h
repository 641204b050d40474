// `vibeec test` (run each behavior on the JIT-compiled kernel) and `vibeec check`
// (differential test of every kernel against the float64 reference interpreter).
#pragma once

#include "runtime/Jit.h"

#include <cstdint>
#include <iosfwd>

namespace vibee {

struct Tally {
  int passed = 0;
  int failed = 0;
};

// Runs every behavior of a compiled spec; prints one line per behavior.
Tally runBehaviors(const JitModule &module, std::ostream &os);

// Checks every kernel of a compiled spec against the reference interpreter on
// fresh random inputs of several shapes; prints one line per kernel and shape set.
Tally checkKernels(const JitModule &module, uint64_t seed, std::ostream &os);

} // namespace vibee
