// parseSpec: runs the ANTLR lexer/parser and turns the parse tree into the AST.
//
// Robustness on arbitrary bytes is a requirement (this is fuzzed):
//  - the input is fed to ANTLR one byte per character (Latin-1), so invalid UTF-8 and
//    NUL bytes are just unexpected characters, and token offsets/columns are bytes,
//    which is what the diagnostics printer counts;
//  - ANTLR recurses per nesting level, so deeply nested input is rejected on the token
//    stream before parsing;
//  - the parse tree after error recovery may miss any child: every access is checked;
//  - nothing throws out: ANTLR exceptions are caught and reported.
#include "frontend/Frontend.h"

#include "VibeeLexer.h"
#include "VibeeParser.h"
#include "antlr4-runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace vibee {
namespace {

using namespace ast;
using G = grammar::VibeeParser;

constexpr int kMaxNesting = 200;        // brackets/parens, and prefix operators
constexpr int kMaxExprDepth = 1000;     // AST depth (long binary chains)
constexpr int64_t kMaxValueElems = 1 << 26;

// One byte per character: see the file comment.
class ByteStream : public antlr4::ANTLRInputStream {
public:
  explicit ByteStream(const std::string &bytes) {
    _data.assign(bytes.begin(), bytes.end());
    for (char32_t &c : _data)
      c &= 0xff; // char may be signed
    p = 0;
  }
};

// Control and non-ASCII bytes in ANTLR's messages (they quote input) become \xNN.
std::string printable(const std::string &s) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += (char)c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class ErrorListener : public antlr4::BaseErrorListener {
public:
  explicit ErrorListener(DiagnosticEngine &diags) : diags_(diags) {}
  void syntaxError(antlr4::Recognizer *, antlr4::Token *, size_t line,
                   size_t charPositionInLine, const std::string &msg,
                   std::exception_ptr) override {
    // ANTLR columns are 0-based; ours are 1-based.
    diags_.error({(int)line, (int)charPositionInLine + 1}, printable(msg));
  }

private:
  DiagnosticEngine &diags_;
};

Loc locOf(antlr4::Token *t) {
  if (!t)
    return {};
  return {(int)t->getLine(), (int)t->getCharPositionInLine() + 1};
}
Loc locOf(antlr4::tree::TerminalNode *n) { return n ? locOf(n->getSymbol()) : Loc{}; }
Loc locOf(antlr4::ParserRuleContext *c) { return c ? locOf(c->getStart()) : Loc{}; }
std::string textOf(antlr4::tree::TerminalNode *n) { return n ? n->getText() : ""; }

// Rejects nesting that would overflow ANTLR's (recursive) parser. Counts brackets and,
// per statement, prefix operators (`- - - x`, `sum(i) sum(j) ...` nest as well).
bool checkNesting(antlr4::CommonTokenStream &tokens, DiagnosticEngine &diags) {
  int depth = 0, prefix = 0;
  for (antlr4::Token *t : tokens.getTokens()) {
    std::string s = t->getType() == antlr4::Token::EOF ? "" : t->getText();
    if (s == "(" || s == "[") {
      if (++depth > kMaxNesting) {
        diags.error(locOf(t), "brackets nest too deeply (more than " +
                                  std::to_string(kMaxNesting) + " levels)");
        return false;
      }
    } else if (s == ")" || s == "]") {
      depth = std::max(0, depth - 1);
    } else if (s == "-" || s == "!" || s == "sum" || s == "max" || s == "min" ||
               s == "prod") {
      if (++prefix > kMaxNesting) {
        diags.error(locOf(t), "expression is too complex (more than " +
                                  std::to_string(kMaxNesting) + " operators)");
        return false;
      }
    } else if (s == ";" || s == "{" || s == "}") {
      prefix = 0;
    }
  }
  return true;
}

class TreeBuilder {
public:
  TreeBuilder(const std::string &source, DiagnosticEngine &diags)
      : src_(source), diags_(diags) {}

  void build(G::SpecContext *ctx, Spec &spec) {
    if (auto *h = ctx->header()) {
      spec.loc = locOf(h);
      spec.name = textOf(h->IDENT());
      spec.nameLoc = h->IDENT() ? locOf(h->IDENT()) : spec.loc;
      spec.version = textOf(h->VERSION());
      spec.doc = unquote(h->STRING());
    }
    for (auto *item : ctx->item()) {
      if (auto *c = item->constDecl())
        spec.consts.push_back(buildConst(c));
      else if (auto *k = item->kernel())
        spec.kernels.push_back(buildKernel(k));
      else if (auto *b = item->behavior())
        spec.behaviors.push_back(buildBehavior(b));
    }
  }

private:
  const std::string &src_;
  DiagnosticEngine &diags_;
  int depth_ = 0;

  std::string unquote(antlr4::tree::TerminalNode *n) {
    if (!n)
      return "";
    std::string raw = sourceOf(n->getSymbol(), n->getSymbol());
    std::string out;
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 2 < raw.size()) {
        char e = raw[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        out += c;
      }
    }
    return out;
  }

  // Original bytes between two tokens (inclusive), or "" when recovery broke them.
  std::string sourceOf(antlr4::Token *start, antlr4::Token *stop) {
    if (!start || !stop || start->getType() == antlr4::Token::EOF ||
        stop->getType() == antlr4::Token::EOF)
      return "";
    size_t a = start->getStartIndex(), b = stop->getStopIndex();
    if (a == INVALID_INDEX || b == INVALID_INDEX || b < a || b >= src_.size())
      return "";
    return src_.substr(a, b - a + 1);
  }

  // Numbers: integers are checked for int64 range (and kept exactly in `intValue`:
  // a double loses them above 2^53); reals must be finite.
  bool parseNumber(const std::string &text, Loc loc, double &value, bool &isInt,
                   int64_t *intValue = nullptr) {
    isInt = text.find_first_not_of("0123456789") == std::string::npos && !text.empty();
    if (isInt) {
      int64_t v = 0;
      for (char c : text) {
        if (v > (INT64_MAX - (c - '0')) / 10) {
          diags_.error(loc, "integer literal '" + text + "' is too large");
          value = 0;
          return false;
        }
        v = v * 10 + (c - '0');
      }
      value = (double)v;
      if (intValue)
        *intValue = v;
      return true;
    }
    errno = 0;
    value = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(value) || errno == ERANGE) {
      if (!(errno == ERANGE && value == 0)) { // underflow to 0 is harmless
        diags_.error(loc, "number '" + text + "' is out of range");
        value = 0;
        return false;
      }
    }
    return true;
  }

  std::optional<int64_t> parseInt(antlr4::tree::TerminalNode *n, const char *what) {
    if (!n)
      return std::nullopt;
    double v;
    bool isInt;
    if (!parseNumber(n->getText(), locOf(n), v, isInt))
      return std::nullopt;
    if (!isInt) {
      diags_.error(locOf(n), std::string(what) + " must be an integer, not '" +
                                 n->getText() + "'");
      return std::nullopt;
    }
    return (int64_t)std::llround(v);
  }

  // Reparse exactly: llround of a double loses precision above 2^53.
  std::optional<int64_t> exactInt(antlr4::tree::TerminalNode *n, const char *what) {
    if (!parseInt(n, what))
      return std::nullopt;
    int64_t v = 0;
    for (char c : n->getText())
      v = v * 10 + (c - '0');
    return v;
  }

  DType buildDType(antlr4::tree::TerminalNode *n) {
    if (!n)
      return DType::F32;
    if (auto t = dtypeFromName(n->getText()))
      return *t;
    diags_.error(locOf(n), "unknown dtype '" + n->getText() + "'");
    diags_.note(locOf(n), "dtypes are f64, f32, f16, bf16, i64, i32, i8 and bool");
    return DType::F32;
  }

  TensorType buildType(G::TypeContext *ctx) {
    TensorType t;
    if (!ctx)
      return t;
    t.dtype = buildDType(ctx->IDENT());
    for (auto *d : ctx->dim()) {
      DimSpec ds;
      ds.loc = locOf(d);
      if (d->IDENT()) {
        ds.symbol = d->IDENT()->getText();
      } else if (auto v = exactInt(d->NUMBER(), "a dimension size")) {
        if (*v <= 0)
          diags_.error(ds.loc, "a dimension size must be positive");
        ds.size = std::max<int64_t>(*v, 1);
      } else {
        ds.size = 1;
      }
      t.dims.push_back(std::move(ds));
    }
    return t;
  }

  Const buildConst(G::ConstDeclContext *ctx) {
    Const c;
    c.loc = locOf(ctx->IDENT(0));
    c.name = textOf(ctx->IDENT(0));
    c.dtype = buildDType(ctx->IDENT(1));
    c.value = buildTopExpr(ctx->expr());
    return c;
  }

  Kernel buildKernel(G::KernelContext *ctx) {
    Kernel k;
    k.loc = locOf(ctx->IDENT());
    k.name = textOf(ctx->IDENT());
    for (auto *p : ctx->param()) {
      Param param;
      param.loc = locOf(p->IDENT());
      param.name = textOf(p->IDENT());
      param.mode = p->INOUT ? ParamMode::InOut : ParamMode::In;
      param.type = buildType(p->type());
      if (p->expr())
        param.defaultValue = buildTopExpr(p->expr());
      k.params.push_back(std::move(param));
    }
    for (auto *r : ctx->result()) {
      Result res;
      res.loc = locOf(r->IDENT());
      res.name = textOf(r->IDENT());
      res.type = buildType(r->type());
      k.results.push_back(std::move(res));
    }
    for (auto *item : ctx->bodyItem()) {
      if (auto *s = item->statement()) {
        k.body.push_back(buildStatement(s));
        continue;
      }
      G::ScheduleContext *sched = item->schedule();
      if (!sched)
        continue;
      Loc loc = locOf(sched);
      if (k.schedule) {
        diags_.error(loc, "a kernel has at most one schedule block");
        diags_.note(k.schedule->loc, "the first schedule block is here");
      } else if (!k.body.empty()) {
        diags_.error(loc, "the schedule block must come first in the kernel body");
      } else {
        k.schedule = buildSchedule(sched);
      }
    }
    return k;
  }

  Schedule buildSchedule(G::ScheduleContext *ctx) {
    Schedule sched;
    sched.loc = locOf(ctx);
    for (auto *e : ctx->scheduleEntry()) {
      ScheduleEntry entry;
      entry.loc = locOf(e->IDENT());
      entry.name = textOf(e->IDENT());
      for (auto *a : e->scheduleArg()) {
        ScheduleArg arg;
        arg.loc = locOf(a);
        arg.name = textOf(a->IDENT());
        if (auto *n = a->signedNumber(); n && n->NUMBER()) {
          arg.hasValue = true;
          arg.valueLoc = locOf(n);
          bool negative = n->getStart() && n->getStart()->getText() == "-";
          arg.valueText = (negative ? "-" : "") + n->NUMBER()->getText();
          arg.valueOk =
              parseNumber(n->NUMBER()->getText(), locOf(n->NUMBER()), arg.value, arg.isInt);
          if (negative)
            arg.value = -arg.value;
        }
        entry.args.push_back(std::move(arg));
      }
      sched.entries.push_back(std::move(entry));
    }
    return sched;
  }

  Subscript buildSubscript(G::SubscriptContext *ctx) {
    Subscript s;
    s.loc = locOf(ctx);
    if (ctx->IDENT())
      s.index = ctx->IDENT()->getText();
    else if (auto v = exactInt(ctx->NUMBER(), "a subscript"))
      s.literal = *v;
    else
      s.literal = 0;
    return s;
  }

  Statement buildStatement(G::StatementContext *ctx) {
    Statement st;
    st.loc = locOf(ctx);
    st.target = textOf(ctx->IDENT());
    st.targetLoc = locOf(ctx->IDENT());
    st.sourceText = sourceOf(ctx->getStart(), ctx->getStop());
    for (auto *s : ctx->subscript()) {
      Subscript sub = buildSubscript(s);
      if (sub.literal) {
        diags_.error(sub.loc, "left-hand side subscripts must be index names");
        diags_.note(sub.loc, "a statement assigns the whole tensor; its indices are "
                             "the parallel loops");
        continue;
      }
      st.lhs.push_back(std::move(sub));
    }
    // The reduction is only allowed as the whole right-hand side (parens allowed).
    G::ExprContext *rhs = ctx->expr();
    while (auto *p = dynamic_cast<G::ParenExprContext *>(rhs))
      rhs = p->expr();
    if (auto *red = dynamic_cast<G::ReduceExprContext *>(rhs)) {
      std::string kind = red->red ? red->red->getText() : "sum";
      st.reduce = kind == "max"    ? ReduceKind::Max
                  : kind == "min"  ? ReduceKind::Min
                  : kind == "prod" ? ReduceKind::Prod
                                   : ReduceKind::Sum;
      st.reduceLoc = locOf(red->red);
      for (auto *id : red->IDENT())
        st.reduceIndices.push_back({locOf(id), id->getText(), std::nullopt, -1});
      rhs = red->expr();
    }
    st.rhs = buildTopExpr(rhs);
    return st;
  }

  ExprPtr buildTopExpr(G::ExprContext *ctx) {
    depth_ = 0;
    return buildExpr(ctx);
  }

  ExprPtr make(ExprKind kind, Loc loc) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->loc = loc;
    return e;
  }

  // A placeholder for parts that recovery dropped, so later passes never see null.
  ExprPtr missing(Loc loc) {
    auto e = make(ExprKind::Number, loc);
    e->isIntLiteral = true;
    return e;
  }

  ExprPtr buildExpr(G::ExprContext *ctx) {
    if (!ctx)
      return missing({});
    if (++depth_ > kMaxExprDepth) {
      if (depth_ == kMaxExprDepth + 1)
        diags_.error(locOf(ctx), "expression nests too deeply");
      --depth_;
      return missing(locOf(ctx));
    }
    ExprPtr e = buildExprImpl(ctx);
    --depth_;
    return e;
  }

  ExprPtr buildExprImpl(G::ExprContext *ctx) {
    if (auto *p = dynamic_cast<G::ParenExprContext *>(ctx))
      return buildExpr(p->expr());
    if (auto *c = dynamic_cast<G::CallExprContext *>(ctx)) {
      auto e = make(ExprKind::Call, locOf(c->callee));
      e->name = c->callee ? c->callee->getText() : "";
      for (auto *a : c->expr())
        e->operands.push_back(buildExpr(a));
      return e;
    }
    if (auto *a = dynamic_cast<G::AccessExprContext *>(ctx)) {
      auto e = make(ExprKind::Access, locOf(a->IDENT()));
      e->name = textOf(a->IDENT());
      for (auto *s : a->subscript())
        e->subscripts.push_back(buildSubscript(s));
      return e;
    }
    if (auto *n = dynamic_cast<G::NameExprContext *>(ctx)) {
      auto e = make(ExprKind::Name, locOf(n->IDENT()));
      e->name = textOf(n->IDENT());
      return e;
    }
    if (auto *n = dynamic_cast<G::NumberExprContext *>(ctx)) {
      auto e = make(ExprKind::Number, locOf(n->NUMBER()));
      if (n->NUMBER())
        parseNumber(n->NUMBER()->getText(), e->loc, e->number, e->isIntLiteral, &e->intValue);
      return e;
    }
    if (auto *b = dynamic_cast<G::BoolExprContext *>(ctx)) {
      auto e = make(ExprKind::Number, locOf(b));
      e->isBool = true;
      e->number = b->getText() == "true" ? 1 : 0;
      return e;
    }
    if (auto *u = dynamic_cast<G::UnaryExprContext *>(ctx)) {
      auto e = make(ExprKind::Unary, locOf(u->op));
      e->op = u->op ? u->op->getText() : "-";
      e->operands.push_back(buildExpr(u->expr()));
      return e;
    }
    if (auto *b = dynamic_cast<G::BinaryExprContext *>(ctx)) {
      auto e = make(ExprKind::Binary, locOf(b->op));
      e->op = b->op ? b->op->getText() : "+";
      e->operands.push_back(buildExpr(b->expr(0)));
      e->operands.push_back(buildExpr(b->expr(1)));
      return e;
    }
    if (auto *r = dynamic_cast<G::ReduceExprContext *>(ctx)) {
      Loc loc = locOf(r->red);
      diags_.error(loc, "a reduction must be the outermost operation of the "
                        "right-hand side");
      diags_.note(loc, "assign the reduction to a local and use the local here");
      return buildExpr(r->expr());
    }
    return missing(locOf(ctx));
  }

  // ---- Behaviors ----

  Behavior buildBehavior(G::BehaviorContext *ctx) {
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

  Binding buildBinding(antlr4::tree::TerminalNode *name, G::ValueContext *value) {
    Binding bind;
    bind.loc = locOf(name);
    bind.name = textOf(name);
    bind.value = buildValue(value);
    return bind;
  }

  double signedNumber(G::SignedNumberContext *ctx) {
    if (!ctx || !ctx->NUMBER())
      return 0;
    double v;
    bool isInt;
    parseNumber(ctx->NUMBER()->getText(), locOf(ctx->NUMBER()), v, isInt);
    return ctx->getStart() && ctx->getStart()->getText() == "-" ? -v : v;
  }

  Value buildValue(G::ValueContext *ctx) {
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
  void buildCtor(G::CtorValueContext *ctx, Value &v) {
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
      auto val = exactInt(n->NUMBER(), v.kind == Value::Rand && i == 0 ? "a seed"
                                                                      : "a size");
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
  void buildList(G::ListValueContext *ctx, std::vector<int64_t> &shape,
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
};

} // namespace

std::unique_ptr<ast::Spec> parseSpec(const std::string &file, const std::string &source,
                                     DiagnosticEngine &diags) {
  auto spec = std::make_unique<ast::Spec>();
  spec->file = file;
  spec->source = source;
  try {
    ByteStream input(source);
    grammar::VibeeLexer lexer(&input);
    ErrorListener listener(diags);
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (!checkNesting(tokens, diags))
      return nullptr;
    grammar::VibeeParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    G::SpecContext *tree = parser.spec();
    if (!tree)
      return nullptr;
    spec->syntaxErrors = diags.errorCount();
    TreeBuilder(source, diags).build(tree, *spec);
  } catch (const std::exception &e) {
    diags.error({1, 1}, std::string("internal parser error: ") + printable(e.what()));
    return nullptr;
  } catch (...) {
    diags.error({1, 1}, "internal parser error");
    return nullptr;
  }
  return spec;
}

std::unique_ptr<ast::Spec> loadSpec(const std::string &file, const std::string &source,
                                    DiagnosticEngine &diags) {
  auto spec = parseSpec(file, source, diags);
  // Sema on a tree that error recovery patched would mostly report follow-on noise;
  // after other parser errors (ragged lists, bad literals) it still runs.
  if (!spec || spec->syntaxErrors > 0)
    return nullptr;
  analyzeSpec(*spec, diags);
  return diags.hasErrors() ? nullptr : std::move(spec);
}

} // namespace vibee
