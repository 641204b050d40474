// vibee.attention's TilingInterface, driven by upstream's transform ops: a tile
// over the batch and query loops is an attention over slices of q, k, v and the
// destination; the key and head loops stay whole (tile size 0). A causal op tiled
// at a constant query offset shifts its mask by it; at a loop's (dynamic) offset
// tiling is refused with an error, the op left as it was; so is a tile of the keys.
// RUN: %vibee-opt %s -split-input-file -transform-interpreter -canonicalize -verify-diagnostics | FileCheck %s

// loops (h, i, e, j, d): tiles of 1 head x 16 queries, scf.forall.
// CHECK-LABEL: func.func @tile_heads_and_queries(
// CHECK:         scf.forall (%[[H:.*]], %[[IT:.*]]) in (%{{.*}}, %{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:           %[[I:.*]] = affine.apply #{{.*}}(%[[IT]])
// CHECK:           %[[Q:.*]] = tensor.extract_slice %{{.*}}[%[[H]], %[[I]], 0] [1, %{{.*}}, %{{.*}}] [1, 1, 1]
// CHECK:           %[[K:.*]] = tensor.extract_slice %{{.*}}[%[[H]], 0, 0] [1, %{{.*}}, %{{.*}}] [1, 1, 1]
// CHECK:           %[[V:.*]] = tensor.extract_slice %{{.*}}[%[[H]], 0, 0] [1, %{{.*}}, %{{.*}}] [1, 1, 1]
// CHECK:           %[[O:.*]] = tensor.extract_slice %[[OUT]][%[[H]], %[[I]], 0] [1, %{{.*}}, %{{.*}}] [1, 1, 1]
// CHECK:           %[[T:.*]] = vibee.attention ins(%[[Q]], %[[K]], %[[V]], %{{.*}} : tensor<1x?x?xf32>, tensor<1x?x?xf32>, tensor<1x?x?xf32>) outs(%[[O]] : tensor<1x?x?xf32>)
// CHECK:           tensor.parallel_insert_slice %[[T]] into %[[OUT]][%[[H]], %[[I]], 0] [1, %{{.*}}, %{{.*}}] [1, 1, 1]
func.func @tile_heads_and_queries(%q: tensor<?x?x?xf32>, %k: tensor<?x?x?xf32>, %v: tensor<?x?x?xf32>, %scale: f32, %o: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) outs(%o : tensor<?x?x?xf32>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["vibee.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [1, 16, 0, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Causal, loops (h, i, e, j, d): tiles over the heads keep the mask as it is.
// CHECK-LABEL: func.func @causal_head_tiles(
// CHECK:         scf.forall
// CHECK:           vibee.attention {{.*}} outs(%{{.*}} : tensor<1x?x?xbf16>) {{.*}} {causal = array<i64: 1, 3, 2>}
func.func @causal_head_tiles(%q: tensor<?x?x?xbf16>, %k: tensor<?x?x?xbf16>, %v: tensor<?x?x?xbf16>, %scale: f32, %o: tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16> {
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x?x?xbf16>) outs(%o : tensor<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 2>} -> tensor<?x?x?xbf16>
  return %r : tensor<?x?x?xbf16>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["vibee.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [1, 0, 0, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Causal query tiles at a loop's offsets: the mask's offset is an attribute, so
// the tiling is refused and the op stays.
func.func @causal_query_tiles(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x?xf32>, %scale: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // upstream tileUsingSCF then reports the failure twice.
  // expected-error @+3 {{a causal attention tiles its query loop only at constant offsets}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>] {causal = array<i64: 0, 2, 0>} -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["vibee.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [4, 0, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// The key loop is a reduction over the softmax: a tile of it is refused.
func.func @key_tiles(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x?xf32>, %scale: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // upstream tileUsingSCF then reports the failure twice.
  // expected-error @+3 {{cannot tile its key or head loop (the softmax needs every key)}}
  // expected-error @+2 {{to tile operation}}
  // expected-error @+1 {{failed to generate tiling loops}}
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>] -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["vibee.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %op tile_sizes [0, 0, 64, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
