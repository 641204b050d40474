// RUN: %vibee-opt %s -vibee-form-softmax -split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: vibee.kernel @softmax_last
// CHECK-SAME:    (%[[X:.*]]: tensor<?x?xf32>)
// CHECK-NOT:     vibee.compute
// CHECK:         %[[Y:.*]] = vibee.softmax %[[X]] axis 1 : tensor<?x?xf32>
// CHECK-NOT:     vibee.compute
// CHECK:         vibee.return %[[Y]]
vibee.kernel @softmax_last(%x: tensor<?x?xf32>) -> tensor<?x?xf32>
    attributes {dim_names = ["R", "C"], arg_dims = [[0, 1], [0, 1]]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %R = tensor.dim %x, %c0 : tensor<?x?xf32>
  %C = tensor.dim %x, %c1 : tensor<?x?xf32>
  %mx = vibee.compute max [%R, %C] ins(%x : tensor<?x?xf32>) maps [#id] -> tensor<?xf32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %e = vibee.compute none [%R, %C] ins(%x, %mx : tensor<?x?xf32>, tensor<?xf32>) maps [#id, #row] -> tensor<?x?xf32> {
  ^bb0(%a: f32, %m: f32):
    %d = arith.subf %a, %m : f32
    %x2 = math.exp %d : f32
    vibee.yield %x2 : f32
  }
  %s = vibee.compute sum [%R, %C] ins(%e : tensor<?x?xf32>) maps [#id] -> tensor<?xf32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %y = vibee.compute none [%R, %C] ins(%e, %s : tensor<?x?xf32>, tensor<?xf32>) maps [#id, #row] -> tensor<?x?xf32> {
  ^bb0(%a: f32, %b: f32):
    %q = arith.divf %a, %b : f32
    vibee.yield %q : f32
  }
  vibee.return %y : tensor<?x?xf32>
}

// -----

// Softmax along the first axis: the reductions loop over rows, last loop = axis 0.
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#byCol = affine_map<(d0, d1) -> (d1, d0)>

// CHECK-LABEL: vibee.kernel @softmax_first
// CHECK:         vibee.softmax %{{.*}} axis 0 : tensor<4x?xf32>
// CHECK-NOT:     vibee.compute
vibee.kernel @softmax_first(%x: tensor<4x?xf32>) -> tensor<4x?xf32>
    attributes {dim_names = ["C"], arg_dims = [[-1, 0], [-1, 0]]} {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %C = tensor.dim %x, %c1 : tensor<4x?xf32>
  %mx = vibee.compute max [%C, %c4] ins(%x : tensor<4x?xf32>) maps [#byCol] -> tensor<?xf32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %e = vibee.compute none [%c4, %C] ins(%x, %mx : tensor<4x?xf32>, tensor<?xf32>) maps [#id, #col] -> tensor<4x?xf32> {
  ^bb0(%a: f32, %m: f32):
    %d = arith.subf %a, %m : f32
    %x2 = math.exp %d : f32
    vibee.yield %x2 : f32
  }
  %s = vibee.compute sum [%C, %c4] ins(%e : tensor<4x?xf32>) maps [#byCol] -> tensor<?xf32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %y = vibee.compute none [%c4, %C] ins(%e, %s : tensor<4x?xf32>, tensor<?xf32>) maps [#id, #col] -> tensor<4x?xf32> {
  ^bb0(%a: f32, %b: f32):
    %q = arith.divf %a, %b : f32
    vibee.yield %q : f32
  }
  vibee.return %y : tensor<4x?xf32>
}

// -----

// e is also a result: forming softmax would compute it twice.
#id = affine_map<(d0) -> (d0)>
#all = affine_map<(d0) -> ()>

// CHECK-LABEL: vibee.kernel @extra_use
// CHECK-NOT:     vibee.softmax
// CHECK-COUNT-4: vibee.compute
vibee.kernel @extra_use(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>)
    attributes {dim_names = ["N"], arg_dims = [[0], [0], [0]]} {
  %c0 = arith.constant 0 : index
  %N = tensor.dim %x, %c0 : tensor<?xf32>
  %mx = vibee.compute max [%N] ins(%x : tensor<?xf32>) maps [#id] -> tensor<f32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %e = vibee.compute none [%N] ins(%x, %mx : tensor<?xf32>, tensor<f32>) maps [#id, #all] -> tensor<?xf32> {
  ^bb0(%a: f32, %m: f32):
    %d = arith.subf %a, %m : f32
    %x2 = math.exp %d : f32
    vibee.yield %x2 : f32
  }
  %s = vibee.compute sum [%N] ins(%e : tensor<?xf32>) maps [#id] -> tensor<f32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %y = vibee.compute none [%N] ins(%e, %s : tensor<?xf32>, tensor<f32>) maps [#id, #all] -> tensor<?xf32> {
  ^bb0(%a: f32, %b: f32):
    %q = arith.divf %a, %b : f32
    vibee.yield %q : f32
  }
  vibee.return %y, %e : tensor<?xf32>, tensor<?xf32>
}

// -----

// No exp: a max-normalised ratio, not a softmax.
#id = affine_map<(d0) -> (d0)>
#all = affine_map<(d0) -> ()>

// CHECK-LABEL: vibee.kernel @no_exp
// CHECK-NOT:     vibee.softmax
// CHECK-COUNT-4: vibee.compute
vibee.kernel @no_exp(%x: tensor<?xf32>) -> tensor<?xf32>
    attributes {dim_names = ["N"], arg_dims = [[0], [0]]} {
  %c0 = arith.constant 0 : index
  %N = tensor.dim %x, %c0 : tensor<?xf32>
  %mx = vibee.compute max [%N] ins(%x : tensor<?xf32>) maps [#id] -> tensor<f32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %e = vibee.compute none [%N] ins(%x, %mx : tensor<?xf32>, tensor<f32>) maps [#id, #all] -> tensor<?xf32> {
  ^bb0(%a: f32, %m: f32):
    %d = arith.subf %a, %m : f32
    vibee.yield %d : f32
  }
  %s = vibee.compute sum [%N] ins(%e : tensor<?xf32>) maps [#id] -> tensor<f32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  %y = vibee.compute none [%N] ins(%e, %s : tensor<?xf32>, tensor<f32>) maps [#id, #all] -> tensor<?xf32> {
  ^bb0(%a: f32, %b: f32):
    %q = arith.divf %a, %b : f32
    vibee.yield %q : f32
  }
  vibee.return %y : tensor<?xf32>
}
