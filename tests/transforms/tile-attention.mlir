// vibee-tile-attention: vibee.attention on tensors in scf.for loops over its batch
// loops (tiles of 1) and query loops (tiles of query-block rows), each iteration
// an attention over slices; the key, head and value loops stay whole. A causal op
// is tiled over its batches only, with a remark. On memrefs nothing changes.
// RUN: %vibee-opt %s -split-input-file -vibee-tile-attention=query-block=16 -canonicalize -verify-diagnostics | FileCheck %s

// loops (b, g, r, i, e, j, d): GQA with batch b and group g, query loops r and i.
// CHECK-LABEL: func.func @gqa(
// CHECK:         scf.for %[[B:.*]] = %c0 to %{{.*}} step %c1
// CHECK:           scf.for %[[G:.*]] = %c0 to %{{.*}} step %c1
// CHECK:             scf.for %[[R:.*]] = %c0 to %{{.*}} step %c16
// CHECK:               scf.for %[[I:.*]] = %c0 to %{{.*}} step %c16
// CHECK:                 tensor.extract_slice %{{.*}}[%[[B]], %[[G]], %[[R]], %[[I]], 0] [1, 1, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK:                 tensor.extract_slice %{{.*}}[%[[B]], %[[G]], 0, 0] [1, 1, %{{.*}}, %{{.*}}]
// CHECK:                 vibee.attention {{.*}} -> tensor<1x1x?x?x?xf32>
// CHECK:                 tensor.insert_slice
func.func @gqa(%q: tensor<?x?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>, %scale: f32, %o: tensor<?x?x?x?x?xf32>) -> tensor<?x?x?x?x?xf32> {
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) outs(%o : tensor<?x?x?x?x?xf32>) maps [affine_map<(b, g, r, i, e, j, d) -> (b, g, r, i, d)>, affine_map<(b, g, r, i, e, j, d) -> (b, g, j, d)>, affine_map<(b, g, r, i, e, j, d) -> (b, g, j, e)>, affine_map<(b, g, r, i, e, j, d) -> (b, g, r, i, e)>] -> tensor<?x?x?x?x?xf32>
  return %r : tensor<?x?x?x?x?xf32>
}

// -----

// Causal (loops h, i, e, j, d): tiled over the heads, the query loop whole.
// CHECK-LABEL: func.func @causal(
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK-NOT:     scf.for
// CHECK:           vibee.attention {{.*}} {causal = array<i64: 1, 3, 0>} -> tensor<1x?x?xbf16>
func.func @causal(%q: tensor<?x?x?xbf16>, %k: tensor<?x?x?xbf16>, %v: tensor<?x?x?xbf16>, %scale: f32, %o: tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16> {
  // expected-remark @below {{causal attention tiled over its batch loops only}}
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x?x?xbf16>) outs(%o : tensor<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 0>} -> tensor<?x?x?xbf16>
  return %r : tensor<?x?x?xbf16>
}

// -----

// On memrefs (after bufferization) the op is left for the target.
// CHECK-LABEL: func.func @buffers(
// CHECK-NOT:     scf.for
// CHECK:         vibee.attention
func.func @buffers(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %scale: f32, %o: memref<?x?xf32>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>]
  return
}
