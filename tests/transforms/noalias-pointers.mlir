// RUN: %vibee-opt %s --vibee-noalias-pointers=stage=record | FileCheck %s --check-prefix=RECORD
// RUN: %vibee-opt %s --vibee-noalias-pointers=stage=record --convert-func-to-llvm --vibee-noalias-pointers=stage=apply | FileCheck %s
// RUN: %vibee-opt %s --vibee-noalias-pointers=stage=record --convert-gpu-to-nvvm --vibee-noalias-pointers=stage=apply 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not %vibee-opt %s --vibee-noalias-pointers=stage=later 2>&1 | FileCheck %s --check-prefix=BAD

// convert-func-to-llvm expands each memref into (allocated, aligned, offset,
// sizes..., strides...) and drops the memref's llvm.noalias; the two stages put
// it back on the aligned pointer, the only one loaded from and stored to.

// RECORD-LABEL: func.func @rows
// RECORD-NOT: llvm.noalias
// RECORD-SAME: vibee.noalias_pointers = array<i64: 1, 9>
// CHECK-LABEL: llvm.func @rows(
// CHECK-SAME: %arg0: !llvm.ptr, %arg1: !llvm.ptr {llvm.noalias}, %arg2: i64,
// CHECK-SAME: %arg7: i64, %arg8: !llvm.ptr, %arg9: !llvm.ptr {llvm.noalias}, %arg10: i64,
// CHECK-SAME: %arg13: !llvm.ptr, %arg14: !llvm.ptr, %arg15: i64,
// CHECK-NOT: vibee.noalias_pointers
func.func @rows(%table: memref<?x?xf32> {llvm.noalias}, %n: index,
                %ids: memref<?xi32> {llvm.noalias}, %shared: memref<?xf32>) {
  return
}

// A function without noalias memrefs is left as it was.
// RECORD-LABEL: func.func @plain
// RECORD-NOT: vibee.noalias_pointers
// CHECK-LABEL: llvm.func @plain(
// CHECK-NOT: llvm.noalias
func.func @plain(%a: memref<4xf32>, %b: memref<4xf32>) {
  return
}

// A declaration (a libm function, say) has no body to convert: left alone.
// RECORD-LABEL: func.func private @declared(memref<?xf32> {llvm.noalias})
// RECORD-NOT: vibee.noalias_pointers
func.func private @declared(memref<?xf32> {llvm.noalias})

// gpu-to-nvvm drops the attribute too (with a warning, which the record stage
// avoids by taking it off the arguments).
// RECORD-LABEL: gpu.func @scale
// RECORD-SAME: vibee.noalias_pointers = array<i64: 1, 6>
// GPU-NOT: warning
// GPU-LABEL: llvm.func @scale(
// GPU-SAME: %arg0: !llvm.ptr, %arg1: !llvm.ptr {llvm.noalias}, %arg2: i64,
// GPU-SAME: %arg5: !llvm.ptr, %arg6: !llvm.ptr {llvm.noalias}, %arg7: i64,
gpu.module @kernels {
  gpu.func @scale(%x: memref<?xf32> {llvm.noalias}, %y: memref<?xf32> {llvm.noalias}) kernel {
    gpu.return
  }
}

// BAD: stage must be record or apply
