// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=256 threads=false" --canonicalize | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="mr=8 nr=32 mc=64 nc=128 kc=128 vnni=true threads=false" --canonicalize | FileCheck %s --check-prefix=VNNI

// A zero fill of exactly C right before the matmul (ZeroInit.h) is absorbed: the
// first K block zeroes each MC x NC block of C right before its register tiles,
// the small-size branch and the edge strips zero their own C, and no pass over
// all of C is left.
// CHECK-LABEL: func.func @mm_zero(
// CHECK-NOT:     linalg.fill
// CHECK:         scf.if
// CHECK:           scf.for %[[JC:.*]] = %c0
// CHECK:             scf.for %[[KC:.*]] = %c0
// CHECK:               %[[FIRST:.*]] = arith.cmpi eq, %[[KC]], %c0
// CHECK:               scf.for
// CHECK:                 %[[BLOCK:.*]] = memref.subview %arg2
// CHECK:                 scf.if %[[FIRST]] {
// CHECK-NEXT:              linalg.fill ins(%{{.*}} : f32) outs(%[[BLOCK]]
// CHECK:                 vector.fma
// CHECK:         } else {
// CHECK-NEXT:      linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK-NEXT:      linalg.generic
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[COLS:.*]] :
// CHECK-NEXT:    linalg.generic {{.*}} outs(%[[COLS]] :
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[ROWS:.*]] :
// CHECK-NEXT:    linalg.generic {{.*}} outs(%[[ROWS]] :
// CHECK:         return
#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#BT = affine_map<(m, n, k) -> (n, k)>
#C = affine_map<(m, n, k) -> (m, n)>
func.func @mm_zero(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Any other start value stays a fill of its own, and the kernel loads C.
// CHECK-LABEL: func.func @mm_ones(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK-NOT:     linalg.fill
// CHECK:         return
func.func @mm_ones(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// On the packed int8 kernel the first K block's accumulators start from zero
// (less 128 x B's column sums) instead of loading C.
// VNNI-LABEL: func.func @int8_zero(
// VNNI-NOT:     linalg.fill
// VNNI:         scf.for %{{.*}} = %c0
// VNNI:           scf.for %[[KC:.*]] = %c0
// VNNI:             %[[FIRST:.*]] = arith.cmpi eq, %[[KC]], %c0
// VNNI:             %[[ACC:.*]]:16 = scf.if %[[FIRST]] -> (vector<16xi32>
// VNNI-NEXT:          scf.yield %[[ZEROS:.*]], %[[ZEROS]],
// VNNI-NEXT:        } else {
// VNNI-NEXT:          vector.load %{{.*}} : memref<?x?xi32
// VNNI:             arith.subi %[[ACC]]#0,
// VNNI:         } else {
// VNNI-NEXT:      linalg.fill ins(%{{.*}} : i32) outs(%arg2
// VNNI-NEXT:      linalg.generic
func.func @int8_zero(%a: memref<?x?xi8>, %b: memref<?x?xi8>, %c: memref<?x?xi32>) {
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%c : memref<?x?xi32>)
  linalg.generic {indexing_maps = [#A, #BT, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xi8>, memref<?x?xi8>) outs(%c : memref<?x?xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xw = arith.extsi %x : i8 to i32
    %yw = arith.extsi %y : i8 to i32
    %p = arith.muli %xw, %yw : i32
    %s = arith.addi %p, %acc : i32
    linalg.yield %s : i32
  }
  return
}

// An operand that views the zeroed buffer reads the zeros: the fill stays.
// CHECK-LABEL: func.func @mm_reads_its_zeros(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%arg1
// CHECK-NOT:     linalg.fill
// CHECK:         return
func.func @mm_reads_its_zeros(%b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = memref.dim %c, %c0 : memref<?x?xf32>
  %k = memref.dim %b, %c0 : memref<?x?xf32>
  %a = memref.subview %c[0, 0] [%m, %k] [1, 1] : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1]>>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32, strided<[?, 1]>>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
