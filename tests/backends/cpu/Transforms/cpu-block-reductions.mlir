// RUN: %vibee-opt %s --vibee-cpu-block-reductions=block=1024 | FileCheck %s

#id1 = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#all = affine_map<(d0, d1) -> ()>

// A dynamic f32 sum: blocks of 1024 summed from 0 in f32, each added to an f64
// total that starts from the output and is stored back after the blocks.
// CHECK-LABEL: func.func @full_sum(
// CHECK:         %[[TOTAL:.*]] = memref.alloca() : memref<f64>
// CHECK:         %[[PART:.*]] = memref.alloca() : memref<f32>
// CHECK:         %[[START:.*]] = memref.load %arg1[]
// CHECK:         arith.extf %[[START]] : f32 to f64
// CHECK:         scf.for {{.*}} step %c1024
// CHECK:           memref.store %cst, %[[PART]][]
// CHECK:           linalg.generic {{.*}} outs(%[[PART]] : memref<f32>)
// CHECK:           %[[BLOCK:.*]] = memref.load %[[PART]][]
// CHECK:           %[[BEFORE:.*]] = memref.load %[[TOTAL]][]
// CHECK:           %[[WIDE:.*]] = arith.extf %[[BLOCK]] : f32 to f64
// CHECK:           arith.addf %[[BEFORE]], %[[WIDE]] : f64
// CHECK:         %[[SUM:.*]] = memref.load %[[TOTAL]][]
// CHECK:         arith.truncf %[[SUM]] : f64 to f32
// CHECK:         memref.store {{.*}}, %arg1[]
func.func @full_sum(%x: memref<?xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#id1, #scalar], iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%s : memref<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %sq = arith.mulf %v, %v : f32
    %r = arith.addf %acc, %sq fastmath<reassoc> : f32
    linalg.yield %r : f32
  }
  return
}

// Row sums: each row's output element is one f64 total (rows tiled by 1).
// CHECK-LABEL: func.func @row_sums(
// CHECK:         scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           memref.load %arg1[%[[R]]]
// CHECK:           scf.for {{.*}} step %c1024
// CHECK:             linalg.generic
// CHECK:             arith.addf {{.*}} : f64
// CHECK:           memref.store {{.*}}, %arg1[%[[R]]]
func.func @row_sums(%x: memref<?x?xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// Two reduced loops: the run covers both, blocks cut the inner one.
// CHECK-LABEL: func.func @two_reduced_loops(
// CHECK:         memref.alloca() : memref<f64>
// CHECK:         scf.for {{.*}} step %c1
// CHECK:           scf.for {{.*}} step %c1024
// CHECK:             linalg.generic
func.func @two_reduced_loops(%x: memref<4096x256xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#id2, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<4096x256xf32>) outs(%s : memref<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// Left alone: a short static sum, a max, an f64 sum, and a tail shorter than a
// block (`c - (c / 32) * 32`, vibee-cpu-online-softmax's remainder).
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     memref.alloca
// CHECK-NOT:     scf.for
// CHECK:         return
func.func @left_alone(%short: memref<512xf32>, %y: memref<?xf64>, %x: memref<?x?xf32>,
                      %s: memref<f32>, %t: memref<f64>, %rows: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id1, #scalar], iterator_types = ["reduction"]}
      ins(%short : memref<512xf32>) outs(%s : memref<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id1, #scalar], iterator_types = ["reduction"]}
      ins(%y : memref<?xf64>) outs(%t : memref<f64>) {
  ^bb0(%v: f64, %acc: f64):
    %r = arith.addf %acc, %v : f64
    linalg.yield %r : f64
  }
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %c = memref.dim %x, %c1 : memref<?x?xf32>
  %nb = arith.divui %c, %c32 : index
  %main = arith.muli %nb, %c32 : index
  %tail = arith.subi %c, %main : index
  %xt = memref.subview %x[0, %main] [%n, %tail] [1, 1]
      : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%xt : memref<?x?xf32, strided<[?, 1], offset: ?>>) outs(%rows : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.maximumf %acc, %v : f32
    %q = arith.addf %r, %v : f32
    linalg.yield %q : f32
  }
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%xt : memref<?x?xf32, strided<[?, 1], offset: ?>>) outs(%rows : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}
