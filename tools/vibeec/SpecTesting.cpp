#include "tools/vibeec/SpecTesting.h"

#include "frontend/ReferenceInterpreter.h"
#include "tools/vibeec/CheckSupport.h"

#include <algorithm>
#include <chrono>
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

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n;
  if (!checkedProduct(shape, 1, n))
    throw SizeOverflow("element count of " + shapeString(shape) + " overflows int64");
  return n;
}

// The values a behavior writes: literals, zeros/ones/rand, or a given's name.
std::vector<double> valueData(const ast::Value &v) {
  switch (v.kind) {
  case ast::Value::Zeros:
    return std::vector<double>(product(v.shape), 0.0);
  case ast::Value::Ones:
    return std::vector<double>(product(v.shape), 1.0);
  case ast::Value::Rand:
    return ref::randomUniform((uint64_t)v.seed, product(v.shape));
  default:
    return v.data;
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
    return "shape " + shapeString(actual.shape()) + " but expected " + shapeString(expectedShape);
  std::vector<double> rounded;
  if (!approx && ast::isFloat(actual.dtype())) {
    // `then y == 0.1` on an f32 output means the f32 nearest 0.1: the expected values
    // are written as decimals but stored outputs are rounded to their dtype.
    HostTensor asStored(actual.dtype(), expectedShape);
    asStored.fill(expected);
    rounded = asStored.toDoubles();
  }
  const std::vector<double> &want = rounded.empty() ? expected : rounded;
  int64_t worst = -1, bad = 0;
  double worstErr = -1;
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double a = actual.get(i), e = want[i];
    double err = std::isnan(a) || std::isnan(e) ? (std::isnan(a) && std::isnan(e) ? 0 : INFINITY)
                                                : std::fabs(a - e);
    if (approx ? err <= tolerance : (a == e || (std::isnan(a) && std::isnan(e))))
      continue;
    ++bad;
    if (err > worstErr) {
      worstErr = err;
      worst = i;
    }
  }
  if (worst < 0)
    return std::nullopt;
  std::ostringstream os;
  os << std::setprecision(9) << bad << " of " << actual.numElements() << " element"
     << (actual.numElements() == 1 ? "" : "s") << " differ; the worst at "
     << checking::indexString(actual.shape(), worst) << ": expected " << want[worst] << " but got "
     << actual.get(worst);
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
  computeDerivedDims(k, size); // a negative one: the call says why
  return size;
}

HostTensor poisoned(DType dtype, const std::vector<int64_t> &shape) {
  HostTensor t(dtype, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, std::numeric_limits<double>::quiet_NaN());
  return t;
}

// The checker runs every kernel on the reference interpreter too: beyond this many
// elements in one tensor a shape set is not worth (or able) to run.
constexpr int64_t kMaxCheckElements = int64_t(1) << 24;

// Why the tensors of `k` at `dims` are too large to check ("" when they are not).
std::string tooLargeToCheck(const ast::Kernel &k, const std::vector<int64_t> &dims) {
  auto visit = [&](const ast::TensorType &t, const std::string &name) -> std::string {
    int64_t n = 1;
    for (const ast::DimSpec &d : t.dims)
      if (__builtin_mul_overflow(n, dims[d.dimRef], &n) || n > kMaxCheckElements)
        return "'" + name + "' would hold more than " + std::to_string(kMaxCheckElements) +
               " elements (rank " + std::to_string(t.dims.size()) + ")";
    return "";
  };
  for (const ast::Param &p : k.params)
    if (std::string why = visit(p.type, p.name); !why.empty())
      return why;
  for (const ast::Result &r : k.results)
    if (std::string why = visit(r.type, r.name); !why.empty())
      return why;
  return "";
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// "PASS  name (1.2 ms)", or FAIL with the message (and where) on the next line.
void report(const CaseResult &r, std::ostream &os) {
  os << (r.passed ? "PASS  " : "FAIL  ") << r.label << " (" << std::fixed << std::setprecision(1)
     << r.ms << " ms)\n"
     << std::defaultfloat;
  if (!r.passed)
    os << "      " << r.file << ":" << r.line << ": " << r.message << "\n";
  os.flush();
}

} // namespace

std::vector<CaseResult> runBehaviors(const JitModule &module, const std::string &filter,
                                     std::ostream &os) {
  const ast::Spec &spec = module.spec();
  std::vector<CaseResult> results;
  for (const ast::Behavior &b : spec.behaviors) {
    CaseResult result{spec.name, b.title, spec.name + ": " + b.title, spec.file, b.loc.line};
    if (result.label.find(filter) == std::string::npos)
      continue;
    auto start = std::chrono::steady_clock::now();
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
              argValue[i] =
                  given.count(named.value.name) ? &given[named.value.name]->value : nullptr;
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
        results.push_back(poisoned(r.type.dtype, checking::shapeOf(r.type, dims)));
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
          result.line = t.loc.line;
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
          failure = "then " + t.name + (t.approx ? " ~= ...: " : " == ...: ") + *mismatch;
          result.line = t.loc.line;
          break;
        }
      }
    } catch (const std::exception &e) {
      failure = e.what();
    }
    result.ms = msSince(start);
    result.passed = failure.empty();
    result.message = failure;
    report(result, os);
    results.push_back(std::move(result));
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Differential check against the reference interpreter
//===----------------------------------------------------------------------===//

namespace {

// One shape set of a differential check: fresh inputs, the reference and the kernel,
// their outputs compared; drawn again (up to kNearTieRedraws times) while they differ
// after a near tie. "" when they agree.
std::string checkTrial(const ast::Spec &spec, const ast::Kernel &k, Kernel &kernel,
                       const std::vector<int64_t> &dims,
                       const std::vector<DimRequirement> &requirements,
                       checking::Rng &rng, double &worstRatio, int &redrawn) {
  using namespace checking;
  for (int draw = 0;; ++draw) {
    TrialArguments args = makeTrialArguments(k, dims, rng, &requirements);
    ref::Outcome expected;
    try {
      expected = ref::evaluate(spec, k, args.reference);
      kernel(args.call);
    } catch (const std::exception &e) {
      return e.what();
    }
    double ratio = worstRatio;
    std::string failure = compareKernelOutputs(k, args.tensors, args.results, expected, &ratio);
    if (failure.empty()) {
      worstRatio = ratio;
      return "";
    }
    if (!expected.nearTie || draw == kNearTieRedraws) {
      std::string dimsText = symbolicDimsText(k, dims);
      return failure + (dimsText.empty() ? "" : " (with " + dimsText + ")") +
             (expected.nearTie ? nearTieNote(draw, true) : "");
    }
    ++redrawn;
  }
}

} // namespace

std::vector<CaseResult> checkKernels(const JitModule &module, uint64_t seed,
                                     const std::string &filter, std::ostream &os) {
  using namespace checking;
  const ast::Spec &spec = module.spec();
  std::vector<CaseResult> results;
  Rng rng{seed};
  for (const ast::Kernel &k : spec.kernels) {
    CaseResult result{spec.name, k.name, spec.name + "." + k.name, spec.file, k.loc.line};
    // Each kernel draws from the seed's stream in order: a filtered run gives the
    // kernels it keeps other inputs than the full run (the seed still reproduces it).
    if (result.label.find(filter) == std::string::npos)
      continue;
    auto start = std::chrono::steady_clock::now();
    Kernel kernel = module.kernel(k.name);
    std::string failure;
    double worstRatio = 0; // max |out - ref| / tolerance seen
    int trials = 4, ran = 0;
    std::string tooLarge; // why the last skipped shape set was skipped
    // A literal subscript (x[5]) needs its dim larger than it, an affine one (x[2 * j])
    // a relation between dims: trials grow to fit.
    std::vector<DimRequirement> requirements = dimRequirements(spec, k);
    std::vector<int64_t> least = minimumDimSizes(k, requirements);
    std::string shapes; // the shape sets run, printed with the result
    int redrawn = 0;    // draws repeated for a near tie (kNearTieRedraws)
    for (int trial = 0; trial < trials && failure.empty(); ++trial) {
      // Sizes shrunk until the float64 reference's work is bounded (an 80^5
      // attention trial took the reference minutes): see trialDims.
      std::vector<int64_t> dims = trialDims(k, trial, rng, least);
      fitRequirements(k, requirements, dims);
      computeDerivedDims(k, dims);
      // A shape set whose tensors overflow or exceed the checker's budget is skipped
      // (high ranks, huge literal dims): a wrapped element count used to run nothing
      // and PASS. A kernel with no shape set run FAILs below.
      if (std::string why = tooLargeToCheck(k, dims); !why.empty()) {
        tooLarge = why;
        continue;
      }
      ++ran;
      shapes += (shapes.empty() ? "" : " ") + trialShapeText(k, dims);
      failure = checkTrial(spec, k, kernel, dims, requirements, rng, worstRatio, redrawn);
    }
    if (failure.empty() && ran == 0)
      failure = "no shape set is small enough to check: " + tooLarge;
    result.ms = msSince(start);
    result.passed = failure.empty();
    result.message = failure;
    if (result.passed) {
      os << "PASS  " << result.label << " (" << ran << " shape sets " << shapes
         << ", worst relative error " << std::setprecision(2) << worstRatio << std::defaultfloat
         << " of the limit" << nearTieNote(redrawn, false) << "; " << std::fixed
         << std::setprecision(1) << result.ms << " ms)\n"
         << std::defaultfloat;
      os.flush();
    } else {
      report(result, os);
    }
    results.push_back(std::move(result));
  }
  return results;
}

namespace checking {

TrialArguments makeTrialArguments(const ast::Kernel &k, const std::vector<int64_t> &dims, Rng &rng,
                                  const std::vector<DimRequirement> *requirements) {
  TrialArguments args;
  args.tensors.resize(k.params.size());
  for (size_t i = 0; i < k.params.size(); ++i) {
    const ast::Param &p = k.params[i];
    if (p.type.isScalar() && p.defaultValue) {
      // The default itself, on both sides: an i64 default beyond 2^53 has no exact
      // double (9223372036854775807 became 2^63, which the JIT call rightly refuses).
      args.call.push_back(Default{});
      args.reference.push_back(ref::Array{});
      continue;
    }
    if (p.type.isScalar()) {
      double v = scalarArgument(p, rng);
      args.call.push_back(v);
      args.reference.push_back(ref::Array{{}, {v}});
      continue;
    }
    HostTensor &t = args.tensors[i] = HostTensor(p.type.dtype, shapeOf(p.type, dims));
    // A gather's indices inside the axis they index (Requirements.h).
    int64_t limit = requirements ? gatherLimit(*requirements, (int)i, dims) : -1;
    for (int64_t e = 0; e < t.numElements(); ++e)
      t.set(e, limit > 0 ? (double)rng.between(0, limit - 1) : randomValue(p.type.dtype, rng));
    // The oracle sees the values as stored (after the dtype's rounding).
    args.reference.push_back(ref::Array{t.shape(), t.toDoubles()});
    args.call.push_back(t.view());
  }
  for (const ast::Result &r : k.results)
    args.results.push_back(poisoned(r.type.dtype, shapeOf(r.type, dims)));
  // Views last: the vectors no longer grow (a HostTensor's storage moves with it).
  for (HostTensor &r : args.results)
    args.call.push_back(r.view());
  return args;
}

} // namespace checking

} // namespace vibee
