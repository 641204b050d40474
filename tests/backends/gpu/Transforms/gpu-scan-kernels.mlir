// RUN: %vibee-opt %s -vibee-gpu-scan-kernels -canonicalize | FileCheck %s

// A bufferized scan becomes a warp per row (the else branch) or, with fewer than
// 1024 rows longer than one step, a warp per chunk in three launches: the chunks'
// totals, their exclusive scan into the carries, each chunk from its carry; both
// temporaries are freed. A lane's loads are 16-byte vectors when the rows are
// whole aligned vectors, and each vector is scanned across the lanes by shuffles.
// CHECK-LABEL: func.func @cumsum
// CHECK:         %[[ROWS:.*]] = memref.dim %{{.*}}, %c0 : memref<?x?xbf16>
// CHECK:         %[[FEW:.*]] = arith.cmpi ult, %[[ROWS]], %c1024 : index
// CHECK:         scf.if
// CHECK:           %[[TOTALS:.*]] = memref.alloc(%{{.*}}) {alignment = 16 : i64} : memref<?xf32>
// CHECK:           %[[CARRIES:.*]] = memref.alloc(%{{.*}}) {alignment = 16 : i64} : memref<?xf32>
// Phase 1: each chunk's total (xor shuffles), stored by lane 0.
// CHECK:           gpu.launch
// CHECK:             vector.load %{{.*}} : memref<?x?xf32>, vector<4xf32>
// CHECK:             gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK:             memref.store %{{.*}}, %[[TOTALS]]
// Phase 2: the carries, an exclusive warp scan of each row's totals.
// CHECK:           gpu.launch
// CHECK:             gpu.shuffle  up
// CHECK:             memref.store %{{.*}}, %[[CARRIES]]
// Phase 3: each chunk from its carry, rounded to bf16 once per element.
// CHECK:           gpu.launch
// CHECK:             memref.load %[[CARRIES]]
// CHECK:             gpu.shuffle  up %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:             gpu.shuffle  idx %{{.*}}, %c31_i32, %c32_i32 : f32
// CHECK:             arith.truncf %{{.*}} : f32 to bf16
// CHECK:             vector.store %{{.*}} : memref<?x?xbf16>, vector<4xbf16>
// CHECK:           memref.dealloc %[[TOTALS]]
// CHECK:           memref.dealloc %[[CARRIES]]
// Rows: when one step of at most 16 lanes covers a row, segments of that many
// lanes, 32 / lanes rows per warp, each reading its total from its last lane; a
// warp per row otherwise.
// CHECK:         } else {
// CHECK:           %[[SEGMENTED:.*]] = arith.cmpi ule, %{{.*}}, %c16 : index
// CHECK:           scf.if %[[SEGMENTED]] {
// CHECK:             gpu.launch
// CHECK:               %[[LAST:.*]] = arith.index_cast %{{.*}} : index to i32
// CHECK:               scf.for
// CHECK:                 gpu.shuffle  up %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:                 gpu.shuffle  idx %{{.*}}, %[[LAST]], %c32_i32 : f32
// CHECK:           } else {
// CHECK:             gpu.launch
// CHECK:               scf.for
// CHECK:                 gpu.shuffle  up %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK-NOT:     vibee.scan
func.func @cumsum(%x: memref<?x?xf32>, %d: memref<?x?xbf16>) {
  vibee.scan sum dimension(1) exclusive ins(%x : memref<?x?xf32>) outs(%d : memref<?x?xbf16>) {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return
}

// A row starts from its init element; a strided destination never takes the
// vector path (its condition folds to false: the input and destination are read
// and written element by element; only the chunks' carries are vectors).
// CHECK-LABEL: func.func @running_max
// CHECK-NOT:     vector.{{load|store}} {{.*}} : memref<?x?x?xi32
// CHECK:         memref.load %{{.*}} : memref<?x?x1xi32>
// CHECK:         arith.maxsi
// CHECK-NOT:     vector.{{load|store}} {{.*}} : memref<?x?x?xi32
func.func @running_max(%x: memref<?x?x?xi32>, %h: memref<?x?x1xi32>, %d: memref<?x?x?xi32, strided<[?, ?, 1], offset: ?>>) {
  vibee.scan max dimension(2) ins(%x : memref<?x?x?xi32>) init(%h : memref<?x?x1xi32>) outs(%d : memref<?x?x?xi32, strided<[?, ?, 1], offset: ?>>) {
  ^bb0(%acc: i32, %v: i32):
    %m = arith.maxsi %acc, %v : i32
    vibee.yield %m : i32
  }
  return
}
