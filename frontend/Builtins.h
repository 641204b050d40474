// The builtin functions as an enum generated from Builtins.def. Sema resolves a call's
// name once (Expr::builtin); folding, MLIRGen and the reference interpreter switch over
// the enum without a default, so a builtin added to the table but not implemented
// somewhere is a -Wswitch error (the frontend targets build with -Werror=switch).
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace vibee::ast {

enum class Builtin {
#define BUILTIN(Enum, Name, Arity, Kind) Enum,
#include "frontend/Builtins.def"
};

enum class BuiltinKind { Math1, Math2, Rounding, Test, Clamp, Select, Cast, Random };

struct BuiltinInfo {
  const char *name;
  int arity; // -1: variadic (Random: a seed and 1 to 4 counters)
  BuiltinKind kind;
};

const BuiltinInfo &builtinInfo(Builtin b);
std::optional<Builtin> lookupBuiltin(const std::string &name);
// Every builtin's name, in table order (for "did you mean" notes).
std::vector<std::string> builtinNames();

// floor/ceil/round/trunc on a double, for constant folding and the reference
// interpreter alike. `round` rounds halfway cases away from zero (C's round, MLIR's
// math.round); other builtins return x.
inline double roundAs(Builtin fn, double x) {
  switch (fn) {
  case Builtin::Floor:
    return std::floor(x);
  case Builtin::Ceil:
    return std::ceil(x);
  case Builtin::Round:
    return std::round(x);
  case Builtin::Trunc:
    return std::trunc(x);
  default:
    return x;
  }
}

} // namespace vibee::ast
