// RUN: %vibeec compile %specs/optim/lion.vibee --emit=llvm -o - | FileCheck %s

// The optimized LLVM IR of a threaded kernel (libomp found at compile time): the
// loop body is one internal noinline function, called by the serial branch on the
// whole range and by the OpenMP outlined region on each thread's range; LLVM has
// not copied it back into either.
// CHECK-LABEL: define internal void @step(
// CHECK:         call void @step__chunk0(i64 0,
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK-LABEL: define internal void @step..omp_par(
// CHECK-NOT:     fmul
// CHECK:         call void @step__chunk0(
// CHECK-NOT:     fmul
// CHECK:       }
// CHECK:       ; Function Attrs: noinline
// CHECK-NEXT:  define internal void @step__chunk0({{.*}}) #[[NOINLINE:[0-9]+]] {
// CHECK:         fmul {{.*}}<{{[0-9]+}} x float>
// CHECK:       }
// CHECK-NOT:   define
// CHECK:       attributes #[[NOINLINE]] = { noinline }
