// Expression typing: name resolution, index extents of accesses, operators, builtins
// and casts (the promotion rules they apply are in SemaPromotion.cpp).
#include "frontend/SemaInternal.h"

#include <algorithm>
#include <cmath>

namespace vibee::sema {

using namespace ast;

namespace {

TypeInfo failed() { return {DType::F32, false, false, false}; }

// Records the node's own dtype; weak nodes get the default until settled.
TypeInfo annotate(Expr &e, TypeInfo t, std::optional<DType> opType = std::nullopt) {
  e.type = t.weak ? weakDefault(t) : t.type;
  e.opType = opType ? *opType : e.type;
  return t;
}

class Checker {
public:
  explicit Checker(ExprScope &s) : s_(s), diags_(s.diags) {}

  TypeInfo check(Expr &e) {
    switch (e.kind) {
    case ExprKind::Number:
      if (e.isBool)
        return annotate(e, strong(DType::Bool));
      return annotate(e, {e.isIntLiteral ? DType::I64 : DType::F32, true, !e.isIntLiteral, true});
    case ExprKind::Name:
      return checkName(e);
    case ExprKind::Access:
      return checkAccess(e);
    case ExprKind::Unary:
      return checkUnary(e);
    case ExprKind::Binary:
      return checkBinary(e);
    case ExprKind::Call:
      return checkCall(e);
    }
    return failed();
  }

private:
  ExprScope &s_;
  DiagnosticEngine &diags_;

  bool inConst() const { return s_.kernel == nullptr; }

  // Names a constant expression or statement can see, for "did you mean" notes.
  std::vector<std::string> visibleNames() const {
    std::vector<std::string> out;
    for (int i = 0; i < s_.visibleConsts; ++i)
      out.push_back(s_.spec.consts[i].name);
    if (s_.kernel) {
      for (auto &p : s_.kernel->params)
        out.push_back(p.name);
      for (auto &r : s_.kernel->results)
        out.push_back(r.name);
      for (auto &l : s_.kernel->locals)
        out.push_back(l.name);
      for (auto &d : s_.kernel->dims)
        if (d.size < 0)
          out.push_back(d.name);
    }
    if (s_.stmt)
      for (auto &i : s_.stmt->stmt->loopIndices)
        out.push_back(i);
    return out;
  }

  void unknownName(Expr &e) {
    diags_.error(e.loc, "unknown name '" + e.name + "'");
    suggest(diags_, e.loc, e.name, visibleNames());
  }

  int findConst(const std::string &name) const {
    for (int i = 0; i < s_.visibleConsts; ++i)
      if (s_.spec.consts[i].name == name)
        return i;
    return -1;
  }

  // A tensor by name: parameter, result or a local defined by an earlier statement.
  bool findTensor(const std::string &name, NameKind &kind, int &ref, DType &dtype) {
    Kernel &k = *s_.kernel;
    for (size_t i = 0; i < k.params.size(); ++i)
      if (k.params[i].name == name && !k.params[i].type.isScalar()) {
        kind = NameKind::TensorParam, ref = (int)i, dtype = k.params[i].type.dtype;
        return true;
      }
    for (size_t i = 0; i < k.results.size(); ++i)
      if (k.results[i].name == name) {
        kind = NameKind::Result, ref = (int)i, dtype = k.results[i].type.dtype;
        return true;
      }
    for (size_t i = 0; i < k.locals.size(); ++i)
      if (k.locals[i].name == name) {
        kind = NameKind::Local, ref = (int)i, dtype = k.locals[i].dtype;
        return true;
      }
    return false;
  }

  int findSlot(const std::string &name) const {
    if (!s_.stmt)
      return -1;
    auto &idx = s_.stmt->stmt->loopIndices;
    auto it = std::find(idx.begin(), idx.end(), name);
    return it == idx.end() ? -1 : (int)(it - idx.begin());
  }

  TypeInfo checkName(Expr &e) {
    if (!inConst()) {
      Kernel &k = *s_.kernel;
      if (int slot = findSlot(e.name); slot >= 0) {
        e.nameKind = NameKind::Index, e.ref = slot;
        s_.stmt->used[slot] = true;
        return annotate(e, strong(DType::I64));
      }
      for (size_t i = 0; i < k.params.size(); ++i)
        if (k.params[i].name == e.name && k.params[i].type.isScalar()) {
          e.nameKind = NameKind::ScalarParam, e.ref = (int)i;
          return annotate(e, strong(k.params[i].type.dtype));
        }
      NameKind kind;
      int ref;
      DType dtype;
      if (findTensor(e.name, kind, ref, dtype)) {
        if (!shapeOf(k, kind, ref).empty()) {
          diags_.error(e.loc, "'" + e.name + "' is a tensor: access it with subscripts");
          return failed();
        }
        // A rank-0 tensor read by its bare name is an access without subscripts.
        e.kind = ExprKind::Access, e.nameKind = kind, e.ref = ref;
        return annotate(e, strong(dtype));
      }
    }
    if (int c = findConst(e.name); c >= 0) {
      if (s_.spec.consts[c].isTensor()) {
        diags_.error(e.loc, "'" + e.name + "' is a tensor: access it with subscripts");
        return failed();
      }
      e.nameKind = NameKind::Const, e.ref = c;
      return annotate(e, strong(s_.spec.consts[c].dtype));
    }
    if (!inConst()) {
      auto &dims = s_.kernel->dims;
      for (size_t i = 0; i < dims.size(); ++i)
        if (dims[i].size < 0 && dims[i].name == e.name) {
          e.nameKind = NameKind::Dim, e.ref = (int)i;
          return annotate(e, strong(DType::I64));
        }
    }
    unknownName(e);
    return failed();
  }

  // Binds a loop index to the extent of the tensor axis it subscripts.
  void bindIndex(int slot, int dim, const Subscript &sub, const std::string &how) {
    StmtScope &st = *s_.stmt;
    st.used[slot] = true;
    if (dim < 0)
      return;
    if (st.dim[slot] < 0) {
      st.dim[slot] = dim, st.where[slot] = sub.loc, st.how[slot] = how;
      return;
    }
    if (st.dim[slot] == dim)
      return;
    const Kernel &k = *s_.kernel;
    diags_.error(sub.loc, "dim conflict: index '" + sub.index + "' ranges over dim '" +
                              dimLabel(k, dim) + "' (" + how + ") here and over dim '" +
                              dimLabel(k, st.dim[slot]) + "' (" + st.how[slot] + ") there");
    diags_.note(st.where[slot], "index '" + sub.index + "' ranges over dim '" +
                                    dimLabel(k, st.dim[slot]) + "' here");
  }

  TypeInfo checkAccess(Expr &e) {
    if (inConst()) {
      diags_.error(e.loc, "a constant expression cannot access tensors");
      return failed();
    }
    Kernel &k = *s_.kernel;
    NameKind kind;
    int ref;
    DType dtype;
    std::vector<int> constShape;
    if (int c = findConst(e.name);
        c >= 0 && s_.spec.consts[c].isTensor() && !findTensor(e.name, kind, ref, dtype)) {
      kind = NameKind::Const, ref = c, dtype = s_.spec.consts[c].dtype;
      constShape = literalDims(*s_.kernel, s_.spec.consts[c].type);
    } else if (!findTensor(e.name, kind, ref, dtype)) {
      bool scalar = findConst(e.name) >= 0;
      for (auto &p : k.params)
        scalar |= p.name == e.name;
      if (scalar)
        diags_.error(e.loc, "'" + e.name + "' is a scalar: it takes no subscripts");
      else
        unknownName(e);
      return failed();
    }
    e.nameKind = kind, e.ref = ref;
    std::vector<int> shape = kind == NameKind::Const ? constShape : shapeOf(k, kind, ref);
    if (shape.size() != e.subscripts.size()) {
      diags_.error(e.loc, "'" + e.name + "' has rank " + std::to_string(shape.size()) +
                              " but is accessed with " + std::to_string(e.subscripts.size()) +
                              " subscripts");
      return annotate(e, {dtype, false, false, false});
    }
    bool ok = true;
    for (size_t axis = 0; axis < shape.size(); ++axis) {
      Subscript &sub = e.subscripts[axis];
      int dim = shape[axis];
      if (sub.expr) {
        ok &= checkSubscriptExpr(sub, s_, kind == NameKind::Const ? &e : nullptr,
                                 dim >= 0 ? k.dims[dim].size : 0);
        continue;
      }
      if (sub.literal) {
        int64_t size = dim >= 0 ? k.dims[dim].size : -1;
        if (*sub.literal < 0 || (size >= 0 && *sub.literal >= size)) {
          diags_.error(sub.loc, "subscript " + std::to_string(*sub.literal) +
                                    " is out of range for axis " + std::to_string(axis) + " of '" +
                                    e.name + "' (size " +
                                    (size >= 0 ? std::to_string(size) : dimLabel(k, dim)) + ")");
          ok = false;
        }
        continue;
      }
      sub.slot = findSlot(sub.index);
      if (sub.slot < 0 && asAffineName(sub, s_)) { // x[c], x[N]: affine
        ok &= checkSubscriptExpr(sub, s_);
        continue;
      }
      if (sub.slot < 0) {
        ok = false;
        auto &seen = s_.stmt->unbound; // once per statement
        if (std::find(seen.begin(), seen.end(), sub.index) != seen.end())
          continue;
        seen.push_back(sub.index);
        diags_.error(sub.loc, "index '" + sub.index + "' is not bound");
        diags_.note(sub.loc, "add 'sum(" + sub.index +
                                 ")' (or max/min/prod) to reduce over it, or use it on "
                                 "the left-hand side");
        ok = false;
        continue;
      }
      bindIndex(sub.slot, dim, sub, "axis " + std::to_string(axis) + " of '" + e.name + "'");
      if (kind != NameKind::Const)
        s_.stmt->carried[sub.slot] = true;
    }
    return annotate(e, {dtype, false, false, ok});
  }

  bool unify(Expr &at, TypeInfo a, Expr &bt, TypeInfo b, Loc loc, const std::string &op,
             TypeInfo &out) {
    return unifyOperands(at, a, bt, b, loc, op, out, diags_);
  }

  TypeInfo checkUnary(Expr &e) {
    TypeInfo a = check(*e.operands[0]);
    if (!a.ok)
      return failed();
    if (e.op == "!") {
      if (a.type != DType::Bool || a.weak) {
        diags_.error(e.loc, "'!' needs a bool operand, not " +
                                std::string(dtypeName(a.weak ? weakDefault(a) : a.type)));
        return failed();
      }
      return annotate(e, a);
    }
    if (e.op == "~") {
      if (!integerOperand(e, a))
        return failed();
      return annotate(e, a);
    }
    if (!a.weak && a.type == DType::Bool) {
      diags_.error(e.loc, "cannot use bool in arithmetic ('-')");
      return failed();
    }
    if (!a.weak && isUnsigned(a.type) && e.op == "-") { // NumPy and C wrap: a bug more often
      diags_.error(e.loc, std::string("cannot negate an unsigned value (") + dtypeName(a.type) +
                              "): write 0 - x for the wrapping negation, or cast to a signed "
                              "dtype");
      return failed();
    }
    return annotate(e, a.weak ? a : strong(arithType(a.type)));
  }

  // The operands of `~ & | ^ << >>`: integers (or integer literals), not floats or bool.
  bool integerOperand(const Expr &e, const TypeInfo &t) {
    if (t.weak ? !t.weakReal : isInteger(t.type))
      return true;
    diags_.error(e.loc, "'" + e.op + "' needs " +
                            (e.operands.size() == 1 ? "an integer operand" : "integer operands") +
                            ", not " + std::string(dtypeName(t.weak ? weakDefault(t) : t.type)));
    return false;
  }

  TypeInfo checkBinary(Expr &e) {
    Expr &l = *e.operands[0], &r = *e.operands[1];
    TypeInfo a = check(l), b = check(r);
    if (!a.ok || !b.ok)
      return failed();
    const std::string &op = e.op;
    if (inConst() && op != "+" && op != "-" && op != "*" && op != "/") {
      diags_.error(e.loc, "'" + op + "' is not allowed in a constant expression");
      return failed();
    }
    if (op == "&&" || op == "||") {
      for (TypeInfo *t : {&a, &b})
        if (t->weak || t->type != DType::Bool) {
          diags_.error(e.loc, "'" + op + "' needs bool operands");
          return failed();
        }
      return annotate(e, a);
    }
    bool bitwise = op == "&" || op == "|" || op == "^" || op == "<<" || op == ">>";
    if (bitwise && (!integerOperand(e, a) || !integerOperand(e, b)))
      return failed();
    TypeInfo common;
    if (!unify(l, a, r, b, e.loc, op, common))
      return failed();
    bool compare = op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=";
    if (compare) {
      if (common.type == DType::Bool && op != "==" && op != "!=") {
        diags_.error(e.loc, "cannot order bool values with '" + op + "'");
        return failed();
      }
      if (common.weak) { // `1 < 2`: settle both sides now; the result is a strong bool
        common = strong(weakDefault(common));
        settle(l, common.type), settle(r, common.type);
      }
      return annotate(e, strong(DType::Bool), common.type);
    }
    return annotate(e, common);
  }

  bool arity(Expr &e, size_t n) {
    if (e.operands.size() == n)
      return true;
    diags_.error(e.loc, "'" + e.name + "' takes " + std::to_string(n) + " argument" +
                            (n == 1 ? "" : "s") + " but " + std::to_string(e.operands.size()) +
                            " were given");
    return false;
  }

  // floor/ceil/round/trunc keep the operand's dtype (exact identities on integers);
  // isnan/isinf test in the operand's dtype and yield bool (false on integers).
  TypeInfo checkRoundingOrTest(Expr &e, const BuiltinInfo &info, TypeInfo a) {
    if (!a.weak && a.type == DType::Bool) {
      diags_.error(e.loc, "'" + e.name + "' needs a number, not bool");
      return failed();
    }
    if (info.kind == BuiltinKind::Rounding)
      return annotate(e, a.weak ? a : strong(arithType(a.type)));
    DType t = arithType(weakDefault(a));
    if (a.weak)
      settle(*e.operands[0], t);
    return annotate(e, strong(DType::Bool), t);
  }

  // clamp(x, lo, hi): the three operands unify as in arithmetic; the bounds first, so
  // that two literal bounds take x's dtype together.
  TypeInfo checkClamp(Expr &e, const std::vector<TypeInfo> &args) {
    TypeInfo bounds, common;
    if (!unify(*e.operands[1], args[1], *e.operands[2], args[2], e.loc, e.name, bounds) ||
        !unify(*e.operands[0], args[0], *e.operands[1], bounds, e.loc, e.name, common))
      return failed();
    if (bounds.weak && !common.weak)
      settle(*e.operands[2], common.type);
    return annotate(e, common); // unify rejects bool operands
  }

  // uniform(seed, c0[, c1, c2, c3]) / normal(...): integer operands, computed as
  // i64 (literals settle there), an f32 result (docs/language.md "Random numbers").
  TypeInfo checkRandom(Expr &e, const std::vector<TypeInfo> &args) {
    if (e.operands.size() < 2 || e.operands.size() > 5) {
      diags_.error(e.loc, "'" + e.name + "' takes a seed and 1 to 4 counters but " +
                              std::to_string(e.operands.size()) + " argument" +
                              (e.operands.size() == 1 ? " was" : "s were") + " given");
      return failed();
    }
    if (inConst()) {
      diags_.error(e.loc, "'" + e.name + "' is not allowed in a constant expression");
      return failed();
    }
    for (size_t i = 0; i < args.size(); ++i) {
      const TypeInfo &a = args[i];
      if (a.weak ? a.weakReal : !isInteger(a.type)) {
        diags_.error(e.operands[i]->loc, i ? "the counters of '" + e.name + "' must be integers"
                                           : "the seed of '" + e.name + "' must be an integer");
        return failed();
      }
      if (a.weak)
        settle(*e.operands[i], DType::I64);
    }
    return annotate(e, strong(DType::F32), DType::I64);
  }

  TypeInfo checkCall(Expr &e) {
    std::optional<Builtin> fn = lookupBuiltin(e.name);
    if (!fn) {
      diags_.error(e.loc, "unknown function '" + e.name + "'");
      suggest(diags_, e.loc, e.name, builtinNames());
      for (auto &op : e.operands)
        check(*op);
      return failed();
    }
    e.builtin = fn;
    const BuiltinInfo &info = builtinInfo(*fn);
    std::optional<DType> cast;
    if (info.kind == BuiltinKind::Cast)
      cast = dtypeFromName(info.name);
    std::vector<TypeInfo> args;
    bool ok = true;
    for (auto &op : e.operands) {
      args.push_back(check(*op));
      ok &= args.back().ok;
    }
    if (info.kind == BuiltinKind::Random)
      return ok ? checkRandom(e, args) : failed();
    if (!arity(e, (size_t)info.arity) || !ok)
      return failed();
    if (inConst() && (cast || info.kind == BuiltinKind::Select || info.kind == BuiltinKind::Test)) {
      diags_.error(e.loc, "'" + e.name + "' is not allowed in a constant expression");
      return failed();
    }
    if (cast) {
      e.castTo = cast;
      TypeInfo a = args[0];
      if (a.weak) { // `f16(0.5)`: the literal is written in the target dtype
        DType t = *cast == DType::Bool || (a.weakReal && isInteger(*cast)) ? weakDefault(a)
                                                                           : arithType(*cast);
        settle(*e.operands[0], t);
        a = strong(t);
      }
      return annotate(e, strong(*cast), a.type);
    }
    if (info.kind == BuiltinKind::Math1) {
      TypeInfo a = args[0];
      if (!a.weak && a.type == DType::Bool) {
        diags_.error(e.loc, "'" + e.name + "' needs a number, not bool");
        return failed();
      }
      if (a.weak)
        return annotate(e, {DType::F32, true, true, true});
      DType t = isFloat(a.type) ? arithType(a.type) : DType::F32; // ints promote to f32
      return annotate(e, strong(t));
    }
    if (info.kind == BuiltinKind::Rounding || info.kind == BuiltinKind::Test)
      return checkRoundingOrTest(e, info, args[0]);
    if (info.kind == BuiltinKind::Clamp)
      return checkClamp(e, args);
    if (info.kind == BuiltinKind::Select) {
      if (args[0].weak || args[0].type != DType::Bool) {
        diags_.error(e.operands[0]->loc, "the condition of 'where' must be bool");
        return failed();
      }
      TypeInfo common;
      if (!unify(*e.operands[1], args[1], *e.operands[2], args[2], e.loc, "where", common))
        return failed();
      return annotate(e, common);
    }
    // min, max, pow
    TypeInfo common;
    if (!unify(*e.operands[0], args[0], *e.operands[1], args[1], e.loc, e.name, common))
      return failed();
    if (!common.weak && common.type == DType::Bool) {
      diags_.error(e.loc, "'" + e.name + "' needs numbers, not bool");
      return failed();
    }
    if (*fn == Builtin::Pow) {
      if (common.weak)
        return annotate(e, {DType::F32, true, true, true});
      if (!isFloat(common.type)) // math on ints computes in f32 (opType converts)
        common = strong(DType::F32);
    }
    return annotate(e, common);
  }
};

} // namespace

TypeInfo checkExpr(Expr &e, ExprScope &scope) { return Checker(scope).check(e); }

std::string dimLabel(const Kernel &k, int dim) {
  if (dim < 0 || dim >= (int)k.dims.size())
    return "?";
  return k.dims[dim].name;
}

std::vector<int> shapeOf(const Kernel &k, NameKind kind, int ref) {
  std::vector<int> out;
  const TensorType *t = nullptr;
  if (kind == NameKind::TensorParam || kind == NameKind::ScalarParam)
    t = &k.params[ref].type;
  else if (kind == NameKind::Result)
    t = &k.results[ref].type;
  else if (kind == NameKind::Local)
    return k.locals[ref].dims;
  if (t)
    for (const DimSpec &d : t->dims)
      out.push_back(d.dimRef);
  return out;
}

} // namespace vibee::sema
