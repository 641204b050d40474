// RUN: %vibee-opt %s -split-input-file --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=256" --canonicalize | FileCheck %s
// RUN: %vibee-opt %s -split-input-file --vibee-cpu-parallelize --canonicalize | FileCheck %s --check-prefix=PAR

// Schedule hints (vibee.schedule on the kernel func) over the passes' sizes. Loops
// map to size symbols through the operands' dims (vibee.arg_dims / vibee.dim_names).

// tile(M = 64, N = 128, K = 512): M blocks of 64, N panels of 128 (packed 4x512x32),
// K blocks of 512; vector(8): the 8x32 register tile as 8 rows of four vector<8xf32>
// (32 accumulators); threads(2): the runtime call carries the cap. Each thread
// calls the micro-kernel (@mm_hinted__chunk0) on one N panel of 128 columns.
// CHECK:       llvm.func extern_weak @vibee_cpu_parallel_for(
// CHECK-LABEL: func.func @mm_hinted(
// CHECK-DAG:     %[[TWO:.*]] = arith.constant 2 : i64
// CHECK-DAG:     %[[PANEL:.*]] = arith.constant 128 : i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[PANEL]], %[[TWO]], %{{.*}})
// CHECK-LABEL: func.func private @mm_hinted__chunk0(
// CHECK:         scf.for {{.*}} step %c128 {
// CHECK:           %[[PACK:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x512x32xf32>
// CHECK:           scf.for {{.*}} step %c512
// CHECK:             scf.for {{.*}} step %c64
// CHECK:               scf.for {{.*}} step %c32
// CHECK:                 scf.for {{.*}} step %c8
// CHECK:                   scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:                     vector.load %[[PACK]]{{.*}} : memref<4x512x32xf32>, vector<8xf32>
// CHECK-COUNT-32:            vector.fma {{.*}} : vector<8xf32>
// CHECK:                     scf.yield
// CHECK-COUNT-32:          vector.store {{.*}} : memref<?x?xf32>, vector<8xf32>
// CHECK:           memref.dealloc %[[PACK]]
// CHECK-LABEL: func.func private @mm_hinted__chunk0_entry(
// CHECK:         call @mm_hinted__chunk0(%arg0, %arg1,
#mm = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @mm_hinted(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {
    vibee.dim_names = ["M", "K", "N"], vibee.arg_dims = [[0, 1], [1, 2], [0, 2]],
    vibee.schedule = {tile = {M = 64, N = 128, K = 512}, vector = 8, threads = 2}} {
  linalg.generic {indexing_maps = #mm, iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// threads(1) (like parallel()): no runtime call; the serial
// micro-kernel with the default sizes and one vector<32xf32> per row.
// CHECK-LABEL: func.func @mm_serial(
// CHECK-NOT:     llvm.call
// CHECK-NOT:     scf.forall
// CHECK:         scf.for {{.*}} step %c256
// CHECK:           memref.alloc() {alignment = 64 : i64} : memref<8x256x32xf32>
// CHECK:           scf.for {{.*}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-NOT:     scf.forall
// CHECK:         return
#mm = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @mm_serial(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {
    vibee.dim_names = ["M", "K", "N"], vibee.arg_dims = [[0, 1], [1, 2], [0, 2]],
    vibee.schedule = {threads = 1}} {
  linalg.generic {indexing_maps = #mm, iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// parallel(C) + tile(C = 16) + threads(3): the C loop (not the first) is split in
// chunks of 16 columns, under a cap of 3 threads.
// PAR-LABEL: func.func @cols(
// PAR:         %[[C:.*]] = memref.dim %arg0, %c1
// PAR:         %[[C64:.*]] = arith.index_cast %[[C]] : index to i64
// PAR:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %[[C64]], %c16_i64, %c3_i64, %c0_i64)
// PAR-LABEL: func.func private @cols__chunk0(
// PAR:         %[[W:.*]] = arith.subi %arg1, %arg0
// PAR:         memref.subview %arg2[0, %arg0] [%{{.*}}, %[[W]]] [1, 1]
// PAR:         linalg.generic
// PAR-LABEL: func.func private @cols__chunk0_entry(
// PAR:         call @cols__chunk0(%arg0, %arg1,
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @cols(%x: memref<?x?xf32>, %y: memref<?x?xf32>) attributes {
    vibee.dim_names = ["R", "C"], vibee.arg_dims = [[0, 1], [0, 1]],
    vibee.schedule = {parallel = ["C"], tile = {C = 16}, threads = 3}} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// parallel(): the op stays as it is (no runtime call, no forall).
// PAR-LABEL: func.func @serial(
// PAR-NEXT:    linalg.generic {{.*}} ins(%arg0 : memref<?x?xf32>) outs(%arg1 : memref<?x?xf32>)
// PAR-NOT:     scf.forall
// PAR-NOT:     llvm.call
// PAR:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @serial(%x: memref<?x?xf32>, %y: memref<?x?xf32>) attributes {
    vibee.dim_names = ["R", "C"], vibee.arg_dims = [[0, 1], [0, 1]],
    vibee.schedule = {parallel = []}} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A row group (RowGroupAnalysis.h: a row reduction split into lanes, t[r, c] =
// sum(k) x[r, k, c]^2, its fill, and the op that reads t) under tile(R = 4):
// chunks of 4 rows over the threads (rows traced through the temporary's
// memref.alloc sizes), each walked in blocks of up to 8.
// The temporary, which only the group uses, shrinks to one block of 8 rows that
// each chunk call allocates (one per thread): the caller passes and frees none.
// The row count is x's (R, through the allocation's size), not the shrunk buffer's.
// PAR-LABEL: func.func @rows(
// PAR-NOT:     memref.alloc
// PAR:         %[[R:.*]] = memref.dim %arg0, %c0
// PAR:         %[[R64:.*]] = arith.index_cast %[[R]] : index to i64
// PAR:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %[[R64]], %c4_i64, %c0_i64, %c0_i64)
// PAR-NOT:     memref.dealloc
// PAR:         return
// The arguments are not noalias (@rows is no vibee.kernel). The block buffer
// holds the current block from its row 0.
// PAR-LABEL: func.func private @rows__chunk0(
// PAR-SAME:      %[[CLO:.*]]: index, %[[CHI:.*]]: index, %{{.*}}: memref<?x?x?xf32>, %{{.*}}: memref<?x?xf32>)
// PAR:           %[[T:.*]] = memref.alloc(%{{.*}}) : memref<8x?xf32>
// PAR:           scf.for %{{.*}} = %[[CLO]] to %[[CHI]] step %c8 {
// PAR:             memref.subview %[[T]][0, 0]
// PAR:             linalg.generic
// PAR:             memref.subview %[[T]][0, 0]
// PAR:             linalg.generic
// PAR:           memref.dealloc %[[T]]
// PAR-LABEL: func.func private @rows__chunk0_entry(
// PAR:         call @rows__chunk0(%arg0, %arg1,
#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#lanes = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @rows(%x: memref<?x?x?xf32>, %y: memref<?x?xf32>) attributes {
    vibee.dim_names = ["R", "K", "C"], vibee.arg_dims = [[0, 1, 2], [0, 2]],
    vibee.schedule = {tile = {R = 4}}} {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %r = memref.dim %x, %c0 : memref<?x?x?xf32>
  %c = memref.dim %x, %c2 : memref<?x?x?xf32>
  %t = memref.alloc(%r, %c) : memref<?x?xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#id3, #lanes], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : memref<?x?x?xf32>) outs(%t : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    %s = arith.addf %m, %b : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.addf %a, %a : f32
    linalg.yield %m : f32
  }
  memref.dealloc %t : memref<?x?xf32>
  return
}

// -----

// The same group under parallel(): no threads, still blocks of 8 rows.
// PAR-LABEL: func.func @rows_serial(
// PAR-NOT:     llvm.call
// PAR:         %[[R:.*]] = memref.dim %arg0, %c0
// PAR:         %[[T:.*]] = memref.alloc(%{{.*}}) : memref<8x?xf32>
// PAR-NOT:     scf.forall
// PAR:         scf.for %{{.*}} = %c0 to %[[R]] step %c8 {
// PAR:           memref.subview %[[T]][0, 0]
// PAR:           linalg.generic
// PAR:           memref.subview %[[T]][0, 0]
// PAR:           linalg.generic
// PAR:         memref.dealloc %[[T]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#lanes = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @rows_serial(%x: memref<?x?x?xf32>, %y: memref<?x?xf32>) attributes {
    vibee.dim_names = ["R", "K", "C"], vibee.arg_dims = [[0, 1, 2], [0, 2]],
    vibee.schedule = {parallel = []}} {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %r = memref.dim %x, %c0 : memref<?x?x?xf32>
  %c = memref.dim %x, %c2 : memref<?x?x?xf32>
  %t = memref.alloc(%r, %c) : memref<?x?xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<?x?xf32>)
  linalg.generic {indexing_maps = [#id3, #lanes], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : memref<?x?x?xf32>) outs(%t : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    %s = arith.addf %m, %b : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.addf %a, %a : f32
    linalg.yield %m : f32
  }
  memref.dealloc %t : memref<?x?xf32>
  return
}
