// The parser's shared parts (Parser.cpp builds specs, kernels and expressions;
// ParserBehavior.cpp builds behaviors and their values). Not part of the API.
#pragma once

#include "frontend/Frontend.h"

#include "VibeeParser.h"
#include "antlr4-runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace vibee::parser {

using namespace ast;
using G = grammar::VibeeParser;

constexpr int64_t kMaxValueElems = 1 << 26; // elements of one behavior value

// ParserSyntaxErrors.cpp: the input as one character per byte, a listener that
// rewords ANTLR's syntax errors, the nesting limit checked before parsing, and
// control bytes made printable in messages.
std::unique_ptr<antlr4::CharStream> byteStream(const std::string &bytes);
std::unique_ptr<antlr4::ANTLRErrorListener> syntaxErrorListener(DiagnosticEngine &diags);
bool checkNesting(antlr4::CommonTokenStream &tokens, DiagnosticEngine &diags);
std::string printable(const std::string &s);

inline Loc locOf(antlr4::Token *t) {
  if (!t)
    return {};
  return {(int)t->getLine(), (int)t->getCharPositionInLine() + 1};
}
inline Loc locOf(antlr4::tree::TerminalNode *n) { return n ? locOf(n->getSymbol()) : Loc{}; }
inline Loc locOf(antlr4::ParserRuleContext *c) { return c ? locOf(c->getStart()) : Loc{}; }
inline std::string textOf(antlr4::tree::TerminalNode *n) { return n ? n->getText() : ""; }

// What every builder needs: the source (for exact token text) and the diagnostics,
// with the literal helpers that report bad strings and numbers.
class NodeBuilder {
public:
  NodeBuilder(const std::string &source, DiagnosticEngine &diags) : src_(source), diags_(diags) {}

protected:
  const std::string &src_;
  DiagnosticEngine &diags_;

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
      diags_.error(locOf(n), std::string(what) + " must be an integer, not '" + n->getText() + "'");
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
};

// `behavior "title" { given ...; when ...; then ...; }` (ParserBehavior.cpp).
class BehaviorBuilder : NodeBuilder {
public:
  using NodeBuilder::NodeBuilder;
  Behavior build(G::BehaviorContext *ctx);

private:
  Binding buildBinding(antlr4::tree::TerminalNode *name, G::ValueContext *value);
  double signedNumber(G::SignedNumberContext *ctx);
  Value buildValue(G::ValueContext *ctx);
  void buildCtor(G::CtorValueContext *ctx, Value &v);
  void buildList(G::ListValueContext *ctx, std::vector<int64_t> &shape, std::vector<double> &data);
};

// The right-hand side of a scan statement (`cumsum(t) ...`, `scan(t, init) ...`;
// ParserScan.cpp): fills the statement's scan fields and its rhs. The callback is
// the tree builder's expression builder.
class ScanBuilder : NodeBuilder {
public:
  using ExprFn = std::function<ExprPtr(G::ExprContext *)>;
  ScanBuilder(const std::string &source, DiagnosticEngine &diags, ExprFn expr)
      : NodeBuilder(source, diags), expr_(std::move(expr)) {}
  // True when `rhs` is a scan (then `st` is complete); false leaves `st` alone.
  bool build(G::ExprContext *rhs, Statement &st);

private:
  ExprFn expr_;
  void buildRecurrence(G::RecurExprContext *ctx, Statement &st);
  bool isPrev(G::ExprContext *ctx, const Statement &st);
  G::ExprContext *prevTerm(G::ExprContext *ctx, const Statement &st, G::ExprContext *&coef);
  void checkPrev(G::AccessExprContext *prev, const Statement &st);
  void checkNoTarget(const Expr &e, const Statement &st);
};

// The targets against the right-hand side (ParserTargets.cpp): two only for a
// top-k, whose `topk(c, j)` rank index j moves out of the reduction indices into
// Statement::rankIndex.
void checkTargets(Statement &st, DiagnosticEngine &diags);

} // namespace vibee::parser
