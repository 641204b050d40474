// The C++ function (a <cmath> function or a helper of the C++ preamble,
// backends/cpp/runtime/vibee_cpp_helpers.h) that computes a math or float arith op
// in the C++ output; "" for ops it does not cover. Used by PrepareEmitC.cpp.
#pragma once

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringSwitch.h"

namespace vibee {

inline llvm::StringRef mathCallee(mlir::Operation *op) {
  return llvm::StringSwitch<llvm::StringRef>(op->getName().getStringRef())
      .Case("math.exp", "std::exp")
      .Case("math.exp2", "std::exp2")
      .Case("math.expm1", "std::expm1")
      .Case("math.log", "std::log")
      .Case("math.log2", "std::log2")
      .Case("math.log10", "std::log10")
      .Case("math.log1p", "std::log1p")
      .Case("math.sqrt", "std::sqrt")
      .Case("math.cbrt", "std::cbrt")
      .Case("math.rsqrt", "rsqrt")
      .Case("math.sin", "std::sin")
      .Case("math.cos", "std::cos")
      .Case("math.tan", "std::tan")
      .Case("math.tanh", "std::tanh")
      .Case("math.sinh", "std::sinh")
      .Case("math.cosh", "std::cosh")
      .Case("math.asin", "std::asin")
      .Case("math.acos", "std::acos")
      .Case("math.atan", "std::atan")
      .Case("math.atan2", "std::atan2")
      .Case("math.erf", "std::erf")
      .Case("math.powf", "std::pow")
      .Case("math.absf", "std::fabs")
      .Case("math.floor", "vec_floor")
      .Case("math.ceil", "std::ceil")
      .Case("math.round", "std::round")
      .Case("math.roundeven", "std::nearbyint")
      .Case("math.trunc", "std::trunc")
      .Case("math.copysign", "std::copysign")
      .Case("math.fma", "vec_fma")
      .Case("arith.maximumf", "maximum")
      .Case("arith.minimumf", "minimum")
      .Case("arith.maxnumf", "vec_fmax")
      .Case("arith.minnumf", "vec_fmin")
      .Case("arith.remf", "std::fmod")
      .Default("");
}

} // namespace vibee
