// RUN: %vibee-opt %s -vibee-lower-to-linalg -split-input-file | FileCheck %s

// Inout parameters, a scalar, a result, a literal static dim.
#id = affine_map<(d0, d1) -> (d0, d1)>
#s = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[P:.*]]: memref<?x4xf32>, %[[G:.*]]: memref<?x4xf32>, %[[LR:.*]]: f32, %[[OUT:.*]]: memref<?x4xf32>)
// CHECK-SAME:    vibee.arg_dims = {{\[}}[0, -1], [0, -1], [], [0, -1]]
// CHECK-SAME:    vibee.dim_names = ["N"]
// CHECK-SAME:    vibee.kernel
// CHECK-SAME:    vibee.modes = ["inout", "in", "in"]
// CHECK:         %[[PT:.*]] = bufferization.to_tensor %[[P]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// CHECK:         %[[GT:.*]] = bufferization.to_tensor %[[G]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// The original p is also returned: copied on entry, before anything writes p.
// CHECK:         %[[COPY:.*]] = bufferization.alloc_tensor() copy(%[[PT]])
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK:         %[[NEW:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[PT]], %[[GT]], %[[LR]] : tensor<?x4xf32>, tensor<?x4xf32>, f32) outs(%[[E]] : tensor<?x4xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.subf
// CHECK:           linalg.yield
// CHECK:         bufferization.materialize_in_destination %[[NEW]] in writable %[[P]]
// CHECK:         bufferization.materialize_in_destination %[[COPY]] in restrict writable %[[OUT]]
// CHECK:         return
vibee.kernel @step(%p: tensor<?x4xf32> {vibee.mode = #vibee.mode<inout>}, %g: tensor<?x4xf32>, %lr: f32)
    -> (tensor<?x4xf32>, tensor<?x4xf32>) attributes {dim_names = ["N"], arg_dims = [[0, -1], [0, -1], [], [0, -1]]} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %N = tensor.dim %p, %c0 : tensor<?x4xf32>
  %new = vibee.compute none [%N, %c4] ins(%p, %g, %lr : tensor<?x4xf32>, tensor<?x4xf32>, f32) maps [#id, #id, #s] -> tensor<?x4xf32> {
  ^bb0(%a: f32, %b: f32, %l: f32):
    %d = arith.mulf %l, %b : f32
    %r = arith.subf %a, %d : f32
    vibee.yield %r : f32
  }
  // The old value of p is also a result: it must be copied before p is written.
  vibee.return %new, %p : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Reductions: identity fill, combiner, reduction iterators; float and int kinds.
// (A sum whose body is a product is a contraction: lower-to-linalg-contractions.mlir.)
#id = affine_map<(d0, d1) -> (d0, d1)>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @reductions(
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         linalg.fill ins(%[[ZERO]] : f32)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:           %[[M:.*]] = arith.subf
// CHECK:           %[[ACC:.*]] = arith.addf %[[M]], %{{.*}} : f32
// CHECK:           linalg.yield %[[ACC]]
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         linalg.fill ins(%[[NINF]] : f32)
// CHECK:         linalg.generic
// CHECK:           arith.maximumf
// CHECK:         %[[PINF:.*]] = arith.constant 0x7F800000 : f32
// CHECK:         linalg.fill ins(%[[PINF]] : f32)
// CHECK:         linalg.generic
// CHECK:           arith.minimumf
// CHECK:         %[[ONE:.*]] = arith.constant 1 : i32
// CHECK:         linalg.fill ins(%[[ONE]] : i32)
// CHECK:         linalg.generic
// CHECK:           arith.muli
vibee.kernel @reductions(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>, %i: tensor<?x?xi32>)
    -> (tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xi32>)
    attributes {dim_names = ["M", "K", "N"], arg_dims = [[0, 1], [1, 2], [0, 1], [0, 2], [0], [0], [0]]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %M = tensor.dim %x, %c0 : tensor<?x?xf32>
  %K = tensor.dim %x, %c1 : tensor<?x?xf32>
  %N = tensor.dim %y, %c1 : tensor<?x?xf32>
  %mm = vibee.compute sum [%M, %N, %K] ins(%x, %y : tensor<?x?xf32>, tensor<?x?xf32>) maps [#a, #b] -> tensor<?x?xf32> {
  ^bb0(%u: f32, %v: f32):
    %p = arith.subf %u, %v : f32
    vibee.yield %p : f32
  }
  %mx = vibee.compute max [%M, %K] ins(%x : tensor<?x?xf32>) maps [#id] -> tensor<?xf32> {
  ^bb0(%u: f32):
    vibee.yield %u : f32
  }
  %mn = vibee.compute min [%M, %K] ins(%x : tensor<?x?xf32>) maps [#id] -> tensor<?xf32> {
  ^bb0(%u: f32):
    vibee.yield %u : f32
  }
  %pr = vibee.compute prod [%M, %K] ins(%i : tensor<?x?xi32>) maps [#id] -> tensor<?xi32> {
  ^bb0(%u: i32):
    vibee.yield %u : i32
  }
  vibee.return %mm, %mx, %mn, %pr : tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xi32>
}

// -----

// vibee.index becomes linalg.index; no inputs at all.
// CHECK-LABEL: func.func @iota(
// CHECK:         linalg.generic {{.*}} outs(
// CHECK:           %[[I:.*]] = linalg.index 0 : index
// CHECK:           %[[C:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:           linalg.yield %[[C]] : i64
vibee.kernel @iota(%x: tensor<?xi64>) -> tensor<?xi64>
    attributes {dim_names = ["N"], arg_dims = [[0], [0]]} {
  %c0 = arith.constant 0 : index
  %N = tensor.dim %x, %c0 : tensor<?xi64>
  %r = vibee.compute none [%N] maps [] -> tensor<?xi64> {
  ^bb0:
    %i = vibee.index 0
    %c = arith.index_cast %i : index to i64
    vibee.yield %c : i64
  }
  vibee.return %r : tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:.*]]: memref<?x8xf32>, %[[Y:.*]]: memref<?x8xf32>)
// CHECK:         %[[XT:.*]] = bufferization.to_tensor %[[X]] restrict
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK:         %[[S:.*]] = linalg.softmax dimension(1) ins(%[[XT]] : tensor<?x8xf32>) outs(%[[E]] : tensor<?x8xf32>)
// CHECK:         bufferization.materialize_in_destination %[[S]] in restrict writable %[[Y]]
vibee.kernel @softmax(%x: tensor<?x8xf32>) -> tensor<?x8xf32>
    attributes {dim_names = ["R"], arg_dims = [[0, -1], [0, -1]]} {
  %y = vibee.softmax %x axis 1 : tensor<?x8xf32>
  vibee.return %y : tensor<?x8xf32>
}
