// f32 -> bf16 for LLVM's code generation on hosts without bf16 instructions.
#pragma once

namespace llvm {
class Module;
} // namespace llvm

namespace vibee {

/// Where `module` declares `__truncsfbf2` or has a select or truncation with a
/// bf16 result (which code generation may turn into a call), defines it
/// (weak_odr, hidden): f32 -> bf16 rounded to nearest even, NaN kept a quiet
/// NaN. x86's code generation calls that function for an f32 -> bf16
/// truncation where the target has no instruction for one (no AVX512-BF16 or
/// AVX-NE-CONVERT); it makes one of a `select` between two bf16 values, which
/// InstCombine forms from selects between their integer bit casts. GCC 12's
/// libgcc has no __truncsfbf2, so neither the JIT's process nor a host program
/// that links an object would find one otherwise.
void defineBf16Truncation(llvm::Module &module);

} // namespace vibee
