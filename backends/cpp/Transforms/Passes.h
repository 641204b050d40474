// The C++ output's transforms (backends/cpp/Transforms/Passes.td) and their
// registration.
#pragma once

#include "mlir/Pass/Pass.h"

namespace vibee {

#define GEN_PASS_DECL
#include "backends/cpp/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/cpp/Transforms/Passes.h.inc"

} // namespace vibee
