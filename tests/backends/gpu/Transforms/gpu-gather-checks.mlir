// vibee-gpu-gather-checks: a gathered position inside a gpu.launch is clamped as
// everywhere and, when the index is outside its axis, sets a device-side flag
// ([outside, index], two i64) that the host function allocates and clears at entry
// and checks (then frees) before its return; the runtime turns a set flag into the
// call's error. A gather index on the host is left for vibee-lower-gather-indices;
// a function without gathers in kernels gets no flag.
// RUN: %vibee-opt %s -vibee-gpu-gather-checks | FileCheck %s

module attributes {gpu.container_module} {

// CHECK-DAG:   func.func private @vibee_cuda_gather_flags_clear(i64)
// CHECK-DAG:   func.func private @vibee_cuda_gather_flags_check(i64)
// CHECK-LABEL: func.func @embed(
// CHECK:         %[[FLAGS:.*]] = memref.alloc() : memref<2xi64>
// CHECK:         %[[ADDR:.*]] = memref.extract_aligned_pointer_as_index %[[FLAGS]]
// CHECK:         %[[A64:.*]] = arith.index_cast %[[ADDR]] : index to i64
// CHECK:         call @vibee_cuda_gather_flags_clear(%[[A64]]) : (i64) -> ()
// CHECK:         gpu.launch
// CHECK:           %[[OUT:.*]] = arith.cmpi uge, %[[I:.*]], %[[ROWS:.*]] : index
// CHECK:           scf.if %[[OUT]] {
// CHECK:             %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:             memref.store %{{.*}}, %[[FLAGS]][%{{.*}}] : memref<2xi64>
// CHECK:             memref.store %[[I64]], %[[FLAGS]][%{{.*}}] : memref<2xi64>
// CHECK:           }
// CHECK:           arith.minsi %[[I]]
// CHECK:           arith.maxsi
// CHECK-NOT:       vibee.gather_index
// CHECK:           gpu.terminator
// CHECK:         call @vibee_cuda_gather_flags_check(%[[A64]]) : (i64) -> ()
// CHECK-NEXT:    memref.dealloc %[[FLAGS]] : memref<2xi64>
// CHECK-NEXT:    return
func.func @embed(%table: memref<?x?xf32>, %ids: memref<?xi64>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %table, %c0 : memref<?x?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %id = memref.load %ids[%tx] : memref<?xi64>
    %i = arith.index_cast %id : i64 to index
    %p = vibee.gather_index %i into %rows
    %v = memref.load %table[%p, %ty] : memref<?x?xf32>
    memref.store %v, %y[%tx, %ty] : memref<?x?xf32>
    gpu.terminator
  }
  return
}

// CHECK-LABEL: func.func @host_only(
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     call @vibee_cuda_gather_flags
// CHECK:         vibee.gather_index
func.func @host_only(%t: memref<?xf32>, %i: index) -> f32 {
  %c0 = arith.constant 0 : index
  %n = memref.dim %t, %c0 : memref<?xf32>
  %p = vibee.gather_index %i into %n
  %v = memref.load %t[%p] : memref<?xf32>
  return %v : f32
}

}
