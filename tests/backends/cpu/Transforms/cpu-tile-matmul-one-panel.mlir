// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="vector-bits=512 l1-bytes=32768 l2-bytes=1048576 l3-bytes=0 cores=2" --canonicalize | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="vector-bits=512 l1-bytes=32768 l2-bytes=1048576 l3-bytes=0 cores=2 bf16-dot=true" --canonicalize | FileCheck %s --check-prefix=BF16

// The matmul of the transposed product of few rows (SkinnyTransposedProduct.h):
// cT[n][j] += w[n, k] * xT[k][j] with a static N of 16, one AVX-512 register.
// The register tile is 16 wide (not 32: all 16 columns would be edge
// columns, off the micro-kernel), one N panel; K blocks as long as the 16-wide
// B panel fits half of L2 (8192 here: w, the A read in place, streams whatever
// the block, and long blocks keep its rows contiguous); and the threads split
// the M blocks (rows of w), not the one panel: the runtime's call covers the
// full-tile rows M - M % 8, in chunks of whole M blocks (8).
// CHECK-LABEL: func.func @one_panel(
// CHECK:         %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[EDGE:.*]] = arith.remui %[[ROWS]], %c8
// CHECK:         %[[FULL:.*]] = arith.subi %[[ROWS]], %[[EDGE]]
// CHECK:         %[[EXTENT:.*]] = arith.index_cast %[[FULL]] : index to i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %[[EXTENT]], %c8_i64,
// CHECK-LABEL: func.func private @one_panel__chunk0(
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<1x8192x16xf32>
// CHECK:         scf.for {{.*}} step %c8192
// CHECK:           scf.for {{.*}} step %c8
// CHECK:             scf.for {{.*}} step %c8
// CHECK:               scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-8:         vector.fma {{.*}} : vector<16xf32>
func.func @one_panel(%w: memref<?x?xf32>, %xt: memref<?x16xf32>, %ct: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%ct : memref<?x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%w, %xt : memref<?x?xf32>, memref<?x16xf32>) outs(%ct : memref<?x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// The same with A read down its columns (b[k, n] of the plain layout, read as
// w[n, k] through a transposed view): consecutive k are rows of b apart, so
// the K blocks are the L1-sized ones (256 here), not 8192 rows of b (as many
// pages) per register tile.
// CHECK-LABEL: func.func private @one_panel_by_columns__chunk0(
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<1x256x16xf32>
// CHECK:         scf.for {{.*}} step %c256
func.func @one_panel_by_columns(%b: memref<?x?xf32>, %xt: memref<?x16xf32>, %ct: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.transpose %b (d0, d1) -> (d1, d0) : memref<?x?xf32> to memref<?x?xf32, strided<[1, ?]>>
  linalg.fill ins(%zero : f32) outs(%ct : memref<?x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%w, %xt : memref<?x?xf32, strided<[1, ?]>>, memref<?x16xf32>) outs(%ct : memref<?x16xf32>) {
  ^bb0(%a: f32, %x: f32, %c: f32):
    %p = arith.mulf %a, %x : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// The same in bf16 on the packed dot products (vdpbf16ps), x's rows as B read
// by rows (xP[j][k]). With N one register tile each pair of w feeds one
// register tile only, so where the K block is whole pairs (K % 2 == 0) the
// register tiles broadcast w's pairs from its rows in place; an odd K packs
// the A block first, as for any matmul. K blocks twice as long (16384 bf16).
// BF16-LABEL: func.func private @one_panel_bf16__chunk0(
// BF16:         memref.alloc() {alignment = 64 : i64} : memref<1x8192x32xbf16>
// BF16:         %[[PACKED_A:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8192x16xbf16>
// BF16:         scf.for {{.*}} step %c16384
// BF16:           scf.for {{.*}} step %c8
// BF16:             %[[ODD:.*]] = arith.remui %{{.*}}, %c2
// BF16:             %[[WHOLE:.*]] = arith.cmpi eq, %[[ODD]], %c0
// BF16:             scf.if %[[WHOLE]] {
// BF16-NOT:           %[[PACKED_A]]
// BF16:               vector.load %[[W:.*]][%{{.*}}, %{{.*}}] : memref<?x?xbf16, {{.*}}>, vector<2xbf16>
// BF16:               x86vector.avx512.dot
// BF16:             } else {
// BF16:               vector.store %{{.*}}, %[[PACKED_A]]
// BF16:               vector.load %[[PACKED_A]]
// BF16:               x86vector.avx512.dot
func.func @one_panel_bf16(%w: memref<?x?xbf16>, %xp: memref<16x?xbf16>, %ct: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%ct : memref<?x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%w, %xp : memref<?x?xbf16>, memref<16x?xbf16>) outs(%ct : memref<?x16xf32>) {
  ^bb0(%a: bf16, %b: bf16, %c: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %p = arith.mulf %a32, %b32 : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
