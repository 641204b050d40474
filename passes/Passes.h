// The vibee passes (Passes.td) and their registration.
#pragma once

#include "mlir/Pass/Pass.h"

namespace vibee {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace vibee
