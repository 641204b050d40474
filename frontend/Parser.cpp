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
#include "frontend/ParserInternal.h"

#include "VibeeLexer.h"

namespace vibee {
namespace {

using namespace ast;
using namespace parser;

constexpr int kMaxExprDepth = 1000; // AST depth (long binary chains)

class TreeBuilder : NodeBuilder {
public:
  using NodeBuilder::NodeBuilder;

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
        spec.behaviors.push_back(BehaviorBuilder(src_, diags_).build(b));
    }
  }

private:
  int depth_ = 0;

  DType buildDType(antlr4::tree::TerminalNode *n) {
    if (!n)
      return DType::F32;
    if (auto t = dtypeFromName(n->getText()))
      return *t;
    diags_.error(locOf(n), "unknown dtype '" + n->getText() + "'");
    diags_.note(locOf(n),
                "dtypes are f64, f32, f16, bf16, f8e4m3, f8e5m2, i64, i32, i8, u64, u32, u16, u8 "
                "and bool");
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
      } else if (d->expr()) {
        ds.expr = buildExpr(d->expr());
      } else {
        auto v = exactInt(d->NUMBER(), "a dimension size");
        if (v && *v <= 0)
          diags_.error(ds.loc, "a dimension size must be positive");
        ds.size = std::max<int64_t>(v.value_or(1), 1);
      }
      t.dims.push_back(std::move(ds));
    }
    return t;
  }

  static constexpr int64_t kMaxConstElements = 4096;

  Const buildConst(G::ConstDeclContext *ctx) {
    Const c;
    // ANTLR's recovery may leave parts missing (the fuzzer found it); already reported.
    if (!ctx->IDENT() || !ctx->type() || !ctx->constValue())
      return c;
    c.loc = locOf(ctx->IDENT());
    c.name = textOf(ctx->IDENT());
    c.type = buildType(ctx->type());
    c.dtype = c.type.dtype;
    if (!c.isTensor()) {
      if (ctx->constValue()->expr())
        c.value = buildTopExpr(ctx->constValue()->expr());
      else
        diags_.error(locOf(ctx->constValue()),
                     "constant '" + c.name + "' is a scalar: give it one value, not a list");
      return c;
    }
    for (const DimSpec &d : c.type.dims)
      if (!d.symbol.empty() || d.expr) {
        diags_.error(d.loc, "a constant tensor needs literal dims" +
                                (d.expr ? std::string() : ", not '" + d.symbol + "'"));
        return c;
      }
    // Kernels read them as compare/select chains (MLIRGen): lookup tables, not data.
    int64_t count = 1;
    for (const DimSpec &d : c.type.dims) // both factors <= 4097: no overflow
      count = d.size > kMaxConstElements
                  ? kMaxConstElements + 1
                  : std::min<int64_t>(count * std::max<int64_t>(d.size, 0), kMaxConstElements + 1);
    if (count > kMaxConstElements) {
      diags_.error(locOf(ctx->type()), "constant tensor '" + c.name + "' has more than " +
                                           std::to_string(kMaxConstElements) +
                                           " elements (constant tensors are lookup tables; pass "
                                           "larger data as a parameter)");
      return c;
    }
    buildConstElements(c, ctx->constValue(), 0);
    return c;
  }

  // The elements of a constant tensor, row-major; each list must have the size of its
  // axis and the nesting must match the rank.
  void buildConstElements(Const &c, G::ConstValueContext *v, size_t axis) {
    const size_t rank = c.type.dims.size();
    if (v->expr()) {
      if (axis < rank) {
        diags_.error(locOf(v), "constant '" + c.name + "' needs a list of " +
                                   std::to_string(c.type.dims[axis].size) +
                                   " elements here (axis " + std::to_string(axis) + ")");
        return;
      }
      c.elements.push_back(buildTopExpr(v->expr()));
      return;
    }
    if (axis >= rank) {
      diags_.error(locOf(v), "constant '" + c.name + "' has rank " + std::to_string(rank) +
                                 ": a number is expected here, not a list");
      return;
    }
    const int64_t want = c.type.dims[axis].size;
    if ((int64_t)v->constValue().size() != want) {
      diags_.error(locOf(v), "constant '" + c.name + "' has " + std::to_string(want) +
                                 " elements on axis " + std::to_string(axis) +
                                 " but the list has " + std::to_string(v->constValue().size()));
      return;
    }
    for (auto *inner : v->constValue())
      buildConstElements(c, inner, axis + 1);
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

  // A name or an integer literal stays as before; anything else is kept as an
  // expression for sema (affine subscripts and gathers, SemaSubscripts.cpp).
  Subscript buildSubscript(G::SubscriptContext *ctx) {
    Subscript s;
    s.loc = locOf(ctx);
    G::ExprContext *e = ctx->expr();
    while (auto *p = dynamic_cast<G::ParenExprContext *>(e))
      e = p->expr();
    if (auto *n = dynamic_cast<G::NameExprContext *>(e); n && n->IDENT()) {
      s.index = n->IDENT()->getText();
    } else if (auto *num = dynamic_cast<G::NumberExprContext *>(e)) {
      auto v = exactInt(num->NUMBER(), "a subscript");
      s.literal = v ? *v : 0;
    } else {
      s.expr = buildExpr(ctx->expr());
    }
    return s;
  }

  // A target's subscripts: index names only (and gathers after `+=`, for sema).
  std::vector<Subscript> buildLhs(G::TargetContext *t, bool accumulate = false) {
    std::vector<Subscript> lhs;
    for (auto *s : t->subscript()) {
      Subscript sub = buildSubscript(s);
      if (!accumulate && (sub.literal || sub.expr)) {
        diags_.error(sub.loc, "left-hand side subscripts must be index names");
        diags_.note(sub.loc, "a statement assigns the whole tensor; its indices are "
                             "the parallel loops");
        continue;
      }
      lhs.push_back(std::move(sub));
    }
    return lhs;
  }

  Statement buildStatement(G::StatementContext *ctx) {
    Statement st;
    st.loc = locOf(ctx);
    G::TargetContext *first = ctx->target(0);
    st.target = textOf(first->IDENT());
    st.targetLoc = locOf(first->IDENT());
    st.sourceText = sourceOf(ctx->getStart(), ctx->getStop());
    st.accumulate = ctx->op && ctx->op->getText() == "+=";
    st.lhs = buildLhs(first, st.accumulate);
    if (G::TargetContext *second = ctx->target(1)) {
      st.indexTarget = textOf(second->IDENT());
      st.indexTargetLoc = locOf(second->IDENT());
      st.indexLhs = buildLhs(second);
    }
    // The reduction is only allowed as the whole right-hand side (parens allowed).
    G::ExprContext *rhs = ctx->expr();
    while (auto *p = dynamic_cast<G::ParenExprContext *>(rhs))
      rhs = p->expr();
    if (auto *red = dynamic_cast<G::ReduceExprContext *>(rhs)) {
      std::string kind = red->red ? red->red->getText() : "sum";
      st.reduce = kind == "max"      ? ReduceKind::Max
                  : kind == "min"    ? ReduceKind::Min
                  : kind == "prod"   ? ReduceKind::Prod
                  : kind == "argmax" ? ReduceKind::ArgMax
                  : kind == "argmin" ? ReduceKind::ArgMin
                  : kind == "topk"   ? ReduceKind::TopK
                                     : ReduceKind::Sum;
      st.reduceLoc = locOf(red->red);
      for (auto *id : red->IDENT())
        st.reduceIndices.push_back({locOf(id), id->getText(), std::nullopt, -1});
      rhs = red->expr();
    }
    checkTargets(st, diags_);
    depth_ = 0;
    ScanBuilder scans(src_, diags_, [&](G::ExprContext *e) { return buildExpr(e); });
    if (!st.reduceIndices.empty() || !scans.build(rhs, st))
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
    if (dynamic_cast<G::ScanExprContext *>(ctx) || dynamic_cast<G::RecurExprContext *>(ctx)) {
      Loc loc = locOf(ctx);
      diags_.error(loc, "a scan must be the whole right-hand side");
      diags_.note(loc, "assign the scan to a local and use the local here");
      auto *s = dynamic_cast<G::ScanExprContext *>(ctx);
      return buildExpr(s ? s->expr() : dynamic_cast<G::RecurExprContext *>(ctx)->expr(1));
    }
    return missing(locOf(ctx));
  }
};

} // namespace

std::unique_ptr<ast::Spec> parseSpec(const std::string &file, const std::string &source,
                                     DiagnosticEngine &diags) {
  auto spec = std::make_unique<ast::Spec>();
  spec->file = file;
  spec->source = source;
  try {
    std::unique_ptr<antlr4::CharStream> input = byteStream(source);
    grammar::VibeeLexer lexer(input.get());
    std::unique_ptr<antlr4::ANTLRErrorListener> listener = syntaxErrorListener(diags);
    lexer.removeErrorListeners();
    lexer.addErrorListener(listener.get());
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (!checkNesting(tokens, diags))
      return nullptr;
    grammar::VibeeParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(listener.get());
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
