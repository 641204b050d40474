// The bounds of affine subscripts (docs/language.md, "Affine subscripts"), shared by
// sema (errors, clamped reads under `where`) and Requirements.cpp (what a call must
// meet). A subscript stays inside its axis when relations of the form
// `sum(coeff * dim) + constant >= 0` over the kernel's symbolic dims hold; each
// holds, never holds, or depends on the sizes of a call.
#pragma once

#include "frontend/AST.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vibee {

// sum(coeff * Kernel::dims[d]) + constant, over symbolic dims only (literal dims fold
// into the constant). `overflow` is set when the arithmetic left int64.
struct LinearForm {
  std::map<int, int64_t> terms;
  int64_t constant = 0;
  bool overflow = false;
};

// `form` with each derived dim (`N - K + 1`) replaced by its terms and each literal
// dim folded into the constant: a form over the dims that parameters carry.
LinearForm overParameterDims(const ast::Kernel &k, const LinearForm &form);

enum class Truth { Proven, Never, Unknown };

// The relations (each `form >= 0`) under which subscript `sub` on an axis of kernel
// dim `axisDim` reads inside the axis whenever every loop of `stmt` runs. A plain
// index subscript has none (its loop ranges over the axis).
std::vector<LinearForm> subscriptRelations(const ast::Kernel &k, const ast::Statement &stmt,
                                           const ast::Subscript &sub, int axisDim);

// Whether `form >= 0` holds for every size of the symbolic dims (each a loop extent
// of `stmt` at least 1, any other at least 0).
Truth decide(const ast::Kernel &k, const ast::Statement &stmt, const LinearForm &form);

// "N >= 2 * M", "N + 1 >= M + K".
std::string relationText(const ast::Kernel &k, const LinearForm &form);

// The value of `form` for the dims' sizes; false when it overflows int64.
bool evaluate(const LinearForm &form, const std::vector<int64_t> &dimSize, int64_t &value);

// A subscript as written: "2 * j + 1", "N - 1 - i", "k / 128", "ids[s]".
std::string subscriptText(const ast::Kernel &k, const ast::Statement &stmt,
                          const ast::Subscript &sub);

} // namespace vibee
