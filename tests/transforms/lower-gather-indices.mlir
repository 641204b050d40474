// vibee-lower-gather-indices: a gathered position becomes its clamp into the axis,
// min(i, size - 1) then max(., 0), so a bad index reads the first or last row
// instead of outside the tensor (the CPU, objects and C++ output; the JIT checks
// the indices before a CPU call).
// RUN: %vibee-opt %s -vibee-lower-gather-indices | FileCheck %s

// CHECK-LABEL: func.func @row(
// CHECK-SAME:    %[[T:.*]]: tensor<?x?xf32>, %[[ID:.*]]: i64
// CHECK-NOT:     vibee.gather_index
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[ROWS:.*]] = tensor.dim %[[T]], %{{.*}}
// CHECK-DAG:     %[[I:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK:         %[[LAST:.*]] = arith.subi %[[ROWS]], %[[ONE]] : index
// CHECK:         %[[LOW:.*]] = arith.minsi %[[I]], %[[LAST]] : index
// CHECK:         %[[P:.*]] = arith.maxsi %[[LOW]], %{{.*}} : index
// CHECK:         tensor.extract %[[T]][%[[P]], %{{.*}}]
func.func @row(%t: tensor<?x?xf32>, %id: i64, %d: index) -> f32 {
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %t, %c0 : tensor<?x?xf32>
  %i = arith.index_cast %id : i64 to index
  %p = vibee.gather_index %i into %rows
  %v = tensor.extract %t[%p, %d] : tensor<?x?xf32>
  return %v : f32
}
