// The promotion rules of docs/language.md ("Promotion rules"): how two operand types
// unify, how weak (literal-only) values settle, and what may be assigned where.
#include "frontend/SemaInternal.h"

namespace vibee::sema {

using namespace ast;

namespace {

int floatRank(DType t) {
  return t == DType::F64 ? 3 : t == DType::F32 ? 2 : 1; // f16, bf16: 1
}

bool isBitOp(const Expr &e) {
  return e.op == "~" || (e.kind == ExprKind::Binary && (e.op == "&" || e.op == "|" || e.op == "^" ||
                                                        e.op == "<<" || e.op == ">>"));
}

// Two integer dtypes: the one that holds every value of both. Same signedness: the
// wider. A signed and an unsigned: the signed one if it is wider (u8 with i32 is
// i32), else none (u32 with i32, u64 with i64: each has values the other lacks, and
// C's answer, unsigned, turns -1 into 4294967295 silently).
std::optional<DType> commonInteger(DType x, DType y) {
  if (isUnsigned(x) == isUnsigned(y))
    return dtypeBytes(x) >= dtypeBytes(y) ? x : y;
  DType s = isUnsigned(x) ? y : x, u = isUnsigned(x) ? x : y;
  if (dtypeBytes(s) > dtypeBytes(u))
    return s;
  return std::nullopt;
}

} // namespace

TypeInfo strong(DType t) { return {t, false, false, true}; }

DType arithType(DType t) { return isFloat8(t) ? DType::F32 : t; }

bool unifyOperands(Expr &at, TypeInfo a, Expr &bt, TypeInfo b, Loc loc, const std::string &op,
                   TypeInfo &out, DiagnosticEngine &diags) {
  if (a.weak && b.weak) {
    out = {DType::F32, true, a.weakReal || b.weakReal, true};
    out.type = weakDefault(out);
    return true;
  }
  if (a.weak || b.weak) {
    Expr &we = a.weak ? at : bt;
    TypeInfo w = a.weak ? a : b, s = a.weak ? b : a;
    DType t = arithType(s.type);
    if (t == DType::Bool) {
      diags.error(loc, std::string("cannot use bool in arithmetic ('") + op + "')");
      return false;
    }
    if (w.weakReal && isInteger(t))
      t = DType::F32; // a real literal does not become an int; the int promotes
    settle(we, t);
    out = strong(t);
    return true;
  }
  DType x = arithType(a.type), y = arithType(b.type);
  if (x == DType::Bool || y == DType::Bool) {
    if (x == y && (op == "==" || op == "!=")) {
      out = strong(DType::Bool);
      return true;
    }
    diags.error(loc, std::string("cannot use bool in arithmetic ('") + op + "')");
    diags.note(loc, "compare it or use where(...) to turn it into a number");
    return false;
  }
  if (x == y) {
    out = strong(x);
  } else if (isFloat(x) && isFloat(y)) {
    if (floatRank(x) == 1 && floatRank(y) == 1) {
      diags.error(loc, std::string("cannot mix f16 and bf16 in '") + op + "': cast one of them");
      return false;
    }
    out = strong(floatRank(x) >= floatRank(y) ? x : y);
  } else if (isFloat(x) || isFloat(y)) {
    out = strong(isFloat(x) ? x : y);
  } else if (std::optional<DType> common = commonInteger(x, y)) {
    out = strong(*common);
  } else {
    diags.error(loc, std::string("cannot mix ") + dtypeName(x) + " and " + dtypeName(y) + " in '" +
                         op + "': cast one of them");
    diags.note(loc, "no integer dtype holds every value of both; a wider signed one does for "
                    "u8, u16 and u32 (i64(...))");
    return false;
  }
  return true;
}

DType weakDefault(const TypeInfo &t) {
  if (!t.weak)
    return t.type;
  return t.weakReal ? DType::F32 : DType::I64;
}

void settle(Expr &e, DType t) {
  t = isFloat(t) && isBitOp(e) ? DType::I64 : t; // literal bit ops stay i64 (fuzzer, fa4a40e)
  if (e.kind == ExprKind::Call && e.builtin == Builtin::Where) {
    settle(*e.operands[1], t), settle(*e.operands[2], t);
  } else {
    for (auto &op : e.operands)
      settle(*op, t);
  }
  e.type = e.opType = t;
}

bool checkAssign(Expr &e, const TypeInfo &t, DType target, Loc loc, const std::string &what,
                 DiagnosticEngine &diags) {
  if (!t.ok)
    return false;
  if (t.weak) {
    if (target == DType::Bool || (t.weakReal && isInteger(target)) ||
        (isFloat(target) && isBitOp(e))) {
      diags.error(loc, std::string("cannot assign ") + dtypeName(weakDefault(t)) + " value to " +
                           dtypeName(target) + " " + what);
      return false;
    }
    settle(e, target);
    return true;
  }
  if (t.type == target)
    return true;
  diags.error(loc, std::string("cannot assign ") + dtypeName(t.type) + " value to " +
                       dtypeName(target) + " " + what + ": write " + dtypeName(target) + "(...)");
  return false;
}

} // namespace vibee::sema
