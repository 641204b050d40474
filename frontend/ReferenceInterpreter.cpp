// The float64 reference interpreter; see ReferenceInterpreter.h for the semantics.
#include "frontend/ReferenceInterpreterImpl.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace vibee::ref {
namespace detail {

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

std::string typeStr(const ast::TensorType &t) {
  std::ostringstream os;
  os << ast::dtypeName(t.dtype);
  if (t.isScalar())
    return os.str();
  os << '[';
  for (size_t i = 0; i < t.dims.size(); ++i) {
    os << (i ? ", " : "");
    if (t.dims[i].symbol.empty())
      os << t.dims[i].size;
    else
      os << t.dims[i].symbol;
  }
  os << ']';
  return os.str();
}

void Interpreter::bindArgs(const std::vector<Array> &args) {
  const size_t np = kernel_.params.size();
  if (args.size() != np)
    fail("expected " + std::to_string(np) + " arguments, got " + std::to_string(args.size()));

  dimSizes_.assign(kernel_.dims.size(), -1);
  std::vector<std::string> boundBy(kernel_.dims.size());
  for (size_t d = 0; d < kernel_.dims.size(); ++d)
    if (kernel_.dims[d].size >= 0)
      dimSizes_[d] = kernel_.dims[d].size;

  params_.resize(np);
  for (size_t p = 0; p < np; ++p) {
    const ast::Param &param = kernel_.params[p];
    const Array &arg = args[p];
    const std::string who = "argument '" + param.name + "'";
    Array value;
    if (param.type.isScalar()) {
      if (!arg.shape.empty())
        fail(who + ": expected shape " + typeStr(param.type) + " (a scalar), got " +
             shapeStr(arg.shape));
      if (arg.data.empty()) {
        if (!param.defaultValue)
          fail(who + ": missing (the parameter has no default)");
        // A default is a constant expression: no loops, no tensors.
        loop_.clear();
        Val v = evalAs(*param.defaultValue, param.type.dtype);
        value.data.push_back(toDouble(v, param.type.dtype));
      } else {
        if (arg.data.size() != 1)
          fail(who + ": a scalar must hold one value, got " + std::to_string(arg.data.size()));
        value.data.push_back(toDouble(fromDouble(arg.data[0], param.type.dtype), param.type.dtype));
      }
      params_[p] = std::move(value);
      continue;
    }

    const auto &dims = param.type.dims;
    auto expected = [&] {
      std::string s = typeStr(param.type);
      std::string bound;
      for (const ast::DimSpec &ds : dims)
        if (!ds.symbol.empty() && ds.dimRef >= 0 && dimSizes_[ds.dimRef] >= 0 &&
            bound.find(ds.symbol + "=") == std::string::npos)
          bound +=
              (bound.empty() ? "" : ", ") + ds.symbol + "=" + std::to_string(dimSizes_[ds.dimRef]);
      return bound.empty() ? s : s + " (" + bound + ")";
    };
    if (arg.shape.size() != dims.size())
      fail(who + ": expected shape " + expected() + " (rank " + std::to_string(dims.size()) +
           "), got " + shapeStr(arg.shape) + " (rank " + std::to_string(arg.shape.size()) + ")");
    for (size_t a = 0; a < dims.size(); ++a) {
      const ast::DimSpec &ds = dims[a];
      const int64_t got = arg.shape[a];
      if (got < 0)
        fail(who + ": negative dim in shape " + shapeStr(arg.shape));
      if (ds.symbol.empty()) {
        if (got != ds.size)
          fail(who + ": expected shape " + expected() + ", got " + shapeStr(arg.shape) + " (axis " +
               std::to_string(a) + " must be " + std::to_string(ds.size) + ")");
        continue;
      }
      if (ds.dimRef < 0 || ds.dimRef >= static_cast<int>(dimSizes_.size()))
        fail(who + ": dim '" + ds.symbol + "' was not resolved by sema");
      int64_t &size = dimSizes_[ds.dimRef];
      if (size >= 0 && size != got)
        fail(who + ": expected shape " + expected() + ", got " + shapeStr(arg.shape) + " (" +
             ds.symbol + " is " + std::to_string(size) + " from " + boundBy[ds.dimRef] + ", axis " +
             std::to_string(a) + " is " + std::to_string(got) + ")");
      if (size < 0) {
        size = got;
        boundBy[ds.dimRef] = "'" + param.name + "'";
      }
    }
    if (static_cast<int64_t>(arg.data.size()) != numElements(arg.shape))
      fail(who + ": shape " + shapeStr(arg.shape) + " holds " +
           std::to_string(numElements(arg.shape)) + " elements, got " +
           std::to_string(arg.data.size()) + " values");
    value.shape = arg.shape;
    value.data = arg.data;
    if (!ast::isFloat(param.type.dtype))
      for (double &x : value.data)
        x = toDouble(fromDouble(x, param.type.dtype), param.type.dtype);
    params_[p] = std::move(value);
  }

  // Derived dims (`y: f32[N - K + 1]`) from the parameters' dims.
  for (size_t d = 0; d < kernel_.dims.size(); ++d) {
    const ast::Dim &dim = kernel_.dims[d];
    if (!dim.derived)
      continue;
    std::optional<int64_t> size = ast::derivedDimSize(dim, dimSizes_);
    if (!size || *size < 0)
      fail("result '" + kernel_.results[dim.carrierRef].name + "': dim " + dim.name + " is " +
           (size ? std::to_string(*size) : std::string("beyond int64")) +
           " for the arguments' sizes; it must be at least 0");
    dimSizes_[d] = *size;
  }

  results_.resize(kernel_.results.size());
  for (size_t r = 0; r < kernel_.results.size(); ++r) {
    const ast::Result &res = kernel_.results[r];
    Array &out = results_[r];
    for (const ast::DimSpec &ds : res.type.dims) {
      int64_t size = ds.symbol.empty() ? ds.size
                     : (ds.dimRef >= 0 && ds.dimRef < static_cast<int>(dimSizes_.size()))
                         ? dimSizes_[ds.dimRef]
                         : -1;
      if (size < 0)
        fail("result '" + res.name + "': dim '" + ds.symbol + "' is not bound by any parameter");
      out.shape.push_back(size);
    }
    out.data.assign(static_cast<size_t>(numElements(out.shape)), 0.0);
  }

  locals_.assign(kernel_.locals.size(), Array{});
  localSet_.assign(kernel_.locals.size(), false);
}

const Array &Interpreter::tensorFor(NameKind kind, int ref, const std::string &name) const {
  auto check = [&](size_t n) {
    if (ref < 0 || static_cast<size_t>(ref) >= n)
      throw std::logic_error("kernel '" + kernel_.name + "': '" + name +
                             "' has no valid sema reference");
  };
  switch (kind) {
  case NameKind::TensorParam:
    check(params_.size());
    return params_[ref];
  case NameKind::Result:
    check(results_.size());
    return results_[ref];
  case NameKind::Const: {
    check(spec_.consts.size());
    Array &a = consts_[ref];
    if (a.shape.empty()) {
      for (const ast::DimSpec &d : spec_.consts[ref].type.dims)
        a.shape.push_back(d.size);
      a.data = spec_.consts[ref].elems;
    }
    return a;
  }
  case NameKind::Local:
    check(locals_.size());
    if (!localSet_[ref])
      throw std::logic_error("kernel '" + kernel_.name + "': local '" + name +
                             "' read before it is assigned");
    return locals_[ref];
  default:
    throw std::logic_error("kernel '" + kernel_.name + "': '" + name + "' is not a tensor");
  }
}

DType Interpreter::tensorType(NameKind kind, int ref) const {
  switch (kind) {
  case NameKind::TensorParam:
    return kernel_.params[ref].type.dtype;
  case NameKind::Result:
    return kernel_.results[ref].type.dtype;
  case NameKind::Local:
    return kernel_.locals[ref].dtype;
  case NameKind::Const:
    return spec_.consts[ref].dtype;
  default:
    return DType::F64;
  }
}

Val combineReduced(ast::ReduceKind kind, DType acc, Val a, Val b) {
  const bool isFloat = ast::isFloat(acc);
  Val r;
  switch (kind) {
  case ast::ReduceKind::Sum:
    if (isFloat) {
      r.f = a.f + b.f;
      r.m = sumCondition(a, b);
    } else
      r.i = wrapInt(addWrap(a.i, b.i), acc);
    break;
  case ast::ReduceKind::Prod:
    if (isFloat) {
      r.f = a.f * b.f;
      r.m = productCondition(a, b);
    } else
      r.i = wrapInt(mulWrap(a.i, b.i), acc);
    break;
  case ast::ReduceKind::Max:
    if (isFloat) {
      r.f = maxProp(a.f, b.f);
      r.m = extremumCondition(a, b, r.f);
    } else
      r.i = intLess(b.i, a.i, acc) ? a.i : b.i;
    break;
  case ast::ReduceKind::Min:
    if (isFloat) {
      r.f = minProp(a.f, b.f);
      r.m = extremumCondition(a, b, r.f);
    } else
      r.i = intLess(a.i, b.i, acc) ? a.i : b.i;
    break;
  case ast::ReduceKind::None:
  case ast::ReduceKind::TopK:   // executeTopK
  case ast::ReduceKind::ArgMax: // executeArgReduce
  case ast::ReduceKind::ArgMin:
    r = b;
    break;
  }
  return r;
}

Val reductionIdentity(ast::ReduceKind kind, DType acc) {
  Val r;
  switch (kind) {
  case ast::ReduceKind::Prod:
    r.f = 1;
    r.i = 1;
    break;
  case ast::ReduceKind::Max:
    r.f = -std::numeric_limits<double>::infinity();
    r.i = acc == DType::I8       ? INT8_MIN
          : acc == DType::I32    ? INT32_MIN
          : acc == DType::Bool   ? 0
          : ast::isUnsigned(acc) ? 0
                                 : INT64_MIN;
    break;
  case ast::ReduceKind::Min:
    r.f = std::numeric_limits<double>::infinity();
    r.i = acc == DType::I8       ? INT8_MAX
          : acc == DType::I32    ? INT32_MAX
          : acc == DType::Bool   ? 1
          : ast::isUnsigned(acc) ? wrapInt(-1, acc) // all ones
                                 : INT64_MAX;
    break;
  default:
    break;
  }
  return r;
}

std::vector<int64_t> Interpreter::loopExtents(const ast::Statement &stmt) const {
  const size_t nLoops = stmt.loopIndices.size();
  if (stmt.loopDims.size() != nLoops)
    throw std::logic_error("statement '" + stmt.sourceText + "': loopDims not filled by sema");
  std::vector<int64_t> extent(nLoops);
  for (size_t l = 0; l < nLoops; ++l) {
    int d = stmt.loopDims[l];
    if (d < 0 || static_cast<size_t>(d) >= dimSizes_.size() || dimSizes_[d] < 0)
      throw std::logic_error("statement '" + stmt.sourceText + "': loop '" + stmt.loopIndices[l] +
                             "' has no bound extent");
    extent[l] = dimSizes_[d];
  }
  return extent;
}

void Interpreter::execute(const ast::Statement &stmt) {
  if (stmt.scan != ast::ScanKind::None)
    return executeScan(stmt);
  if (ast::isArgReduce(stmt.reduce))
    return executeArgReduce(stmt);
  if (stmt.reduce == ast::ReduceKind::TopK)
    return executeTopK(stmt);
  if (stmt.accumulate)
    return executeScatter(stmt);
  const std::vector<int64_t> extent = loopExtents(stmt);
  const size_t nLoops = extent.size();
  const size_t nPar = static_cast<size_t>(stmt.numParallel);
  if (nPar > nLoops)
    throw std::logic_error("statement '" + stmt.sourceText + "': numParallel > loops");

  Array fresh;
  fresh.shape.assign(extent.begin(), extent.begin() + static_cast<long>(nPar));
  fresh.data.assign(static_cast<size_t>(numElements(fresh.shape)), 0.0);
  if (ast::isFloat(stmt.targetType))
    fresh.mag.assign(fresh.data.size(), 0.0);
  else
    fresh.exact.assign(fresh.data.size(), 0);

  const Expr &rhs = *stmt.rhs;
  const DType acc = rhs.type; // reductions accumulate in the operand's dtype
  loop_.assign(nLoops, 0);

  auto combine = [&](Val a, Val b) {
    return noteRange(combineReduced(stmt.reduce, acc, a, b), acc);
  };
  auto identity = [&] { return reductionIdentity(stmt.reduce, acc); };

  // Iterate the parallel space row-major; for each point run the reduction space.
  const size_t nOut = fresh.data.size();
  for (size_t o = 0; o < nOut; ++o) {
    size_t rem = o;
    for (size_t l = nPar; l-- > 0;) {
      loop_[l] = static_cast<int64_t>(rem % static_cast<size_t>(extent[l]));
      rem /= static_cast<size_t>(extent[l]);
    }
    Val value;
    if (stmt.reduce == ast::ReduceKind::None || nPar == nLoops) {
      value = eval(rhs);
      if (stmt.reduce != ast::ReduceKind::None) // reduction over no loops: one element
        value = combine(identity(), value);
    } else {
      value = identity();
      bool empty = false;
      for (size_t l = nPar; l < nLoops; ++l) {
        loop_[l] = 0;
        if (extent[l] == 0)
          empty = true;
      }
      while (!empty) {
        value = combine(value, eval(rhs));
        // Advance the reduction odometer (last index fastest).
        size_t l = nLoops;
        while (l > nPar) {
          --l;
          if (++loop_[l] < extent[l])
            break;
          loop_[l] = 0;
          if (l == nPar) {
            empty = true; // wrapped around: done
            break;
          }
        }
      }
    }
    Val stored = noteRange(convert(value, acc, stmt.targetType), stmt.targetType);
    fresh.data[o] = toDouble(stored, stmt.targetType);
    if (!fresh.mag.empty())
      fresh.mag[o] = stored.m;
    if (!fresh.exact.empty())
      fresh.exact[o] = stored.i;
  }
  store(stmt, std::move(fresh));
}

void Interpreter::store(const ast::Statement &stmt, Array &&fresh) {
  storeTo(stmt.targetKind, stmt.targetRef, stmt, std::move(fresh));
}

void Interpreter::storeTo(NameKind kind, int ref, const ast::Statement &stmt, Array &&fresh) {
  switch (kind) {
  case NameKind::TensorParam:
    if (ref < 0 || static_cast<size_t>(ref) >= params_.size())
      throw std::logic_error("statement '" + stmt.sourceText + "': bad target reference");
    if (params_[ref].shape != fresh.shape)
      throw std::logic_error("statement '" + stmt.sourceText + "': target shape " +
                             shapeStr(params_[ref].shape) + " != loop extents " +
                             shapeStr(fresh.shape));
    params_[ref].data = std::move(fresh.data);
    params_[ref].mag = std::move(fresh.mag);
    params_[ref].exact = std::move(fresh.exact);
    break;
  case NameKind::Result:
    if (ref < 0 || static_cast<size_t>(ref) >= results_.size())
      throw std::logic_error("statement '" + stmt.sourceText + "': bad target reference");
    if (results_[ref].shape != fresh.shape)
      throw std::logic_error("statement '" + stmt.sourceText + "': target shape " +
                             shapeStr(results_[ref].shape) + " != loop extents " +
                             shapeStr(fresh.shape));
    results_[ref].data = std::move(fresh.data);
    results_[ref].mag = std::move(fresh.mag);
    results_[ref].exact = std::move(fresh.exact);
    break;
  case NameKind::Local:
    if (ref < 0 || static_cast<size_t>(ref) >= locals_.size())
      throw std::logic_error("statement '" + stmt.sourceText + "': bad target reference");
    locals_[ref] = std::move(fresh);
    localSet_[ref] = true;
    break;
  default:
    throw std::logic_error("statement '" + stmt.sourceText + "': target not resolved by sema");
  }
}

Outcome Interpreter::run(const std::vector<Array> &args) {
  bindArgs(args);
  for (const ast::Statement &stmt : kernel_.body)
    execute(stmt);
  Outcome out;
  out.params = std::move(params_);
  out.results = std::move(results_);
  out.outOfRange = outOfRange_;
  out.nearTie = nearTie_;
  return out;
}

} // namespace detail

Outcome evaluate(const ast::Spec &spec, const ast::Kernel &kernel, const std::vector<Array> &args) {
  detail::Interpreter interp(spec, kernel);
  return interp.run(args);
}

std::vector<double> randomUniform(uint64_t seed, size_t n) {
  std::vector<double> out(n);
  uint64_t state = seed;
  for (size_t i = 0; i < n; ++i) {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    // Top 53 bits as k * 2^-52 in [0, 2), minus 1: exact in double.
    out[i] = static_cast<double>(z >> 11) * 0x1p-52 - 1.0;
  }
  return out;
}

} // namespace vibee::ref
