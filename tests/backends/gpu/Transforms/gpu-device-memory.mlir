// RUN: %vibee-opt %s -vibee-gpu-device-memory | FileCheck %s

// Host temporaries that kernels read and write live in device memory: each
// alloc, alloca and dealloc becomes an asynchronous gpu.alloc/gpu.dealloc on
// its own token chain (gpu-to-llvm lowers only those; one stream, so stream
// order). An alloca lives until the function returns. Allocations inside a
// kernel stay (thread-local).
// CHECK-LABEL: func.func @temporaries(
// CHECK-SAME:    %[[N:.*]]: index, %[[X:.*]]: memref<?xf32>)
// CHECK:         %[[W0:.*]] = gpu.wait async
// CHECK-NEXT:    %[[TMP:.*]], %[[T0:.*]] = gpu.alloc async [%[[W0]]] (%[[N]]) : memref<?xf32>
// CHECK-NEXT:    gpu.wait [%[[T0]]]
// CHECK-NEXT:    %[[W1:.*]] = gpu.wait async
// CHECK-NEXT:    %[[STACK:.*]], %[[T1:.*]] = gpu.alloc async [%[[W1]]] () : memref<4xf32>
// CHECK-NEXT:    gpu.wait [%[[T1]]]
// CHECK:         gpu.launch
// CHECK:           memref.alloca() : memref<2xf32>
// CHECK:           memref.store %{{.*}}, %[[TMP]]
// CHECK:           memref.store %{{.*}}, %[[STACK]]
// CHECK:           gpu.terminator
// CHECK:         %[[W2:.*]] = gpu.wait async
// CHECK-NEXT:    %[[T2:.*]] = gpu.dealloc async [%[[W2]]] %[[TMP]] : memref<?xf32>
// CHECK-NEXT:    gpu.wait [%[[T2]]]
// CHECK-NEXT:    %[[W3:.*]] = gpu.wait async
// CHECK-NEXT:    %[[T3:.*]] = gpu.dealloc async [%[[W3]]] %[[STACK]] : memref<4xf32>
// CHECK-NEXT:    gpu.wait [%[[T3]]]
// CHECK-NEXT:    return
// CHECK-NOT:   memref.alloc(
// CHECK-NOT:   memref.dealloc
module attributes {gpu.container_module} {
  func.func @temporaries(%n: index, %x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %tmp = memref.alloc(%n) : memref<?xf32>
    %stack = memref.alloca() : memref<4xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %local = memref.alloca() : memref<2xf32>
      %v = memref.load %x[%tx] : memref<?xf32>
      memref.store %v, %tmp[%tx] : memref<?xf32>
      memref.store %v, %stack[%tx] : memref<4xf32>
      memref.store %v, %local[%tx] : memref<2xf32>
      gpu.terminator
    }
    memref.dealloc %tmp : memref<?xf32>
    return
  }
}
