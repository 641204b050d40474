// vibee-gpu-serial-leftovers: a reduction to a scalar has no parallel loop, so the
// parallel-loops route leaves it as a host loop over device memory; it (and the
// store of its initial value) moves into a gpu.launch of one block of one thread,
// with a remark. Loops that launch kernels and loads the host uses stay. A
// loop-free statement on scalars (`norm = sqrt(sq)`) moves with the loads and the
// arithmetic it reads; a kernel that captures such a value computes it itself.
// RUN: %vibee-opt %s -vibee-gpu-serial-leftovers -split-input-file -verify-diagnostics | FileCheck %s

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

// CHECK-LABEL: func.func @scalar_statement(
// CHECK:         gpu.launch blocks
// CHECK-NEXT:      %[[SQ:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK-NEXT:      %[[ROOT:.*]] = math.sqrt %[[SQ]]
// CHECK-NEXT:      memref.store %[[ROOT]], %{{.*}}[] : memref<f32>
// CHECK-NEXT:      gpu.terminator
// CHECK:         gpu.launch blocks
// CHECK-NEXT:      %[[SQ2:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK-NEXT:      %[[ROOT2:.*]] = math.sqrt %[[SQ2]]
// CHECK-NEXT:      %[[COEF:.*]] = arith.divf %{{.*}}, %[[ROOT2]]
// CHECK:           arith.mulf %{{.*}}, %[[COEF]]
// CHECK:           gpu.terminator
// CHECK-NOT:     memref.load
// CHECK:         return
func.func @scalar_statement(%g: memref<?xf32>, %sq: memref<f32>, %norm: memref<f32>, %max: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s = memref.load %sq[] : memref<f32>
  %root = math.sqrt %s : f32
  // expected-remark @below {{a statement on scalars has no loop to map}}
  memref.store %root, %norm[] : memref<f32>
  %coef = arith.divf %max, %root : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %g[%tx] : memref<?xf32>
    %w = arith.mulf %v, %coef : f32
    memref.store %w, %g[%tx] : memref<?xf32>
    gpu.terminator
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

// -----

// A kernel that writes the buffer its captured scalar was loaded from: a clone of
// the load at the kernel's start could race with the write, so it is an error.
module attributes {gpu.container_module} {
func.func @reads_what_it_writes(%s: memref<f32>, %max: f32) {
  %c1 = arith.constant 1 : index
  %v = memref.load %s[] : memref<f32>
  %twice = arith.mulf %v, %max : f32
  // expected-error @below {{reads a scalar computed from a buffer it also writes}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %twice, %s[] : memref<f32>
    gpu.terminator
  }
  return
}
}
