// Names that would break the generated code. A spec, kernel, parameter, result or
// symbolic dim name becomes a C/C++ identifier in the headers and sources vibeec
// writes (namespace, function, argument names; docs/abi.md): a C or C++ keyword there
// gives a header that does not compile, so it is an error here, at the name.
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
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool",
    "break", "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl",
    "concept", "const", "consteval", "constexpr", "constinit", "const_cast", "continue",
    "co_await", "co_return", "co_yield", "decltype", "default", "delete", "do", "double",
    "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float",
    "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
    "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
    "protected", "public", "register", "reinterpret_cast", "requires", "return", "short",
    "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch",
    "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
    "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
    "while", "xor", "xor_eq",
    // C only
    "restrict", "typeof", "typeof_unqual", "_Alignas", "_Alignof", "_Atomic", "_BitInt",
    "_Bool", "_Complex", "_Decimal128", "_Decimal32", "_Decimal64", "_Generic",
    "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
    // types the generated code uses
    "int8_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
};

bool isReserved(const std::string &name) {
  return std::any_of(std::begin(kReserved), std::end(kReserved),
                     [&](const char *k) { return name == k; });
}

void check(DiagnosticEngine &diags, Loc loc, const std::string &name, const char *what) {
  if (!isReserved(name))
    return;
  bool type = name.size() > 2 && name.compare(name.size() - 2, 2, "_t") == 0 &&
              name != "char8_t" && name != "char16_t" && name != "char32_t" &&
              name != "wchar_t";
  diags.error(loc, "'" + name + "' is " +
                       (type ? "a C type name the generated code uses"
                             : "a C/C++ keyword") +
                       " and cannot name " + what);
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

} // namespace vibee::sema
