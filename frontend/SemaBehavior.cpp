// Behaviors: the `when` call against the kernel's parameters (positional, named,
// defaults), shapes of the given values against parameter ranks and dims, and the
// names that `then` compares.
#include "frontend/SemaInternal.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace vibee::sema {

using namespace ast;

namespace {

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

class BehaviorChecker {
public:
  BehaviorChecker(Spec &spec, Behavior &b, DiagnosticEngine &diags)
      : spec_(spec), b_(b), diags_(diags) {}

  void run() {
    checkGiven();
    b_.kernelRef = -1;
    for (size_t i = 0; i < spec_.kernels.size(); ++i)
      if (spec_.kernels[i].name == b_.when.kernel)
        b_.kernelRef = (int)i;
    if (b_.kernelRef < 0) {
      if (!b_.when.kernel.empty()) {
        diags_.error(b_.when.loc, "behavior calls unknown kernel '" + b_.when.kernel + "'");
        std::vector<std::string> names;
        for (auto &k : spec_.kernels)
          names.push_back(k.name);
        suggest(diags_, b_.when.loc, b_.when.kernel, names);
      }
      return;
    }
    const Kernel &k = spec_.kernels[b_.kernelRef];
    b_.dimSizes.assign(k.dims.size(), -1);
    dimFrom_.assign(k.dims.size(), "");
    bindArguments(k);
    bindDerivedDims(k);
    checkThen(k);
  }

private:
  Spec &spec_;
  Behavior &b_;
  DiagnosticEngine &diags_;
  std::vector<std::optional<std::vector<int64_t>>> givenShape_; // per given
  std::vector<std::string> dimFrom_;

  // Derived dims (`y: f32[N - K + 1]`) from the parameters' dims; a negative one
  // is an error of the call.
  void bindDerivedDims(const Kernel &k) {
    for (size_t d = 0; d < k.dims.size(); ++d) {
      const Dim &dim = k.dims[d];
      if (!dim.derived)
        continue;
      std::optional<int64_t> size = derivedDimSize(dim, b_.dimSizes);
      if (!size)
        continue; // an unbound dim was reported
      if (*size < 0) {
        diags_.error(b_.when.loc, "dim " + dim.name + " of result '" +
                                      k.results[dim.carrierRef].name + "' is " +
                                      std::to_string(*size) + " for these arguments");
        continue;
      }
      b_.dimSizes[d] = *size;
      dimFrom_[d] = "the call";
    }
  }

  int findGiven(const std::string &name, size_t before) const {
    for (size_t i = 0; i < before && i < b_.given.size(); ++i)
      if (b_.given[i].name == name)
        return (int)i;
    return -1;
  }

  // The shape of a value; NameRefs resolve to givens (earlier ones, or all).
  std::optional<std::vector<int64_t>> shapeOf(const Value &v, size_t visible) {
    switch (v.kind) {
    case Value::Scalar:
      return std::vector<int64_t>{};
    case Value::NameRef: {
      int g = findGiven(v.name, visible);
      if (g < 0) {
        diags_.error(v.loc, "'" + v.name + "' is not bound by 'given'");
        return std::nullopt;
      }
      return givenShape_[g];
    }
    default:
      return v.shape;
    }
  }

  void checkGiven() {
    for (size_t i = 0; i < b_.given.size(); ++i) {
      Binding &g = b_.given[i];
      if (int prev = findGiven(g.name, i); prev >= 0) {
        diags_.error(g.loc, "'" + g.name + "' is already bound by 'given'");
        diags_.note(b_.given[prev].loc, "'" + g.name + "' is first bound here");
      }
      givenShape_.push_back(shapeOf(g.value, i));
    }
  }

  void bindArguments(const Kernel &k) {
    auto &src = b_.paramSources;
    src.assign(k.params.size(), {});
    std::vector<bool> bound(k.params.size(), false);
    std::vector<std::optional<std::vector<int64_t>>> shapes(k.params.size());
    std::vector<Loc> where(k.params.size());
    std::vector<const Value *> values(k.params.size(), nullptr);

    for (size_t i = 0; i < b_.when.positional.size(); ++i) {
      Binding &arg = b_.when.positional[i];
      if (i >= k.params.size()) {
        diags_.error(arg.loc, "too many arguments: '" + k.name + "' takes " +
                                  std::to_string(k.params.size()) + " parameters");
        break;
      }
      src[i] = {Behavior::ParamSource::Positional, (int)i, findGiven(arg.name, b_.given.size())};
      values[i] = valueOf(arg.value);
      bound[i] = true;
      where[i] = arg.loc;
      shapes[i] = shapeOf(arg.value, b_.given.size());
    }
    for (size_t i = 0; i < b_.when.named.size(); ++i) {
      Binding &arg = b_.when.named[i];
      int p = -1;
      for (size_t j = 0; j < k.params.size(); ++j)
        if (k.params[j].name == arg.name)
          p = (int)j;
      if (p < 0) {
        diags_.error(arg.loc, "kernel '" + k.name + "' has no parameter '" + arg.name + "'");
        std::vector<std::string> names;
        for (auto &param : k.params)
          names.push_back(param.name);
        suggest(diags_, arg.loc, arg.name, names);
        continue;
      }
      if (bound[p]) {
        diags_.error(arg.loc, "parameter '" + arg.name + "' is bound twice");
        diags_.note(where[p], "'" + arg.name + "' is first bound here");
        continue;
      }
      int g = arg.value.kind == Value::NameRef ? findGiven(arg.value.name, b_.given.size()) : -1;
      src[p] = {Behavior::ParamSource::Named, (int)i, g};
      values[p] = valueOf(arg.value);
      bound[p] = true;
      where[p] = arg.loc;
      shapes[p] = shapeOf(arg.value, b_.given.size());
    }
    for (size_t p = 0; p < k.params.size(); ++p) {
      const Param &param = k.params[p];
      if (!bound[p]) {
        if (!param.defaultValue)
          diags_.error(b_.when.loc,
                       "missing argument for parameter '" + param.name + "' of '" + k.name + "'");
        continue;
      }
      if (shapes[p])
        checkShape(k, param.name, param.type, *shapes[p], where[p]);
      if (values[p])
        checkIntegerValues(param, *values[p]);
    }
  }

  // The value a binding stands for: a given's (by name) or its own.
  const Value *valueOf(const Value &v) const {
    if (v.kind != Value::NameRef)
      return &v;
    int g = findGiven(v.name, b_.given.size());
    return g >= 0 && b_.given[g].value.kind != Value::NameRef ? &b_.given[g].value : nullptr;
  }

  // Values for an integer or bool parameter must be exact in its dtype: a silent
  // conversion (300.5 into i8 became 44) would test something else than what the
  // behavior says. zeros/ones always fit; rand() is uniform in [-1, 1), never integral.
  void checkIntegerValues(const Param &param, const Value &v) {
    DType t = param.type.dtype;
    if (!isFloat(t) && v.kind == Value::Rand) {
      diags_.error(v.loc, std::string("rand() values are uniform in [-1, 1), not integers: "
                                      "write a list for ") +
                              dtypeName(t) + " parameter '" + param.name + "'");
      return;
    }
    if (isFloat(t) || (v.kind != Value::Literal && v.kind != Value::Scalar))
      return;
    // [lo, hi]; hi of i64 and u64 round up to 2^63 and 2^64, which are out of range:
    // those compare with `<`.
    const int bits = 8 * dtypeBytes(t);
    double lo = t == DType::Bool ? 0.0 : isUnsigned(t) ? 0.0 : -std::ldexp(1.0, bits - 1);
    double hi = t == DType::Bool ? 1.0
                : isUnsigned(t)  ? std::ldexp(1.0, bits) - 1
                                 : std::ldexp(1.0, bits - 1) - 1;
    const bool hiRounds = bits == 64;
    for (size_t i = 0; i < v.data.size(); ++i) {
      double x = v.data[i];
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", x);
      std::string what = (v.kind == Value::Scalar
                              ? std::string("value ") + buf
                              : "element " + std::to_string(i) + " (" + buf + ") of the value") +
                         " for " + dtypeName(t) + " parameter '" + param.name + "'";
      if (x != std::trunc(x)) { // also NaN and infinities
        diags_.error(v.loc, what + " is not an integer");
        return;
      }
      if (x < lo || (hiRounds ? x >= hi : x > hi)) {
        diags_.error(v.loc, what + " is out of range for " + dtypeName(t));
        return;
      }
    }
  }

  // Rank, literal sizes and the unification of symbolic dims across arguments.
  void checkShape(const Kernel &k, const std::string &name, const TensorType &type,
                  const std::vector<int64_t> &shape, Loc loc) {
    if (shape.size() != type.dims.size()) {
      diags_.error(loc, "'" + name + "' has rank " + std::to_string(type.dims.size()) +
                            " but the value has rank " + std::to_string(shape.size()));
      return;
    }
    // One error per symbolic dim and value: f32[N, N, N] given [2, 3, 3] conflicts
    // on two axes with the same message (literal sizes name their axis).
    std::vector<bool> reported(b_.dimSizes.size(), false);
    for (size_t a = 0; a < shape.size(); ++a) {
      const DimSpec &d = type.dims[a];
      if (d.dimRef < 0)
        continue;
      int64_t &size = b_.dimSizes[d.dimRef];
      if (size < 0) {
        size = shape[a];
        dimFrom_[d.dimRef] = name;
      } else if (size != shape[a] && !(reported[d.dimRef] && !d.symbol.empty())) {
        reported[d.dimRef] = true;
        if (d.symbol.empty())
          diags_.error(loc, "'" + name + "' has size " + std::to_string(size) + " on axis " +
                                std::to_string(a) + " but the value has " +
                                std::to_string(shape[a]));
        else
          diags_.error(loc, "dim '" + d.symbol + "' is " + std::to_string(size) + " from '" +
                                dimFrom_[d.dimRef] + "' but " + std::to_string(shape[a]) +
                                " from '" + name + "'");
      }
    }
    (void)k;
  }

  void checkThen(const Kernel &k) {
    for (Expectation &ex : b_.then) {
      ex.resultRef = ex.givenRef = -1;
      for (size_t r = 0; r < k.results.size(); ++r)
        if (k.results[r].name == ex.name)
          ex.resultRef = (int)r;
      if (ex.resultRef < 0)
        ex.givenRef = findGiven(ex.name, b_.given.size());
      auto expected = shapeOf(ex.expected, b_.given.size());
      if (ex.resultRef >= 0) {
        const TensorType &t = k.results[ex.resultRef].type;
        if (expected)
          checkShape(k, ex.name, t, *expected, ex.expected.loc);
      } else if (ex.givenRef >= 0) {
        auto &actual = givenShape_[ex.givenRef];
        if (expected && actual && *expected != *actual)
          diags_.error(ex.expected.loc, "expected value has shape " + shapeStr(*expected) +
                                            " but '" + ex.name + "' has shape " +
                                            shapeStr(*actual));
      } else {
        diags_.error(ex.loc,
                     "'" + ex.name + "' names neither a result of '" + k.name + "' nor a given");
        std::vector<std::string> names;
        for (auto &r : k.results)
          names.push_back(r.name);
        for (auto &g : b_.given)
          names.push_back(g.name);
        suggest(diags_, ex.loc, ex.name, names);
      }
    }
  }
};

} // namespace

void checkBehavior(Spec &spec, Behavior &b, DiagnosticEngine &diags) {
  BehaviorChecker(spec, b, diags).run();
}

} // namespace vibee::sema
