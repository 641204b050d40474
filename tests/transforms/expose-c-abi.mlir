// RUN: %vibee-opt %s -vibee-expose-c-abi | FileCheck %s
// RUN: %vibee-opt %s -vibee-expose-c-abi -convert-func-to-llvm -reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @vibee_lion_step(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr, %[[G:.*]]: !llvm.ptr, %[[LR:.*]]: f32, %[[H:.*]]: i16, %[[B:.*]]: i8, %[[OUT:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[K:.*]]: i64)
// CHECK:         llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         llvm.insertvalue %[[K]], %{{.*}}[3, 1]
// CHECK:         llvm.insertvalue %[[N]], %{{.*}}[3, 0]
// CHECK:         %[[PM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x?xf32>
// CHECK:         %[[C4:.*]] = arith.constant 4 : i64
// CHECK:         llvm.insertvalue %[[C4]], %{{.*}}[3, 1]
// CHECK:         %[[GM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x4xf32>
// CHECK:         %[[HF:.*]] = arith.bitcast %[[H]] : i16 to bf16
// CHECK:         %[[BB:.*]] = arith.cmpi ne, %[[B]], %{{.*}} : i8
// CHECK:         %[[OM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?xf32>
// CHECK:         call @step(%[[PM]], %[[GM]], %[[LR]], %[[HF]], %[[BB]], %[[OM]])
// CHECK:       func.func private @step(
// CHECK-SAME:    llvm.linkage = #llvm.linkage<internal>

// LLVM: llvm.func @vibee_lion_step(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: f32, %{{.*}}: i16, %{{.*}}: i8, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.func internal @step(
module attributes {vibee.spec = "lion"} {
  func.func @step(%p: memref<?x?xf32>, %g: memref<?x4xf32>, %lr: f32, %h: bf16, %b: i1, %out: memref<?xf32>)
      attributes {vibee.kernel, vibee.dim_names = ["N", "K"], vibee.arg_dims = [[0, 1], [0, -1], [], [], [], [1]],
                  vibee.modes = ["inout", "in", "in", "in", "in"]} {
    return
  }
  // Not a kernel: left alone.
  // CHECK-NOT: vibee_lion_helper
  func.func @helper() {
    return
  }
}
