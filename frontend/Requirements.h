// Preconditions a kernel puts on its symbolic dims, from the checked AST: a
// literal subscript (x[5]) on an axis of symbolic dim N reads past the buffer
// unless N > 5. The JIT checks them at each call (runtime/CallChecks.h), the C
// header lists them (abi/CHeader.cpp), `vibeec check` sizes its trials to fit.
#pragma once

#include "frontend/AST.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vibee {

// `x[5]` on an axis of symbolic dim N: the call needs N > 5.
struct DimRequirement {
  int dim = -1;              // index into Kernel::dims
  int64_t greaterThan = 0;   // the call needs dims[dim] > greaterThan
  std::vector<int> loopDims; // the statement's loop extents: if one is 0 the
                             // access never runs, and nothing is required
  std::string access;        // "x[5] at spec.vibee:3:10"
};

// Every literal subscript of `kernel` on a symbolic dim, in source order.
std::vector<DimRequirement> dimRequirements(const ast::Spec &spec, const ast::Kernel &kernel);

// The smallest size of each dim (index into Kernel::dims) that satisfies every
// requirement (0 for a dim without one).
std::vector<int64_t> minimumDimSizes(const ast::Kernel &kernel,
                                     const std::vector<DimRequirement> &requirements);

} // namespace vibee
