// Constant tensors indexed by a computed code (docs/language.md, "Constant tensors"):
// `nf4[(w[n, k / 2] >> 4 * (k % 2)) & 15]` looks a 4-bit code up in QLoRA's table.
// The table is compiled into the code (no memory on any target), so there is no
// run-time check to make: sema proves from the dtypes and the operators that every
// value the code can take lies inside the table's axis, or the read is an error
// that says which values escape. The proof is an interval per subexpression,
// following the language's integer semantics (wrapping `+ - * ~ <<`, C's truncating
// `/` and `%`, arithmetic `>>`).
#include "frontend/SemaInternal.h"

#include <algorithm>

namespace vibee::sema {

using namespace ast;

namespace {

using Wide = __int128; // holds every value of every integer dtype, and their sums

struct Interval {
  Wide lo, hi;
};

int bitWidth(DType t) {
  switch (t) {
  case DType::I64:
  case DType::U64:
    return 64;
  case DType::I32:
  case DType::U32:
    return 32;
  case DType::U16:
    return 16;
  case DType::I8:
  case DType::U8:
    return 8;
  default:
    return 1;
  }
}

Interval dtypeRange(DType t) {
  if (t == DType::Bool)
    return {0, 1};
  int w = bitWidth(t);
  if (isUnsigned(t))
    return {0, (Wide(1) << w) - 1};
  return {-(Wide(1) << (w - 1)), (Wide(1) << (w - 1)) - 1};
}

// `r` if the dtype holds it, else every value of the dtype (the operation wrapped).
Interval fit(Interval r, DType t) {
  Interval all = dtypeRange(t);
  if (r.lo < all.lo || r.hi > all.hi)
    return all;
  return r;
}

// Products of such bounds stay inside Wide.
bool small(Interval r) {
  const Wide limit = Wide(1) << 62;
  return r.lo > -limit && r.hi < limit;
}

Interval hull(std::initializer_list<Wide> values) { return {std::min(values), std::max(values)}; }

// The smallest all-ones value at least `v` (v >= 0): the bound of `a | b`, `a ^ b`.
Wide allOnesAbove(Wide v) {
  Wide ones = 0;
  while (ones < v)
    ones = ones * 2 + 1;
  return ones;
}

class CodeRange {
public:
  explicit CodeRange(const Spec &spec) : spec_(spec) {}

  Interval of(const Expr &e) {
    DType t = isInteger(e.type) || e.type == DType::Bool ? e.type : DType::I64;
    switch (e.kind) {
    case ExprKind::Number:
      if (e.isBool)
        return {e.number != 0, e.number != 0};
      return e.isIntLiteral ? Interval{e.intValue, e.intValue} : dtypeRange(t);
    case ExprKind::Name: // a folded integer constant is its value
      if (e.nameKind == NameKind::Const && e.ref >= 0 && isInteger(spec_.consts[e.ref].dtype))
        return fit({spec_.consts[e.ref].foldedInt, spec_.consts[e.ref].foldedInt}, t);
      return dtypeRange(t);
    case ExprKind::Unary:
      return unary(e, t);
    case ExprKind::Binary:
      return binary(e, t);
    case ExprKind::Call:
      return call(e, t);
    default: // a read: its dtype says what it can hold
      return dtypeRange(t);
    }
  }

private:
  Interval unary(const Expr &e, DType t) {
    Interval a = of(*e.operands[0]);
    if (e.op == "-")
      return fit({-a.hi, -a.lo}, t);
    if (e.op == "~")
      return isUnsigned(t) ? fit({dtypeRange(t).hi - a.hi, dtypeRange(t).hi - a.lo}, t)
                           : fit({-a.hi - 1, -a.lo - 1}, t);
    return dtypeRange(t);
  }

  Interval binary(const Expr &e, DType t) {
    if (t == DType::Bool) // comparisons and logic
      return {0, 1};
    Interval a = of(*e.operands[0]), b = of(*e.operands[1]);
    const std::string &op = e.op;
    if (op == "+")
      return fit({a.lo + b.lo, a.hi + b.hi}, t);
    if (op == "-")
      return fit({a.lo - b.hi, a.hi - b.lo}, t);
    if (op == "*" && small(a) && small(b))
      return fit(hull({a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi}), t);
    if (op == "&") { // a non-negative operand bounds the result from both sides
      if (a.lo >= 0 && b.lo >= 0)
        return {0, std::min(a.hi, b.hi)};
      if (a.lo >= 0 || b.lo >= 0)
        return {0, a.lo >= 0 ? a.hi : b.hi};
      return dtypeRange(t);
    }
    if ((op == "|" || op == "^") && a.lo >= 0 && b.lo >= 0)
      return {0, allOnesAbove(std::max(a.hi, b.hi))};
    int width = bitWidth(t);
    if (op == ">>" && b.lo >= 0 && b.hi < width) // floor(a / 2^b): monotone in both
      return hull({a.lo >> (int)b.lo, a.lo >> (int)b.hi, a.hi >> (int)b.lo, a.hi >> (int)b.hi});
    if (op == "<<" && a.lo >= 0 && b.lo >= 0 && b.hi < width && small(a) && b.hi < 62)
      return fit({a.lo << (int)b.lo, a.hi << (int)b.hi}, t);
    if (op == "/" && (b.lo > 0 || b.hi < 0)) // truncating, by a divisor that is never 0
      return fit(hull({a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi}), t);
    if (op == "%" && (b.lo > 0 || b.hi < 0)) { // the sign of the dividend, |r| < |b|
      Wide most = std::max(b.hi < 0 ? -b.lo : b.hi, Wide(1)) - 1;
      return {a.lo < 0 ? std::max(-most, a.lo) : 0, a.hi > 0 ? std::min(most, a.hi) : 0};
    }
    return dtypeRange(t);
  }

  Interval call(const Expr &e, DType t) {
    if (!e.builtin)
      return dtypeRange(t);
    auto arg = [&](size_t i) { return of(*e.operands[i]); };
    switch (*e.builtin) {
    case Builtin::Min: {
      Interval a = arg(0), b = arg(1);
      return {std::min(a.lo, b.lo), std::min(a.hi, b.hi)};
    }
    case Builtin::Max: {
      Interval a = arg(0), b = arg(1);
      return {std::max(a.lo, b.lo), std::max(a.hi, b.hi)};
    }
    case Builtin::Clamp: { // min(max(x, lo), hi)
      Interval x = arg(0), lo = arg(1), hi = arg(2);
      Interval raised{std::max(x.lo, lo.lo), std::max(x.hi, lo.hi)};
      return {std::min(raised.lo, hi.lo), std::min(raised.hi, hi.hi)};
    }
    case Builtin::Where: {
      Interval a = arg(1), b = arg(2);
      return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
    }
    case Builtin::Abs: {
      Interval a = arg(0);
      Wide top = std::max(a.hi < 0 ? -a.lo : a.hi, a.lo < 0 ? -a.lo : Wide(0));
      return fit({a.lo >= 0 ? a.lo : a.hi <= 0 ? -a.hi : 0, top}, t);
    }
    default:
      break;
    }
    // An integer cast keeps an integer operand's values when the target holds them.
    if (e.castTo && !e.operands.empty() && e.operands[0] &&
        (isInteger(e.operands[0]->type) || e.operands[0]->type == DType::Bool))
      return fit(arg(0), t);
    return dtypeRange(t);
  }

  const Spec &spec_;
};

std::string text(Wide v) {
  if (v < 0)
    return "-" + text(-v);
  std::string s;
  do {
    s.insert(s.begin(), char('0' + (int)(v % 10)));
    v /= 10;
  } while (v > 0);
  return s;
}

} // namespace

bool isAffineCandidate(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Number:
  case ExprKind::Name:
    return true;
  case ExprKind::Unary:
    return e.op == "-" && isAffineCandidate(*e.operands[0]);
  case ExprKind::Binary:
    return (e.op == "+" || e.op == "-" || e.op == "*" || e.op == "/" || e.op == "%") &&
           isAffineCandidate(*e.operands[0]) && isAffineCandidate(*e.operands[1]);
  default:
    return false;
  }
}

bool checkTableCode(Subscript &sub, ExprScope &scope, const Expr &table, int64_t axisSize) {
  Expr &e = *sub.expr;
  TypeInfo t = checkExpr(e, scope);
  if (!t.ok)
    return false;
  if (t.weak ? t.weakReal : !isInteger(t.type)) {
    scope.diags.error(sub.loc, "a subscript of constant tensor '" + table.name +
                                   "' must be an integer, but this is " +
                                   dtypeName(t.weak ? DType::F32 : t.type));
    return false;
  }
  if (t.weak) // a code of literals alone (`nf4[3 & 1]`) computes in i64
    settle(e, DType::I64);
  if (!checkLiteralRanges(e, scope.diags))
    return false;
  Interval r = CodeRange(scope.spec).of(e);
  if (r.lo < 0 || r.hi >= axisSize) {
    scope.diags.error(sub.loc, "this subscript of constant tensor '" + table.name +
                                   "' can take values in [" + text(r.lo) + ", " + text(r.hi) +
                                   "], outside its axis of size " + std::to_string(axisSize));
    scope.diags.note(sub.loc, "keep the code inside the table: mask it ('& " +
                                  std::to_string(axisSize - 1) +
                                  "' for a power-of-two size) or "
                                  "clamp it ('clamp(code, 0, " +
                                  std::to_string(axisSize - 1) + ")')");
    return false;
  }
  sub.code = true;
  return true;
}

} // namespace vibee::sema
