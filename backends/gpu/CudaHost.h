// The C/C++ header of a `--target=cuda` object (`--emit=cuda-host`): the same
// prototypes as the CPU header (docs/abi.md; tensor pointers are device
// pointers), the runtime's stream/error API, and C++ wrappers
// `vibee::cuda::<spec>::<kernel>(..., stream)` that launch on a cudaStream_t.
#pragma once

#include "frontend/AST.h"

#include <string>

namespace vibee {

std::string emitCudaHostHeader(const ast::Spec &spec);

} // namespace vibee
