// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=256" --canonicalize | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="vector-bits=256 l1-bytes=32768 l2-bytes=262144 l3-bytes=0 cores=2" --canonicalize | FileCheck %s --check-prefix=AVX2
// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="vector-bits=256 l1-bytes=32768 l2-bytes=262144 l3-bytes=8388608 cores=4" --canonicalize | FileCheck %s --check-prefix=L3

// f32 matmul: the micro-kernel on the full 8x32 tiles, C[0:M8, 0:N32] with
// M8 = M - M % 8, N32 = N - N % 32 (when that is enough work; else the plain
// generic), the edge columns C[0:M8, N32:N] and rows C[M8:M, 0:N] as plain
// generics after it. The micro-kernel exists once, in @mm__chunk0 on the columns
// [lo, hi) of the full tiles (noinline): called by the runtime on each thread's
// N panels of 256, or serially on all of them. Per panel a packed 8x256x32 B
// buffer; K and M blocks of 256; 32-wide x 8-row register tiles whose 8
// accumulator rows are loop-carried vectors across the k loop (8 broadcast-FMAs
// per k), stored once after it.
// CHECK:       llvm.func extern_weak @vibee_cpu_parallel_for(
// CHECK-LABEL: func.func @mm(
// CHECK:         %[[M:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[K:.*]] = memref.dim %arg0, %c1
// CHECK:         %[[N:.*]] = memref.dim %arg1, %c1
// CHECK:         %[[MR:.*]] = arith.remui %[[M]], %c8
// CHECK:         %[[M8:.*]] = arith.subi %[[M]], %[[MR]]
// CHECK:         %[[NR:.*]] = arith.remui %[[N]], %c32
// CHECK:         %[[N32:.*]] = arith.subi %[[N]], %[[NR]]
// CHECK:         %[[FAST:.*]] = arith.cmpi sge
// CHECK:         %[[CROWS:.*]] = arith.select %[[FAST]], %[[M8]], %c0
// CHECK:         %[[ME:.*]] = arith.subi %[[M]], %[[M8]]
// CHECK:         %[[RROWS:.*]] = arith.select %[[FAST]], %[[ME]], %c0
// CHECK:         %[[NE:.*]] = arith.subi %[[N]], %[[N32]]
// An empty strip starts at 0 (not at M8 = M or N32 = N, out of bounds once folded).
// CHECK:         %[[ANYR:.*]] = arith.cmpi ne, %[[RROWS]], %c0
// CHECK:         %[[MS:.*]] = arith.select %[[ANYR]], %[[M8]], %c0
// CHECK:         %[[ANYC:.*]] = arith.cmpi ne, %[[NE]], %c0
// CHECK:         %[[NS:.*]] = arith.select %[[ANYC]], %[[N32]], %c0
// CHECK:         %[[AE:.*]] = memref.subview %arg0[0, 0] [%[[CROWS]], %[[K]]]
// CHECK:         %[[BE:.*]] = memref.subview %arg1[0, %[[NS]]] [%[[K]], %[[NE]]]
// CHECK:         %[[CE:.*]] = memref.subview %arg2[0, %[[NS]]] [%[[CROWS]], %[[NE]]]
// CHECK:         %[[AR:.*]] = memref.subview %arg0[%[[MS]], 0] [%[[RROWS]], %[[K]]]
// CHECK:         %[[CR:.*]] = memref.subview %arg2[%[[MS]], 0] [%[[RROWS]], %[[N]]]
// CHECK:         scf.if %[[FAST]]
// CHECK-NOT:       memref.subview
// The threads share the full tiles' columns in 256-wide panels (the chunk size).
// CHECK:           %[[N64:.*]] = arith.index_cast %[[N32]] : index to i64
// CHECK:           llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %[[N64]], %c256_i64, %c0_i64, %c0_i64)
// CHECK-NEXT:    } else {
// CHECK-NEXT:      linalg.generic
// The edge strips, at the top level (vibee-cpu-parallelize splits their rows too;
// empty when the plain generic above ran).
// CHECK:         linalg.generic {{.*}} ins(%[[AE]], %[[BE]] : {{.*}}) outs(%[[CE]] :
// CHECK:         linalg.generic {{.*}} ins(%[[AR]], %arg1 : {{.*}}) outs(%[[CR]] :
// CHECK-NOT:     vector.fma
// CHECK:         return
// The chunk function takes the kernel's arguments and recomputes the full-tile
// views from them (their sizes stay visible to LLVM).
// CHECK-LABEL: func.func private @mm__chunk0(
// CHECK-SAME:      %[[LO:.*]]: index, %[[HI:.*]]: index, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<?x?xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:         %[[ROWS:.*]] = memref.dim %arg2, %c0
// CHECK:         %[[REM:.*]] = arith.remui %[[ROWS]], %c8
// CHECK:         %[[FULL:.*]] = arith.subi %[[ROWS]], %[[REM]]
// CHECK:         %[[COLS:.*]] = arith.subi %[[HI]], %[[LO]]
// CHECK:         scf.for %{{.*}} = %c0 to %[[COLS]] step %c256 {
// CHECK:           %[[PACK:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x256x32xf32>
// CHECK:           scf.for {{.*}} step %c256
// CHECK:             linalg.generic {{.*}} outs(%{{.*}} : memref<?x?x32xf32, strided<[8192, 32, 1]>>)
// CHECK:             scf.for {{.*}} = %c0 to %[[FULL]] step %c256
// CHECK:               scf.for {{.*}} step %c32
// CHECK:                 scf.for {{.*}} step %c8
// CHECK:                   scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:                     vector.load %[[PACK]]{{.*}} : memref<8x256x32xf32>, vector<32xf32>
// CHECK-COUNT-8:             vector.fma
// CHECK:                     scf.yield
// CHECK-COUNT-8:           vector.store
// CHECK:           memref.dealloc %[[PACK]]
// CHECK:         return
// CHECK-LABEL: func.func private @mm__chunk0_entry(
// CHECK:         call @mm__chunk0(%arg0, %arg1,
func.func @mm(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
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

// A pinned machine instead of the host (the target options; no tile options):
// 256-bit vectors, 32 KiB L1d, 256 KiB L2, no L3, 2 cores. chooseMatmulTiles
// (tests/unit/cpu) takes 4 x 16 register tiles, K blocks of 256, M blocks of 32
// and, without an L3, N panels of 128 (the packed panel in half of L2).
// AVX2-LABEL: func.func @mm(
// AVX2:         arith.remui %{{.*}}, %c4
// AVX2:         arith.remui %{{.*}}, %c16
// AVX2:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c128_i64,
// AVX2-LABEL: func.func private @mm__chunk0(
// AVX2:         scf.for {{.*}} step %c128 {
// AVX2:           memref.alloc() {alignment = 64 : i64} : memref<8x256x16xf32>
// AVX2:           scf.for {{.*}} step %c256 {
// AVX2:             scf.for {{.*}} step %c32 {
// AVX2:               scf.for {{.*}} step %c16 {
// AVX2:                 scf.for {{.*}} step %c4 {
// AVX2:                   scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX2-COUNT-4:             vector.fma {{.*}} : vector<16xf32>
// With an 8 MiB L3 over 4 cores, the panel is N / cores (dynamic N: 1024 / 4).
// L3-LABEL: func.func private @mm__chunk0(
// L3:         scf.for {{.*}} step %c256 {
// L3:           memref.alloc() {alignment = 64 : i64} : memref<16x256x16xf32>
