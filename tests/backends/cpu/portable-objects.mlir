// AOT objects for the x86-64 baseline (--portable: SSE2, 128-bit vectors) need no
// runtime helpers: bf16 stores must not become calls of a __truncsfbf2 from
// outside (masked bf16 vector stores would, on this target; where code generation
// may still call one, for a select between bf16 values, the object defines its
// own, weak: backends/cpu/Bf16Truncation.h) and no vector wider than 128 bits is
// used.
// RUN: %vibeec compile %specs/nn/rmsnorm.vibee --portable --emit=obj -o %t.rmsnorm.o
// RUN: llvm-nm %t.rmsnorm.o | FileCheck %s --check-prefix=SYMS
// RUN: llvm-objdump -d %t.rmsnorm.o | FileCheck %s --check-prefix=ASM
// RUN: %vibeec compile %specs/nn/softmax.vibee --portable --emit=obj -o %t.softmax.o
// RUN: llvm-nm %t.softmax.o | FileCheck %s --check-prefix=SYMS
// RUN: llvm-objdump -d %t.softmax.o | FileCheck %s --check-prefix=ASM
// SYMS-NOT: U __truncsfbf2
// SYMS-NOT: __extendbfsf2
// ASM-NOT: {{[yz]mm}}
