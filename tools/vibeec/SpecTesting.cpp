#include "tools/vibeec/SpecTesting.h"

#include "frontend/ReferenceInterpreter.h"

#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

namespace vibee {

namespace {

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string indexString(const std::vector<int64_t> &shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
  return shapeString(index);
}

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

// The values a behavior writes: literals, zeros/ones/rand, or a given's name.
std::vector<double> valueData(const ast::Value &v) {
  switch (v.kind) {
  case ast::Value::Zeros: return std::vector<double>(product(v.shape), 0.0);
  case ast::Value::Ones: return std::vector<double>(product(v.shape), 1.0);
  case ast::Value::Rand: return ref::randomUniform((uint64_t)v.seed, product(v.shape));
  default: return v.data;
  }
}

std::vector<int64_t> valueShape(const ast::Value &v) {
  return v.kind == ast::Value::Scalar ? std::vector<int64_t>{} : v.shape;
}

// Compares `actual` with `expected`; on mismatch describes the worst element.
std::optional<std::string> compare(const HostTensor &actual,
                                   const std::vector<int64_t> &expectedShape,
                                   const std::vector<double> &expected, bool approx,
                                   double tolerance) {
  if (actual.shape() != expectedShape)
    return "shape " + shapeString(actual.shape()) + " but expected " +
           shapeString(expectedShape);
  int64_t worst = -1;
  double worstErr = -1;
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double a = actual.get(i), e = expected[i];
    double err = std::isnan(a) || std::isnan(e) ? (std::isnan(a) && std::isnan(e) ? 0 : INFINITY)
                                                : std::fabs(a - e);
    bool bad = approx ? !(err <= tolerance) : !(a == e || (std::isnan(a) && std::isnan(e)));
    if (bad && err > worstErr) {
      worstErr = err;
      worst = i;
    }
  }
  if (worst < 0)
    return std::nullopt;
  std::ostringstream os;
  os << std::setprecision(9) << "at " << indexString(actual.shape(), worst) << " expected "
     << expected[worst] << " but got " << actual.get(worst);
  if (approx)
    os << " (|diff| " << worstErr << " > " << tolerance << ")";
  return os.str();
}

// Binds each symbolic dim from the tensor arguments' shapes (param order).
std::vector<int64_t> bindDims(const ast::Kernel &k,
                              const std::vector<std::optional<HostTensor>> &params) {
  std::vector<int64_t> size(k.dims.size(), -1);
  for (size_t d = 0; d < k.dims.size(); ++d)
    size[d] = k.dims[d].size;
  for (size_t p = 0; p < k.params.size(); ++p) {
    if (!params[p] || k.params[p].type.isScalar())
      continue;
    for (size_t axis = 0; axis < k.params[p].type.dims.size(); ++axis) {
      int d = k.params[p].type.dims[axis].dimRef;
      if (size[d] < 0 && axis < params[p]->shape().size())
        size[d] = params[p]->shape()[axis];
    }
  }
  return size;
}

std::vector<int64_t> shapeOf(const ast::TensorType &t, const std::vector<int64_t> &dims) {
  std::vector<int64_t> shape;
  for (const ast::DimSpec &d : t.dims)
    shape.push_back(std::max<int64_t>(dims[d.dimRef], 0));
  return shape;
}

HostTensor poisoned(DType dtype, const std::vector<int64_t> &shape) {
  HostTensor t(dtype, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, std::numeric_limits<double>::quiet_NaN());
  return t;
}

} // namespace

double relativeErrorLimit(DType dtype) {
  switch (dtype) {
  case DType::F64: return 1e-12;
  case DType::F32: return 1e-5;
  case DType::F16: return 2e-3;
  case DType::BF16: return 1e-2;
  default: return 0; // integers and bool: exact
  }
}

Tally runBehaviors(const JitModule &module, std::ostream &os) {
  const ast::Spec &spec = module.spec();
  Tally tally;
  for (const ast::Behavior &b : spec.behaviors) {
    std::string failure;
    try {
      Kernel kernel = module.kernel(b.when.kernel);
      const ast::Kernel &k = kernel.signature();
      // Givens become host tensors of the dtype of the parameter they feed.
      std::map<std::string, const ast::Binding *> given;
      for (const ast::Binding &g : b.given)
        given[g.name] = &g;
      std::vector<const ast::Value *> argValue(k.params.size(), nullptr);
      std::vector<std::string> argGiven(k.params.size());
      for (size_t i = 0; i < b.when.positional.size() && i < k.params.size(); ++i) {
        const std::string &name = b.when.positional[i].value.name.empty()
                                      ? b.when.positional[i].name
                                      : b.when.positional[i].value.name;
        argGiven[i] = name;
        argValue[i] = given.count(name) ? &given[name]->value : nullptr;
      }
      for (const ast::Binding &named : b.when.named)
        for (size_t i = 0; i < k.params.size(); ++i)
          if (k.params[i].name == named.name) {
            if (named.value.kind == ast::Value::NameRef) {
              argGiven[i] = named.value.name;
              argValue[i] = given.count(named.value.name) ? &given[named.value.name]->value
                                                          : nullptr;
            } else {
              argValue[i] = &named.value;
            }
          }

      std::vector<std::optional<HostTensor>> params(k.params.size());
      std::vector<Arg> ordered(k.params.size(), Default{});
      for (size_t i = 0; i < k.params.size(); ++i) {
        const ast::Param &p = k.params[i];
        if (!argValue[i])
          continue; // a scalar left to its default
        if (p.type.isScalar()) {
          std::vector<double> data = valueData(*argValue[i]);
          ordered[i] = data.empty() ? 0.0 : data[0];
          continue;
        }
        params[i].emplace(p.type.dtype, valueShape(*argValue[i]));
        params[i]->fill(valueData(*argValue[i]));
        ordered[i] = params[i]->view();
      }
      std::vector<int64_t> dims = bindDims(k, params);
      std::vector<HostTensor> results;
      for (const ast::Result &r : k.results)
        results.push_back(poisoned(r.type.dtype, shapeOf(r.type, dims)));
      for (HostTensor &r : results)
        ordered.push_back(r.view());
      kernel(ordered);

      for (const ast::Expectation &t : b.then) {
        const HostTensor *actual = nullptr;
        for (size_t r = 0; r < k.results.size(); ++r)
          if (k.results[r].name == t.name)
            actual = &results[r];
        for (size_t i = 0; i < k.params.size() && !actual; ++i)
          if (params[i] && (argGiven[i] == t.name))
            actual = &*params[i];
        if (!actual) {
          failure = "then " + t.name + ": no such result or tensor argument";
          break;
        }
        std::vector<double> expected;
        std::vector<int64_t> expectedShape;
        if (t.expected.kind == ast::Value::NameRef && given.count(t.expected.name)) {
          expected = valueData(given[t.expected.name]->value);
          expectedShape = valueShape(given[t.expected.name]->value);
        } else {
          expected = valueData(t.expected);
          expectedShape = valueShape(t.expected);
        }
        if (auto mismatch = compare(*actual, expectedShape, expected, t.approx, t.tolerance)) {
          failure = "then " + t.name + (t.approx ? " ~= " : " == ") + ": " + *mismatch;
          break;
        }
      }
    } catch (const std::exception &e) {
      failure = e.what();
    }
    if (failure.empty()) {
      ++tally.passed;
      os << "PASS  " << spec.name << ": " << b.title << "\n";
    } else {
      ++tally.failed;
      os << "FAIL  " << spec.name << ": " << b.title << "\n      " << failure << "\n";
    }
  }
  return tally;
}

//===----------------------------------------------------------------------===//
// Differential check against the reference interpreter
//===----------------------------------------------------------------------===//

namespace {

struct Rng { // SplitMix64: small, fast, reproducible
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * ((next() >> 11) * 0x1p-53); }
  int64_t between(int64_t lo, int64_t hi) { return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1)); }
};

// Sizes of symbolic dims per trial: degenerate, odd/prime, medium, and larger.
int64_t trialSize(int trial, Rng &rng) {
  switch (trial) {
  case 0: return 1;
  case 1: return rng.between(2, 7);
  case 2: return rng.between(13, 40);
  default: return rng.between(60, 100);
  }
}

double randomValue(DType dtype, Rng &rng) {
  if (dtype == DType::Bool)
    return (double)(rng.next() & 1);
  if (ast::isInteger(dtype))
    return (double)rng.between(-8, 8);
  double v = rng.uniform(-1.0, 1.0);
  return v == 0 ? 0.5 : v; // never an exact zero: sign() and divisions stay defined
}

} // namespace

Tally checkKernels(const JitModule &module, uint64_t seed, std::ostream &os) {
  const ast::Spec &spec = module.spec();
  Tally tally;
  Rng rng{seed};
  for (const ast::Kernel &k : spec.kernels) {
    Kernel kernel = module.kernel(k.name);
    std::string failure;
    double worstRatio = 0; // max |out - ref| / tolerance seen
    int trials = 4;
    for (int trial = 0; trial < trials && failure.empty(); ++trial) {
      std::vector<int64_t> dims(k.dims.size());
      for (size_t d = 0; d < k.dims.size(); ++d)
        dims[d] = k.dims[d].size >= 0 ? k.dims[d].size : trialSize(trial, rng);
      std::vector<HostTensor> tensors(k.params.size());
      std::vector<ref::Array> refArgs;
      std::vector<Arg> ordered;
      for (size_t i = 0; i < k.params.size(); ++i) {
        const ast::Param &p = k.params[i];
        if (p.type.isScalar()) {
          // Scalars keep their default when they have one (eps, betas), else are
          // random; both sides get the value as the kernel stores it (f32(0.999)).
          double v = p.defaultValue ? scalarDefault(spec, p)
                     : ast::isFloat(p.type.dtype) ? rng.uniform(0.1, 1.0)
                                                  : randomValue(p.type.dtype, rng);
          HostTensor stored(p.type.dtype, {});
          stored.set(0, v);
          ordered.push_back(stored.get(0));
          refArgs.push_back(ref::Array{{}, {stored.get(0)}});
          continue;
        }
        tensors[i] = HostTensor(p.type.dtype, shapeOf(p.type, dims));
        for (int64_t e = 0; e < tensors[i].numElements(); ++e)
          tensors[i].set(e, randomValue(p.type.dtype, rng));
        // The oracle sees the values as stored (after the dtype's rounding).
        refArgs.push_back(ref::Array{tensors[i].shape(), tensors[i].toDoubles()});
        ordered.push_back(tensors[i].view());
      }
      std::vector<HostTensor> results;
      for (const ast::Result &r : k.results)
        results.push_back(poisoned(r.type.dtype, shapeOf(r.type, dims)));
      for (HostTensor &r : results)
        ordered.push_back(r.view());

      ref::Outcome expected;
      try {
        expected = ref::evaluate(spec, k, refArgs);
        kernel(ordered);
      } catch (const std::exception &e) {
        failure = e.what();
        break;
      }
      std::string shapeDesc;
      for (size_t d = 0; d < k.dims.size(); ++d)
        if (k.dims[d].size < 0)
          shapeDesc += (shapeDesc.empty() ? "" : ", ") + k.dims[d].name + "=" +
                       std::to_string(dims[d]);
      // Norm-wise relative error ||out - ref|| / ||ref|| (elements where both are NaN
      // are skipped; a NaN against a number fails).
      auto checkOne = [&](const std::string &name, const HostTensor &out,
                          const ref::Array &ref) {
        double diff2 = 0, ref2 = 0;
        for (int64_t e = 0; e < out.numElements() && failure.empty(); ++e) {
          double o = out.get(e), r = ref.data[e];
          if (std::isnan(o) && std::isnan(r))
            continue;
          if (std::isnan(o) != std::isnan(r) || std::isinf(o) != std::isinf(r)) {
            std::ostringstream msg;
            msg << std::setprecision(9) << name << indexString(out.shape(), e) << " with "
                << shapeDesc << ": reference " << r << " but got " << o;
            failure = msg.str();
            return;
          }
          if (std::isinf(r))
            continue;
          diff2 += (o - r) * (o - r);
          ref2 += r * r;
        }
        double rel = std::sqrt(diff2) / std::max(std::sqrt(ref2), 1e-30);
        double limit = relativeErrorLimit(out.dtype());
        if (diff2 > 0 && !(rel <= limit)) {
          std::ostringstream msg;
          msg << std::setprecision(3) << name << " with " << shapeDesc
              << ": relative error " << rel << " exceeds " << limit;
          failure = msg.str();
        }
        if (limit > 0)
          worstRatio = std::max(worstRatio, diff2 > 0 ? rel / limit : 0.0);
      };
      for (size_t i = 0; i < k.params.size(); ++i)
        if (k.params[i].mode == ast::ParamMode::InOut)
          checkOne(k.params[i].name, tensors[i], expected.params[i]);
      for (size_t r = 0; r < k.results.size(); ++r)
        checkOne(k.results[r].name, results[r], expected.results[r]);
    }
    if (failure.empty()) {
      ++tally.passed;
      os << "PASS  " << spec.name << "." << k.name << " (" << trials
         << " shape sets, worst relative error " << std::setprecision(2) << worstRatio
         << " of the limit)\n";
    } else {
      ++tally.failed;
      os << "FAIL  " << spec.name << "." << k.name << "\n      " << failure << "\n";
    }
  }
  return tally;
}

} // namespace vibee
