#include "tools/vibeec/CheckSupport.h"

#include "frontend/Requirements.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace vibee::checking {

std::vector<int64_t> shapeOf(const ast::TensorType &type, const std::vector<int64_t> &dims) {
  std::vector<int64_t> shape;
  for (const ast::DimSpec &d : type.dims)
    shape.push_back(std::max<int64_t>(dims[d.dimRef], 0));
  return shape;
}

std::string symbolicDimsText(const ast::Kernel &kernel, const std::vector<int64_t> &dims) {
  std::string text;
  for (size_t d = 0; d < kernel.dims.size(); ++d)
    if (kernel.dims[d].size < 0 && !kernel.dims[d].derived)
      text += (text.empty() ? "" : ", ") + kernel.dims[d].name + "=" + std::to_string(dims[d]);
  return text;
}

int64_t trialSize(int trial, Rng &rng) {
  switch (trial) {
  case 0:
    return 1;
  case 1:
    return rng.between(2, 7);
  case 2:
    return rng.between(13, 40);
  default:
    return rng.between(60, 100);
  }
}

namespace {
double nodeCount(const ast::Expr &e) {
  double n = 1;
  for (const ast::ExprPtr &operand : e.operands)
    n += nodeCount(*operand);
  return n;
}
} // namespace

double referenceWork(const ast::Kernel &kernel, const std::vector<int64_t> &sizes) {
  std::vector<int64_t> dims = sizes;
  computeDerivedDims(kernel, dims);
  double work = 0;
  for (const ast::Statement &s : kernel.body) {
    double iterations = 1;
    for (int d : s.loopDims)
      iterations *= (double)std::max<int64_t>(dims[d], 1);
    work += iterations * (nodeCount(*s.rhs) + 1);
  }
  return work;
}

std::vector<int64_t> trialDims(const ast::Kernel &kernel, int trial, Rng &rng,
                               const std::vector<int64_t> &least, double maxWork) {
  std::vector<int64_t> dims(kernel.dims.size());
  for (size_t d = 0; d < kernel.dims.size(); ++d)
    dims[d] =
        kernel.dims[d].size >= 0 ? kernel.dims[d].size : std::max(trialSize(trial, rng), least[d]);
  boundReferenceWork(kernel, dims, least, maxWork);
  computeDerivedDims(kernel, dims);
  return dims;
}

void boundReferenceWork(const ast::Kernel &kernel, std::vector<int64_t> &dims,
                        const std::vector<int64_t> &least, double maxWork) {
  while (referenceWork(kernel, dims) > maxWork) {
    int largest = -1;
    for (size_t d = 0; d < kernel.dims.size(); ++d)
      if (kernel.dims[d].size < 0 && !kernel.dims[d].derived &&
          dims[d] > std::max<int64_t>(least[d], 1) && (largest < 0 || dims[d] > dims[largest]))
        largest = (int)d;
    if (largest < 0)
      break; // literal dims alone exceed the budget: the set runs as it is
    int64_t smaller = dims[largest] - std::max<int64_t>(dims[largest] / 8, 1);
    dims[largest] = std::max({smaller, least[largest], int64_t(1)});
  }
}

std::string trialShapeText(const ast::Kernel &kernel, const std::vector<int64_t> &dims) {
  return "{" + symbolicDimsText(kernel, dims) + "}";
}

double randomValue(DType dtype, Rng &rng) {
  if (dtype == DType::Bool)
    return (double)(rng.next() & 1);
  if (ast::isUnsigned(dtype)) {
    // Half near 0, half near the top, where + - * wrap and (u64) values above
    // INT64_MAX test the unsigned compares, divisions and shifts; all exact doubles
    // (steps of 2^11 below 2^64).
    int64_t small = rng.between(0, 16);
    if (rng.next() & 1)
      return (double)small;
    if (dtype == DType::U64)
      return rng.next() & 1 ? 0x1p64 - 2048.0 * (double)(small + 1)
                            : 0x1p63 + 2048.0 * (double)small;
    return std::ldexp(1.0, 8 * ast::dtypeBytes(dtype)) - 1 - (double)small;
  }
  if (ast::isInteger(dtype))
    return (double)rng.between(-8, 8);
  double v = rng.uniform(-1.0, 1.0);
  return v == 0 ? 0.5 : v; // never an exact zero: sign() and divisions stay defined
}

double scalarArgument(const ast::Param &param, Rng &rng) {
  DType dtype = param.type.dtype;
  double v = param.defaultValue    ? param.defaultFolded
             : ast::isFloat(dtype) ? rng.uniform(0.1, 1.0)
                                   : randomValue(dtype, rng);
  HostTensor stored(dtype, {});
  stored.set(0, v);
  return stored.get(0);
}

double relativeErrorLimit(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return 1e-12;
  case DType::F32:
    return 1e-5;
  case DType::F16:
    return 2e-3;
  case DType::BF16:
    return 1e-2;
  // The reference rounds FP8 casts as the kernel does: only a value the kernel
  // computes in f32 within f32 rounding of an FP8 tie may round the other way.
  case DType::F8E4M3:
    return 0x1p-4;
  case DType::F8E5M2:
    return 0x1p-3;
  default:
    return 0; // integers and bool: exact
  }
}

std::string indexString(const std::vector<int64_t> &shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = shape[i] ? flat % shape[i] : 0;
    flat = shape[i] ? flat / shape[i] : 0;
  }
  std::string s = "[";
  for (size_t i = 0; i < index.size(); ++i)
    s += (i ? ", " : "") + std::to_string(index[i]);
  return s + "]";
}

std::string compareWithReference(const std::string &name, const HostTensor &out,
                                 const std::vector<double> &reference, double *worstRatio,
                                 const std::vector<double> *condition) {
  double diff2 = 0, ref2 = 0, cond2 = 0;
  // The reference rounded to the output's float dtype: a kernel can only store
  // what that dtype holds, so a float64 value beyond its range is the infinity
  // the kernel stores (f16 overflows at 65520), not a mismatch.
  HostTensor rounded(ast::isFloat(out.dtype()) ? out.dtype() : DType::F64, {});
  for (int64_t e = 0; e < out.numElements(); ++e) {
    rounded.set(0, reference[e]);
    double o = out.get(e), r = rounded.get(0);
    if (std::isnan(o) && std::isnan(r))
      continue;
    if (std::isnan(o) != std::isnan(r) || std::isinf(o) != std::isinf(r) ||
        (std::isinf(r) && o != r)) {
      std::ostringstream msg;
      msg << std::setprecision(9) << name << indexString(out.shape(), e) << ": reference " << r
          << " but got " << o;
      return msg.str();
    }
    if (std::isinf(r))
      continue;
    diff2 += (o - r) * (o - r);
    ref2 += r * r;
    // A condition magnitude that is not finite gives no slack (|r| instead).
    double c = condition && (size_t)e < condition->size() ? (*condition)[e] : 0;
    c = std::isfinite(c) ? std::max(c, std::fabs(r)) : std::fabs(r);
    cond2 += c * c;
  }
  // ||out - ref|| <= limit * ||condition||: the norm-wise relative error, relative to
  // the condition magnitudes (>= |ref|) so that a result that cancels is held to what
  // rounding of its terms can change (docs/architecture.md, "The oracle").
  double rel = std::sqrt(diff2) / std::max(std::sqrt(ref2), 1e-30);
  double scaled = std::sqrt(diff2) / std::max(std::sqrt(cond2), 1e-30);
  double limit = relativeErrorLimit(out.dtype());
  if (worstRatio && limit > 0 && diff2 > 0)
    *worstRatio = std::max(*worstRatio, scaled / limit);
  if (diff2 > 0 && !(scaled <= limit)) {
    std::ostringstream msg;
    msg << std::setprecision(3) << name << ": relative error " << rel;
    if (limit == 0) // exact: where the first difference is says more than a norm
      for (int64_t e = 0; e < out.numElements(); ++e)
        if (double o = out.get(e), r = reference[e]; o != r) {
          msg << std::setprecision(17) << " (first at " << indexString(out.shape(), e)
              << ": reference " << r << " but got " << o << ")" << std::setprecision(3);
          break;
        }
    if (cond2 > ref2 * 1.0001)
      msg << " (" << scaled << " of the condition magnitude)";
    msg << " exceeds " << limit;
    return msg.str();
  }
  return "";
}

std::string compareKernelOutputs(const ast::Kernel &kernel, const std::vector<HostTensor> &params,
                                 const std::vector<HostTensor> &results,
                                 const ref::Outcome &expected, double *worstRatio) {
  for (size_t i = 0; i < kernel.params.size(); ++i)
    if (kernel.params[i].mode == ast::ParamMode::InOut)
      if (std::string failure =
              compareWithReference(kernel.params[i].name, params[i], expected.params[i].data,
                                   worstRatio, &expected.params[i].mag);
          !failure.empty())
        return failure;
  for (size_t r = 0; r < kernel.results.size(); ++r)
    if (std::string failure =
            compareWithReference(kernel.results[r].name, results[r], expected.results[r].data,
                                 worstRatio, &expected.results[r].mag);
        !failure.empty())
      return failure;
  return "";
}

std::string nearTieNote(int redrawn, bool failed) {
  if (failed)
    return " (after " + std::to_string(redrawn) +
           " fresh draws, each with a float comparison within rounding of its threshold)";
  if (redrawn == 0)
    return "";
  return ", " + std::to_string(redrawn) + (redrawn == 1 ? " draw" : " draws") +
         " redrawn: outputs differed after a float comparison within rounding";
}

} // namespace vibee::checking
