#include "runtime/CallChecks.h"

namespace vibee {

std::string brokenRequirement(const ast::Kernel &kernel,
                              const std::vector<DimRequirement> &requirements,
                              const std::vector<int64_t> &dimSize,
                              const std::vector<std::string> &dimFrom) {
  for (const DimRequirement &r : requirements) {
    if (r.gatherParam >= 0)
      continue; // checked on the data (badGatherIndex)
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

std::string badGatherIndex(const ast::Kernel &kernel,
                           const std::vector<DimRequirement> &requirements,
                           const std::vector<int64_t> &dimSize,
                           const std::vector<const void *> &paramData) {
  for (const DimRequirement &r : requirements) {
    if (r.gatherParam < 0)
      continue;
    bool runs = true;
    for (int loop : r.loopDims)
      runs &= dimSize[loop] != 0;
    const ast::Param &p = kernel.params[r.gatherParam];
    std::vector<int64_t> shape;
    int64_t count = 1;
    for (const ast::DimSpec &d : p.type.dims) {
      shape.push_back(dimSize[d.dimRef]);
      count *= dimSize[d.dimRef]; // the call checked that the byte size fits int64
    }
    const void *data = paramData[r.gatherParam];
    if (!runs || count == 0 || !data)
      continue;
    int64_t limit = dimSize[r.dim];
    for (int64_t i = 0; i < count; ++i) {
      // Unsigned elements read as unsigned (a u64 above INT64_MAX is out of every axis).
      uint64_t u = 0;
      int64_t v = 0;
      switch (p.type.dtype) {
      case ast::DType::I64:
        v = static_cast<const int64_t *>(data)[i];
        break;
      case ast::DType::I32:
        v = static_cast<const int32_t *>(data)[i];
        break;
      case ast::DType::U64:
        u = static_cast<const uint64_t *>(data)[i];
        v = u > (uint64_t)INT64_MAX ? -1 : (int64_t)u;
        break;
      case ast::DType::U32:
        v = static_cast<const uint32_t *>(data)[i];
        break;
      case ast::DType::U16:
        v = static_cast<const uint16_t *>(data)[i];
        break;
      case ast::DType::U8:
        v = static_cast<const uint8_t *>(data)[i];
        break;
      default: // i8 (sema allows integer index tensors only)
        v = static_cast<const int8_t *>(data)[i];
        break;
      }
      if (v >= 0 && v < limit)
        continue;
      std::string position;
      for (size_t a = shape.size(), rest = (size_t)i; a-- > 0;) {
        position = std::to_string(rest % shape[a]) + (position.empty() ? "" : ", ") + position;
        rest /= shape[a];
      }
      return "argument '" + p.name + "': " + p.name + "[" + position +
             "] = " + (p.type.dtype == ast::DType::U64 ? std::to_string(u) : std::to_string(v)) +
             " is outside [0, " + std::to_string(limit) + "), the axis " + kernel.dims[r.dim].name +
             " of '" + r.tensor + "' it indexes (" + r.access + ")";
    }
  }
  return "";
}

std::string
badGatherIndexCopied(const ast::Kernel &kernel, const std::vector<DimRequirement> &requirements,
                     const std::vector<int64_t> &dimSize,
                     const std::vector<const void *> &paramData,
                     const std::function<bool(void *host, const void *data, size_t bytes)> &copy) {
  std::vector<std::vector<char>> copies(paramData.size());
  std::vector<const void *> hostData(paramData.size(), nullptr);
  for (const DimRequirement &r : requirements) {
    int a = r.gatherParam;
    if (a < 0 || hostData[a] || !paramData[a])
      continue;
    size_t bytes = (size_t)ast::dtypeBytes(kernel.params[a].type.dtype);
    for (const ast::DimSpec &d : kernel.params[a].type.dims)
      bytes *= (size_t)dimSize[d.dimRef]; // the call checked that it fits int64
    copies[a].resize(bytes);
    if (!copy(copies[a].data(), paramData[a], bytes))
      return "";
    hostData[a] = copies[a].data();
  }
  return badGatherIndex(kernel, requirements, dimSize, hostData);
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
