// Folding of constant expressions (consts, scalar parameter defaults) and the range
// check of integer literals. Integers fold exactly in int64 with checked arithmetic:
// a constant that divides by zero (integer or float) or overflows its dtype is an
// error at the operator, never a silently wrapped or infinite value
// (docs/language.md, "Constants").
#include "frontend/FloatToInt.h"
#include "frontend/SemaInternal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace vibee::sema {

using namespace ast;

namespace {

bool fits(int64_t v, DType t) {
  switch (t) {
  case DType::I8:
    return v >= INT8_MIN && v <= INT8_MAX;
  case DType::I32:
    return v >= INT32_MIN && v <= INT32_MAX;
  case DType::Bool:
    return v == 0 || v == 1;
  case DType::I64:
    return true;
  case DType::U8:
    return v >= 0 && v <= UINT8_MAX;
  case DType::U16:
    return v >= 0 && v <= UINT16_MAX;
  case DType::U32:
    return v >= 0 && v <= UINT32_MAX;
  case DType::U64: // folded in int64 (a literal is at most INT64_MAX)
    return v >= 0;
  case DType::F64:
  case DType::F32:
  case DType::F16:
  case DType::BF16:
  case DType::F8E4M3:
  case DType::F8E5M2:
    return true;
  }
  return true;
}

std::string rangeOf(DType t) {
  switch (t) {
  case DType::I8:
    return "-128 to 127";
  case DType::I32:
    return "-2147483648 to 2147483647";
  case DType::U8:
    return "0 to 255";
  case DType::U16:
    return "0 to 65535";
  case DType::U32:
    return "0 to 4294967295";
  case DType::U64:
    return "0 to 18446744073709551615";
  default:
    return "-9223372036854775808 to 9223372036854775807";
  }
}

Folded convert(Folded v, DType from, DType to) {
  if (isFloat(from) && !isFloat(to))
    v.i = to == DType::Bool ? v.f != 0 : truncToInt64(v.f);
  else if (!isFloat(from) && isFloat(to))
    v.f = static_cast<double>(v.i);
  return v;
}

class Folder {
public:
  Folder(const Spec &spec, DiagnosticEngine &diags) : spec_(spec), diags_(diags) {}

  // The value of `e` in e.type; nullopt after an error (reported once).
  std::optional<Folded> fold(const Expr &e) {
    switch (e.kind) {
    case ExprKind::Number: {
      Folded v;
      if (e.isBool)
        v.i = e.number != 0;
      else if (e.isIntLiteral && !isFloat(e.type))
        v.i = e.intValue;
      else
        v.f = e.isIntLiteral ? static_cast<double>(e.intValue) : e.number;
      return v;
    }
    case ExprKind::Name: {
      if (e.nameKind != NameKind::Const || e.ref < 0)
        return Folded{};
      const Const &c = spec_.consts[e.ref];
      return convert({c.folded, c.foldedInt}, c.dtype, e.type);
    }
    case ExprKind::Unary: {
      auto x = operand(e, 0);
      if (!x)
        return std::nullopt;
      if (e.op == "!")
        x->i = !x->i;
      else if (isFloat(e.opType))
        x->f = -x->f;
      else if (x->i == std::numeric_limits<int64_t>::min() || !fits(-x->i, e.opType))
        return overflow(e, "-(" + std::to_string(x->i) + ")");
      else
        x->i = -x->i;
      return convert(*x, e.opType, e.type);
    }
    case ExprKind::Binary:
      return binary(e);
    case ExprKind::Call:
      return call(e);
    case ExprKind::Access:
      return Folded{};
    }
    return Folded{};
  }

private:
  const Spec &spec_;
  DiagnosticEngine &diags_;

  std::optional<Folded> operand(const Expr &e, size_t i) {
    if (i >= e.operands.size())
      return Folded{};
    const Expr &op = *e.operands[i];
    auto v = fold(op);
    if (!v)
      return std::nullopt;
    return convert(*v, op.type, e.opType);
  }

  std::optional<Folded> overflow(const Expr &e, const std::string &what) {
    diags_.error(e.loc, "integer overflow in a constant expression: " + what + " does not fit " +
                            dtypeName(e.opType) + " (" +
                            (e.opType == DType::U64 ? "0 to 9223372036854775807: constants fold "
                                                      "in int64"
                                                    : rangeOf(e.opType)) +
                            ")");
    return std::nullopt;
  }

  // A float constant is a number: an operation whose result is an infinity or NaN
  // (exp(1000), log(-1), 1e300 * 1e300) is an error at the operator or call.
  bool finite(const Expr &e, double v) {
    if (std::isfinite(v))
      return true;
    diags_.error(e.loc, std::string("constant expression is not a finite number (") +
                            (std::isnan(v) ? "nan"
                             : v > 0       ? "inf"
                                           : "-inf") +
                            ")");
    return false;
  }

  std::optional<Folded> binary(const Expr &e) {
    auto a = operand(e, 0), b = operand(e, 1);
    if (!a || !b)
      return std::nullopt;
    const std::string &op = e.op;
    Folded r;
    if (op == "/" && (isFloat(e.opType) ? b->f == 0 : b->i == 0)) {
      diags_.error(e.loc, "division by zero in a constant expression");
      return std::nullopt;
    }
    if (isFloat(e.opType)) {
      r.f = op == "+"   ? a->f + b->f
            : op == "-" ? a->f - b->f
            : op == "*" ? a->f * b->f
                        : a->f / b->f;
      if (!finite(e, r.f))
        return std::nullopt;
      return convert(r, e.opType, e.type);
    }
    bool over = false;
    if (op == "+")
      over = __builtin_add_overflow(a->i, b->i, &r.i);
    else if (op == "-")
      over = __builtin_sub_overflow(a->i, b->i, &r.i);
    else if (op == "*")
      over = __builtin_mul_overflow(a->i, b->i, &r.i);
    else if (a->i == std::numeric_limits<int64_t>::min() && b->i == -1)
      over = true;
    else
      r.i = a->i / b->i; // truncates toward zero
    if (over || !fits(r.i, e.opType))
      return overflow(e, std::to_string(a->i) + " " + op + " " + std::to_string(b->i));
    return convert(r, e.opType, e.type);
  }

  std::optional<Folded> call(const Expr &e) {
    auto a = operand(e, 0);
    auto b = e.operands.size() > 1 ? operand(e, 1) : Folded{};
    if (!a || !b || !e.builtin)
      return std::nullopt;
    bool fl = isFloat(e.opType);
    double x = a->f, y = b->f;
    Folded r;
    switch (*e.builtin) {
    case Builtin::Exp:
      r.f = std::exp(x);
      break;
    case Builtin::Log:
      r.f = std::log(x);
      break;
    case Builtin::Sqrt:
      r.f = std::sqrt(x);
      break;
    case Builtin::Rsqrt:
      r.f = 1 / std::sqrt(x);
      break;
    case Builtin::Tanh:
      r.f = std::tanh(x);
      break;
    case Builtin::Sigmoid:
      r.f = 1 / (1 + std::exp(-x));
      break;
    case Builtin::Abs:
      r.f = std::fabs(x);
      break;
    case Builtin::Sign:
      r.f = std::isnan(x) ? x : x > 0 ? 1 : x < 0 ? -1 : 0;
      break;
    case Builtin::Min:
      if (fl)
        r.f = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
      else
        r.i = std::min(a->i, b->i);
      break;
    case Builtin::Max:
      if (fl)
        r.f = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
      else
        r.i = std::max(a->i, b->i);
      break;
    case Builtin::Pow:
      r.f = std::pow(x, y);
      break;
    case Builtin::Sin:
      r.f = std::sin(x);
      break;
    case Builtin::Cos:
      r.f = std::cos(x);
      break;
    case Builtin::Erf:
      r.f = std::erf(x);
      break;
    case Builtin::Log1p:
      r.f = std::log1p(x);
      break;
    case Builtin::Expm1:
      r.f = std::expm1(x);
      break;
    case Builtin::Floor:
    case Builtin::Ceil:
    case Builtin::Round:
    case Builtin::Trunc:
      if (fl)
        r.f = roundAs(*e.builtin, x);
      else
        r.i = a->i;
      break;
    case Builtin::Clamp: {
      auto c = operand(e, 2);
      if (!c)
        return std::nullopt;
      if (fl)
        r.f = std::isnan(x) || std::isnan(y) || std::isnan(c->f) ? NAN
                                                                 : std::min(std::max(x, y), c->f);
      else
        r.i = std::min(std::max(a->i, b->i), c->i);
      break;
    }
    // Not allowed in a constant expression (sema reports them before folding).
    case Builtin::Where:
    case Builtin::Uniform:
    case Builtin::Normal:
    case Builtin::IsNan:
    case Builtin::IsInf:
    case Builtin::CastF64:
    case Builtin::CastF32:
    case Builtin::CastF16:
    case Builtin::CastBF16:
    case Builtin::CastF8E4M3:
    case Builtin::CastF8E5M2:
    case Builtin::CastI64:
    case Builtin::CastI32:
    case Builtin::CastI8:
    case Builtin::CastU64:
    case Builtin::CastU32:
    case Builtin::CastU16:
    case Builtin::CastU8:
    case Builtin::CastBool:
      return std::nullopt;
    }
    if (fl && !finite(e, r.f))
      return std::nullopt;
    return convert(r, e.opType, e.type);
  }
};

void literalRangeError(int64_t value, DType t, Loc loc, DiagnosticEngine &diags) {
  diags.error(loc, "integer literal " + std::to_string(value) + " does not fit " + dtypeName(t) +
                       " (" + rangeOf(t) + ")");
}

} // namespace

bool checkFoldedRange(double v, DType t, Loc loc, const std::string &what,
                      DiagnosticEngine &diags) {
  const char *maxText = t == DType::F32      ? "3.40282347e+38"
                        : t == DType::F16    ? "65504"
                        : t == DType::BF16   ? "3.38953139e+38"
                        : t == DType::F8E4M3 ? "448"
                        : t == DType::F8E5M2 ? "57344"
                                             : nullptr;
  double max = t == DType::F32      ? 3.4028234663852886e38
               : t == DType::F16    ? 65504.0
               : t == DType::BF16   ? 3.3895313892515355e38
               : t == DType::F8E4M3 ? 448.0
                                    : 57344.0;
  if (!maxText || std::fabs(v) <= max)
    return true;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  diags.error(loc,
              what + " is " + buf + ", beyond the largest " + dtypeName(t) + " (" + maxText + ")");
  return false;
}

std::optional<Folded> foldConst(const Expr &e, const Spec &spec, DiagnosticEngine &diags) {
  return Folder(spec, diags).fold(e);
}

bool checkLiteralRanges(const Expr &e, DiagnosticEngine &diags) {
  // `-128` as an i8 is the literal 128 negated: check the negated value.
  if (e.kind == ExprKind::Unary && e.op == "-" && isInteger(e.type) &&
      e.operands[0]->kind == ExprKind::Number && e.operands[0]->isIntLiteral) {
    if (fits(-e.operands[0]->intValue, e.type))
      return true;
    literalRangeError(-e.operands[0]->intValue, e.type, e.loc, diags);
    return false;
  }
  if (e.kind == ExprKind::Number && e.isIntLiteral && isInteger(e.type) &&
      !fits(e.intValue, e.type)) {
    literalRangeError(e.intValue, e.type, e.loc, diags);
    return false;
  }
  bool ok = true;
  for (const Subscript &s : e.subscripts)
    if (s.code)
      ok &= checkLiteralRanges(*s.expr, diags);
  for (const ExprPtr &op : e.operands)
    ok &= checkLiteralRanges(*op, diags);
  return ok;
}

} // namespace vibee::sema
