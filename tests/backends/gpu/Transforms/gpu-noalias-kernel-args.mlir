// RUN: %vibee-opt %s -vibee-gpu-noalias-kernel-args | FileCheck %s

// Kernel arguments (the C ABI: no output overlaps another tensor) and
// allocations are distinct buffers: their kernels' arguments are noalias.
// Two views of one buffer in the same launch, or a buffer whose origin is not
// known (a plain function's argument), are not.
// CHECK-LABEL: gpu.func @distinct(
// CHECK-SAME: %{{.*}}: memref<?xf32> {llvm.noalias}, %{{.*}}: memref<?xf32> {llvm.noalias}, %{{.*}}: memref<2xi64> {llvm.noalias}, %{{.*}}: index)
// CHECK-LABEL: gpu.func @views(
// CHECK-SAME: %{{.*}}: memref<4xf32, strided<[1]>>, %{{.*}}: memref<4xf32, strided<[1], offset: 4>>, %{{.*}}: memref<?xf32> {llvm.noalias})
// CHECK-LABEL: gpu.func @unknown(
// CHECK-SAME: %{{.*}}: memref<?xf32>)
module attributes {gpu.container_module} {
  func.func @k(%a: memref<?xf32>, %b: memref<?xf32>) attributes {vibee.kernel} {
    %c1 = arith.constant 1 : index
    %flags = gpu.alloc () : memref<2xi64>
    gpu.launch_func @kernels::@distinct blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      args(%a : memref<?xf32>, %b : memref<?xf32>, %flags : memref<2xi64>, %c1 : index)
    %lo = memref.subview %a[0] [4] [1] : memref<?xf32> to memref<4xf32, strided<[1]>>
    %hi = memref.subview %a[4] [4] [1] : memref<?xf32> to memref<4xf32, strided<[1], offset: 4>>
    gpu.launch_func @kernels::@views blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      args(%lo : memref<4xf32, strided<[1]>>, %hi : memref<4xf32, strided<[1], offset: 4>>, %b : memref<?xf32>)
    return
  }
  func.func @helper(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@unknown blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @distinct(%a: memref<?xf32>, %b: memref<?xf32>, %f: memref<2xi64>, %n: index) kernel {
      gpu.return
    }
    gpu.func @views(%lo: memref<4xf32, strided<[1]>>, %hi: memref<4xf32, strided<[1], offset: 4>>,
                    %b: memref<?xf32>) kernel {
      gpu.return
    }
    gpu.func @unknown(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}
