#include "tests/fuzz/Differential.h"

#include "frontend/ReferenceInterpreter.h"
#include "frontend/Requirements.h"
#include "runtime/Jit.h"
#include "tools/vibeec/CheckSupport.h"
#include "tools/vibeec/SpecTesting.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

namespace vibee::fuzz {

namespace {

using checking::Rng;

// Unit roundoff of a float dtype.
double unitRoundoff(DType t) {
  switch (t) {
  case DType::F16:
    return 0x1p-11;
  case DType::BF16:
    return 0x1p-8;
  // FP8 rounds only at casts, in the reference too; its step is what a perturbation
  // may flip near a tie.
  case DType::F8E4M3:
    return 0x1p-4;
  case DType::F8E5M2:
    return 0x1p-3;
  case DType::F32:
    return 0x1p-24;
  default:
    return 0x1p-53;
  }
}

void collectLiterals(ast::Expr &e, std::vector<double *> &out, double &roundoff) {
  if (ast::isFloat(e.type))
    roundoff = std::max(roundoff, unitRoundoff(e.type));
  if (ast::isFloat(e.opType))
    roundoff = std::max(roundoff, unitRoundoff(e.opType));
  if (e.kind == ast::ExprKind::Number && !e.isIntLiteral && !e.isBool)
    out.push_back(&e.number);
  for (ast::ExprPtr &operand : e.operands)
    collectLiterals(*operand, out, roundoff);
}

// Every float literal a kernel's reference run reads (its statements' and the
// spec's float constants), and the roundoff of the narrowest float dtype it uses.
std::vector<double *> floatLiterals(ast::Spec &spec, ast::Kernel &kernel, double &roundoff) {
  std::vector<double *> out;
  roundoff = 0x1p-53;
  for (ast::Statement &s : kernel.body) {
    collectLiterals(*s.rhs, out, roundoff);
    if (ast::isFloat(s.targetType))
      roundoff = std::max(roundoff, unitRoundoff(s.targetType));
  }
  for (ast::Const &c : spec.consts)
    if (ast::isFloat(c.dtype))
      out.push_back(&c.folded);
  return out;
}

bool withinBudget(const ast::Kernel &k, const std::vector<int64_t> &dims,
                  const TrialBudget &budget) {
  auto count = [&](auto begin, auto end, auto dimOf) {
    int64_t n = 1;
    for (auto it = begin; it != end; ++it)
      if (__builtin_mul_overflow(n, std::max<int64_t>(dims[dimOf(*it)], 1), &n))
        return std::numeric_limits<int64_t>::max();
    return n;
  };
  auto specDim = [](const ast::DimSpec &d) { return d.dimRef; };
  auto plain = [](int d) { return d; };
  for (const ast::Param &p : k.params)
    if (count(p.type.dims.begin(), p.type.dims.end(), specDim) > budget.maxElements)
      return false;
  for (const ast::Result &r : k.results)
    if (count(r.type.dims.begin(), r.type.dims.end(), specDim) > budget.maxElements)
      return false;
  for (const ast::Local &l : k.locals)
    if (count(l.dims.begin(), l.dims.end(), plain) > budget.maxElements)
      return false;
  for (const ast::Statement &s : k.body)
    if (count(s.loopDims.begin(), s.loopDims.end(), plain) > budget.maxWork)
      return false;
  return true;
}

// Norm-wise relative difference of `a` from `b`; infinite when a NaN or an infinity
// of one has no match in the other.
double relativeDifference(const std::vector<double> &a, const std::vector<double> &b) {
  double diff2 = 0, ref2 = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i]) || std::isinf(a[i]) || std::isinf(b[i])) {
      if (!(std::isnan(a[i]) && std::isnan(b[i])) && a[i] != b[i])
        return INFINITY;
      continue;
    }
    diff2 += (a[i] - b[i]) * (a[i] - b[i]);
    ref2 += b[i] * b[i];
  }
  return diff2 == 0 ? 0 : std::sqrt(diff2) / std::max(std::sqrt(ref2), 1e-300);
}

// `values` as a tensor of `dtype` stores them (the reference's view of an output).
std::vector<double> asStored(DType dtype, const std::vector<double> &values) {
  HostTensor t(ast::isFloat(dtype) ? dtype : DType::F64, {(int64_t)values.size()});
  t.fill(values);
  return t.toDoubles();
}

// One output the kernel writes: a name, what it wrote and where the reference keeps it.
struct Output {
  std::string name;
  const HostTensor *written;
  bool isParam;
  size_t index;
};

std::vector<double> referenceOf(const Output &o, const ref::Outcome &outcome) {
  const ref::Array &a = o.isParam ? outcome.params[o.index] : outcome.results[o.index];
  return asStored(o.written->dtype(), a.data);
}

// The largest change of each output when the reference runs on inputs and float
// literals perturbed by a few times the kernel's roundoff.
std::vector<double> referenceSpread(ast::Spec &spec, ast::Kernel &k,
                                    const std::vector<ref::Array> &args,
                                    const std::vector<Output> &outputs,
                                    const ref::Outcome &expected, Rng &rng, double &roundoff) {
  std::vector<double *> literals = floatLiterals(spec, k, roundoff);
  std::vector<double> saved;
  for (double *l : literals)
    saved.push_back(*l);
  const double scale = 8 * roundoff;
  std::vector<double> spread(outputs.size(), 0);
  for (int sample = 0; sample < 3; ++sample) {
    std::vector<ref::Array> perturbed = args;
    for (size_t i = 0; i < perturbed.size(); ++i)
      if (ast::isFloat(k.params[i].type.dtype))
        for (double &v : perturbed[i].data)
          v *= 1 + scale * rng.uniform(-1, 1);
    for (double *l : literals)
      *l *= 1 + scale * rng.uniform(-1, 1);
    ref::Outcome moved;
    bool threw = false;
    try {
      moved = ref::evaluate(spec, k, perturbed);
    } catch (const std::exception &) {
      threw = true;
    }
    for (size_t i = 0; i < literals.size(); ++i)
      *literals[i] = saved[i];
    for (size_t o = 0; o < outputs.size(); ++o)
      spread[o] = threw || moved.outOfRange
                      ? INFINITY
                      : std::max(spread[o], relativeDifference(referenceOf(outputs[o], moved),
                                                               referenceOf(outputs[o], expected)));
  }
  return spread;
}

// A mismatch of trial outputs that the reference's own spread does not explain
// ("" when every failing output is explained).
std::string unexplainedMismatch(ast::Spec &spec, ast::Kernel &k,
                                const std::vector<ref::Array> &args,
                                const std::vector<Output> &outputs, const ref::Outcome &expected,
                                Rng &rng, DiffStats &stats) {
  if (expected.outOfRange) {
    ++stats.outOfRange;
    return "";
  }
  // An output that depends on a comparison the kernel's rounding may flip (the
  // reference does not round) cannot be compared; docs/testing.md.
  if (expected.nearTie) {
    ++stats.nearTie;
    return "";
  }
  double roundoff;
  std::vector<double> spread = referenceSpread(spec, k, args, outputs, expected, rng, roundoff);
  for (size_t o = 0; o < outputs.size(); ++o) {
    std::vector<double> want = referenceOf(outputs[o], expected);
    const Output &out = outputs[o];
    const ref::Array &raw = out.isParam ? expected.params[out.index] : expected.results[out.index];
    std::string failure = checking::compareWithReference(out.name, *out.written, raw.data);
    if (failure.empty())
      continue;
    double error = relativeDifference(outputs[o].written->toDoubles(), want);
    // Rounding in the kernel moves an output by at most a few hundred times what
    // the perturbation moves the reference; a lowering bug moves it by O(1). The
    // reference never rounds at a cast, so a narrow intermediate (`f16(e)`) that the
    // perturbation cannot move (`x / x`) still costs the kernel a few roundoffs.
    bool explained = ast::isFloat(outputs[o].written->dtype())
                         ? !(error > std::max(128 * spread[o], 16 * roundoff))
                         : spread[o] != 0;
    if (!explained) {
      std::ostringstream os;
      os << std::setprecision(3) << failure << " (relative error " << error
         << ", the reference moves by " << spread[o] << " under perturbation)";
      return os.str();
    }
  }
  ++stats.illConditioned;
  return "";
}

} // namespace

std::string differentialCheck(const JitModule &module, ast::Spec &spec, const ast::Kernel &kernel,
                              uint64_t seed, const TrialBudget &budget, DiffStats &stats) {
  using namespace checking;
  ast::Kernel &k = const_cast<ast::Kernel &>(kernel); // of `spec`, which we own
  Kernel compiled = module.kernel(k.name);
  Rng rng{seed};
  std::vector<DimRequirement> requirements = dimRequirements(spec, k);
  for (int trial = 0; trial < 2; ++trial) {
    std::vector<int64_t> dims(k.dims.size());
    for (size_t d = 0; d < k.dims.size(); ++d)
      dims[d] = k.dims[d].size >= 0 ? k.dims[d].size : (trial == 0 ? 1 : rng.between(2, 5));
    fitRequirements(k, requirements, dims);
    if (!withinBudget(k, dims, budget)) {
      ++stats.overBudget;
      continue;
    }
    TrialArguments args = makeTrialArguments(k, dims, rng, &requirements);
    std::vector<HostTensor> &tensors = args.tensors, &results = args.results;
    const std::vector<ref::Array> &refArgs = args.reference;
    ref::Outcome expected;
    std::string referenceError;
    try {
      expected = ref::evaluate(spec, k, refArgs);
    } catch (const std::exception &e) {
      referenceError = e.what();
    }
    try {
      compiled(args.call);
    } catch (const std::exception &e) {
      if (!referenceError.empty()) {
        ++stats.bothThrew;
        continue;
      }
      return std::string("the reference ran but the JIT call threw: ") + e.what() + " (with " +
             symbolicDimsText(k, dims) + ")";
    }
    if (!referenceError.empty()) {
      ++stats.referenceThrew;
      continue;
    }
    if (compareKernelOutputs(k, tensors, results, expected).empty()) {
      ++stats.compared;
      continue;
    }
    std::vector<Output> outputs;
    for (size_t i = 0; i < k.params.size(); ++i)
      if (k.params[i].mode == ast::ParamMode::InOut)
        outputs.push_back({k.params[i].name, &tensors[i], true, i});
    for (size_t r = 0; r < k.results.size(); ++r)
      outputs.push_back({k.results[r].name, &results[r], false, r});
    if (std::string why = unexplainedMismatch(spec, k, refArgs, outputs, expected, rng, stats);
        !why.empty())
      return why + " (with " + symbolicDimsText(k, dims) + ")";
  }
  return "";
}

} // namespace vibee::fuzz
