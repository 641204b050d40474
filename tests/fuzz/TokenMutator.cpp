// A grammar-aware mutator for .vibee specs, shared by both fuzz targets: byte-level
// mutations rarely keep a spec through sema, so most mutations here work on tokens
// and statements and keep the input well-formed: a dtype for another dtype, a
// builtin for a builtin of the same arity, an operator for an operator, a reduction
// for a reduction, a number for an interesting number, a name for another name of
// the input; a statement duplicated, moved or deleted; an operand wrapped in a
// builtin or combined with another operand. A quarter of the time (and when a
// token mutation finds nothing to do) libFuzzer's own byte mutations run.
// The cross-over splices statements of one input into the other.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {

struct Token {
  size_t begin, end;
  enum Kind { Ident, Number, String, Punct, Space } kind;
};

std::vector<Token> tokenize(const std::string &s) {
  std::vector<Token> out;
  size_t i = 0;
  auto isId = [](char c) { return std::isalnum((unsigned char)c) || c == '_'; };
  while (i < s.size()) {
    size_t b = i;
    char c = s[i];
    Token::Kind kind;
    if (s.compare(i, 2, "//") == 0) { // a comment: left alone, like whitespace
      while (i < s.size() && s[i] != '\n')
        ++i;
      kind = Token::Space;
    } else if (std::isspace((unsigned char)c)) {
      while (i < s.size() && std::isspace((unsigned char)s[i]))
        ++i;
      kind = Token::Space;
    } else if (std::isalpha((unsigned char)c) || c == '_') {
      while (i < s.size() && isId(s[i]))
        ++i;
      kind = Token::Ident;
    } else if (std::isdigit((unsigned char)c)) {
      while (i < s.size() &&
             (isId(s[i]) || s[i] == '.' ||
              ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
        ++i;
      kind = Token::Number;
    } else if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"' && s[i] != '\n')
        i += s[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, s.size());
      kind = Token::String;
    } else {
      static const char *two[] = {"->", "<=", ">=", "==", "!=", "&&", "||", "~=", "//", "<<", ">>"};
      i += 1;
      for (const char *t : two)
        if (s.compare(b, 2, t) == 0)
          i = b + 2;
      kind = Token::Punct;
    }
    out.push_back({b, i, kind});
  }
  return out;
}

// Replacement classes: a token in one is replaced by another of the same class.
const std::vector<std::vector<std::string>> &classes() {
  static const std::vector<std::vector<std::string>> c = {
      {"f64", "f32", "f16", "bf16", "f8e4m3", "f8e5m2", "i64", "i32", "i8", "u64", "u32", "u16",
       "u8", "bool"},
      {"exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "abs", "sign", "sin", "cos", "erf",
       "log1p", "expm1", "floor", "ceil", "round", "trunc", "isnan", "isinf"},
      {"min", "max", "pow"},
      {"where", "clamp"},
      {"sum", "max", "min", "prod"},
      {"+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=", "&&", "||", "<<", ">>", "&", "^",
       "|"},
      {"true", "false"},
      {"tile", "vector", "parallel", "threads"},
      {"==", "~="},
  };
  return c;
}

const std::vector<std::string> &numbers() {
  static const std::vector<std::string> n = {"0",
                                             "1",
                                             "2",
                                             "3",
                                             "4",
                                             "7",
                                             "8",
                                             "16",
                                             "31",
                                             "32",
                                             "64",
                                             "100",
                                             "127",
                                             "128",
                                             "255",
                                             "256",
                                             "1024",
                                             "65504",
                                             "65520",
                                             "2147483647",
                                             "2147483648",
                                             "4294967296",
                                             "9223372036854775807",
                                             "9223372036854775808",
                                             "0.0",
                                             "0.5",
                                             "1.0",
                                             "1.5",
                                             "0.1",
                                             "1e-3",
                                             "1e-8",
                                             "1e-30",
                                             "1e-45",
                                             "1e-320",
                                             "1e30",
                                             "1e38",
                                             "3.5e38",
                                             "1e300",
                                             "1e309"};
  return n;
}

const std::vector<std::string> &wrappers() {
  static const std::vector<std::string> w = {
      "exp",   "log", "sqrt",  "rsqrt", "tanh",  "sigmoid", "abs",   "sign",  "sin",
      "cos",   "erf", "log1p", "expm1", "floor", "ceil",    "round", "trunc", "isnan",
      "isinf", "f64", "f32",   "f16",   "bf16",  "i64",     "i32",   "i8",    "u64",
      "u32",   "u16", "u8",    "bool",  "-",     "!",       "~"};
  return w;
}

struct Mutator {
  std::string s;
  std::vector<Token> tokens;
  std::minstd_rand rng;

  size_t pick(size_t n) { return n ? rng() % n : 0; }
  std::string text(const Token &t) const { return s.substr(t.begin, t.end - t.begin); }
  std::vector<size_t> tokensOf(Token::Kind kind) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i].kind == kind)
        out.push_back(i);
    return out;
  }
  void replace(size_t begin, size_t end, const std::string &with) {
    s = s.substr(0, begin) + with + s.substr(end);
  }

  bool swapInClass() {
    std::vector<std::pair<size_t, const std::vector<std::string> *>> options;
    for (size_t i = 0; i < tokens.size(); ++i)
      for (const auto &cls : classes())
        if (std::find(cls.begin(), cls.end(), text(tokens[i])) != cls.end())
          options.push_back({i, &cls});
    if (options.empty())
      return false;
    auto [i, cls] = options[pick(options.size())];
    replace(tokens[i].begin, tokens[i].end, (*cls)[pick(cls->size())]);
    return true;
  }

  bool swapNumber() {
    std::vector<size_t> nums;
    for (size_t i : tokensOf(Token::Number)) // not a version (1.0.0)
      if (std::count(s.begin() + tokens[i].begin, s.begin() + tokens[i].end, '.') < 2)
        nums.push_back(i);
    if (nums.empty())
      return false;
    const Token &t = tokens[nums[pick(nums.size())]];
    replace(t.begin, t.end, numbers()[pick(numbers().size())]);
    return true;
  }

  bool swapName() {
    static const std::vector<std::string> keywords = {"spec",     "kernel",  "const", "inout",
                                                      "behavior", "given",   "when",  "then",
                                                      "within",   "schedule"};
    std::vector<size_t> ids;
    for (size_t i : tokensOf(Token::Ident))
      if (std::find(keywords.begin(), keywords.end(), text(tokens[i])) == keywords.end())
        ids.push_back(i);
    if (ids.size() < 2)
      return false;
    const Token &to = tokens[ids[pick(ids.size())]];
    replace(to.begin, to.end, text(tokens[ids[pick(ids.size())]]));
    return true;
  }

  // Statement spans: from after a ';' or '{' up to and including the next ';'.
  std::vector<std::pair<size_t, size_t>> statements() const {
    std::vector<std::pair<size_t, size_t>> out;
    size_t start = std::string::npos;
    for (const Token &t : tokens) {
      if (t.kind != Token::Punct)
        continue;
      char c = s[t.begin];
      if (c == ';' && start != std::string::npos)
        out.push_back({start, t.end});
      if (c == ';' || c == '{' || c == '}')
        start = t.end;
    }
    return out;
  }

  bool statementEdit() {
    auto st = statements();
    if (st.empty())
      return false;
    auto [b, e] = st[pick(st.size())];
    std::string stmt = s.substr(b, e - b);
    switch (pick(3)) {
    case 0: { // duplicate after another statement
      size_t at = st[pick(st.size())].second;
      s.insert(at, stmt);
      return true;
    }
    case 1: // delete
      s.erase(b, e - b);
      return true;
    default: { // move: delete here, insert after another one
      size_t at = st[pick(st.size())].second;
      if (at > b && at < e)
        return false;
      s.insert(at, stmt);
      s.erase(at <= b ? b + stmt.size() : b, e - b);
      return true;
    }
    }
  }

  // An operand: a name, optionally with a balanced [...] subscript, or a number.
  bool operand(size_t i, size_t &end) const {
    if (tokens[i].kind == Token::Number) {
      end = tokens[i].end;
      return true;
    }
    if (tokens[i].kind != Token::Ident)
      return false;
    end = tokens[i].end;
    size_t j = i + 1;
    while (j < tokens.size() && tokens[j].kind == Token::Space)
      ++j;
    if (j < tokens.size() && s[tokens[j].begin] == '[') {
      int depth = 0;
      for (; j < tokens.size(); ++j) {
        char c = s[tokens[j].begin];
        depth += c == '[' ? 1 : c == ']' ? -1 : 0;
        if (c == ';' || c == '{')
          return false;
        if (depth == 0) {
          end = tokens[j].end;
          break;
        }
      }
    }
    return true;
  }

  // Operands after the first '=' of a statement (the right-hand sides).
  bool combineOperands() {
    std::vector<std::pair<size_t, size_t>> ops;
    bool rhs = false, sawKernel = false;
    int depth = 0;  // inside [...] only index names and literals may stand
    int braces = 0; // > 0 inside a kernel's body (behaviors' values are no expressions)
    for (size_t i = 0; i < tokens.size(); ++i) {
      char c = tokens[i].kind == Token::Punct ? s[tokens[i].begin] : 0;
      if (tokens[i].kind == Token::Ident && text(tokens[i]) == "kernel")
        sawKernel = true;
      if (c == '{' && (braces > 0 || sawKernel))
        ++braces, sawKernel = false;
      if (c == '}' && braces > 0)
        --braces;
      if (c == ';' || c == '{' || braces == 0)
        rhs = false, depth = 0;
      else if (c == '=' && tokens[i].end - tokens[i].begin == 1)
        rhs = true;
      depth += c == '[' ? 1 : c == ']' ? -1 : 0;
      size_t end;
      if (rhs && depth == 0 && operand(i, end))
        ops.push_back({tokens[i].begin, end});
    }
    if (ops.empty())
      return false;
    auto [b, e] = ops[pick(ops.size())];
    std::string a = s.substr(b, e - b);
    if (pick(2)) {
      const std::string &w = wrappers()[pick(wrappers().size())];
      replace(b, e, w + "(" + a + ")");
    } else {
      auto [b2, e2] = ops[pick(ops.size())];
      const auto &binary = classes()[5];
      replace(b, e,
              "(" + a + " " + binary[pick(binary.size())] + " " + s.substr(b2, e2 - b2) + ")");
    }
    return true;
  }

  bool mutateOnce() {
    tokens = tokenize(s);
    switch (pick(6)) {
    case 0:
    case 1:
      return swapInClass();
    case 2:
      return swapNumber();
    case 3:
      return swapName();
    case 4:
      return statementEdit();
    default:
      return combineOperands();
    }
  }
};

} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t maxSize,
                                          unsigned int seed) {
  Mutator m;
  m.rng.seed(seed);
  if (m.pick(4) != 0) {
    m.s.assign(reinterpret_cast<const char *>(data), size);
    bool changed = false;
    for (size_t n = 1 + m.pick(3); n > 0; --n)
      changed |= m.mutateOnce();
    if (changed && m.s.size() <= maxSize) {
      std::memcpy(data, m.s.data(), m.s.size());
      return m.s.size();
    }
  }
  return LLVMFuzzerMutate(data, size, maxSize);
}

// Statements of the second input spliced after a statement of the first.
extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
                                            const uint8_t *data2, size_t size2, uint8_t *out,
                                            size_t maxOutSize, unsigned int seed) {
  Mutator a, b;
  a.rng.seed(seed);
  a.s.assign(reinterpret_cast<const char *>(data1), size1);
  b.s.assign(reinterpret_cast<const char *>(data2), size2);
  a.tokens = tokenize(a.s);
  b.tokens = tokenize(b.s);
  auto sa = a.statements(), sb = b.statements();
  if (sa.empty() || sb.empty())
    return 0;
  auto [from, to] = sb[a.pick(sb.size())];
  std::string result = a.s;
  result.insert(sa[a.pick(sa.size())].second, b.s.substr(from, to - from));
  if (result.size() > maxOutSize)
    return 0;
  std::memcpy(out, result.data(), result.size());
  return result.size();
}
