// RUN: %vibee-opt %s -vibee-gpu-atomic-scatters | FileCheck %s

// A histogram (i32 counts, every loop gathered): one parallel iteration per
// point, its position read, reported and kept inside by vibee.gather_index, the
// count added atomically when the position is inside (unsigned: a negative id is
// a huge one). An empty destination runs no point.
// CHECK-LABEL: func.func @histogram
// CHECK:         %[[S:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[N:.*]] = memref.dim %arg2, %c0
// CHECK:         %[[EMPTY:.*]] = arith.cmpi eq, %[[N]], %c0 : index
// CHECK:         %[[SN:.*]] = arith.select %[[EMPTY]], %c0, %[[S]] : index
// CHECK:         scf.parallel (%[[P:.*]]) = (%c0) to (%[[SN]]) step (%c1)
// CHECK:           %[[U:.*]] = memref.load %arg0[%[[P]]] : memref<?xi32>
// CHECK:           %[[RAW:.*]] = memref.load %arg1[%[[P]]] : memref<?xi8>
// CHECK:           %[[I:.*]] = arith.index_cast %[[RAW]] : i8 to index
// CHECK:           %[[OK:.*]] = arith.cmpi ult, %[[I]], %{{.*}} : index
// CHECK:           %[[Q:.*]] = vibee.gather_index %[[I]] into %{{.*}}
// CHECK:           scf.if %[[OK]] {
// CHECK:             memref.atomic_rmw addi %[[U]], %arg2[%[[Q]]] : (i32, memref<?xi32>) -> i32
// CHECK-NOT:     vibee.scatter_add
func.func @histogram(%one: memref<?xi32>, %ids: memref<?xi8>, %h: memref<?xi32>) {
  vibee.scatter_add ins(%one : memref<?xi32>) indices(%ids : memref<?xi8>) outs(%h : memref<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>]
  return
}

// Counts per (row, bucket) in i64: the directly indexed axis is the point's loop b,
// the gathered one read at (b, s).
// CHECK-LABEL: func.func @per_row
// CHECK:         scf.parallel (%[[B:.*]], %[[T:.*]]) =
// CHECK:           %[[RAW:.*]] = memref.load %arg1[%[[B]], %[[T]]] : memref<?x?xi32>
// CHECK:           scf.if
// CHECK:             memref.atomic_rmw addi %{{.*}}, %arg2[%[[B]], %{{.*}}] : (i64, memref<?x?xi64>) -> i64
func.func @per_row(%x: memref<?x?xi64>, %ids: memref<?x?xi32>, %c: memref<?x?xi64>) {
  vibee.scatter_add ins(%x : memref<?x?xi64>) indices(%ids : memref<?x?xi32>) outs(%c : memref<?x?xi64>) axes [0, -1] index_maps [affine_map<(b, s) -> (b, s)>]
  return
}

// An f32 embedding gradient (vibeec --gpu-float-atomics): addf at (id, d).
// CHECK-LABEL: func.func @embed_grad
// CHECK:         scf.parallel (%[[S:.*]], %[[D:.*]]) =
// CHECK:           %[[U:.*]] = memref.load %arg0[%[[S]], %[[D]]] : memref<?x?xf32>
// CHECK:           scf.if
// CHECK:             memref.atomic_rmw addf %[[U]], %arg2[%{{.*}}, %[[D]]] : (f32, memref<?x?xf32>) -> f32
func.func @embed_grad(%dy: memref<?x?xf32>, %ids: memref<?xi32>, %dt: memref<?x?xf32>) {
  vibee.scatter_add ins(%dy : memref<?x?xf32>) indices(%ids : memref<?xi32>) outs(%dt : memref<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>]
  return
}
