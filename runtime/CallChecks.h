// Checks a JIT call makes before it enters compiled code, beyond dtype, rank and
// dim agreement (Jit.cpp): memory overlap between arguments and the bounds that
// literal subscripts put on symbolic dims. Both are preconditions of the C ABI
// (docs/abi.md) that the compiled code itself does not check.
#pragma once

#include "frontend/AST.h"
#include "frontend/Requirements.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vibee {

// The first requirement that the bound dims (dimSize, per Kernel::dims; dimFrom:
// the argument each was bound from) break, as "argument 'x': dim N = 2 must be
// > 5 (x[5] at spec.vibee:3:10)"; empty when none does.
std::string brokenRequirement(const ast::Kernel &kernel,
                              const std::vector<DimRequirement> &requirements,
                              const std::vector<int64_t> &dimSize,
                              const std::vector<std::string> &dimFrom);

// The first element of a gather's index tensor outside the axis it indexes, as
// "argument 'ids': ids[1] = 70 is outside [0, 64), the axis V of 'table' it indexes
// (table[ids[s], d] at spec.vibee:3:10)"; empty when every one is inside.
// paramData: the host data of each parameter (null for scalars).
std::string badGatherIndex(const ast::Kernel &kernel,
                           const std::vector<DimRequirement> &requirements,
                           const std::vector<int64_t> &dimSize,
                           const std::vector<const void *> &paramData);

// badGatherIndex over data the host cannot read (CUDA device memory): each index
// tensor is first copied into host memory by `copy(host, data, bytes)`, which
// returns false when it cannot (then the result is empty).
std::string
badGatherIndexCopied(const ast::Kernel &kernel, const std::vector<DimRequirement> &requirements,
                     const std::vector<int64_t> &dimSize,
                     const std::vector<const void *> &paramData,
                     const std::function<bool(void *host, const void *data, size_t bytes)> &copy);

// A tensor argument's memory, [begin, end) in bytes.
struct ArgMemory {
  std::string label; // "argument 'a'", "result 'c'"
  uintptr_t begin = 0, end = 0;
  bool written = false; // a result or an inout parameter
};

// Two arguments may share memory only when neither is written: an output that
// overlaps any other argument (fully or partially) makes the kernel read values
// it has already overwritten. In-place update is what `inout` is for: an inout
// argument is read and written through its one buffer. Returns "result 'c'
// overlaps argument 'a'" for the first offending pair, empty when none.
std::string overlappingArguments(const std::vector<ArgMemory> &args);

} // namespace vibee
