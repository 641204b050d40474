// vibee-gpu-serial-leftovers: a reduction to a scalar has no parallel loop, so the
// parallel-loops route leaves it as a host loop over device memory; it (and the
// store of its initial value) moves into a gpu.launch of one block of one thread,
// with a remark. Loops that launch kernels and loads the host uses stay.
// RUN: %vibee-opt %s -vibee-gpu-serial-leftovers -verify-diagnostics | FileCheck %s

module attributes {gpu.container_module} {

// CHECK-LABEL: func.func @total(
// CHECK:         arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[ONE:[a-z0-9_]+]] = arith.constant 1 : index
// CHECK-NEXT:    gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK-NEXT:      memref.store
// CHECK-NEXT:      gpu.terminator
// CHECK:         gpu.launch
// CHECK-NEXT:      scf.for
// CHECK:             memref.load
// CHECK:             memref.store
// CHECK:           gpu.terminator
// CHECK:         return
func.func @total(%x: memref<?xf32>, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  memref.store %zero, %s[] : memref<f32>
  %n = memref.dim %x, %c0 : memref<?xf32>
  // expected-remark @below {{statement runs on one GPU thread}}
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %acc = memref.load %s[] : memref<f32>
    %sum = arith.addf %v, %acc : f32
    memref.store %sum, %s[] : memref<f32>
  }
  return
}

// CHECK-LABEL: func.func @host_side(
// CHECK-NOT:     gpu.launch blocks
// CHECK:         scf.for
// CHECK:           gpu.launch_func
// CHECK:         memref.load
// CHECK:         scf.for
func.func @host_side(%n: index, %flag: memref<index>, %buf: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buf : memref<?xf32>)
  }
  %m = memref.load %flag[] : memref<index>
  scf.for %i = %c0 to %m step %c1 {
  }
  return
}

func.func private @declared_only()

gpu.module @k {
  gpu.func @f(%b: memref<?xf32>) kernel {
    gpu.return
  }
}

}
