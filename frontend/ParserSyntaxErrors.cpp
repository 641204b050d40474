// The parser's syntax-error side: input as bytes, ANTLR's messages reworded into what
// is missing and where, and the nesting limit checked before ANTLR recurses
// (Parser.cpp's file comment says why each is needed).
#include "frontend/ParserInternal.h"

namespace vibee::parser {
namespace {

constexpr int kMaxNesting = 200; // brackets/parens, and prefix operators

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

} // namespace

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

namespace {

// What a token kind is called in a message: "';'" as written, names for the rest.
std::string tokenName(const antlr4::dfa::Vocabulary &vocabulary, size_t type) {
  if (type == antlr4::Token::EOF)
    return "end of file";
  std::string name = vocabulary.getDisplayName(type);
  if (name == "IDENT")
    return "a name";
  if (name == "NUMBER")
    return "a number";
  if (name == "STRING")
    return "a string";
  if (name == "VERSION")
    return "a version (1.0.0)";
  return name;
}

// Syntax errors, reworded from ANTLR's ("mismatched input '=' expecting ';'") to
// what is missing and where: "expected ';' after ']'", located just after the
// token that should have been followed by it. Only the first error of the parser
// is reported: what follows it comes from error recovery (a missing ';' used to
// give a second error on the next line). The lexer's errors (a stray character)
// are each reported.
class ErrorListener : public antlr4::BaseErrorListener {
public:
  explicit ErrorListener(DiagnosticEngine &diags) : diags_(diags) {}
  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *offending, size_t line,
                   size_t charPositionInLine, const std::string &msg, std::exception_ptr) override {
    // ANTLR columns are 0-based; ours are 1-based.
    Loc at{(int)line, (int)charPositionInLine + 1};
    auto *parser = dynamic_cast<antlr4::Parser *>(recognizer);
    if (!parser || !offending) {
      const std::string prefix = "token recognition error at: ";
      diags_.error(at, msg.rfind(prefix, 0) == 0
                           ? "unexpected character " + printable(msg.substr(prefix.size()))
                           : printable(msg));
      return;
    }
    if (reported_)
      return;
    reported_ = true;
    antlr4::misc::IntervalSet expected;
    try {
      expected = parser->getExpectedTokens();
    } catch (...) { // no expectation to offer: keep ANTLR's message
      diags_.error(at, printable(msg));
      return;
    }
    const antlr4::dfa::Vocabulary &vocabulary = parser->getVocabulary();
    std::string what;
    if (expected.size() == 1) {
      what = tokenName(vocabulary, expected.getMinElement());
    } else if (expected.contains(parser->getTokenType("IDENT")) &&
               expected.contains(parser->getTokenType("NUMBER")) &&
               expected.contains(parser->getTokenType("'('"))) {
      what = "an expression";
    } else if (expected.size() == 2 && expected.contains(parser->getTokenType("NUMBER")) &&
               expected.contains(parser->getTokenType("'-'"))) {
      what = "a number"; // a signed number
    }
    antlr4::Token *previous = previousToken(parser, offending);
    std::string found = offending->getType() == antlr4::Token::EOF
                            ? "end of file"
                            : "'" + printable(offending->getText()) + "'";
    if (!what.empty() && previous) {
      // Just after the previous token: where the missing piece belongs.
      Loc after{(int)previous->getLine(),
                (int)(previous->getCharPositionInLine() + previous->getText().size()) + 1};
      diags_.error(after, "expected " + what + " after '" + printable(previous->getText()) + "'");
      return;
    }
    std::string message = "unexpected " + found;
    if (!what.empty()) {
      message += "; expected " + what;
    } else if (expected.size() > 1 && expected.size() <= 6) {
      message += "; expected one of ";
      bool first = true;
      for (ssize_t type : expected.toList()) {
        message += (first ? "" : ", ") + tokenName(vocabulary, (size_t)type);
        first = false;
      }
    }
    diags_.error(at, message);
  }

private:
  DiagnosticEngine &diags_;
  bool reported_ = false;

  static antlr4::Token *previousToken(antlr4::Parser *parser, antlr4::Token *token) {
    auto *stream = dynamic_cast<antlr4::BufferedTokenStream *>(parser->getTokenStream());
    if (!stream)
      return nullptr;
    for (ssize_t i = (ssize_t)token->getTokenIndex() - 1; i >= 0; --i) {
      antlr4::Token *t = stream->get((size_t)i);
      if (t->getChannel() == antlr4::Token::DEFAULT_CHANNEL)
        return t;
    }
    return nullptr;
  }
};

} // namespace

std::unique_ptr<antlr4::CharStream> byteStream(const std::string &bytes) {
  return std::make_unique<ByteStream>(bytes);
}

std::unique_ptr<antlr4::ANTLRErrorListener> syntaxErrorListener(DiagnosticEngine &diags) {
  return std::make_unique<ErrorListener>(diags);
}

// Rejects nesting that would overflow ANTLR's (recursive) parser. Counts brackets and,
// per statement, prefix operators (`- - - x`, `sum(i) sum(j) ...` nest as well).
bool checkNesting(antlr4::CommonTokenStream &tokens, DiagnosticEngine &diags) {
  int depth = 0, prefix = 0;
  for (antlr4::Token *t : tokens.getTokens()) {
    std::string s = t->getType() == antlr4::Token::EOF ? "" : t->getText();
    if (s == "(" || s == "[") {
      if (++depth > kMaxNesting) {
        diags.error(locOf(t), "brackets nest too deeply (more than " + std::to_string(kMaxNesting) +
                                  " levels)");
        return false;
      }
    } else if (s == ")" || s == "]") {
      depth = std::max(0, depth - 1);
    } else if (s == "-" || s == "!" || s == "sum" || s == "max" || s == "min" || s == "prod") {
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

} // namespace vibee::parser
