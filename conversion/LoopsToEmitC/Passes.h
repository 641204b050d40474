// The bufferized-loops -> EmitC preparation (conversion/LoopsToEmitC/Passes.td) and their
// registration.
#pragma once

#include "mlir/Pass/Pass.h"

namespace vibee {

#define GEN_PASS_DECL
#include "conversion/LoopsToEmitC/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "conversion/LoopsToEmitC/Passes.h.inc"

} // namespace vibee
