// The GPU transforms (backends/gpu/Transforms/Passes.td) and their registration.
#pragma once

#include "mlir/Pass/Pass.h"

namespace vibee {

#define GEN_PASS_DECL
#include "backends/gpu/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/gpu/Transforms/Passes.h.inc"

} // namespace vibee
