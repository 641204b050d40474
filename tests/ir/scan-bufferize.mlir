// RUN: %vibee-opt %s -one-shot-bufferize="bufferize-function-boundaries" -canonicalize | FileCheck %s

// vibee.scan bufferizes in place (BufferizableOpInterface): it reads its inputs
// and init, writes every element of its destination, and on memrefs has no
// result; the function returns the destination's buffer with no copy.
// CHECK-LABEL: func.func @cumsum
// CHECK-SAME:    (%[[X:.*]]: memref<?x?xf32, {{.*}}>, %[[H:.*]]: memref<?x1xf32, {{.*}}>, %[[D:.*]]: memref<?x?xf32, {{.*}}>)
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
// CHECK:         vibee.scan sum dimension(1) exclusive ins(%[[X]] : {{.*}}) init(%[[H]] : {{.*}}) outs(%[[D]] : {{.*}}) {
// CHECK:           arith.addf
// CHECK:         return %[[D]]
func.func @cumsum(%x: tensor<?x?xf32>, %h: tensor<?x1xf32>, %d: tensor<?x?xf32> {bufferization.writable = true}) -> tensor<?x?xf32> {
  %y = vibee.scan sum dimension(1) exclusive ins(%x : tensor<?x?xf32>) init(%h : tensor<?x1xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return %y : tensor<?x?xf32>
}

// The destination is written, never read: a destination read afterwards (the old
// %d) is kept by scanning into a new buffer, not a copy of it.
// CHECK-LABEL: func.func @keeps_old
// CHECK:         %[[NEW:.*]] = memref.alloc
// CHECK-NOT:     memref.copy
// CHECK:         vibee.scan max dimension(0) ins(%{{.*}} : {{.*}}) outs(%[[NEW]] : {{.*}})
func.func @keeps_old(%x: tensor<?xf32>, %d: tensor<?xf32> {bufferization.writable = true}) -> (tensor<?xf32>, tensor<?xf32>) {
  %y = vibee.scan max dimension(0) ins(%x : tensor<?xf32>) outs(%d : tensor<?xf32>) -> tensor<?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %m = arith.maximumf %acc, %v : f32
    vibee.yield %m : f32
  }
  return %y, %d : tensor<?xf32>, tensor<?xf32>
}
