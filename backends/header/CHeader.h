// The C/C++ header that declares a spec's exported kernels (`--emit=header`):
// `extern "C"` prototypes with the C ABI of docs/abi.md and, under C++, inline
// wrappers `vibee::<spec>::<kernel>` so host code compiles against the object file
// or the generated C++ unchanged.
#pragma once

#include "frontend/AST.h"

#include <string>

namespace vibee {

std::string emitCHeader(const ast::Spec &spec);

// The C type of one element of a dtype in the ABI ("float", "uint16_t", ...).
const char *abiElementType(ast::DType dtype);

} // namespace vibee
