// The vibee -> linalg conversion (conversion/VibeeToLinalg/Passes.td) and their registration.
#pragma once

#include "mlir/Pass/Pass.h"

namespace vibee {

#define GEN_PASS_DECL
#include "conversion/VibeeToLinalg/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "conversion/VibeeToLinalg/Passes.h.inc"

} // namespace vibee
