#include "tools/vibee-lsp-server/SpecIndex.h"

#include "frontend/Builtins.h"

#include <map>
#include <sstream>

namespace vibee::lsp {

using namespace vibee::ast;

namespace {

std::string dimsText(const TensorType &type) {
  std::string s = dtypeName(type.dtype);
  if (type.isScalar())
    return s;
  s += "[";
  for (size_t i = 0; i < type.dims.size(); ++i) {
    const DimSpec &d = type.dims[i];
    s += (i ? ", " : "") + (d.symbol.empty() ? std::to_string(d.size) : d.symbol);
  }
  return s + "]";
}

std::string code(const std::string &text) { return "`" + text + "`"; }

std::string numberText(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

std::string signature(const Kernel &k) {
  std::string s = "kernel " + k.name + "(";
  for (size_t i = 0; i < k.params.size(); ++i) {
    const Param &p = k.params[i];
    s += (i ? ", " : "") + p.name + ": " + (p.mode == ParamMode::InOut ? "inout " : "") +
         dimsText(p.type);
  }
  s += ")";
  if (!k.results.empty()) {
    s += " -> ";
    bool many = k.results.size() > 1;
    s += many ? "(" : "";
    for (size_t i = 0; i < k.results.size(); ++i)
      s += (i ? ", " : "") + k.results[i].name + ": " + dimsText(k.results[i].type);
    s += many ? ")" : "";
  }
  return s;
}

std::string valueShape(const Value &v) {
  switch (v.kind) {
  case Value::Scalar:
    return "a scalar, " + numberText(v.data.empty() ? 0 : v.data[0]);
  case Value::NameRef:
    return "the value of " + code(v.name);
  case Value::Literal:
  case Value::Zeros:
  case Value::Ones:
  case Value::Rand: {
    std::string s = "shape [";
    for (size_t i = 0; i < v.shape.size(); ++i)
      s += (i ? ", " : "") + std::to_string(v.shape[i]);
    return s + "]";
  }
  }
  return "";
}

// A call of a builtin: what it computes and, after sema, in which dtype.
std::string builtinHover(const Expr &call, bool checked) {
  std::optional<Builtin> builtin = lookupBuiltin(call.name);
  if (!builtin)
    return "";
  const BuiltinInfo &info = builtinInfo(*builtin);
  static const char *const params[] = {"", "(x)", "(a, b)", "(c, a, b)"};
  const bool isClamp = info.kind == BuiltinKind::Clamp;
  const bool isRandom = info.kind == BuiltinKind::Random;
  std::string hover = code(call.name + (isClamp    ? "(x, lo, hi)"
                                        : isRandom ? "(seed, c0[, c1, c2, c3])"
                                        : info.arity >= 1 && info.arity <= 3 ? params[info.arity]
                                                                             : "(...)"));
  switch (info.kind) {
  case BuiltinKind::Math1:
    hover += " — builtin, elementwise float math";
    break;
  case BuiltinKind::Math2:
    hover += " — builtin, binary math";
    break;
  case BuiltinKind::Rounding:
    hover += " — builtin, rounding to an integral value (integers unchanged)";
    break;
  case BuiltinKind::Test:
    hover += " — builtin, float class test (bool)";
    break;
  case BuiltinKind::Clamp:
    hover += " — builtin: `min(max(x, lo), hi)`";
    break;
  case BuiltinKind::Select:
    hover += " — builtin: `a` where `c` is true, else `b`";
    break;
  case BuiltinKind::Random:
    hover += " — builtin, Philox 4x32-10 random number (f32) from a seed and counters "
             "(docs/language.md, \"Random numbers\")";
    break;
  case BuiltinKind::Cast:
    hover += " — explicit cast to " + code(call.name) +
             " (docs/language.md, \"Integer division and conversions\")";
    break;
  }
  if (checked)
    hover += "; here " + std::string(dtypeName(call.opType)) + " -> " + dtypeName(call.type);
  return hover;
}

} // namespace

// One pass over the AST with the spec's scopes: spec (constants, kernels), kernel
// (parameters, results, dims, locals), statement (loop indices), behavior (givens).
class IndexBuilder {
public:
  IndexBuilder(const Spec &spec, bool checked) : spec_(spec), checked_(checked) {}

  SpecIndex run() {
    for (const Const &c : spec_.consts) {
      std::string hover = code("const " + c.name + ": " + dtypeName(c.dtype) + " = " +
                               (checked_ ? numberText(c.folded) : std::string("...")));
      spec_scope_[c.name] = define(Symbol::Const, c.name, c.loc, hover);
      expr(c.value.get(), {}, nullptr);
      for (const ExprPtr &e : c.elements)
        expr(e.get(), {}, nullptr);
    }
    for (const Kernel &k : spec_.kernels)
      kernel_scope_[k.name] = define(Symbol::Kernel, k.name, k.loc, code(signature(k)));
    for (size_t i = 0; i < spec_.kernels.size(); ++i)
      kernel(spec_.kernels[i]);
    for (const Behavior &b : spec_.behaviors)
      behavior(b);
    return std::move(index_);
  }

private:
  using Scope = std::map<std::string, int>;

  int define(Symbol::Kind kind, const std::string &name, Loc loc, std::string hover) {
    index_.symbols_.push_back({kind, name, loc, std::move(hover)});
    int id = (int)index_.symbols_.size() - 1;
    use(id, loc, name);
    return id;
  }
  void use(int symbol, Loc loc, const std::string &name) {
    if (symbol >= 0 && loc.line > 0)
      index_.occurrences_.push_back({loc, (int)name.size(), symbol});
  }
  static int lookup(const Scope &scope, const std::string &name) {
    auto it = scope.find(name);
    return it == scope.end() ? -1 : it->second;
  }

  void kernel(const Kernel &k) {
    Scope scope;
    std::string of = " of kernel " + code(k.name);
    auto dims = [&](const TensorType &type) {
      for (const DimSpec &d : type.dims) {
        if (d.symbol.empty())
          continue;
        int id = lookup(scope, d.symbol);
        if (id < 0)
          scope[d.symbol] = define(Symbol::Dim, d.symbol, d.loc, dimHover(k, d.symbol));
        else
          use(id, d.loc, d.symbol);
      }
    };
    for (const Param &p : k.params) {
      dims(p.type);
      std::string hover =
          code(p.name + ": " + (p.mode == ParamMode::InOut ? "inout " : "") + dimsText(p.type)) +
          " — parameter" + of;
      if (p.defaultValue)
        hover += ", default " + (checked_ ? numberText(p.defaultFolded) : std::string("given"));
      scope[p.name] = define(Symbol::Param, p.name, p.loc, hover);
      expr(p.defaultValue.get(), {}, nullptr);
    }
    for (const Result &r : k.results) {
      dims(r.type);
      std::string hover = code(r.name + ": " + dimsText(r.type)) + " — result" + of;
      scope[r.name] = define(Symbol::Result, r.name, r.loc, hover);
    }
    if (k.schedule)
      for (const ScheduleEntry &e : k.schedule->entries)
        for (const ScheduleArg &a : e.args)
          if (!a.name.empty())
            use(lookup(scope, a.name), a.loc, a.name);
    for (const Statement &st : k.body)
      statement(k, st, scope);
  }

  std::string dimHover(const Kernel &k, const std::string &name) {
    std::string hover = code(name) + " — dimension of kernel " + code(k.name) +
                        ", a size the arguments bind at each call";
    if (!checked_)
      return hover;
    for (const Dim &d : k.dims) {
      if (d.name != name || d.carrierRef < 0)
        continue;
      const std::string &carrier =
          d.fromResult ? k.results[d.carrierRef].name : k.params[d.carrierRef].name;
      hover += " (axis " + std::to_string(d.carrierAxis) + " of " + code(carrier) + ")";
    }
    return hover;
  }

  void statement(const Kernel &k, const Statement &st, Scope &scope) {
    Scope indices;
    auto index = [&](const Subscript &s, const char *role) {
      if (s.literal || s.index.empty())
        return;
      int id = lookup(indices, s.index);
      if (id >= 0) {
        use(id, s.loc, s.index);
        return;
      }
      std::string hover = code(s.index) + " — " + role + " index of " + code(st.sourceText);
      hover += indexExtent(k, st, s.index);
      indices[s.index] = define(Symbol::Index, s.index, s.loc, hover);
    };
    for (const Subscript &s : st.lhs)
      index(s, "output");
    for (const Subscript &s : st.reduceIndices)
      index(s, (std::string(reduceKindName(st.reduce)) + "-reduced").c_str());
    int target = lookup(scope, st.target);
    if (target < 0) {
      target = define(Symbol::Local, st.target, st.targetLoc, localHover(k, st.target));
      scope[st.target] = target;
    } else {
      use(target, st.targetLoc, st.target);
    }
    expr(st.rhs.get(), indices, &scope);
  }

  std::string indexExtent(const Kernel &k, const Statement &st, const std::string &name) {
    if (!checked_)
      return "";
    for (size_t i = 0; i < st.loopIndices.size() && i < st.loopDims.size(); ++i)
      if (st.loopIndices[i] == name && st.loopDims[i] >= 0)
        return ", over " + code("0 <= " + name + " < " + k.dims[st.loopDims[i]].name);
    return "";
  }

  std::string localHover(const Kernel &k, const std::string &name) {
    std::string of = " — local of kernel " + code(k.name);
    if (checked_)
      for (const Local &l : k.locals) {
        if (l.name != name)
          continue;
        std::string type = dtypeName(l.dtype);
        if (!l.dims.empty()) {
          type += "[";
          for (size_t i = 0; i < l.dims.size(); ++i)
            type += (i ? ", " : "") + k.dims[l.dims[i]].name;
          type += "]";
        }
        return code(name + ": " + type) + of;
      }
    return code(name) + of;
  }

  // Names in an expression: a statement's indices first, then the kernel's names,
  // then the spec's constants (sema's lookup order).
  void expr(const Expr *e, const Scope &indices, const Scope *kernelScope) {
    if (!e)
      return;
    if (e->kind == ExprKind::Name || e->kind == ExprKind::Access) {
      int id = lookup(indices, e->name);
      if (id < 0 && kernelScope)
        id = lookup(*kernelScope, e->name);
      if (id < 0)
        id = lookup(spec_scope_, e->name);
      use(id, e->loc, e->name);
      // A subscript written as an expression (`x[N - 1 - i]`, a gather `t[ids[s]]`,
      // a table's code `nf4[w[n] & 15]`) holds names of its own.
      for (const Subscript &s : e->subscripts)
        if (s.expr)
          expr(s.expr.get(), indices, kernelScope);
        else if (!s.literal)
          use(lookup(indices, s.index), s.loc, s.index);
    }
    if (e->kind == ExprKind::Call) {
      std::string hover = builtinHover(*e, checked_);
      if (!hover.empty()) {
        index_.symbols_.push_back({Symbol::Builtin, e->name, Loc{}, std::move(hover)});
        use((int)index_.symbols_.size() - 1, e->loc, e->name);
      }
    }
    for (const ExprPtr &op : e->operands)
      expr(op.get(), indices, kernelScope);
  }

  void behavior(const Behavior &b) {
    Scope givens;
    for (const Binding &g : b.given) {
      if (g.value.kind == Value::NameRef)
        use(lookup(givens, g.value.name), g.value.loc, g.value.name);
      givens[g.name] =
          define(Symbol::Given, g.name, g.loc,
                 code(g.name) + " — given of behavior \"" + b.title + "\", " + valueShape(g.value));
    }
    use(lookup(kernel_scope_, b.when.kernel), b.when.loc, b.when.kernel);
    const Kernel *k = spec_.findKernel(b.when.kernel);
    for (const Binding &p : b.when.positional)
      use(lookup(givens, p.name), p.loc, p.name);
    for (const Binding &n : b.when.named) {
      use(paramSymbol(k, n.name, false), n.loc, n.name);
      if (n.value.kind == Value::NameRef)
        use(lookup(givens, n.value.name), n.value.loc, n.value.name);
    }
    for (const Expectation &t : b.then) {
      int id = paramSymbol(k, t.name, true);
      use(id >= 0 ? id : lookup(givens, t.name), t.loc, t.name);
    }
  }

  // The symbol of kernel k's parameter (or result) `name`: the first symbol
  // defined at its declaration.
  int paramSymbol(const Kernel *k, const std::string &name, bool result) {
    if (!k)
      return -1;
    Loc loc;
    if (result) {
      for (const Result &r : k->results)
        if (r.name == name)
          loc = r.loc;
    } else {
      for (const Param &p : k->params)
        if (p.name == name)
          loc = p.loc;
    }
    for (size_t i = 0; i < index_.symbols_.size(); ++i) {
      const Symbol &s = index_.symbols_[i];
      if (s.name == name && s.loc.line == loc.line && s.loc.col == loc.col &&
          (s.kind == Symbol::Param || s.kind == Symbol::Result))
        return (int)i;
    }
    return -1;
  }

  const Spec &spec_;
  bool checked_;
  SpecIndex index_;
  Scope spec_scope_;   // constants
  Scope kernel_scope_; // kernels
};

SpecIndex SpecIndex::build(const Spec &spec, bool checked) {
  return IndexBuilder(spec, checked).run();
}

const Occurrence *SpecIndex::at(int line, int col) const {
  for (const Occurrence &o : occurrences_)
    if (o.loc.line == line && col >= o.loc.col && col < o.loc.col + o.length)
      return &o;
  return nullptr;
}

} // namespace vibee::lsp
