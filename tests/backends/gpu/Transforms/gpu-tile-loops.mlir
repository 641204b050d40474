// RUN: %vibee-opt %s -vibee-gpu-tile-loops | FileCheck %s
// RUN: %vibee-opt %s -vibee-gpu-tile-loops=block-size=128 | FileCheck %s --check-prefix=B128

// The innermost dim is tiled by block-size, the others by 1: a tile is one
// block's worth of consecutive elements, its points (the inner loop, constant
// bounds) the block's threads; a guard keeps the last tile inside the bounds.
// CHECK-LABEL: func.func @tile(
// CHECK-SAME:    %[[A:.*]]: memref<?x?xf32>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[TI:.*]] = arith.muli %[[C1]], %{{.*}} : index
// CHECK:         %[[TJ:.*]] = arith.muli %[[C1]], %[[C256]] : index
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to (%[[N]], %[[M]]) step (%[[TI]], %[[TJ]]) {
// CHECK-NEXT:      scf.parallel (%[[PI:.*]], %[[PJ:.*]]) = ({{.*}}) to (%[[TI]], %[[TJ]]) step (%[[C1]], %[[C1]]) {
// CHECK:             arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK:             arith.cmpi ult, %{{.*}}, %[[M]] : index
// CHECK:             scf.if
// CHECK-NEXT:          memref.store
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
