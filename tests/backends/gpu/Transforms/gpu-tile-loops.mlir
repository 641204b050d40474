// RUN: %vibee-opt %s -vibee-gpu-tile-loops=coarsen=1 | FileCheck %s
// RUN: %vibee-opt %s -vibee-gpu-tile-loops="block-size=128 coarsen=1" | FileCheck %s --check-prefix=B128
// RUN: %vibee-opt %s -vibee-gpu-tile-loops | FileCheck %s --check-prefix=COARSE

// A nest of several dims is collapsed to one (row-major: consecutive points
// are consecutive innermost elements), then tiled by block-size: a tile is one
// block's worth of consecutive elements, its points (the inner loop, constant
// bounds) the block's threads; a guard keeps the last tile inside the bounds.
// One dim maps to gridDim.x/blockDim.x only: no third dim of 256 threads
// (blockDim.z <= 64) and no gridDim.y/z beyond 65535.
// CHECK-LABEL: func.func @tile(
// CHECK-SAME:    %[[A:.*]]: memref<?x?xf32>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[NM:.*]] = arith.muli %{{.*}}, %[[M]] : index
// CHECK:         %[[T:.*]] = arith.muli %{{.*}}, %[[C256]] : index
// CHECK:         scf.parallel (%[[I:.*]]) = ({{.*}}) to (%[[NM]]) step (%[[T]]) {
// CHECK-NEXT:      scf.parallel (%[[P:.*]]) = ({{.*}}) to (%[[T]]) step (%{{.*}}) {
// CHECK:             arith.cmpi ult, %{{.*}}, %[[NM]] : index
// CHECK:             scf.if
// CHECK-NEXT:          %[[J:.*]] = arith.remsi %{{.*}}, %[[M]] : index
// CHECK-NEXT:          %[[II:.*]] = arith.divsi %{{.*}}, %[[M]] : index
// CHECK-NEXT:          memref.store %{{.*}}, %[[A]][%[[II]], %[[J]]]
// B128-LABEL: func.func @tile(
// B128:         %[[C128:.*]] = arith.constant 128 : index
// B128:         arith.muli %{{.*}}, %[[C128]] : index
func.func @tile(%a: memref<?x?xf32>, %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %m) step (%c1, %c1) {
    memref.store %one, %a[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// Only outermost loops are tiled: a nested parallel loop stays whole inside
// the guarded tile (one tile level, no second one inside).
// CHECK-LABEL: func.func @nested(
// CHECK-SAME:    %[[A:.*]]: memref<?x?xf32>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK:         %[[T:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:         scf.parallel (%[[I:.*]]) = ({{.*}}) to (%[[N]]) step (%[[T]]) {
// CHECK-NEXT:      scf.parallel (%{{.*}}) = ({{.*}}) to (%[[T]]) step
// CHECK:             scf.if
// CHECK-NEXT:          scf.parallel (%{{.*}}) = ({{.*}}) to (%[[M]]) step
// CHECK-NEXT:            memref.store
// CHECK-NOT:     arith.muli
// CHECK:         return
func.func @nested(%a: memref<?x?xf32>, %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%m) step (%c1) {
      memref.store %one, %a[%i, %j] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// Coarsened (the default, 4 points per thread): a tile is 4 x 256 points, a
// thread's points 256 apart (each step coalesced across the warp); a full tile
// runs them unguarded, the last one checks each.
// COARSE-LABEL: func.func @tile(
// COARSE:         arith.muli
// COARSE-NEXT:    %[[NM:.*]] = arith.muli
// COARSE:         %[[C256:.*]] = arith.constant 256 : index
// COARSE-NEXT:    %[[C1024:.*]] = arith.constant 1024 : index
// COARSE-NEXT:    scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[NM]]) step (%[[C1024]]) {
// COARSE-NEXT:      scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C256]]) step
// COARSE-NEXT:        %[[P:.*]] = arith.addi %[[T]], %[[I]] : index
// COARSE-NEXT:        %[[LEFT:.*]] = arith.subi %[[NM]], %[[T]] : index
// COARSE-NEXT:        %[[FULL:.*]] = arith.cmpi uge, %[[LEFT]], %[[C1024]] : index
// COARSE-NEXT:        scf.if %[[FULL]] {
// COARSE-COUNT-4:       arith.divsi
// COARSE-COUNT-4:       memref.store
// COARSE-NOT:           scf.if
// COARSE:             } else {
// COARSE-COUNT-4:       scf.if
// COARSE:           }
// The nested loop's body is not replicated: one point per thread.
// COARSE-LABEL: func.func @nested(
// COARSE:         scf.parallel (%{{.*}}) = ({{.*}}) to (%{{.*}}) step (%{{.*}}) {
// COARSE-NEXT:      scf.parallel (%{{.*}}) = ({{.*}}) to (%{{.*}}) step
// COARSE:             scf.if
// COARSE-NEXT:          scf.parallel
// COARSE-NOT:       arith.constant 1024
