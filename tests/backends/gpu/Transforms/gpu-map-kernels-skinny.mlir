// RUN: %vibee-opt %s -split-input-file -vibee-gpu-map-kernels=wgmma=1 -canonicalize -cse | FileCheck %s

// Few rows (GpuSkinnyContractionKernels.cpp), bf16 x bf16 -> f32: an op the
// tensor-core kernel takes, so `if K >= 128 and M <= 4` only (the 16 x 4 tile
// is not built for it): one warp per tile of outputs (8 per block of 256, the
// grid capped at 2^20 and at least 1), one output when M <= 1 (two accumulator
// chains), 4 rows otherwise, each with 16-byte vector loads when the lane
// operands are aligned and their rows multiples of V = 8 bf16 (two vectors per
// lane per step) or scalar loads otherwise; lanes combined by five xor
// shuffles, lane 0 stores fill value + sum (the zero fill taken over: c is not
// read). The cast after the product is cloned into the branch. The else branch
// keeps the fill, the product and the cast as they were: the wgmma kernel still
// takes over both (c never written), even though the then branch uses c too.
// CHECK-LABEL: func.func @linear_fill_cast(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xbf16>, %[[W:.*]]: memref<?x?xbf16>, %[[Y:.*]]: memref<?x?xbf16>)
// CHECK:         %[[M:.*]] = memref.dim %[[X]], %c0
// CHECK:         %[[K:.*]] = memref.dim %[[X]], %c1
// CHECK:         memref.extract_aligned_pointer_as_index %[[X]]
// CHECK:         memref.extract_aligned_pointer_as_index %[[W]]
// CHECK:         %[[FEW:.*]] = arith.cmpi ule, %[[M]], %c4 : index
// CHECK:         %[[LONG:.*]] = arith.cmpi uge, %[[K]], %c128 : index
// CHECK:         %[[SKINNY:.*]] = arith.andi %[[FEW]], %[[LONG]] : i1
// CHECK:         scf.if %[[SKINNY]] {
// CHECK:           %[[ONE:.*]] = arith.cmpi ule, %[[M]], %c1 : index
// CHECK:           scf.if %[[ONE]] {
// CHECK:             scf.if %[[ALIGNED:.*]] {
// CHECK:               arith.minui %{{.*}}, %c1048576 : index
// CHECK:               arith.maxui %{{.*}}, %c1 : index
// CHECK:               gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) {
// CHECK:                 scf.for %{{.*}} = %c0 to %{{.*}} step %c512 iter_args(%{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}) -> (f32, f32) {
// CHECK:                   vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xbf16>, vector<8xbf16>
// CHECK:                   vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xbf16>, vector<8xbf16>
// CHECK:                   vector.load %[[X]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x?xbf16>, vector<8xbf16>
// CHECK:                   arith.mulf {{.*}} fastmath<contract>
// CHECK:                 scf.for %{{.*}} = %{{.*}} to %[[K]] step %c32 iter_args
// CHECK-COUNT-5:         gpu.shuffle  xor
// CHECK-NOT:             memref.load %alloc
// CHECK:                 memref.store %{{.*}}, %alloc[
// CHECK:             } else {
// CHECK:               gpu.launch
// CHECK:                 scf.for %{{.*}} = %c0 to %{{.*}} step %c256 iter_args
// CHECK-NOT:               vector.load
// CHECK:                   memref.load %[[W]]
// CHECK:           } else {
// CHECK:             scf.if %[[ALIGNED]] {
// CHECK:               gpu.launch
// CHECK:                 scf.for %{{.*}} = %c0 to %[[M]] step %c4 {
// CHECK:                   scf.for {{.*}} -> (f32, f32, f32, f32) {
// CHECK-NOT:         step %c16
// CHECK:           gpu.launch
// CHECK:             arith.truncf
// CHECK:             vector.store
// CHECK:         } else {
// CHECK:           scf.if
// CHECK:             func.call @vibee_cuda_tensor_map
// CHECK:             gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c384, {{.*}}) dynamic_shared_memory_size
// CHECK:               nvvm.wgmma.mma_async
// CHECK:         memref.dealloc %alloc
// CHECK-NOT:     vibee_skinny
func.func @linear_fill_cast(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>, %y: memref<?x?xbf16>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = memref.dim %x, %c0 : memref<?x?xbf16>
  %n = memref.dim %w, %c0 : memref<?x?xbf16>
  %acc = memref.alloc(%m, %n) : memref<?x?xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x?xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xbf16>, memref<?x?xbf16>) outs(%acc : memref<?x?xf32>) {
  ^bb0(%a: bf16, %b: bf16, %o: f32):
    %ea = arith.extf %a : bf16 to f32
    %eb = arith.extf %b : bf16 to f32
    %p = arith.mulf %ea, %eb : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<?x?xf32>) outs(%y : memref<?x?xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %t = arith.truncf %a : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %acc : memref<?x?xf32>
  return
}

// -----

// Two 4-bit codes per byte (w4a16's layout, w[n, k / 2], selected by k % 2
// through linalg.index) and a scale per group of 128 k: scalar loads at the
// operands' maps (k floordiv 2 and 128, per element), linalg.index
// replaced by the element's k. c is read (no fill before the product). Not a
// tensor-core op: more than 4 rows (aligned) take the 16 x 4 tile, whose
// 64 outputs are stored each under its own guard. More than 16 rows: the tiled
// FMA kernel, which unpacks B's nibbles into its shared-memory tile
// (GpuMatmulMatch.h, `computedB`).
// CHECK-LABEL: func.func @nibbles(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[W:.*]]: memref<?x?xi8>, %[[S:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK:         scf.if
// CHECK:           gpu.launch
// CHECK:             arith.divsi %{{.*}}, %c2 : index
// CHECK:             memref.load %[[W]]
// CHECK:             arith.divsi %{{.*}}, %c128 : index
// CHECK:             memref.load %[[S]]
// CHECK:             arith.remui %{{.*}}, %c2 : index
// CHECK:             arith.shrui
// CHECK:             gpu.shuffle
// CHECK:             memref.load %[[Y]]
// CHECK:             memref.store %{{.*}}, %[[Y]]
// CHECK-NOT:       linalg.index
// CHECK:           } else {
// CHECK:             gpu.launch
// CHECK:               scf.for %{{.*}} = %c0 to %{{.*}} step %c16 {
// CHECK-COUNT-64:        scf.if
// CHECK:         } else {
// CHECK:           gpu.launch {{.*}} workgroup(%{{.*}} : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[BTILE:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK:             memref.load %[[W]]
// CHECK:             memref.load %[[S]]
// CHECK:             arith.remui %{{.*}}, %c2 : index
// CHECK:             arith.shrui
// CHECK:             memref.store %{{.*}}, %[[BTILE]]
// CHECK-NOT:     linalg.generic
func.func @nibbles(%x: memref<?x?xf32>, %w: memref<?x?xi8>, %s: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k floordiv 2)>,
                                   affine_map<(m, n, k) -> (n, k floordiv 128)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w, %s : memref<?x?xf32>, memref<?x?xi8>, memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: i8, %sc: f32, %o: f32):
    %k = linalg.index 2 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %odd = arith.remui %k, %c2 : index
    %sh = arith.muli %odd, %c4 : index
    %shi = arith.index_cast %sh : index to i8
    %code = arith.shrui %b, %shi : i8
    %c15 = arith.constant 15 : i8
    %lo = arith.andi %code, %c15 : i8
    %f = arith.uitofp %lo : i8 to f32
    %ws = arith.mulf %f, %sc : f32
    %p = arith.mulf %a, %ws : f32
    %r = arith.addf %p, %o : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Not taken: b[k, n] (k not in the last subscript: lanes would read a column
// each), a contraction of 64 k (static K < 128), and a static M of 32.
// CHECK-LABEL: func.func @not_skinny(
// CHECK-NOT:     gpu.shuffle
// CHECK:         return
func.func @not_skinny(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>,
                      %x: memref<?x64xf32>, %w: memref<?x64xf32>, %y: memref<?x?xf32>,
                      %x32: memref<32x?xf32>, %y32: memref<32x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.mulf %p, %q : f32
    %r = arith.addf %t, %o : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x64xf32>, memref<?x64xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.mulf %p, %q : f32
    %r = arith.addf %t, %o : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x32, %a : memref<32x?xf32>, memref<?x?xf32>) outs(%y32 : memref<32x?xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.mulf %p, %q : f32
    %r = arith.addf %t, %o : f32
    linalg.yield %r : f32
  }
  return
}
