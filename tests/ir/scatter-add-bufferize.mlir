// RUN: %vibee-opt %s -one-shot-bufferize="bufferize-function-boundaries" -canonicalize | FileCheck %s

// vibee.scatter_add bufferizes in place (BufferizableOpInterface): it reads its
// updates, indices and destination and adds into the destination's buffer, the
// result equivalent to it, so the function returns that buffer with no copy.
// CHECK-LABEL: func.func @histogram
// CHECK-SAME:    (%[[ONE:.*]]: memref<?xi32, {{.*}}>, %[[IDS:.*]]: memref<?xi8, {{.*}}>, %[[H:.*]]: memref<?xi32, {{.*}}>)
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
// CHECK:         vibee.scatter_add ins(%[[ONE]] : {{.*}}) indices(%[[IDS]] : {{.*}}) outs(%[[H]] : {{.*}}) axes [-1] index_maps [#{{.*}}]{{$}}
// CHECK:         return %[[H]]
func.func @histogram(%one: tensor<?xi32>, %ids: tensor<?xi8>, %h: tensor<?xi32> {bufferization.writable = true}) -> tensor<?xi32> {
  %g = vibee.scatter_add ins(%one : tensor<?xi32>) indices(%ids : tensor<?xi8>) outs(%h : tensor<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>] -> tensor<?xi32>
  return %g : tensor<?xi32>
}

// A destination read after the scatter (the old %h) is not overwritten: the
// scatter adds into a copy.
// CHECK-LABEL: func.func @keeps_old
// CHECK:         %[[COPY:.*]] = memref.alloc
// CHECK:         memref.copy %{{.*}}, %[[COPY]]
// CHECK:         vibee.scatter_add {{.*}} outs(%[[COPY]] : {{.*}})
func.func @keeps_old(%one: tensor<?xi32>, %ids: tensor<?xi8>, %h: tensor<?xi32> {bufferization.writable = true}) -> (tensor<?xi32>, tensor<?xi32>) {
  %g = vibee.scatter_add ins(%one : tensor<?xi32>) indices(%ids : tensor<?xi8>) outs(%h : tensor<?xi32>) axes [-1] index_maps [affine_map<(s) -> (s)>] -> tensor<?xi32>
  return %g, %h : tensor<?xi32>, tensor<?xi32>
}
