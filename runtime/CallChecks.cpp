#include "runtime/CallChecks.h"

namespace vibee {

std::string brokenRequirement(const ast::Kernel &kernel,
                              const std::vector<DimRequirement> &requirements,
                              const std::vector<int64_t> &dimSize,
                              const std::vector<std::string> &dimFrom) {
  for (const DimRequirement &r : requirements) {
    int64_t value;
    bool overflow = !evaluate(r.form, dimSize, value);
    if (!overflow && value >= 0)
      continue;
    bool runs = true;
    for (int loop : r.loopDims)
      runs &= dimSize[loop] != 0;
    if (!runs)
      continue;
    const LinearForm &f = r.form;
    if (f.terms.size() == 1 && f.terms.begin()->second == 1) { // a literal subscript
      int d = f.terms.begin()->first;
      return dimFrom[d] + ": dim " + kernel.dims[d].name + " = " + std::to_string(dimSize[d]) +
             " must be > " + std::to_string(-f.constant - 1) + " (" + r.access + ")";
    }
    std::string sizes;
    for (auto [d, c] : f.terms)
      sizes +=
          (sizes.empty() ? "" : ", ") + kernel.dims[d].name + " = " + std::to_string(dimSize[d]);
    return dimFrom[r.dim] + ": " + requirementText(kernel, r) + " does not hold" +
           (overflow ? " (overflows int64)" : "") + " for " + sizes + " (" + r.access + ")";
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
