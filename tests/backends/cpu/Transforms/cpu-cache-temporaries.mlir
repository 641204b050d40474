// RUN: %vibee-opt %s --vibee-cpu-cache-temporaries | FileCheck %s

// A temporary's aligned_alloc and free call the runtime's cache when it is linked
// (its weak symbols have an address), the C library otherwise; other calls stay.
// CHECK-DAG:   llvm.func extern_weak @vibee_cpu_temp_alloc(i64, i64) -> !llvm.ptr
// CHECK-DAG:   llvm.func extern_weak @vibee_cpu_temp_free(!llvm.ptr)
// CHECK-LABEL: llvm.func @kernel(
// CHECK:         %[[CACHE:.*]] = llvm.mlir.addressof @vibee_cpu_temp_alloc : !llvm.ptr
// CHECK:         %[[LIBC:.*]] = llvm.mlir.addressof @aligned_alloc : !llvm.ptr
// CHECK:         %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:         %[[LINKED:.*]] = llvm.icmp "ne" %[[CACHE]], %[[NULL]] : !llvm.ptr
// CHECK:         %[[ALLOC:.*]] = llvm.select %[[LINKED]], %[[CACHE]], %[[LIBC]] : i1, !llvm.ptr
// CHECK:         %[[P:.*]] = llvm.call %[[ALLOC]](%{{.*}}, %{{.*}}) : !llvm.ptr, (i64, i64) -> !llvm.ptr
// CHECK:         llvm.call @other(%[[P]])
// CHECK:         %[[FCACHE:.*]] = llvm.mlir.addressof @vibee_cpu_temp_free : !llvm.ptr
// CHECK:         %[[FLIBC:.*]] = llvm.mlir.addressof @free : !llvm.ptr
// CHECK:         %[[FREE:.*]] = llvm.select %{{.*}}, %[[FCACHE]], %[[FLIBC]] : i1, !llvm.ptr
// CHECK:         llvm.call %[[FREE]](%[[P]]) : !llvm.ptr, (!llvm.ptr) -> ()
module {
  llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr
  llvm.func @free(!llvm.ptr)
  llvm.func @other(!llvm.ptr)
  llvm.func @kernel(%n: i64) {
    %align = llvm.mlir.constant(64 : i64) : i64
    %p = llvm.call @aligned_alloc(%align, %n) : (i64, i64) -> !llvm.ptr
    llvm.call @other(%p) : (!llvm.ptr) -> ()
    llvm.call @free(%p) : (!llvm.ptr) -> ()
    llvm.return
  }
}
