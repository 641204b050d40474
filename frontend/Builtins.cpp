#include "frontend/Builtins.h"

#include <iterator>

namespace vibee::ast {

namespace {
const BuiltinInfo kBuiltins[] = {
#define BUILTIN(Enum, Name, Arity, Kind) {Name, Arity, BuiltinKind::Kind},
#include "frontend/Builtins.def"
};
} // namespace

const BuiltinInfo &builtinInfo(Builtin b) { return kBuiltins[static_cast<int>(b)]; }

std::optional<Builtin> lookupBuiltin(const std::string &name) {
  for (size_t i = 0; i < std::size(kBuiltins); ++i)
    if (name == kBuiltins[i].name)
      return static_cast<Builtin>(i);
  return std::nullopt;
}

std::vector<std::string> builtinNames() {
  std::vector<std::string> out;
  for (const BuiltinInfo &info : kBuiltins)
    out.push_back(info.name);
  return out;
}

} // namespace vibee::ast
