// RUN: %vibee-opt %s --vibee-cpu-prepare-vectorization | FileCheck %s

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

// Dot products (x[m, k] * w[n, k], both contiguous along k): the order stays.
// CHECK-LABEL: func.func @dots(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]}
func.func @dots(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {vibee.kernel} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// A column sum (db[n] = sum(t) dy[t, n]): (n, t) -> (t, n), the rows are read
// along n and the sums are vectors across n.
// CHECK-LABEL: func.func @colsum(
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]}
func.func @colsum(%dy: memref<?x?xf32>, %db: memref<?xf32>) attributes {vibee.kernel} {
  linalg.generic {indexing_maps = [affine_map<(n, t) -> (t, n)>, affine_map<(n, t) -> (n)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%dy : memref<?x?xf32>) outs(%db : memref<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// Matmul: (i, j, k) -> (i, k, j), the innermost loop walks c and b at unit stride.
// CHECK-LABEL: func.func @mm(
// CHECK:         linalg.generic {indexing_maps = [#[[A:.*]], #[[B:.*]], #[[C:.*]]], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @mm(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {vibee.kernel} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}
