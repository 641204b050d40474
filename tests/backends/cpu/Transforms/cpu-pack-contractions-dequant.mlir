// RUN: %vibee-opt %s --vibee-cpu-pack-contractions --canonicalize 2>/dev/null | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=200" --canonicalize | FileCheck %s --check-prefix=KERNEL

// Quantized weights are dequantized while they are packed (issue 13): the matmul
// that vibee-cpu-pack-contractions builds reads the narrow weights (and their
// scales) and computes B in its body; vibee-cpu-tile-matmul evaluates that body
// when it packs each NC x KC panel. No f32 copy of B in memory.

// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 128)>
// KERNEL-DAG: #[[PW:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// KERNEL-DAG: #[[PG:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1 floordiv 128)>

// Per-channel int8 (the scale is the contraction's epilogue): the contract's own
// cast, i8 -> f32, in the matmul's body; the weights w[n, k] read in place.
// CHECK-LABEL: func.func @w8_channel
// CHECK-NOT:     memref.alloc
// CHECK:         } else {
// CHECK-NEXT:      linalg.generic {indexing_maps = [#[[A]], #[[WT]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : memref<?x?xf32>, memref<?x?xi8>) outs(%arg2
// CHECK-NEXT:      ^bb0(%{{.*}}: f32, %[[W:.*]]: i8, %{{.*}}: f32):
// CHECK-NEXT:        arith.sitofp %[[W]] : i8 to f32
// CHECK-NOT:     memref.alloc
// CHECK:         return
// The panel pack converts the int8 weights (packed panel: the only buffer),
// reading them through a view [NB][32][KC] that splits n into (jb, jj): a
// projected permutation, so not marked vibee.pack, for vibee-cpu-vectorize's
// transposed copy.
// KERNEL-LABEL: func.func private @w8_channel__chunk0(
// KERNEL:         memref.alloc() {alignment = 64 : i64} : memref<8x200x32xf32>
// KERNEL-NOT:     memref.alloc
// KERNEL:         %[[PANEL:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%{{.*}}, 32, %{{.*}}]
// KERNEL:         linalg.generic {indexing_maps = [#[[PW]], #{{.*}}], {{.*}} ins(%[[PANEL]] : memref<?x32x?xi8, {{.*}}>) outs(%{{.*}} : memref<?x?x32xf32, {{.*}}>) {
// KERNEL-NEXT:    ^bb0
// KERNEL-NEXT:      arith.sitofp
// KERNEL:         vector.fma
func.func @w8_channel(%x: memref<?x?xf32>, %w: memref<?x?xi8>, %y: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x?xf32>, memref<?x?xi8>) outs(%y : memref<?x?xf32>)
  return
}

// Per-group int8, `f32(w[n, k]) * s[n, k / 128]`: the prologue that wrote the
// dequantized [N, K] f32 buffer is gone with its buffer; its body is the B of the
// matmul, on the int8 weights and the group scales. No few-rows branch: the
// scale's `k / 128` read does not vectorize along k, so every M takes the packed
// path, which unpacks each weight once per panel.
// CHECK-LABEL: func.func @w8_group
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     scf.if
// CHECK:         linalg.generic {indexing_maps = [#[[A]], #[[WT]], #[[G]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1, %arg2 : memref<?x?xf32>, memref<?x?xi8>, memref<?x?xf32>) outs(%arg3
// CHECK-NEXT:      ^bb0(%{{.*}}: f32, %[[W:.*]]: i8, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:        %[[F:.*]] = arith.sitofp %[[W]] : i8 to f32
// CHECK-NEXT:        arith.mulf %[[F]], %[[S]]
// CHECK-NOT:     memref.alloc
// CHECK:         return
// The K block (kc=200 asked) is a multiple of the group, 128, so that each
// block's `k floordiv 128` reads stay exact; the pack reads the int8 weights
// and the scales and applies both (the scale's `k floordiv 128` is no
// projected permutation, but a read that vibee-cpu-vectorize takes in
// transposed tiles: DividedReads.h; so no vibee.pack).
// KERNEL-LABEL: func.func private @w8_group__chunk0(
// KERNEL:         memref.alloc() {alignment = 64 : i64} : memref<8x128x32xf32>
// KERNEL-NOT:     memref.alloc
// KERNEL:         scf.for %{{.*}} = %c0 to %{{.*}} step %c128
// KERNEL:         linalg.generic {indexing_maps = [#[[PW]], #[[PG]], #{{.*}}], {{.*}} ins(%{{.*}}, %{{.*}} : memref<?x32x?xi8, {{.*}}>, memref<?x32x?xf32, {{.*}}>) outs({{.*}}) {
// KERNEL-NEXT:    ^bb0
// KERNEL-NEXT:      arith.sitofp
// KERNEL-NEXT:      arith.mulf
// KERNEL:         vector.fma
func.func @w8_group(%x: memref<?x?xf32>, %w: memref<?x?xi8>, %s: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %w, %c0 : memref<?x?xi8>
  %k = memref.dim %w, %c1 : memref<?x?xi8>
  %b = memref.alloc(%n, %k) {alignment = 64 : i64} : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n, k floordiv 128)>, affine_map<(n, k) -> (n, k)>], iterator_types = ["parallel", "parallel"]}
      ins(%w, %s : memref<?x?xi8>, memref<?x?xf32>) outs(%b : memref<?x?xf32>) {
  ^bb0(%wi: i8, %si: f32, %out: f32):
    %f = arith.sitofp %wi : i8 to f32
    %d = arith.mulf %f, %si : f32
    linalg.yield %d : f32
  }
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%y : memref<?x?xf32>)
  memref.dealloc %b : memref<?x?xf32>
  return
}

// Not matched: a scale per block of 32 x 128 reads n through n floordiv 32,
// which a panel of N does not slice. The prologue and its f32 copy stay.
// REMARK: cpu-pack-contractions-dequant.mlir:[[@LINE+17]]:3: remark: contraction's B operand converted to an f32 copy before packing: a read of its weights does not pack by panels: it reads N through d1 floordiv 32
// CHECK-LABEL: func.func @w8_blocks
// CHECK:         %[[B:.*]] = memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%arg1, %arg2 : memref<?x?xi8>, memref<?x?xf32>) outs(%[[B]]
func.func @w8_blocks(%x: memref<?x?xf32>, %w: memref<?x?xi8>, %s: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %w, %c0 : memref<?x?xi8>
  %k = memref.dim %w, %c1 : memref<?x?xi8>
  %b = memref.alloc(%n, %k) {alignment = 64 : i64} : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n floordiv 32, k floordiv 128)>, affine_map<(n, k) -> (n, k)>], iterator_types = ["parallel", "parallel"]}
      ins(%w, %s : memref<?x?xi8>, memref<?x?xf32>) outs(%b : memref<?x?xf32>) {
  ^bb0(%wi: i8, %si: f32, %out: f32):
    %f = arith.sitofp %wi : i8 to f32
    %d = arith.mulf %f, %si : f32
    linalg.yield %d : f32
  }
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%y : memref<?x?xf32>)
  memref.dealloc %b : memref<?x?xf32>
  return
}

// Not matched: batch loops (int8 weights per batch); B is packed to f32 per batch.
// REMARK: cpu-pack-contractions-dequant.mlir:[[@LINE+5]]:3: remark: contraction's B operand converted to an f32 copy before packing: batch loops
// CHECK-LABEL: func.func @w8_batched
// CHECK:         memref.alloc
// CHECK:           arith.sitofp
func.func @w8_batched(%x: memref<?x?x?xf32>, %w: memref<?x?x?xi8>, %y: memref<?x?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%x, %w : memref<?x?x?xf32>, memref<?x?x?xi8>) outs(%y : memref<?x?x?xf32>)
  return
}
