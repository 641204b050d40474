// RUN: %vibee-opt %s --vibee-forward-inout-copies | FileCheck %s

#id = affine_map<(d0) -> (d0)>
#rev = affine_map<(d0) -> (-d0 + 7)>

// The elementwise update of %p is computed into %p itself.
// CHECK-LABEL: func.func @inplace
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1 : {{.*}}) outs(%arg0 : memref<8xf32>)
// CHECK-NOT:     memref.copy
func.func @inplace(%p: memref<8xf32>, %g: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%p, %g : memref<8xf32>, memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.subf %x, %y : f32
    linalg.yield %s : f32
  }
  memref.copy %t, %p : memref<8xf32> to memref<8xf32>
  return
}

// Reading %p in another order (a reversal) would read overwritten elements: kept.
// CHECK-LABEL: func.func @reversed
// CHECK:         memref.alloc
// CHECK:         memref.copy
func.func @reversed(%p: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#rev, #id], iterator_types = ["parallel"]}
      ins(%p : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  memref.copy %t, %p : memref<8xf32> to memref<8xf32>
  return
}

// %p is read after the update but before the write-back: kept.
// CHECK-LABEL: func.func @read_between
// CHECK:         memref.alloc
// CHECK:         memref.copy %{{.*}}, %arg0
func.func @read_between(%p: memref<8xf32>, %q: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%p : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  memref.copy %p, %q : memref<8xf32> to memref<8xf32>
  memref.copy %t, %p : memref<8xf32> to memref<8xf32>
  return
}

// A read-modify-write of the whole parameter (a scatter-add's loops): the copy
// pair around the loops goes, the loops update %p in place.
// CHECK-LABEL: func.func @rmw_pair
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
// CHECK:         scf.for {{.*}} iter_args(%[[A:.*]] = %arg0)
// CHECK:           memref.store %{{.*}}, %[[A]][%{{.*}}]
func.func @rmw_pair(%p: memref<?xf32>, %ids: memref<?xindex>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d = memref.dim %p, %c0 : memref<?xf32>
  %t = memref.alloc(%d) : memref<?xf32>
  memref.copy %p, %t : memref<?xf32> to memref<?xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %t) -> (memref<?xf32>) {
    %j = memref.load %ids[%i] : memref<?xindex>
    %v = memref.load %a[%j] : memref<?xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%j] : memref<?xf32>
    scf.yield %a : memref<?xf32>
  }
  memref.copy %r, %p : memref<?xf32> to memref<?xf32>
  return
}

// Not when %p is read between the copies (the old value is still needed).
// CHECK-LABEL: func.func @rmw_pair_read
// CHECK:         memref.copy %arg0, %[[T:.*]] :
// CHECK:         memref.copy %{{.*}}, %arg0
func.func @rmw_pair_read(%p: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d = memref.dim %p, %c0 : memref<?xf32>
  %t = memref.alloc(%d) : memref<?xf32>
  memref.copy %p, %t : memref<?xf32> to memref<?xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %t) -> (memref<?xf32>) {
    %v = memref.load %p[%i] : memref<?xf32>
    %u = memref.load %a[%c0] : memref<?xf32>
    %w = arith.addf %v, %u : f32
    memref.store %w, %a[%c0] : memref<?xf32>
    scf.yield %a : memref<?xf32>
  }
  memref.copy %r, %p : memref<?xf32> to memref<?xf32>
  return
}
