#include "runtime/CallChecks.h"

namespace vibee {

std::string brokenRequirement(const ast::Kernel &kernel,
                              const std::vector<DimRequirement> &requirements,
                              const std::vector<int64_t> &dimSize,
                              const std::vector<std::string> &dimFrom) {
  for (const DimRequirement &r : requirements) {
    if (dimSize[r.dim] > r.greaterThan)
      continue;
    bool runs = true;
    for (int loop : r.loopDims)
      runs &= dimSize[loop] != 0;
    if (!runs)
      continue;
    return dimFrom[r.dim] + ": dim " + kernel.dims[r.dim].name + " = " +
           std::to_string(dimSize[r.dim]) + " must be > " + std::to_string(r.greaterThan) + " (" +
           r.access + ")";
  }
  return "";
}

std::string overlappingArguments(const std::vector<ArgMemory> &args) {
  for (size_t i = 0; i < args.size(); ++i)
    for (size_t j = 0; j < args.size(); ++j) {
      const ArgMemory &out = args[i], &other = args[j];
      if (i == j || !out.written || (other.written && j < i))
        continue; // each pair of outputs once
      bool empty = out.begin == out.end || other.begin == other.end;
      if (!empty && out.begin < other.end && other.begin < out.end)
        return out.label + " overlaps " + other.label;
    }
  return "";
}

} // namespace vibee
