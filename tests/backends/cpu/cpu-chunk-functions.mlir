// RUN: %vibeec compile %specs/optim/lion.vibee --emit=llvm -o - | FileCheck %s
// RUN: %vibeec compile %specs/optim/lion.vibee --emit=obj -o %t.o
// RUN: llvm-objdump -d --no-show-raw-insn %t.o | FileCheck %s --check-prefix=OBJ

// A threaded kernel (libomp found at compile time) as translated to LLVM IR (before
// LLVM's O3): the loop body is one internal noinline function. The kernel passes
// its entry function and a context record (the captured values, on the kernel's
// stack) to the module's dispatch, which calls the runtime's parallel loop when
// the runtime is linked and the entry function on the whole range otherwise; the
// entry function unpacks the record and calls the body. No OpenMP region is left
// in the object: the runtime (CpuRuntime.c) runs the team.
// CHECK:       ; Function Attrs: noinline
// CHECK-NEXT:  define internal void @vibee_parallel_for_or_serial(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6) #[[NOINLINE:[0-9]+]] {
// CHECK:         %[[LINKED:.*]] = icmp ne ptr @vibee_cpu_parallel_for, null
// CHECK:         br i1 %[[LINKED]]
// CHECK:         call void @vibee_cpu_parallel_for(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6)
// CHECK:         call void %0(i64 0, i64 %3, ptr %1)
// CHECK:       }
// CHECK-LABEL: define internal void @step(
// CHECK:         alloca [{{[0-9]+}} x i64], i64 1, align 64
// CHECK-NOT:     fmul
// CHECK:         call void @vibee_parallel_for_or_serial(ptr @step__chunk0_entry, ptr %{{.*}},
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK:       ; Function Attrs: noinline
// CHECK-NEXT:  define internal void @step__chunk0({{.*}}) #[[NOINLINE]] {
// CHECK:         fmul {{.*}}<{{[0-9]+}} x float>
// CHECK:       }
// CHECK-LABEL: define internal void @step__chunk0_entry(i64 %0, i64 %1, ptr %2) {
// CHECK-NOT:     fmul
// CHECK:         call void @step__chunk0(i64 %0, i64 %1,
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK-NOT:   define
// CHECK:       attributes #[[NOINLINE]] = { noinline }

// In the object (after O3 and code generation) the body is still one function,
// which the entry function reaches; the kernel reaches the dispatch.
// OBJ-LABEL: <vibee_parallel_for_or_serial>:
// OBJ-LABEL: <vibee_lion_step>:
// OBJ:         {{call|jmp}}{{q?}} {{.*}}<vibee_parallel_for_or_serial>
// OBJ-LABEL: <step__chunk0>:
// OBJ-LABEL: <step__chunk0_entry>:
// OBJ:         {{call|jmp}}{{q?}} {{.*}}<step__chunk0>
