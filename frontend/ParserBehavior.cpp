// Behaviors and their values: the `given`, `when` and `then` clauses, literal lists,
// zeros/ones/rand(...) and signed numbers.
#include "frontend/ParserInternal.h"

namespace vibee::parser {

Behavior BehaviorBuilder::build(G::BehaviorContext *ctx) {
  Behavior b;
  b.loc = locOf(ctx);
  b.title = unquote(ctx->STRING());
  bool haveWhen = false;
  for (auto *clause : ctx->clause()) {
    if (auto *g = dynamic_cast<G::GivenClauseContext *>(clause)) {
      for (auto *bind : g->binding())
        b.given.push_back(buildBinding(bind->IDENT(), bind->value()));
    } else if (auto *w = dynamic_cast<G::WhenClauseContext *>(clause)) {
      if (haveWhen) {
        diags_.error(locOf(w), "a behavior has exactly one 'when'");
        continue;
      }
      haveWhen = true;
      b.when.loc = locOf(w->IDENT());
      b.when.kernel = textOf(w->IDENT());
      for (auto *arg : w->argument()) {
        if (arg->value()) {
          b.when.named.push_back(buildBinding(arg->IDENT(), arg->value()));
        } else {
          Binding pos;
          pos.loc = locOf(arg->IDENT());
          pos.name = textOf(arg->IDENT());
          pos.value.kind = Value::NameRef;
          pos.value.loc = pos.loc;
          pos.value.name = pos.name;
          b.when.positional.push_back(std::move(pos));
        }
      }
    } else if (auto *t = dynamic_cast<G::ThenClauseContext *>(clause)) {
      Expectation ex;
      ex.loc = locOf(t->IDENT());
      ex.name = textOf(t->IDENT());
      ex.approx = t->approx != nullptr;
      ex.expected = buildValue(t->value());
      if (ex.approx) {
        ex.tolerance = signedNumber(t->signedNumber());
        if (ex.tolerance < 0)
          diags_.error(locOf(t->signedNumber()), "a tolerance must not be negative");
      }
      b.then.push_back(std::move(ex));
    }
  }
  if (!haveWhen)
    diags_.error(b.loc, "behavior has no 'when' clause");
  return b;
}

Binding BehaviorBuilder::buildBinding(antlr4::tree::TerminalNode *name, G::ValueContext *value) {
  Binding bind;
  bind.loc = locOf(name);
  bind.name = textOf(name);
  bind.value = buildValue(value);
  return bind;
}

double BehaviorBuilder::signedNumber(G::SignedNumberContext *ctx) {
  if (!ctx || !ctx->NUMBER())
    return 0;
  double v;
  bool isInt;
  int64_t exact = 0;
  const std::string text = ctx->NUMBER()->getText();
  const bool negative = ctx->getStart() && ctx->getStart()->getText() == "-";
  // A u64 value above INT64_MAX (up to 2^64 - 1), which integer literals of kernels
  // never reach: exact in unsigned __int128, and as a double only when it is one.
  if (!negative && text.size() >= 19 && text.size() <= 20 &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    unsigned __int128 wide = 0;
    for (char c : text)
      wide = wide * 10 + (unsigned)(c - '0');
    if (wide > (unsigned __int128)INT64_MAX && wide <= (unsigned __int128)UINT64_MAX) {
      const uint64_t u = (uint64_t)wide;
      const double d = (double)u;
      if (d >= 0x1p64 || (uint64_t)d != u)
        diags_.error(locOf(ctx->NUMBER()), "integer " + text +
                                               " is not exact as a double (beyond 2^53): a "
                                               "behavior value would be rounded");
      return d;
    }
  }
  // Behavior values are held as doubles: an integer above 2^53 that a double
  // cannot hold would silently become its neighbour (9007199254740993 -> ...992).
  if (parseNumber(text, locOf(ctx->NUMBER()), v, isInt, &exact) && isInt &&
      (v >= 0x1p63 || static_cast<int64_t>(v) != exact))
    diags_.error(locOf(ctx->NUMBER()), "integer " + text +
                                           " is not exact as a double (beyond 2^53): a "
                                           "behavior value would be rounded");
  return negative ? -v : v;
}

Value BehaviorBuilder::buildValue(G::ValueContext *ctx) {
  Value v;
  v.kind = Value::Scalar;
  v.data = {0};
  if (!ctx)
    return v;
  v.loc = locOf(ctx);
  if (auto *n = dynamic_cast<G::NumberValueContext *>(ctx)) {
    v.data = {signedNumber(n->signedNumber())};
  } else if (auto *b = dynamic_cast<G::BoolValueContext *>(ctx)) {
    v.data = {b->getText() == "true" ? 1.0 : 0.0};
  } else if (auto *n = dynamic_cast<G::NameValueContext *>(ctx)) {
    v.kind = Value::NameRef;
    v.data.clear();
    v.name = textOf(n->IDENT());
  } else if (auto *c = dynamic_cast<G::CtorValueContext *>(ctx)) {
    buildCtor(c, v);
  } else if (auto *l = dynamic_cast<G::ListValueContext *>(ctx)) {
    v.kind = Value::Literal;
    v.data.clear();
    buildList(l, v.shape, v.data);
  }
  return v;
}

// zeros(d...), ones(d...), rand(seed, d...)
void BehaviorBuilder::buildCtor(G::CtorValueContext *ctx, Value &v) {
  std::string name = textOf(ctx->IDENT());
  v.data.clear();
  v.kind = name == "zeros" ? Value::Zeros : name == "ones" ? Value::Ones : Value::Rand;
  if (name != "zeros" && name != "ones" && name != "rand") {
    diags_.error(v.loc, "unknown value '" + name + "(...)'");
    diags_.note(v.loc, "values are lists, numbers, zeros(d...), ones(d...) or "
                       "rand(seed, d...)");
    v.kind = Value::Zeros;
    return;
  }
  auto nums = ctx->signedNumber();
  if (v.kind == Value::Rand) {
    if (nums.empty()) {
      diags_.error(v.loc, "rand(seed, d...) needs a seed");
      return;
    }
  }
  int64_t elems = 1;
  for (size_t i = 0; i < nums.size(); ++i) {
    auto *n = nums[i];
    bool negative = n->getStart() && n->getStart()->getText() == "-";
    auto val = exactInt(n->NUMBER(), v.kind == Value::Rand && i == 0 ? "a seed" : "a size");
    int64_t x = val.value_or(0);
    if (negative)
      x = -x;
    if (v.kind == Value::Rand && i == 0) {
      v.seed = x;
      continue;
    }
    if (x < 0) {
      diags_.error(locOf(n), "a size must not be negative");
      x = 0;
    }
    if (x > 0 && elems > kMaxValueElems / x) {
      diags_.error(locOf(n), "value is too large");
      x = 1;
    }
    elems *= std::max<int64_t>(x, 1);
    v.shape.push_back(x);
  }
}

// Nested lists flatten row-major; every sub-list of a level must have one shape.
void BehaviorBuilder::buildList(G::ListValueContext *ctx, std::vector<int64_t> &shape,
                                std::vector<double> &data) {
  auto elems = ctx->value();
  shape = {(int64_t)elems.size()};
  std::optional<std::vector<int64_t>> inner;
  for (auto *el : elems) {
    std::vector<int64_t> elShape;
    if (auto *l = dynamic_cast<G::ListValueContext *>(el)) {
      buildList(l, elShape, data);
    } else if (auto *n = dynamic_cast<G::NumberValueContext *>(el)) {
      data.push_back(signedNumber(n->signedNumber()));
    } else if (auto *b = dynamic_cast<G::BoolValueContext *>(el)) {
      data.push_back(b->getText() == "true" ? 1.0 : 0.0);
    } else {
      diags_.error(locOf(el), "a list holds only numbers or lists");
      data.push_back(0);
    }
    if (!inner) {
      inner = elShape;
    } else if (*inner != elShape) {
      diags_.error(locOf(el), "ragged list: elements must all have the same shape");
      return;
    }
    if ((int64_t)data.size() > kMaxValueElems) {
      diags_.error(locOf(el), "value is too large");
      return;
    }
  }
  if (inner)
    shape.insert(shape.end(), inner->begin(), inner->end());
}

} // namespace vibee::parser
