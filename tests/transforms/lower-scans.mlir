// RUN: %vibee-opt %s -vibee-lower-scans | FileCheck %s
// RUN: %vibee-opt %s -vibee-lower-scans=parallel=false | FileCheck %s --check-prefix=SERIAL
// RUN: %vibee-opt %s "-vibee-lower-scans=parallel=false acc-in-tensor=true" | FileCheck %s --check-prefix=CELL

// A cumsum along dim 1: one scf.forall iteration per row, each row an scf.for that
// carries the running sum (from the identity 0) and inserts every step.
// CHECK-LABEL: func.func @cumsum
// CHECK:         scf.forall (%[[R:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:           %[[ROW:.*]] = tensor.extract_slice %[[OUT]][%[[R]], %{{.*}}] [1, %{{.*}}] [1, 1] : tensor<?x?xf32> to tensor<?xf32>
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]], %[[W:.*]] = %[[ROW]])
// CHECK:             %[[X:.*]] = tensor.extract %{{.*}}[%[[R]], %[[T]]]
// CHECK:             %[[S:.*]] = arith.addf %[[ACC]], %[[X]]
// CHECK:             %[[I:.*]] = tensor.insert %[[S]] into %[[W]][%[[T]]]
// CHECK:             scf.yield %[[S]], %[[I]]
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice
// SERIAL-LABEL: func.func @cumsum
// SERIAL-NOT:     scf.forall
// SERIAL:         scf.for %[[R:.*]] = {{.*}} iter_args(%[[D:.*]] = %{{.*}})
// SERIAL:           scf.for %[[T:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}, %[[W:.*]] = %[[D]])
// SERIAL:             tensor.insert %{{.*}} into %[[W]][%[[R]], %[[T]]]
// CELL-LABEL: func.func @cumsum
// CELL:         scf.for
// CELL:           tensor.insert %{{.*}} into %{{.*}}[%{{.*}}] : tensor<1xf32>
// CELL:           scf.for {{.*}} iter_args(%[[A:.*]] = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1xf32>, tensor<?x?xf32>)
// CELL:             tensor.extract %[[A]][%{{.*}}] : tensor<1xf32>
func.func @cumsum(%x: tensor<?x?xf32>, %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = vibee.scan sum dimension(1) ins(%x : tensor<?x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return %y : tensor<?x?xf32>
}

// Exclusive: each step stores the running value from before it; a bf16 result is
// rounded from the f32 running value once per element.
// CHECK-LABEL: func.func @exclusive_max
// CHECK:         arith.constant 0xFF800000 : f32
// CHECK:         scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}, %[[W:.*]] = %{{.*}})
// CHECK:           arith.maximumf %[[ACC]]
// CHECK:           %[[B:.*]] = arith.truncf %[[ACC]] : f32 to bf16
// CHECK:           tensor.insert %[[B]] into %[[W]]
func.func @exclusive_max(%x: tensor<4x?xf32>, %d: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  %y = vibee.scan max dimension(1) exclusive ins(%x : tensor<4x?xf32>) outs(%d : tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  ^bb0(%acc: f32, %v: f32):
    %m = arith.maximumf %acc, %v : f32
    vibee.yield %m : f32
  }
  return %y : tensor<4x?xbf16>
}

// A linear recurrence along dim 0 starts from its init element; a 1-D scan is the
// one row of a [1, N] view of its destination.
// CHECK-LABEL: func.func @linear
// CHECK:         scf.forall (%[[C:.*]]) in
// CHECK:           %[[H0:.*]] = tensor.extract %{{.*}}[%{{.*}}, %[[C]]] : tensor<1x?xf32>
// CHECK:           scf.for {{.*}} iter_args(%[[H:.*]] = %[[H0]],
// CHECK:             %[[M:.*]] = arith.mulf %{{.*}}, %[[H]]
// CHECK:             arith.addf %[[M]]
// CHECK-LABEL: func.func @one_row
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, %{{.*}}] : tensor<?xi32> into tensor<1x?xi32>
// CHECK:         %[[ONE:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK:         scf.forall (%{{.*}}) in (%[[ONE]])
// CHECK:           arith.muli
// CHECK:         tensor.collapse_shape
func.func @linear(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %h0: tensor<1x?xf32>,
                  %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %h = vibee.scan linear dimension(0) ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) init(%h0 : tensor<1x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %x: f32, %y: f32):
    %m = arith.mulf %x, %acc : f32
    %s = arith.addf %m, %y : f32
    vibee.yield %s : f32
  }
  return %h : tensor<?x?xf32>
}
func.func @one_row(%x: tensor<?xi32>, %d: tensor<?xi32>) -> tensor<?xi32> {
  %y = vibee.scan prod dimension(0) ins(%x : tensor<?xi32>) outs(%d : tensor<?xi32>) -> tensor<?xi32> {
  ^bb0(%acc: i32, %v: i32):
    %p = arith.muli %acc, %v : i32
    vibee.yield %p : i32
  }
  return %y : tensor<?xi32>
}
