// The reference interpreter's expressions: names, accesses, operators and builtins,
// each computed in its operation dtype (ReferenceInterpreter.h, "Numerics").
#include "frontend/Philox.h"
#include "frontend/ReferenceInterpreterImpl.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace vibee::ref::detail {

Val Interpreter::evalName(const Expr &e) {
  switch (e.nameKind) {
  case NameKind::Const: {
    if (e.ref < 0 || static_cast<size_t>(e.ref) >= spec_.consts.size())
      throw std::logic_error("constant '" + e.name + "' has no valid sema reference");
    const ast::Const &c = spec_.consts[e.ref];
    if (!ast::isFloat(c.dtype)) { // exact: a double would round above 2^53
      Val v;
      v.i = c.foldedInt;
      return convert(v, c.dtype, e.type);
    }
    return convert(fromDouble(c.folded, c.dtype), c.dtype, e.type);
  }
  case NameKind::ScalarParam: {
    if (e.ref < 0 || static_cast<size_t>(e.ref) >= params_.size() || params_[e.ref].data.empty())
      throw std::logic_error("scalar parameter '" + e.name + "' is not available here");
    DType t = kernel_.params[e.ref].type.dtype;
    return convert(fromDouble(params_[e.ref].data[0], t), t, e.type);
  }
  case NameKind::Dim: {
    if (e.ref < 0 || static_cast<size_t>(e.ref) >= dimSizes_.size() || dimSizes_[e.ref] < 0)
      throw std::logic_error("dim '" + e.name + "' is not bound");
    Val v;
    v.i = dimSizes_[e.ref];
    return convert(v, DType::I64, e.type);
  }
  case NameKind::Index: {
    if (e.ref < 0 || static_cast<size_t>(e.ref) >= loop_.size())
      throw std::logic_error("index '" + e.name + "' is not bound here");
    Val v;
    v.i = loop_[e.ref];
    return convert(v, DType::I64, e.type);
  }
  default:
    throw std::logic_error("kernel '" + kernel_.name + "': name '" + e.name +
                           "' was not resolved by sema");
  }
}

// An affine subscript at the current loop values, in exact (wide) integers: a value
// outside int64 is outside every axis.
int64_t Interpreter::affineValue(const ast::AffineForm &a) const {
  __int128 v = a.constant;
  for (auto [slot, c] : a.indices)
    v += (__int128)c * loop_.at(static_cast<size_t>(slot));
  for (auto [d, c] : a.dims)
    v += (__int128)c * dimSizes_.at(static_cast<size_t>(d));
  if (a.op) { // floor division / modulo by a positive divisor
    __int128 q = v / a.divisor, r = v % a.divisor;
    if (r < 0)
      q -= 1, r += a.divisor;
    v = a.op == '/' ? q : r;
  }
  if (v > INT64_MAX || v < INT64_MIN)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

Val Interpreter::evalAccess(const Expr &e) {
  const Array &t = tensorFor(e.nameKind, e.ref, e.name);
  if (e.subscripts.size() != t.shape.size())
    throw std::logic_error("kernel '" + kernel_.name + "': access to '" + e.name + "' with " +
                           std::to_string(e.subscripts.size()) + " subscripts, rank is " +
                           std::to_string(t.shape.size()));
  int64_t offset = 0;
  for (size_t a = 0; a < e.subscripts.size(); ++a) {
    const ast::Subscript &s = e.subscripts[a];
    int64_t idx;
    if (s.literal) {
      idx = *s.literal;
    } else if (s.affine) {
      idx = affineValue(*s.affine);
    } else if (s.gather || s.code) {
      idx = eval(*s.expr).i; // an integer tensor's element or a table's code, exact
    } else {
      if (s.slot < 0 || static_cast<size_t>(s.slot) >= loop_.size())
        throw std::logic_error("index '" + s.index + "' has no loop slot");
      idx = loop_[s.slot];
    }
    if (idx < 0 || idx >= t.shape[a])
      throw std::out_of_range("kernel '" + kernel_.name + "': " + e.name + " subscript " +
                              std::to_string(idx) + " on axis " + std::to_string(a) +
                              " is outside its size " + std::to_string(t.shape[a]) + " (line " +
                              std::to_string(e.loc.line) + ")");
    offset = offset * t.shape[a] + idx;
  }
  DType dt = tensorType(e.nameKind, e.ref);
  Val v = fromDouble(t.data[static_cast<size_t>(offset)], dt);
  if (ast::isFloat(dt) && !t.mag.empty()) // computed by an earlier statement
    v.m = t.mag[static_cast<size_t>(offset)];
  if (!ast::isFloat(dt) && !t.exact.empty()) // the same, beyond 2^53 too
    v.i = t.exact[static_cast<size_t>(offset)];
  return convert(v, dt, e.type);
}

Val Interpreter::evalUnary(const Expr &e) {
  const Expr &x = *e.operands.at(0);
  if (e.op == "!")
    return boolVal(!truthy(eval(x), x.type));
  if (e.op == "-") {
    Val v = evalAs(x, e.opType);
    if (ast::isFloat(e.opType))
      v.f = -v.f;
    else
      v.i = wrapInt(subWrap(0, v.i), e.opType);
    return convert(v, e.opType, e.type);
  }
  if (e.op == "~") {
    Val v = evalAs(x, e.opType);
    v.i = wrapInt(~v.i, e.opType);
    return convert(v, e.opType, e.type);
  }
  if (e.op == "+")
    return convert(evalAs(x, e.opType), e.opType, e.type);
  throw std::logic_error("unknown unary operator '" + e.op + "'");
}

Val Interpreter::evalBinary(const Expr &e) {
  const Expr &lhs = *e.operands.at(0);
  const Expr &rhs = *e.operands.at(1);
  const std::string &op = e.op;
  if (op == "&&") {
    if (!truthy(eval(lhs), lhs.type))
      return boolVal(false);
    return boolVal(truthy(eval(rhs), rhs.type));
  }
  if (op == "||") {
    if (truthy(eval(lhs), lhs.type))
      return boolVal(true);
    return boolVal(truthy(eval(rhs), rhs.type));
  }

  const DType t = e.opType;
  const Val a = evalAs(lhs, t);
  const Val b = evalAs(rhs, t);
  const bool fl = ast::isFloat(t);

  auto cmp = [&](auto pred) -> Val {
    if (fl)
      noteTie(a, b, t);
    if (fl)
      return convert(boolVal(pred(a.f, b.f)), DType::Bool, e.type);
    if (ast::isUnsigned(t)) // u64 above INT64_MAX is held as a negative bit pattern
      return convert(boolVal(pred(asUnsigned(a.i), asUnsigned(b.i))), DType::Bool, e.type);
    return convert(boolVal(pred(a.i, b.i)), DType::Bool, e.type);
  };
  if (op == "<")
    return cmp([](auto x, auto y) { return x < y; });
  if (op == "<=")
    return cmp([](auto x, auto y) { return x <= y; });
  if (op == ">")
    return cmp([](auto x, auto y) { return x > y; });
  if (op == ">=")
    return cmp([](auto x, auto y) { return x >= y; });
  if (op == "==")
    return cmp([](auto x, auto y) { return x == y; });
  if (op == "!=")
    return cmp([](auto x, auto y) { return x != y; });

  Val r;
  if (fl) {
    if (op == "+" || op == "-") {
      r.f = op == "+" ? a.f + b.f : a.f - b.f;
      r.m = sumCondition(a, b);
    } else if (op == "*") {
      r.f = a.f * b.f;
      r.m = productCondition(a, b);
    } else if (op == "/") {
      r.f = a.f / b.f;
      r.m = quotientCondition(a, b, r.f);
    } else if (op == "%") { // a - n b, n = trunc(a / b)
      r.f = std::fmod(a.f, b.f);
      r.m = a.m + propagated(std::trunc(a.f / b.f), b.m);
    } else {
      throw std::logic_error("unknown binary operator '" + op + "'");
    }
  } else {
    if (op == "+")
      r.i = addWrap(a.i, b.i);
    else if (op == "-")
      r.i = subWrap(a.i, b.i);
    else if (op == "*")
      r.i = mulWrap(a.i, b.i);
    else if (op == "/" || op == "%")
      r.i = divRem(op == "/", a.i, b.i, t);
    else if (op == "&")
      r.i = a.i & b.i;
    else if (op == "|")
      r.i = a.i | b.i;
    else if (op == "^")
      r.i = a.i ^ b.i;
    else if (op == "<<" || op == ">>")
      r.i = shift(op == "<<", a.i, b.i, t);
    else
      throw std::logic_error("unknown binary operator '" + op + "'");
    r.i = wrapInt(r.i, t);
  }
  return convert(r, t, e.type);
}

Val Interpreter::evalCall(const Expr &e) {
  if (!e.builtin)
    throw std::logic_error("call to '" + e.name + "' was not resolved by sema");
  const ast::Builtin fn = *e.builtin;
  if (e.castTo) {
    if (e.operands.size() != 1)
      throw std::logic_error("cast '" + e.name + "' takes one operand");
    const Expr &x = *e.operands[0];
    // A cast converts from the operand's dtype; float targets are not rounded.
    return convert(convert(eval(x), x.type, *e.castTo), *e.castTo, e.type);
  }
  const DType t = e.opType;
  const bool fl = ast::isFloat(t);
  if (fn == ast::Builtin::Uniform || fn == ast::Builtin::Normal) {
    // Philox 4x32-10 on the i64 operands (frontend/Philox.h); the value is exact
    // (uniform) or the float64 Box-Muller (normal), with no inherited error.
    std::vector<int64_t> counters;
    for (size_t i = 1; i < e.operands.size(); ++i)
      counters.push_back(evalAs(*e.operands[i], DType::I64).i);
    philox::Counter words = philox::philox4x32(philox::counterOf(counters),
                                               philox::keyOf(evalAs(*e.operands[0], DType::I64).i));
    Val r;
    r.f = fn == ast::Builtin::Uniform ? philox::unitInterval(words[0]) : philox::boxMuller(words);
    r.m = std::fabs(r.f);
    return convert(r, DType::F32, e.type);
  }
  if (e.operands.size() != static_cast<size_t>(ast::builtinInfo(fn).arity))
    throw std::logic_error("builtin '" + e.name + "' has the wrong number of operands");

  switch (fn) {
  case ast::Builtin::Where: {
    const Expr &c = *e.operands[0];
    const Expr &chosen = truthy(eval(c), c.type) ? *e.operands[1] : *e.operands[2];
    return convert(evalAs(chosen, t), t, e.type);
  }
  case ast::Builtin::Min:
  case ast::Builtin::Max:
  case ast::Builtin::Pow: {
    const Val a = evalAs(*e.operands[0], t);
    const Val b = evalAs(*e.operands[1], t);
    const bool isMin = fn == ast::Builtin::Min, isMax = fn == ast::Builtin::Max;
    Val r;
    if (fl) {
      r.f = isMin ? minProp(a.f, b.f) : isMax ? maxProp(a.f, b.f) : std::pow(a.f, b.f);
      // pow: d/da = b a^(b-1) = b r / a, d/db = r ln a.
      r.m = isMin || isMax ? extremumCondition(a, b, r.f)
                           : std::fabs(r.f) + propagated(b.f * r.f / a.f, a.m) +
                                 propagated(r.f * std::log(std::fabs(a.f)), b.m);
    } else if (isMin || isMax) {
      r.i = intLess(a.i, b.i, t) == isMin ? a.i : b.i;
    } else {
      r.i = wrapInt(truncToInt64(std::pow(static_cast<double>(a.i), static_cast<double>(b.i))), t);
    }
    return convert(r, t, e.type);
  }
  case ast::Builtin::Clamp: {
    const Val x = evalAs(*e.operands[0], t), lo = evalAs(*e.operands[1], t),
              hi = evalAs(*e.operands[2], t);
    Val r;
    if (fl) {
      r.f = minProp(maxProp(x.f, lo.f), hi.f);
      r.m = std::fmax(x.m, std::fmax(lo.m, hi.m)); // as max and min
    } else {
      r.i = intLess(x.i, lo.i, t) ? lo.i : x.i; // max(x, lo)
      r.i = intLess(hi.i, r.i, t) ? hi.i : r.i; // min(., hi)
    }
    return convert(r, t, e.type);
  }
  case ast::Builtin::IsNan:
  case ast::Builtin::IsInf: {
    // Integers are never NaN or infinite.
    const Val x = evalAs(*e.operands[0], t);
    const bool yes = fl && (fn == ast::Builtin::IsNan ? std::isnan(x.f) : std::isinf(x.f));
    return convert(boolVal(yes), DType::Bool, e.type);
  }
  case ast::Builtin::Floor:
  case ast::Builtin::Ceil:
  case ast::Builtin::Round:
  case ast::Builtin::Trunc:
    if (!fl) // exact identities on integers
      return convert(evalAs(*e.operands[0], t), t, e.type);
    break;
  case ast::Builtin::Sin:
  case ast::Builtin::Cos:
  case ast::Builtin::Erf:
  case ast::Builtin::Log1p:
  case ast::Builtin::Expm1:
  case ast::Builtin::Exp:
  case ast::Builtin::Log:
  case ast::Builtin::Sqrt:
  case ast::Builtin::Rsqrt:
  case ast::Builtin::Tanh:
  case ast::Builtin::Sigmoid:
  case ast::Builtin::Abs:
  case ast::Builtin::Sign:
    break;
  case ast::Builtin::CastF64:
  case ast::Builtin::CastF32:
  case ast::Builtin::CastF16:
  case ast::Builtin::CastBF16:
  case ast::Builtin::CastF8E4M3:
  case ast::Builtin::CastF8E5M2:
  case ast::Builtin::CastI64:
  case ast::Builtin::CastI32:
  case ast::Builtin::CastI8:
  case ast::Builtin::CastU64:
  case ast::Builtin::CastU32:
  case ast::Builtin::CastU16:
  case ast::Builtin::CastU8:
  case ast::Builtin::CastBool:
    throw std::logic_error("cast '" + e.name + "' without a target dtype");
  case ast::Builtin::Uniform:
  case ast::Builtin::Normal:
    throw std::logic_error("random builtin '" + e.name + "' reached the math switch");
  }

  const Val a = evalAs(*e.operands[0], t);
  Val r;
  if (!fl) {
    // Sema promotes math builtins to float; abs and sign are also exact on integers.
    const bool negative = !ast::isUnsigned(t) && a.i < 0;
    if (fn == ast::Builtin::Abs) {
      r.i = wrapInt(negative ? subWrap(0, a.i) : a.i, t);
    } else if (fn == ast::Builtin::Sign) {
      r.i = negative ? -1 : a.i != 0;
    } else {
      double y = 0;
      math1(fn, toDouble(a, t), y);
      r = fromDouble(y, t);
    }
    return convert(r, t, e.type);
  }
  math1(fn, a.f, r.f);
  r.m = mathCondition(fn, a.f, a.m, r.f);
  return convert(r, t, e.type);
}

Val Interpreter::noteRange(Val v, DType t) {
  if (!ast::isFloat(t) || outOfRange_)
    return v;
  double largest, smallestNormal;
  switch (t) {
  case DType::F16:
    largest = 65504.0, smallestNormal = 0x1p-14;
    break;
  case DType::BF16:
    largest = 0x1.FEp127, smallestNormal = 0x1p-126;
    break;
  case DType::F32:
    largest = 0x1.FFFFFEp127, smallestNormal = 0x1p-126;
    break;
  default:
    largest = std::numeric_limits<double>::max();
    smallestNormal = std::numeric_limits<double>::min();
    break;
  }
  double m = std::fabs(v.f);
  if (std::isfinite(m) && (m > largest || (m != 0 && m < smallestNormal)))
    outOfRange_ = true;
  return v;
}

void Interpreter::noteTie(Val a, Val b, DType t) {
  // The unit roundoff of the comparison's dtype (FP8 operands compare in f32).
  const double u = t == DType::F16    ? 0x1p-11
                   : t == DType::BF16 ? 0x1p-8
                   : t == DType::F64  ? 0x1p-53
                                      : 0x1p-24;
  if (std::fabs(a.f - b.f) <= 16 * u * (std::fabs(a.m) + std::fabs(b.m)))
    nearTie_ = true;
}

Val Interpreter::eval(const Expr &e) { return noteRange(evalKind(e), e.type); }

Val Interpreter::evalKind(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Number: {
    // A literal carries the dtype it is used at.
    if (e.isBool)
      return convert(boolVal(e.number != 0), DType::Bool, e.type);
    if (e.isIntLiteral) { // exact: sema checked that it fits e.type
      Val v;
      v.i = e.intValue;
      return convert(v, DType::I64, e.type);
    }
    return fromDouble(e.number, e.type);
  }
  case ExprKind::Name:
    return evalName(e);
  case ExprKind::Access:
    return evalAccess(e);
  case ExprKind::Unary:
    return evalUnary(e);
  case ExprKind::Binary:
    return evalBinary(e);
  case ExprKind::Call:
    return evalCall(e);
  }
  throw std::logic_error("unknown expression kind");
}

} // namespace vibee::ref::detail
