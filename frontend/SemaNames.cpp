// Names that would break the generated code. A spec, kernel, parameter, result or
// symbolic dim name becomes a C/C++ identifier in the headers and sources vibeec
// writes (namespace, function, argument names; docs/abi.md): a C or C++ keyword, or a
// standard macro, there gives code that does not compile, so it is an error here.
// Also the "did you mean" of an unknown name (closestName, suggest).
#include "frontend/SemaInternal.h"

#include <algorithm>
#include <iterator>

namespace vibee::sema {

using namespace ast;

namespace {

// C++23 keywords and alternative tokens, C23 keywords, and the <stdint.h> types the
// generated code spells (a parameter `int64_t` would shadow its own type).
const char *const kReserved[] = {
    // C++ (and C)
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "compl",
    "concept",
    "const",
    "consteval",
    "constexpr",
    "constinit",
    "const_cast",
    "continue",
    "co_await",
    "co_return",
    "co_yield",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
    // C only
    "restrict",
    "typeof",
    "typeof_unqual",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_BitInt",
    "_Bool",
    "_Complex",
    "_Decimal128",
    "_Decimal32",
    "_Decimal64",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    // types the generated code uses
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
};

// Object-like macros of the C headers the generated code includes (<stdint.h>,
// <math.h>, <float.h>, <stddef.h>, <stdio.h>, <errno.h>): a parameter `NAN` or `M_PI`
// would be replaced by the preprocessor.
const char *const kMacros[] = {
    "NULL",        "EOF",        "errno",      "NAN",         "INFINITY",  "HUGE_VAL",  "HUGE_VALF",
    "M_E",         "M_LOG2E",    "M_LOG10E",   "M_LN2",       "M_LN10",    "M_PI",      "M_PI_2",
    "M_PI_4",      "M_1_PI",     "M_2_PI",     "M_2_SQRTPI",  "M_SQRT2",   "M_SQRT1_2", "INT8_MIN",
    "INT8_MAX",    "INT16_MIN",  "INT16_MAX",  "INT32_MIN",   "INT32_MAX", "INT64_MIN", "INT64_MAX",
    "UINT8_MAX",   "UINT16_MAX", "UINT32_MAX", "UINT64_MAX",  "SIZE_MAX",  "FLT_MAX",   "FLT_MIN",
    "FLT_EPSILON", "DBL_MAX",    "DBL_MIN",    "DBL_EPSILON",
};

template <size_t N> bool isIn(const char *const (&list)[N], const std::string &name) {
  return std::any_of(std::begin(list), std::end(list), [&](const char *k) { return name == k; });
}

void check(DiagnosticEngine &diags, Loc loc, const std::string &name, const char *what) {
  const char *kind = nullptr;
  if (isIn(kMacros, name))
    kind = "a C macro of the headers the generated code includes";
  else if (!isIn(kReserved, name))
    return;
  else if (name.size() > 2 && name.compare(name.size() - 2, 2, "_t") == 0 && name != "char8_t" &&
           name != "char16_t" && name != "char32_t" && name != "wchar_t")
    kind = "a C type name the generated code uses";
  else
    kind = "a C/C++ keyword";
  diags.error(loc, "'" + name + "' is " + kind + " and cannot name " + what);
}

} // namespace

void checkReservedNames(Spec &spec, DiagnosticEngine &diags) {
  check(diags, spec.nameLoc, spec.name, "a spec");
  for (const Kernel &k : spec.kernels) {
    check(diags, k.loc, k.name, "a kernel");
    for (const Param &p : k.params) {
      check(diags, p.loc, p.name, "a parameter");
      for (const DimSpec &d : p.type.dims)
        if (!d.symbol.empty())
          check(diags, d.loc, d.symbol, "a dim");
    }
    for (const Result &r : k.results) {
      check(diags, r.loc, r.name, "a result");
      for (const DimSpec &d : r.type.dims)
        if (!d.symbol.empty())
          check(diags, d.loc, d.symbol, "a dim");
    }
  }
}

std::string closestName(const std::string &name, const std::vector<std::string> &cands) {
  std::string best;
  size_t bestDist = name.size() / 2 + 1; // accept up to half the letters changed
  for (const std::string &c : cands) {
    if (c == name || c.empty() || name.size() > 64 || c.size() > 64)
      continue;
    // Levenshtein distance, one row (llvm::StringRef::edit_distance would need
    // LLVMSupport, which the frontend does not link: see frontend/CMakeLists.txt).
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j)
      row[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (name[i - 1] != c[j - 1])});
        diag = up;
      }
    }
    if (row[c.size()] < bestDist)
      bestDist = row[c.size()], best = c;
  }
  return best;
}

void suggest(DiagnosticEngine &diags, Loc loc, const std::string &name,
             const std::vector<std::string> &candidates) {
  std::string best = closestName(name, candidates);
  if (!best.empty())
    diags.note(loc, "did you mean '" + best + "'?");
}

} // namespace vibee::sema
