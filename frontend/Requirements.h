// Preconditions a kernel puts on its symbolic dims, from the checked AST: a
// literal subscript (x[5]) on an axis of symbolic dim N reads past the buffer
// unless N > 5; an affine one (x[2 * j + 1], j over M) unless N >= 2 * M. The JIT
// checks them at each call (runtime/CallChecks.h), the C header lists them
// (abi/CHeader.cpp), `vibeec check` sizes its trials to fit. Reads that sema proves
// inside their axis, or that a `where` guards (clamped), need nothing.
#pragma once

#include "frontend/AST.h"
#include "frontend/AffineBounds.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vibee {

// The call needs `form >= 0` (a LinearForm over Kernel::dims).
struct DimRequirement {
  int dim = -1;              // the dim of the axis read (its argument is named)
  LinearForm form;           // sum(coeff * dims[d]) + constant >= 0
  std::vector<int> loopDims; // the statement's loop extents: if one is 0 the
                             // access never runs, and nothing is required
  std::string access;        // "x[5] at spec.vibee:3:10"
  // A gather (`table[ids[s], d]`): instead of `form`, every element of the integer
  // tensor parameter `gatherParam` must be in [0, dims[dim]) (`tensor` is the name
  // of the tensor it indexes); sema makes its subscripts plain loop indices, so a
  // call that runs the statement reads every element.
  int gatherParam = -1;
  std::string tensor;
  // A derived dim's own requirement (`N - K + 1 >= 0`); random trials want it >= 1.
  bool derivedDim = false;
};

// Every literal or affine subscript of `kernel` that a call's sizes decide, in
// source order.
std::vector<DimRequirement> dimRequirements(const ast::Spec &spec, const ast::Kernel &kernel);

// "N > 5" for a literal subscript's requirement, else the relation ("N >= 2 * M").
std::string requirementText(const ast::Kernel &kernel, const DimRequirement &r);

// The least size of each dim (index into Kernel::dims) that each requirement on a
// single dim asks for (x[5]: N >= 6); 1 for other dims. Relations between dims are
// met by fitRequirements.
std::vector<int64_t> minimumDimSizes(const ast::Kernel &kernel,
                                     const std::vector<DimRequirement> &requirements);

// Grows the sizes of symbolic dims (index into Kernel::dims; literal dims keep
// theirs) until every requirement holds, for random trials; false if they could not
// be met in a few rounds.
bool fitRequirements(const ast::Kernel &kernel, const std::vector<DimRequirement> &requirements,
                     std::vector<int64_t> &dims);

// The size of each derived dim (`N - K + 1`) from the others in `dims` (-1 when it
// overflows int64).
void computeDerivedDims(const ast::Kernel &kernel, std::vector<int64_t> &dims);

// For random trials: the exclusive upper bound of the values of parameter `param`
// when it is a gather's index tensor (the least axis it indexes), else -1.
int64_t gatherLimit(const std::vector<DimRequirement> &requirements, int param,
                    const std::vector<int64_t> &dims);

} // namespace vibee
