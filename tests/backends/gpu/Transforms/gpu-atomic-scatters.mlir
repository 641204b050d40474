// RUN: %vibee-opt %s -vibee-gpu-atomic-scatters -canonicalize -cse | FileCheck %s

// A histogram (i32 counts, every loop gathered). Chosen at run time:
// - the destination fits 32 KB of workgroup memory (8192 i32) and takes at least
//   16 points per element: one block per 256 points, capped by the SMs; each block
//   zeroes its own copy of the counts, adds its points there (shared-memory
//   atomics), then adds the copy's non-zero counts to the destination;
// - otherwise one parallel iteration per point, one atomic add into global memory.
// Either way a point's position is read, reported and kept inside by
// vibee.gather_index, and adds only when inside (unsigned: a negative id is a huge
// one). An empty destination runs no point.
// CHECK-LABEL: func.func @histogram
// CHECK:         %[[S:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[N:.*]] = memref.dim %arg2, %c0
// CHECK:         %[[EMPTY:.*]] = arith.cmpi eq, %[[N]], %c0 : index
// CHECK:         %[[SN:.*]] = arith.select %[[EMPTY]], %c0, %[[S]] : index
// CHECK:         %[[FITS:.*]] = arith.cmpi ule, %[[N]], %c8192 : index
// CHECK:         %[[N16:.*]] = arith.muli %[[N]], %c16 : index
// CHECK:         %[[CROWDED:.*]] = arith.cmpi ule, %[[N16]], %[[SN]] : index
// CHECK:         %[[PRIVATE:.*]] = arith.andi %[[FITS]], %[[CROWDED]] : i1
// CHECK:         scf.if %[[PRIVATE]] {
// CHECK:           call @vibee_cuda_sm_count()
// CHECK:           gpu.launch {{.*}} workgroup(%[[COUNTS:.*]] : memref<8192xi32, #gpu.address_space<workgroup>>)
// CHECK:             scf.for %[[I:.*]] = %{{.*}} to %[[N]] step %c256 {
// CHECK:               memref.store %c0_i32, %[[COUNTS]][%[[I]]]
// CHECK:             gpu.barrier
// CHECK:             scf.for %[[P:.*]] = %{{.*}} to %[[SN]] step %{{.*}} {
// CHECK:               %[[RAW:.*]] = memref.load %arg1[%[[P]]] : memref<?xi8>
// CHECK:               %[[ID:.*]] = arith.index_cast %[[RAW]] : i8 to index
// CHECK:               %[[OK:.*]] = arith.cmpi ult, %[[ID]], %[[N]] : index
// CHECK:               %[[Q:.*]] = vibee.gather_index %[[ID]] into %[[N]]
// CHECK:               scf.if %[[OK]] {
// CHECK:                 memref.atomic_rmw addi %{{.*}}, %[[COUNTS]][%[[Q]]] : (i32, memref<8192xi32, #gpu.address_space<workgroup>>) -> i32
// CHECK:             gpu.barrier
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %[[N]] step %c256 {
// CHECK:               %[[C:.*]] = memref.load %[[COUNTS]][%[[J]]]
// CHECK:               %[[NZ:.*]] = arith.cmpi ne, %[[C]], %c0_i32 : i32
// CHECK:               scf.if %[[NZ]] {
// CHECK:                 memref.atomic_rmw addi %[[C]], %arg2[%[[J]]] : (i32, memref<?xi32>) -> i32
// CHECK:         } else {
// CHECK:           scf.parallel (%[[G:.*]]) = (%c0) to (%[[SN]]) step (%c1)
// CHECK:             %[[U:.*]] = memref.load %arg0[%[[G]]] : memref<?xi32>
// CHECK:             %[[GRAW:.*]] = memref.load %arg1[%[[G]]] : memref<?xi8>
// CHECK:             %[[GID:.*]] = arith.index_cast %[[GRAW]] : i8 to index
// CHECK:             %[[GOK:.*]] = arith.cmpi ult, %[[GID]], %[[N]] : index
// CHECK:             %[[GQ:.*]] = vibee.gather_index %[[GID]] into %[[N]]
// CHECK:             scf.if %[[GOK]] {
// CHECK:               memref.atomic_rmw addi %[[U]], %arg2[%[[GQ]]] : (i32, memref<?xi32>) -> i32
// CHECK-NOT:     vibee.scatter_add
func.func @histogram(%one: memref<?xi32>, %ids: memref<?xi8>, %h: memref<?xi32>) {
  vibee.scatter_add ins(%one : memref<?xi32>) indices(%ids : memref<?xi8>) outs(%h : memref<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>]
  return
}

// Counts per (row, bucket) in i64 (4096 fit the workgroup copy): the directly
// indexed axis is the point's loop b, the gathered one read at (b, s); in the
// block's copy the position is row-major over the destination, and the flush
// takes it apart again.
// CHECK-LABEL: func.func @per_row
// CHECK:         gpu.launch {{.*}} workgroup(%[[COUNTS:.*]] : memref<4096xi64, #gpu.address_space<workgroup>>)
// CHECK:           memref.atomic_rmw addi %{{.*}}, %[[COUNTS]][%{{.*}}] : (i64, memref<4096xi64, #gpu.address_space<workgroup>>) -> i64
// CHECK:           memref.atomic_rmw addi %{{.*}}, %arg2[%{{.*}}, %{{.*}}] : (i64, memref<?x?xi64>) -> i64
// CHECK:         scf.parallel (%[[B:.*]], %[[T:.*]]) =
// CHECK:           %[[RAW:.*]] = memref.load %arg1[%[[B]], %[[T]]] : memref<?x?xi32>
// CHECK:           scf.if
// CHECK:             memref.atomic_rmw addi %{{.*}}, %arg2[%[[B]], %{{.*}}] : (i64, memref<?x?xi64>) -> i64
func.func @per_row(%x: memref<?x?xi64>, %ids: memref<?x?xi32>, %c: memref<?x?xi64>) {
  vibee.scatter_add ins(%x : memref<?x?xi64>) indices(%ids : memref<?x?xi32>) outs(%c : memref<?x?xi64>) axes [0, -1] index_maps [affine_map<(b, s) -> (b, s)>]
  return
}

// An f32 embedding gradient (vibeec --gpu-float-atomics): addf at (id, d) in global
// memory (no workgroup copy: float counts are not what it is for).
// CHECK-LABEL: func.func @embed_grad
// CHECK-NOT:     gpu.launch
// CHECK:         scf.parallel (%[[S:.*]], %[[D:.*]]) =
// CHECK:           %[[U:.*]] = memref.load %arg0[%[[S]], %[[D]]] : memref<?x?xf32>
// CHECK:           scf.if
// CHECK:             memref.atomic_rmw addf %[[U]], %arg2[%{{.*}}, %[[D]]] : (f32, memref<?x?xf32>) -> f32
func.func @embed_grad(%dy: memref<?x?xf32>, %ids: memref<?xi32>, %dt: memref<?x?xf32>) {
  vibee.scatter_add ins(%dy : memref<?x?xf32>) indices(%ids : memref<?xi32>) outs(%dt : memref<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>]
  return
}
