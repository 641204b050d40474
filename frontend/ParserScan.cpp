// Scan statements (docs/language.md, "Scans"): `y[i, t] = cumsum(t) x[i, t];` and the
// linear recurrence `h[i, t] = scan(t, h0[i]) a[i, t] * h[i, t - 1] + b[i, t];`, which
// the parser splits into A (Statement::scanCoef) and B (the rhs) so that sema,
// MLIRGen and the reference interpreter never see the self-read.
#include "frontend/ParserInternal.h"

namespace vibee::parser {

static G::ExprContext *stripParens(G::ExprContext *ctx) {
  while (auto *p = dynamic_cast<G::ParenExprContext *>(ctx))
    ctx = p->expr();
  return ctx;
}

bool ScanBuilder::build(G::ExprContext *rhs, Statement &st) {
  if (auto *r = dynamic_cast<G::RecurExprContext *>(rhs)) {
    buildRecurrence(r, st);
    return true;
  }
  auto *s = dynamic_cast<G::ScanExprContext *>(rhs);
  if (!s)
    return false;
  std::string kind = s->scan ? s->scan->getText() : "cumsum";
  st.scan = kind == "cumprod"  ? ScanKind::Prod
            : kind == "cummax" ? ScanKind::Max
            : kind == "cummin" ? ScanKind::Min
                               : ScanKind::Sum;
  st.scanLoc = locOf(s->scan);
  auto ids = s->IDENT();
  if (!ids.empty())
    st.scanIndex = {locOf(ids[0]), ids[0]->getText(), std::nullopt, -1};
  if (ids.size() > 1) {
    if (ids[1]->getText() == "exclusive")
      st.exclusive = true;
    else
      diags_.error(locOf(ids[1]),
                   "expected 'exclusive' after the scan index, not '" + ids[1]->getText() + "'");
  }
  st.rhs = expr_(s->expr());
  return true;
}

// `h[..., t - 1]`: a read of the statement's own target.
bool ScanBuilder::isPrev(G::ExprContext *ctx, const Statement &st) {
  auto *a = dynamic_cast<G::AccessExprContext *>(stripParens(ctx));
  return a && textOf(a->IDENT()) == st.target;
}

// The previous value alone or as a factor of a product (`A * prev`, `prev * A`); null
// when `ctx` is neither. `coef` receives A (null for the previous value alone).
G::ExprContext *ScanBuilder::prevTerm(G::ExprContext *ctx, const Statement &st,
                                      G::ExprContext *&coef) {
  ctx = stripParens(ctx);
  coef = nullptr;
  if (isPrev(ctx, st))
    return ctx;
  auto *b = dynamic_cast<G::BinaryExprContext *>(ctx);
  if (!b || !b->op || b->op->getText() != "*" || b->expr().size() != 2)
    return nullptr;
  for (int side = 0; side < 2; ++side)
    if (isPrev(b->expr(side), st)) {
      coef = b->expr(1 - side);
      return stripParens(b->expr(side));
    }
  return nullptr;
}

void ScanBuilder::buildRecurrence(G::RecurExprContext *ctx, Statement &st) {
  st.scan = ScanKind::Linear;
  st.scanLoc = locOf(ctx);
  if (ctx->IDENT())
    st.scanIndex = {locOf(ctx->IDENT()), ctx->IDENT()->getText(), std::nullopt, -1};
  auto exprs = ctx->expr();
  if (exprs.size() != 2) { // after a syntax error
    st.rhs = expr_(nullptr);
    return;
  }
  st.scanInit = expr_(exprs[0]);
  G::ExprContext *body = stripParens(exprs[1]);
  G::ExprContext *coef = nullptr, *prev = prevTerm(body, st, coef);
  G::ExprContext *add = nullptr;
  bool negateAdd = false;
  auto *bin = dynamic_cast<G::BinaryExprContext *>(body);
  if (!prev && bin && bin->op && bin->expr().size() == 2) {
    std::string op = bin->op->getText();
    if (op == "+" || op == "-") {
      if ((prev = prevTerm(bin->expr(0), st, coef)))
        add = bin->expr(1), negateAdd = op == "-";
      else if (op == "+" && (prev = prevTerm(bin->expr(1), st, coef)))
        add = bin->expr(0);
    }
  }
  if (!prev) {
    Loc loc = locOf(body);
    diags_.error(loc, "a recurrence must read the previous value once, as 'A * " + st.target +
                          "[..., " + st.scanIndex.index + " - 1] + B'");
    diags_.note(loc, "A and B may be any expressions that do not read '" + st.target + "'");
    st.rhs = expr_(body);
    return;
  }
  checkPrev(dynamic_cast<G::AccessExprContext *>(prev), st);
  if (coef) {
    st.scanCoef = expr_(coef);
    checkNoTarget(*st.scanCoef, st);
  }
  if (add) {
    ExprPtr b = expr_(add);
    checkNoTarget(*b, st);
    if (negateAdd) {
      auto neg = std::make_unique<Expr>();
      neg->kind = ExprKind::Unary;
      neg->loc = locOf(bin->op);
      neg->op = "-";
      neg->operands.push_back(std::move(b));
      b = std::move(neg);
    }
    st.rhs = std::move(b);
  } else {
    st.rhs = std::make_unique<Expr>();
    st.rhs->kind = ExprKind::Number;
    st.rhs->loc = locOf(body);
    st.rhs->isIntLiteral = true;
  }
  checkNoTarget(*st.scanInit, st);
}

// `name` alone (offset 0) or `name - offset`, in parentheses or not. Subscripts are
// expressions (affine subscripts), so `t - 1` arrives as a subtraction.
static bool isIndexMinus(G::ExprContext *ctx, const std::string &name, int64_t offset) {
  ctx = stripParens(ctx);
  auto isName = [&](G::ExprContext *e) {
    auto *n = dynamic_cast<G::NameExprContext *>(stripParens(e));
    return n && n->IDENT() && n->IDENT()->getText() == name;
  };
  if (offset == 0)
    return isName(ctx);
  auto *b = dynamic_cast<G::BinaryExprContext *>(ctx);
  if (!b || !b->op || b->op->getText() != "-" || b->expr().size() != 2 || !isName(b->expr(0)))
    return false;
  auto *num = dynamic_cast<G::NumberExprContext *>(stripParens(b->expr(1)));
  return num && num->NUMBER() && num->NUMBER()->getText() == std::to_string(offset);
}

// The previous value is the target at the left-hand side's indices with the scan
// index one lower.
void ScanBuilder::checkPrev(G::AccessExprContext *prev, const Statement &st) {
  if (!prev)
    return;
  std::string want = st.target + "[";
  for (size_t a = 0; a < st.lhs.size(); ++a)
    want +=
        (a ? ", " : "") + st.lhs[a].index + (st.lhs[a].index == st.scanIndex.index ? " - 1" : "");
  want += "]";
  auto subs = prev->subscript();
  bool ok = subs.size() == st.lhs.size();
  Loc where = locOf(prev);
  for (size_t a = 0; ok && a < subs.size(); ++a) {
    bool isScan = st.lhs[a].index == st.scanIndex.index;
    if (!isIndexMinus(subs[a]->expr(), st.lhs[a].index, isScan ? 1 : 0))
      ok = false, where = locOf(subs[a]);
  }
  if (!ok) {
    diags_.error(where, "the previous value of the recurrence is '" + want + "'");
    diags_.note(where, "a recurrence reads its target only at the previous step of '" +
                           st.scanIndex.index + "'");
  }
}

void ScanBuilder::checkNoTarget(const Expr &e, const Statement &st) {
  if ((e.kind == ExprKind::Access || e.kind == ExprKind::Name) && e.name == st.target) {
    diags_.error(e.loc, "a recurrence reads '" + st.target + "' only once, as its previous value");
    return;
  }
  for (const ExprPtr &op : e.operands)
    if (op)
      checkNoTarget(*op, st);
}

} // namespace vibee::parser
