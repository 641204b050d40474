// RUN: %vibee-opt %s --vibee-prepare-cpu-vectorization | FileCheck %s

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// exp becomes a polynomial (no libm call), the sum is reassociable, the kernel's
// memrefs are noalias.
// CHECK-LABEL: func.func @k(
// CHECK-SAME:    %arg0: memref<?x?xf32> {llvm.noalias}
// CHECK-SAME:    %arg1: memref<?xf32> {llvm.noalias}
// CHECK-NOT:     math.exp
// CHECK:         arith.addf {{.*}} fastmath<reassoc>
func.func @k(%x: memref<?x?xf32>, %s: memref<?xf32>) attributes {vibee.kernel} {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %e = math.exp %v : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  }
  return
}
