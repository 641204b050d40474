// RUN: %vibee-opt %s -vibee-lower-scatters | FileCheck %s
// RUN: %vibee-opt %s -vibee-lower-scatters=parallel=false | FileCheck %s --check-prefix=SERIAL

// An embedding gradient: the directly indexed loop d is the scf.forall (updates at
// different d never meet), each iteration adding into its column slice in order over
// s. The gathered position is checked unsigned against the axis, kept inside it by
// vibee.gather_index (which a CUDA kernel also reports), and a select keeps the old
// value outside it. An empty gathered axis runs no s.
// CHECK-LABEL: func.func @embed_grad
// CHECK:         %[[S:.*]] = tensor.dim %arg0, %c0
// CHECK:         %[[EMPTY:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : index
// CHECK:         %[[SN:.*]] = arith.select %[[EMPTY]], %{{.*}}, %[[S]] : index
// CHECK:         scf.forall (%[[D:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %arg2)
// CHECK:           %[[COL:.*]] = tensor.extract_slice %[[OUT]][0, %[[D]]] [%{{.*}}, 1] [1, 1] : tensor<?x?xf32> to tensor<?x1xf32>
// CHECK:           scf.for %[[I:.*]] = %{{.*}} to %[[SN]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[COL]])
// CHECK:             %[[U:.*]] = tensor.extract %arg0[%[[I]], %[[D]]]
// CHECK:             %[[ID:.*]] = tensor.extract %arg1[%[[I]]] : tensor<?xi32>
// CHECK:             %[[P:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:             %[[IN:.*]] = arith.cmpi ult, %[[P]], %{{.*}} : index
// CHECK:             %[[Q:.*]] = vibee.gather_index %[[P]] into %{{.*}}
// CHECK:             %[[OLD:.*]] = tensor.extract %[[ACC]][%[[Q]], %{{.*}}] : tensor<?x1xf32>
// CHECK:             %[[SUM:.*]] = arith.addf %[[OLD]], %[[U]]
// CHECK:             %[[V:.*]] = arith.select %[[IN]], %[[SUM]], %[[OLD]]
// CHECK:             tensor.insert %[[V]] into %[[ACC]][%[[Q]], %{{.*}}]
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice
// SERIAL-LABEL: func.func @embed_grad
// SERIAL-NOT:     scf.forall
// SERIAL:         scf.for %[[I:.*]] = {{.*}} iter_args(%[[A:.*]] = %arg2)
// SERIAL:           scf.for %[[D:.*]] = {{.*}} iter_args(%[[B:.*]] = %[[A]])
// SERIAL:             tensor.insert %{{.*}} into %[[B]][%{{.*}}, %[[D]]] : tensor<?x?xf32>
func.func @embed_grad(%dy: tensor<?x?xf32>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %g = vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// A histogram: no directly indexed loop, so one forall iteration (min(S, 1), which
// does not fold) that adds every point in order; integers add with addi.
// CHECK-LABEL: func.func @histogram
// CHECK:         %[[ONCE:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK:         scf.forall (%{{.*}}) in (%[[ONCE]])
// CHECK:           scf.for
// CHECK:             arith.addi
func.func @histogram(%one: tensor<?xi32>, %ids: tensor<?xi8>, %h: tensor<?xi32>) -> tensor<?xi32> {
  %g = vibee.scatter_add ins(%one : tensor<?xi32>) indices(%ids : tensor<?xi8>) outs(%h : tensor<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>] -> tensor<?xi32>
  return %g : tensor<?xi32>
}
