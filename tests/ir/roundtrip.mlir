// RUN: %vibee-opt %s | %vibee-opt | FileCheck %s

// CHECK-LABEL: vibee.kernel @k(
// CHECK-SAME:    %{{.*}}: tensor<?x4xf32> {vibee.mode = #vibee.mode<inout>}, %{{.*}}: f32) -> (tensor<?x4xf32>, tensor<?xf32>)
// CHECK-SAME:    attributes {arg_dims = {{\[}}[0, -1], [], [0]], dim_names = ["N"]}
// CHECK:         vibee.compute none [%{{.*}}, %{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, f32) maps [#{{.*}}, #{{.*}}] -> tensor<?x4xf32>
// CHECK:           vibee.index 1
// CHECK:           vibee.yield %{{.*}} : f32
// CHECK:         vibee.compute max [%{{.*}}, %{{.*}}] ins(%{{.*}} : tensor<?x4xf32>)
// CHECK:         vibee.softmax %{{.*}} axis 1 : tensor<?x4xf32>
// CHECK:         vibee.return %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?xf32>
vibee.kernel @k(%p: tensor<?x4xf32> {vibee.mode = #vibee.mode<inout>}, %s: f32) -> (tensor<?x4xf32>, tensor<?xf32>)
    attributes {dim_names = ["N"], arg_dims = [[0, -1], [], [0]]} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %N = tensor.dim %p, %c0 : tensor<?x4xf32>
  %a = vibee.compute none [%N, %c4] ins(%p, %s : tensor<?x4xf32>, f32)
      maps [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>] -> tensor<?x4xf32> {
  ^bb0(%x: f32, %y: f32):
    %j = vibee.index 1
    %r = arith.mulf %x, %y : f32
    vibee.yield %r : f32
  }
  %m = vibee.compute max [%N, %c4] ins(%a : tensor<?x4xf32>) maps [affine_map<(d0, d1) -> (d0, d1)>] -> tensor<?xf32> {
  ^bb0(%x: f32):
    vibee.yield %x : f32
  }
  %sm = vibee.softmax %a axis 1 : tensor<?x4xf32>
  vibee.return %sm, %m : tensor<?x4xf32>, tensor<?xf32>
}

// CHECK-LABEL: func.func @scans
// CHECK:         vibee.scan sum dimension(1) exclusive ins(%{{.*}} : tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK:         vibee.scan linear dimension(0) ins(%{{.*}}, %{{.*}} : tensor<?x?xf32>, tensor<?x?xf32>) init(%{{.*}} : tensor<1x?xf32>) outs(%{{.*}} : tensor<?x?xf32>) -> tensor<?x?xf32>
func.func @scans(%x: tensor<?x?xf32>, %h0: tensor<1x?xf32>, %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = vibee.scan sum dimension(1) exclusive ins(%x : tensor<?x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %r = arith.addf %acc, %v : f32
    vibee.yield %r : f32
  }
  %h = vibee.scan linear dimension(0) ins(%x, %s : tensor<?x?xf32>, tensor<?x?xf32>) init(%h0 : tensor<1x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %a: f32, %b: f32):
    %m = arith.mulf %a, %acc : f32
    %r = arith.addf %m, %b : f32
    vibee.yield %r : f32
  }
  return %h : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @topk
// CHECK:         vibee.topk dimension(1) ins(%{{.*}} : tensor<?x?xbf16>) outs(%{{.*}}, %{{.*}} : tensor<?x4xbf16>, tensor<?x4xi32>) -> tensor<?x4xbf16>, tensor<?x4xi32>
func.func @topk(%x: tensor<?x?xbf16>, %v: tensor<?x4xbf16>, %i: tensor<?x4xi32>) -> (tensor<?x4xbf16>, tensor<?x4xi32>) {
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x?xbf16>) outs(%v, %i : tensor<?x4xbf16>, tensor<?x4xi32>) -> tensor<?x4xbf16>, tensor<?x4xi32>
  return %a, %b : tensor<?x4xbf16>, tensor<?x4xi32>
}

// CHECK-LABEL: func.func @scatter_add
// CHECK:         vibee.scatter_add ins(%{{.*}} : tensor<?x?xf32>) indices(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x?xf32>) axes [-1, 1] index_maps [#{{.*}}] -> tensor<?x?xf32>
func.func @scatter_add(%dy: tensor<?x?xf32>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %g = vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// After bufferization (a target's atomic lowering): memrefs, no result.
// CHECK-LABEL: func.func @scatter_add_buffers
// CHECK:         vibee.scatter_add ins(%{{.*}} : memref<?xi32>) indices(%{{.*}} : memref<?xi8>) outs(%{{.*}} : memref<?xi32>) axes [-1] index_maps [#{{.*}}]{{$}}
func.func @scatter_add_buffers(%one: memref<?xi32>, %ids: memref<?xi8>, %h: memref<?xi32>) {
  vibee.scatter_add ins(%one : memref<?xi32>) indices(%ids : memref<?xi8>) outs(%h : memref<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>]
  return
}

// A table lookup, scalar and on vectors (the CPU vectorizer widens it).
// CHECK-LABEL: func.func @lookup
// CHECK:         vibee.lookup %{{.*}} in dense<[-1.000000e+00, 0.000000e+00, 5.000000e-01]> : tensor<3xf32> : i64 -> f32
// CHECK:         vibee.lookup %{{.*}} in dense<[3, 4]> : tensor<2xi8> : vector<8xi8> -> vector<8xi8>
func.func @lookup(%p: i64, %q: vector<8xi8>) -> (f32, vector<8xi8>) {
  %a = vibee.lookup %p in dense<[-1.0, 0.0, 0.5]> : tensor<3xf32> : i64 -> f32
  %b = vibee.lookup %q in dense<[3, 4]> : tensor<2xi8> : vector<8xi8> -> vector<8xi8>
  return %a, %b : f32, vector<8xi8>
}
