// The C/C++ header that declares a spec's exported kernels (`--emit=header`):
// `extern "C"` prototypes with the C ABI of docs/abi.md and, under C++, inline
// wrappers `vibee::<spec>::<kernel>` so host code compiles against the object file
// or the generated C++ unchanged.
#pragma once

#include "frontend/AST.h"

#include <string>
#include <vector>

namespace vibee {

std::string emitCHeader(const ast::Spec &spec);

// The C type of one element of a dtype in the ABI ("float", "uint16_t", ...).
const char *abiElementType(ast::DType dtype);
// The element type the generated C++ and CUDA host code use inside (MLIR's signless
// integers print as intN_t): the ABI's, but the signed type of the same width for the
// unsigned dtypes, whose pointers the entry points reinterpret_cast.
const char *emittedElementType(ast::DType dtype);

// The C parameters of a kernel in ABI order (docs/abi.md): parameters, results,
// symbolic dims; e.g. {"const float *grad", "grad"}.
struct AbiParameter {
  std::string declaration;
  std::string name;
  // A tensor of an unsigned dtype: the pointer type the generated code takes it as
  // ("int32_t *" for u32, emittedElementType), else "".
  std::string emittedPointer = "";
};
std::vector<AbiParameter> abiParameters(const ast::Kernel &kernel);

} // namespace vibee
