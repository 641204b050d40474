// RUN: %vibee-opt %s --vibee-to-llvm | FileCheck %s
// RUN: %vibee-opt %s --vibee-to-llvm | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR

// An elementwise statement feeding a row reduction, written into a result.
// CHECK-NOT:   vibee.{{compute|kernel|return}}
// CHECK-NOT:   memref.
// CHECK:       llvm.func @vibee_demo_rownorm(%{{.*}}: !llvm.ptr, %{{.*}}: f32, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// CHECK:       llvm.func internal @rownorm(
// The temporary through the runtime's cache when linked (else the C library).
// CHECK-DAG:     llvm.mlir.addressof @vibee_cpu_temp_alloc
// CHECK-DAG:     llvm.mlir.addressof @aligned_alloc
// CHECK-DAG:     llvm.mlir.addressof @vibee_cpu_temp_free
// CHECK-DAG:     llvm.mlir.addressof @free

// IR: define void @vibee_demo_rownorm(ptr %0, float %1, ptr %2, i64 %3, i64 %4)
// IR: define internal void @rownorm(
#id = affine_map<(d0, d1) -> (d0, d1)>
#s = affine_map<(d0, d1) -> ()>
module attributes {vibee.spec = "demo"} {
  vibee.kernel @rownorm(%x: tensor<?x?xf32>, %scale: f32) -> tensor<?xf32>
      attributes {dim_names = ["R", "C"], arg_dims = [[0, 1], [], [0]]} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %R = tensor.dim %x, %c0 : tensor<?x?xf32>
    %C = tensor.dim %x, %c1 : tensor<?x?xf32>
    %sq = vibee.compute none [%R, %C] ins(%x, %scale : tensor<?x?xf32>, f32) maps [#id, #s] -> tensor<?x?xf32> {
    ^bb0(%v: f32, %k: f32):
      %m = arith.mulf %v, %v : f32
      %r = arith.mulf %m, %k : f32
      vibee.yield %r : f32
    }
    %sum = vibee.compute sum [%R, %C] ins(%sq : tensor<?x?xf32>) maps [#id] -> tensor<?xf32> {
    ^bb0(%v: f32):
      vibee.yield %v : f32
    }
    %y = vibee.compute none [%R] ins(%sum : tensor<?xf32>) maps [affine_map<(d0) -> (d0)>] -> tensor<?xf32> {
    ^bb0(%v: f32):
      %r = math.sqrt %v : f32
      vibee.yield %r : f32
    }
    vibee.return %y : tensor<?xf32>
  }
}
