// RUN: %vibee-opt %s -vibee-gpu-map-kernels -canonicalize -cse | FileCheck %s

// A row-elementwise generic with an outer loop of static extent 2 that a math
// function of the payload does not depend on (RoPE's pair half h: y[s, h, j] of
// cos(p[s] * f[j])): the rows are the s alone, and a thread writes both halves of
// each of its columns from one cosine (the two copies merged by CSE), instead of
// a row per (s, h) computing every cosine twice.
// CHECK-LABEL: func.func @pairs(
// CHECK-SAME:    %[[P:.*]]: memref<?xf32>, %[[F:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?x2x?xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[S:.*]] = memref.dim %[[P]], %[[C0]] : memref<?xf32>
// CHECK:         gpu.launch
// CHECK:           scf.for %[[ROW:.*]] = %{{.*}} to %[[S]] step
// The vector path: 4 cosines, then both halves stored from them.
// CHECK:             scf.for %[[COL:.*]] =
// CHECK-COUNT-4:       math.cos
// CHECK-NOT:           math.cos
// CHECK:               vector.store %{{.*}}, %[[Y]][%[[ROW]], %[[C0]], %[[COL]]] {alignment = 16 : i64} : memref<?x2x?xf32>, vector<4xf32>
// CHECK-NOT:           math.cos
// CHECK:               vector.store %{{.*}}, %[[Y]][%[[ROW]], %[[C1]], %[[COL]]] {alignment = 16 : i64} : memref<?x2x?xf32>, vector<4xf32>
// The scalar path: one cosine per column for both halves.
// CHECK:           } else {
// CHECK:             scf.for %[[SCOL:.*]] =
// CHECK:               %[[COS:.*]] = math.cos
// CHECK-NEXT:          %[[Y0:.*]] = arith.addf %[[COS]]
// CHECK-NEXT:          memref.store %[[Y0]], %[[Y]][%[[ROW]], %[[C0]], %[[SCOL]]] : memref<?x2x?xf32>
// CHECK-NEXT:          %[[Y1:.*]] = arith.addf %[[COS]]
// CHECK-NEXT:          memref.store %[[Y1]], %[[Y]][%[[ROW]], %[[C1]], %[[SCOL]]] : memref<?x2x?xf32>
func.func @pairs(%p: memref<?xf32>, %f: memref<?xf32>, %y: memref<?x2x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(s, h, j) -> (s)>, affine_map<(s, h, j) -> (j)>,
                                   affine_map<(s, h, j) -> (s, h, j)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%p, %f : memref<?xf32>, memref<?xf32>) outs(%y : memref<?x2x?xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    %c = math.cos %m : f32
    %h = linalg.index 1 : index
    %hi = arith.index_cast %h : index to i32
    %hf = arith.sitofp %hi : i32 to f32
    %r = arith.addf %c, %hf : f32
    linalg.yield %r : f32
  }
  return
}
