// The target-independent vibee transforms (transforms/Passes.td) and their registration.
#pragma once

#include "mlir/Pass/Pass.h"

namespace vibee {

#define GEN_PASS_DECL
#include "transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "transforms/Passes.h.inc"

} // namespace vibee
