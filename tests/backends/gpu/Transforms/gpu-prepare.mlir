// RUN: %vibee-opt %s -vibee-gpu-prepare | FileCheck %s

// Host copies become linalg.copy, which vibee-gpu-map-kernels maps to a kernel
// like any elementwise op (a memref.copy would stay a host memcpy of device
// memory).
// CHECK-LABEL: func.func @copies(
// CHECK-SAME:    %[[A:.*]]: memref<?xf32>, %[[B:.*]]: memref<?xf32>, %[[S:.*]]: memref<4x8xbf16>, %[[T:.*]]: memref<4x8xbf16>)
// CHECK-NEXT:    linalg.copy ins(%[[A]] : memref<?xf32>) outs(%[[B]] : memref<?xf32>)
// CHECK-NEXT:    linalg.copy ins(%[[S]] : memref<4x8xbf16>) outs(%[[T]] : memref<4x8xbf16>)
// CHECK-NOT:     memref.copy
// CHECK:         return
func.func @copies(%a: memref<?xf32>, %b: memref<?xf32>, %s: memref<4x8xbf16>, %t: memref<4x8xbf16>) {
  memref.copy %a, %b : memref<?xf32> to memref<?xf32>
  memref.copy %s, %t : memref<4x8xbf16> to memref<4x8xbf16>
  return
}

// A small static allocation inside an scf.forall (a thread's own slots, as
// vibee-lower-topk's chunks make them) becomes an alloca, its dealloc gone; one
// outside any forall, a dynamic one and one above 4 KB stay allocations.
// CHECK-LABEL: func.func @private_slots(
// CHECK:         memref.alloc() : memref<8xf32>
// CHECK:         scf.forall
// CHECK-NEXT:      %[[SLOTS:.*]] = memref.alloca() : memref<50xf32>
// CHECK-NEXT:      memref.store %{{.*}}, %[[SLOTS]]
// CHECK-NEXT:      memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT:      memref.alloc() : memref<2048xf32>
// CHECK-NOT:       memref.dealloc %[[SLOTS]]
func.func @private_slots(%n: index, %x: f32) {
  %outside = memref.alloc() : memref<8xf32>
  scf.forall (%i) in (%n) {
    %slots = memref.alloc() : memref<50xf32>
    memref.store %x, %slots[%i] : memref<50xf32>
    %dynamic = memref.alloc(%n) : memref<?xf32>
    %large = memref.alloc() : memref<2048xf32>
    memref.dealloc %slots : memref<50xf32>
    memref.dealloc %dynamic : memref<?xf32>
    memref.dealloc %large : memref<2048xf32>
  }
  memref.dealloc %outside : memref<8xf32>
  return
}
