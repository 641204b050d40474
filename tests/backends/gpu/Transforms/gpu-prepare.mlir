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
