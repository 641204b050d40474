// RUN: %vibeec compile %specs/optim/lion.vibee --emit=llvm -o - | FileCheck %s
// RUN: %vibeec compile %specs/optim/lion.vibee --emit=obj -o %t.o
// RUN: llvm-objdump -d --no-show-raw-insn %t.o | FileCheck %s --check-prefix=OBJ

// A threaded kernel (libomp found at compile time) as translated to LLVM IR (before
// LLVM's O3): the loop body is one internal noinline function, called by the serial
// branch on the whole range and by the OpenMP outlined region on each thread's range;
// both sit in the dispatch function @step__chunk0_threads, which the kernel calls
// (an OpenMP region's outlining then scans that small function, not the kernel).
// CHECK-LABEL: define internal void @step(
// CHECK-NOT:     fmul
// CHECK:         call void @step__chunk0_threads(
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK:       ; Function Attrs: noinline
// CHECK-NEXT:  define internal void @step__chunk0({{.*}}) #[[NOINLINE:[0-9]+]] {
// CHECK:         fmul {{.*}}<{{[0-9]+}} x float>
// CHECK:       }
// CHECK:       ; Function Attrs: noinline
// CHECK-NEXT:  define internal void @step__chunk0_threads({{.*}}) #[[NOINLINE]] {
// CHECK-NOT:     fmul
// CHECK:         call void @step__chunk0(i64 0,
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK-LABEL: define internal void @step__chunk0_threads..omp_par(
// CHECK-NOT:     fmul
// CHECK:         call void @step__chunk0(
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK-NOT:   define
// CHECK:       attributes #[[NOINLINE]] = { noinline }

// In the object (after O3 and code generation) it is still one function that both
// paths reach (the serial one as a tail call).
// OBJ-LABEL: <vibee_lion_step>:
// OBJ:         {{call|jmp}}{{q?}} {{.*}}<step__chunk0_threads>
// OBJ-LABEL: <step__chunk0>:
// OBJ-LABEL: <step__chunk0_threads>:
// OBJ:         {{call|jmp}}{{q?}} {{.*}}<step__chunk0>
// OBJ-LABEL: <step__chunk0_threads..omp_par>:
// OBJ:         call{{q?}} {{.*}}<step__chunk0>
