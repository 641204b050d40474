// RUN: %vibee-opt %s -vibee-lower-scatters | FileCheck %s
// RUN: %vibee-opt %s -vibee-lower-scatters=parallel=false | FileCheck %s --check-prefix=SERIAL
// RUN: %vibee-opt %s -vibee-lower-scatters="parallel=false mark-columns=true" | FileCheck %s --check-prefix=CPU
// RUN: %vibee-opt %s -vibee-lower-scatters=keep-integer-sums=true | FileCheck %s --check-prefix=KEEP
// RUN: %vibee-opt %s -vibee-lower-scatters="keep-integer-sums=true keep-float-sums=true" | FileCheck %s --check-prefix=FLOATS

// An embedding gradient: the forall's iterations are (range of rows, d). Updates at
// different d never meet, and rows are split into ranges of `chunk` (enough for
// 32768 iterations: ceil(32768 / D), at most 1024 and at most V), each iteration
// adding, in order over s, the points whose row falls in its range: the same
// order per element as one loop. The gathered position is reported and clamped by
// vibee.gather_index for every point; only a point in the range reads its update
// (an scf.if); an index below the range, negative or past V is in none. An empty
// gathered axis runs no s.
// CHECK-LABEL: func.func @embed_grad
// CHECK:         %[[S:.*]] = tensor.dim %arg0, %c0
// CHECK:         %[[D:.*]] = tensor.dim %arg0, %c1
// CHECK:         %[[EMPTY:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : index
// CHECK:         %[[SN:.*]] = arith.select %[[EMPTY]], %{{.*}}, %[[S]] : index
// CHECK:         %[[V:.*]] = tensor.dim %arg2, %{{.*}}
// CHECK:         %[[WANT:.*]] = arith.ceildivui %c32768, %{{.*}} : index
// CHECK:         %[[R1:.*]] = arith.minui %[[WANT]], %c1024 : index
// CHECK:         %[[R:.*]] = arith.minui %[[R1]], %[[V]] : index
// CHECK:         %[[PER:.*]] = arith.ceildivui %[[V]], %{{.*}} : index
// CHECK:         %[[CHUNK:.*]] = arith.maxui %[[PER]], %{{.*}} : index
// CHECK:         %[[NR:.*]] = arith.ceildivui %[[V]], %[[CHUNK]] : index
// CHECK:         scf.forall (%[[RI:.*]], %[[DI:.*]]) in (%[[NR]], %[[D]]) shared_outs(%[[OUT:.*]] = %arg2)
// CHECK:           %[[LO:.*]] = arith.muli %[[RI]], %[[CHUNK]] : index
// CHECK:           %[[LEFT:.*]] = arith.subi %[[V]], %[[LO]] : index
// CHECK:           %[[SIZE:.*]] = arith.minui %[[CHUNK]], %[[LEFT]] : index
// CHECK:           %[[COL:.*]] = tensor.extract_slice %[[OUT]][%[[LO]], %[[DI]]] [%[[SIZE]], 1] [1, 1] : tensor<?x?xf32> to tensor<?x1xf32>
// The points' loop reads 8 ids ahead, then adds the 8 points in order; the rest
// (S % 8) one at a time.
// CHECK:           %[[REM:.*]] = arith.remui %[[SN]], %c8
// CHECK:           %[[FULL:.*]] = arith.subi %[[SN]], %[[REM]]
// CHECK:           %[[BLOCKS:.*]] = scf.for %[[S0:.*]] = %{{.*}} to %[[FULL]] step %c8{{.*}} iter_args(%[[ACC:.*]] = %[[COL]])
// CHECK-COUNT-8:     tensor.extract %arg1[%{{.*}}] : tensor<?xi32>
// CHECK-NOT:         scf.if
// CHECK:             %[[P:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK:             %[[Q:.*]] = vibee.gather_index %{{.*}} into %[[V]]
// CHECK:             %[[OFF:.*]] = arith.subi %{{.*}}, %[[LO]] : index
// CHECK:             %[[MINE:.*]] = arith.cmpi ult, %[[OFF]], %[[SIZE]] : index
// CHECK:             %[[QS:.*]] = arith.subi %[[Q]], %[[LO]] : index
// CHECK:             scf.if %[[MINE]] -> (tensor<?x1xf32>)
// CHECK:               %[[U:.*]] = tensor.extract %arg0[%{{.*}}, %[[DI]]]
// CHECK:               %[[OLD:.*]] = tensor.extract %[[ACC]][%[[QS]], %{{.*}}] : tensor<?x1xf32>
// CHECK:               %[[SUM:.*]] = arith.addf %[[OLD]], %[[U]]
// CHECK:               tensor.insert %[[SUM]] into %[[ACC]][%[[QS]], %{{.*}}]
// CHECK:             } else {
// CHECK-NEXT:          scf.yield %[[ACC]]
// CHECK-COUNT-7:     scf.if
// CHECK:           scf.for %[[I:.*]] = %[[FULL]] to %[[SN]] step %{{.*}} iter_args(%{{.*}} = %[[BLOCKS]])
// CHECK:             tensor.extract %arg1[%[[I]]] : tensor<?xi32>
// CHECK:             scf.if
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[LO]], %[[DI]]] [%[[SIZE]], 1]
// SERIAL-LABEL: func.func @embed_grad
// SERIAL-NOT:     scf.forall
// SERIAL:         scf.for %[[I:.*]] = {{.*}} iter_args(%[[A:.*]] = %arg2)
// SERIAL:           scf.for %[[D:.*]] = {{.*}} iter_args(%[[B:.*]] = %[[A]])
// SERIAL:             tensor.extract %arg0
// SERIAL:             vibee.gather_index
// SERIAL:             arith.select
// SERIAL:             tensor.insert %{{.*}} into %[[B]][%{{.*}}, %[[D]]] : tensor<?x?xf32>
// The CPU's nest (mark-columns): its innermost loop, over d, which indexes the
// destination directly, is marked for the threads; not the loop over s. A
// histogram (no directly indexed axis) and COO (its innermost loop gathers) get
// no mark.
// CPU-LABEL: func.func @embed_grad
// CPU:         scf.for
// CPU:           scf.for
// CPU:           } {vibee.independent_columns}
// CPU-NOT:       vibee.independent_columns
// CPU-LABEL: func.func @histogram
// CPU-NOT:     vibee.independent_columns
// CPU-LABEL: func.func @coo
// CPU-NOT:     vibee.independent_columns
// CPU-LABEL: func.func @count_i16
func.func @embed_grad(%dy: tensor<?x?xf32>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %g = vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// A histogram: no directly indexed loop, so the ranges of bins are the forall's
// only loop (min(N, 1024) of them), each reading every id; integers add with addi.
// keep-integer-sums (the GPU) leaves it, an i32 sum, to the atomic lowering after
// bufferization; float sums (@embed_grad, @coo) are lowered as before.
// KEEP-LABEL: func.func @embed_grad
// KEEP-NOT:     vibee.scatter_add
// KEEP:         scf.forall
// KEEP-LABEL: func.func @histogram
// KEEP-NEXT:    vibee.scatter_add ins(%arg0 : tensor<?xi32>) indices(%arg1 : tensor<?xi8>) outs(%arg2 : tensor<?xi32>)
// KEEP-LABEL: func.func @coo
// KEEP-NOT:     vibee.scatter_add
// KEEP-LABEL: func.func @count_i16
// KEEP-NOT:     vibee.scatter_add
// keep-float-sums (vibeec --gpu-float-atomics) leaves the f32 sums too; i16 stays.
// FLOATS-LABEL: func.func @embed_grad
// FLOATS-NEXT:    vibee.scatter_add
// FLOATS-LABEL: func.func @histogram
// FLOATS-NEXT:    vibee.scatter_add
// FLOATS-LABEL: func.func @coo
// FLOATS-NEXT:    vibee.scatter_add
// FLOATS-LABEL: func.func @count_i16
// FLOATS-NOT:     vibee.scatter_add
// CHECK-LABEL: func.func @histogram
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}}) shared_outs
// CHECK:           scf.for
// CHECK:             scf.if
// CHECK:               arith.addi
func.func @histogram(%one: tensor<?xi32>, %ids: tensor<?xi8>, %h: tensor<?xi32>) -> tensor<?xi32> {
  %g = vibee.scatter_add ins(%one : tensor<?xi32>) indices(%ids : tensor<?xi8>) outs(%h : tensor<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>] -> tensor<?xi32>
  return %g : tensor<?xi32>
}

// Two gathered axes (a matrix from coordinates): the first is split into ranges,
// the second stays whole in the slice, checked by a select inside the scf.if.
// CHECK-LABEL: func.func @coo
// CHECK:         scf.forall (%[[RI:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %arg3)
// CHECK:           tensor.extract_slice %[[OUT]][%{{.*}}, 0] [%{{.*}}, %{{.*}}] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
// CHECK:             scf.if
// CHECK:               arith.select
func.func @coo(%w: tensor<?xf32>, %r: tensor<?xi32>, %c: tensor<?xi32>, %a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %g = vibee.scatter_add ins(%w : tensor<?xf32>) indices(%r, %c : tensor<?xi32>, tensor<?xi32>) outs(%a : tensor<?x?xf32>) axes [-1, -1] index_maps [affine_map<(e) -> (e)>, affine_map<(e) -> (e)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// An i16 sum has no atomic add on the GPU: it stays on the ordered lowering.
func.func @count_i16(%one: tensor<?xi16>, %ids: tensor<?xi32>, %h: tensor<?xi16>) -> tensor<?xi16> {
  %g = vibee.scatter_add ins(%one : tensor<?xi16>) indices(%ids : tensor<?xi32>) outs(%h : tensor<?xi16>) axes [-1] index_maps [affine_map<(s) -> (s)>] -> tensor<?xi16>
  return %g : tensor<?xi16>
}
