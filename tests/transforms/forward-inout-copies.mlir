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
