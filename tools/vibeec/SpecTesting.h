// `vibeec test` (run each behavior on the JIT-compiled kernel) and `vibeec check`
// (differential test of every kernel against the float64 reference interpreter).
#pragma once

#include "runtime/Jit.h"
#include "tools/vibeec/CheckSupport.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace vibee {

// One behavior (test) or kernel (check) and how it went.
struct CaseResult {
  std::string spec, name; // name: the behavior's title or the kernel's name
  std::string label;      // "spec: title" (test) or "spec.kernel" (check)
  std::string file;
  int line = 0; // of the behavior or kernel; of the failing `then` if one failed
  bool passed = false;
  std::string message; // why it failed
  double ms = 0;       // run time (kernel calls and comparisons)
};

// Runs every behavior of a compiled spec whose "spec: title" contains `filter`;
// prints one line per behavior as it finishes.
std::vector<CaseResult> runBehaviors(const JitModule &module, const std::string &filter,
                                     std::ostream &os);

// Checks every kernel whose "spec.kernel" contains `filter` against the reference
// interpreter on fresh random inputs of several shapes; one line per kernel.
std::vector<CaseResult> checkKernels(const JitModule &module, uint64_t seed,
                                     const std::string &filter, std::ostream &os);

namespace checking {

// The arguments of one differential trial of a kernel: random tensors and
// scalars as the kernel stores them (a scalar with a default keeps it), results
// poisoned with NaN (an unwritten element fails the comparison).
struct TrialArguments {
  std::vector<HostTensor> tensors;   // by parameter index; empty for scalars
  std::vector<HostTensor> results;   // by result index
  std::vector<ref::Array> reference; // the oracle's arguments (values as stored)
  std::vector<Arg> call;             // the JIT call: parameters, then results
};

// Draws the arguments of kernel `k` at `dims` from `rng` (`vibeec check` and
// the compiler fuzzer's differential step draw them alike); with `requirements`, a
// gather's index tensors are drawn inside the axes they index.
TrialArguments makeTrialArguments(const ast::Kernel &k, const std::vector<int64_t> &dims, Rng &rng,
                                  const std::vector<DimRequirement> *requirements = nullptr);

} // namespace checking

} // namespace vibee
