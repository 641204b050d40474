// Shared by the runtime's unit tests: the message of the CallError a call throws.
#pragma once

#include "runtime/Jit.h"

#include <string>

namespace vibee {

/// Runs `call` and returns the CallError's message ("" if nothing was thrown).
template <typename F> std::string callError(F call) {
  try {
    call();
  } catch (const CallError &e) {
    return e.what();
  }
  return "";
}

} // namespace vibee
