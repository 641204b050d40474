// RUN: %vibee-opt %s --vibee-cpu-pack-contractions="bf16-dot=true vnni=true" --canonicalize | FileCheck %s --check-prefix=PACK
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions="bf16-dot=true vnni=true" --vibee-cpu-tile-matmul="mr=8 nr=32 mc=64 nc=128 kc=128 bf16-dot=true vnni=true threads=false" --canonicalize | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions --vibee-cpu-tile-matmul="mr=8 nr=32 mc=64 nc=128 kc=128 threads=false" --canonicalize 2>&1 | FileCheck %s --check-prefix=F32
// PACK-DAG: #[[NK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>

// vibee-cpu-tile-matmul's packed dot-product micro-kernels (bf16-dot, vnni).
// bf16 x bf16 contractions with bf16-dot (a target with AVX512_BF16): A stays
// bf16 (read in place when it is [M][K] already, else a bf16 copy), B is read
// where it lies, and the matmul's full register tiles run on vdpbf16ps
// (x86vector.avx512.dot): the B panel packed as [NC/32][KC/2][64] bf16 pairs
// along k, the A block as [MC/8][KC/2][16], an odd K's last pair padded with
// zeros; per k pair, 8 A pairs broadcast as 32-bit words and 16 dot products
// into the 8 x 2 accumulators, loop-carried.
// Without bf16-dot (F32) both operands are widened to f32 for the FMA kernel;
// without vnni an int8 contraction runs on generic loops, with a remark.
// F32: remark: contraction on generic loops: the accumulator is not f32

// PACK-LABEL: func.func @matmul_bf16
// PACK-NOT:     memref.alloc
// PACK:         linalg.generic {{.*}} ins(%arg0, %arg1 : memref<?x?xbf16>, memref<?x?xbf16>) outs(%arg2 : memref<?x?xf32>)
// PACK:           arith.extf
// PACK:           arith.extf
// nn.Linear's layout with up to 16 and 32 rows of x (above 2): the transposed
// product (SkinnyTransposedProduct.h) on the packed dot products, x's rows
// copied into a zero-padded xP[16][K] (B read by rows), w as A.
// PACK-LABEL: func.func @linear_bf16
// PACK:         arith.cmpi sle, %{{.*}}, %c2
// PACK:         arith.cmpi sle, %{{.*}}, %c16
// PACK:         %[[XP:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<16x?xbf16>
// PACK:         %[[CT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x16xf32>
// PACK:         linalg.generic {indexing_maps = [#{{.*}}, #[[NK]], #{{.*}}], {{.*}} ins(%arg1, %[[XP]] : memref<?x?xbf16>, memref<16x?xbf16>) outs(%[[CT]] : memref<?x16xf32>)
// PACK:           arith.extf
// PACK:           arith.extf
// PACK:         memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<32x?xbf16>
// PACK-LABEL: func.func @transposed_a
// PACK:         %[[AT:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?xbf16>
// PACK:         linalg.generic {{.*}} ins(%arg0 : memref<?x?xbf16>) outs(%[[AT]] : memref<?x?xbf16>)
// PACK-NEXT:    ^bb0(%[[IN:.*]]: bf16, %{{.*}}: bf16):
// PACK-NEXT:      linalg.yield %[[IN]] : bf16
// PACK:         linalg.generic {{.*}} ins(%[[AT]], %arg1 : memref<?x?xbf16>, memref<?x?xbf16>)

// CHECK-LABEL: func.func @matmul_bf16
// CHECK:         scf.if
// CHECK-DAG:       %[[BP:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x64x64xbf16>
// CHECK-DAG:       %[[AP:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x64x16xbf16>
// B[k][n]: rows k and k + 1 interleaved, 16 columns at a time; in the last pair a
// row past K is zeros (selected: its load reads the last row instead).
// CHECK:           vector.interleave %{{.*}}, %{{.*}} : vector<16xbf16> -> vector<32xbf16>
// CHECK:           vector.store %{{.*}}, %[[BP]]
// CHECK:           arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : vector<16xbf16>
// CHECK:           arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : vector<16xbf16>
// CHECK-NEXT:      vector.interleave %{{.*}}, %{{.*}} : vector<16xbf16> -> vector<32xbf16>
// A: one 32-bit pair at a time; in the last pair an element past K is zero.
// CHECK:           vector.load %{{.*}} : memref<?x?xbf16, strided<[?, 1]>>, vector<2xbf16>
// CHECK:           vector.store %{{.*}}, %[[AP]]
// CHECK:           arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : bf16
// CHECK:           arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : bf16
// CHECK-NEXT:      vector.from_elements %{{.*}}, %{{.*}} : vector<2xbf16>
// The register tile: 16 accumulators in, 16 dot products per k pair, 16 out.
// CHECK-COUNT-16:  vector.load %{{.*}} : memref<?x?xf32, strided<[?, 1]>>, vector<16xf32>
// CHECK:           scf.for {{.*}} iter_args(
// CHECK-COUNT-2:     vector.load %[[BP]]{{.*}} vector<32xbf16>
// CHECK:             vector.load %[[AP]]{{.*}} vector<2xbf16>
// CHECK-NEXT:        vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK:             vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK-NEXT:        vector.bitcast %{{.*}} : vector<16xi32> to vector<32xbf16>
// CHECK-COUNT-16:    x86vector.avx512.dot %{{.*}} : vector<32xbf16> -> vector<16xf32>
// CHECK:             scf.yield
// CHECK-COUNT-16:  vector.store %{{.*}} : memref<?x?xf32, strided<[?, 1]>>, vector<16xf32>
// CHECK-DAG:       memref.dealloc %[[AP]]
// CHECK-DAG:       memref.dealloc %[[BP]]
// The edges stay generics (vibee-cpu-vectorize's).
// CHECK:         linalg.generic
// F32-LABEL:   func.func @matmul_bf16
// F32-NOT:       x86vector
// F32:           vector.fma
func.func @matmul_bf16(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<?x?xbf16>, memref<?x?xbf16>) outs(%c : memref<?x?xf32>)
  return
}

// nn.Linear's w[n, k]: B's pairs are contiguous in w, copied as 32-bit words.
// CHECK-LABEL: func.func @linear_bf16
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<4x64x64xbf16>
// CHECK-NOT:     vector.interleave
// CHECK:         vector.load %{{.*}} : memref<?x?xbf16, strided<[?, 1]>>, vector<2xbf16>
// CHECK:         x86vector.avx512.dot
func.func @linear_bf16(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>, %y: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x?xbf16>, memref<?x?xbf16>) outs(%y : memref<?x?xf32>)
  return
}

func.func @transposed_a(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<?x?xbf16>, memref<?x?xbf16>) outs(%c : memref<?x?xf32>)
  return
}

// Batched bf16: A and B in bf16 [batch][M][K] and [batch][K][N] (here in place
// already: no copy; other layouts are copied in bf16), each batch's matmul
// widening both in its body, on the bf16 kernel.
// PACK-LABEL: func.func @bmm_bf16
// PACK-NOT:     memref.alloc
// PACK:         scf.for
// PACK:           linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : memref<?x?xbf16, strided<[?, 1], offset: ?>>, memref<?x?xbf16, strided<[?, 1], offset: ?>>)
// PACK:             arith.extf
// PACK:             arith.extf
// CHECK-LABEL: func.func @bmm_bf16
// CHECK:         scf.for
// CHECK:           x86vector.avx512.dot
func.func @bmm_bf16(%a: memref<?x?x?xbf16>, %b: memref<?x?x?xbf16>, %c: memref<?x?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(z, m, n, k) -> (z, m, k)>, affine_map<(z, m, n, k) -> (z, k, n)>, affine_map<(z, m, n, k) -> (z, m, n)>]
      ins(%a, %b : memref<?x?x?xbf16>, memref<?x?x?xbf16>) outs(%c : memref<?x?x?xf32>)
  return
}

// f32 activations times bf16 weights: not a bf16 pair product; the f32 kernel
// computes B from the bf16 weights while packing, as without bf16-dot.
// CHECK-LABEL: func.func @mixed
// CHECK-NOT:     x86vector
// CHECK:         vector.fma
func.func @mixed(%a: memref<?x?xf32>, %b: memref<?x?xbf16>, %c: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<?x?xf32>, memref<?x?xbf16>) outs(%c : memref<?x?xf32>)
  return
}

// int8 into int32 with vnni: A in place, w[n, k] read in place, i32 products
// of the sign-extended operands. The kernel packs both as quads of bytes along
// k, A with its sign bit flipped (a + 128: vpdpbusd's unsigned operand), and
// per K block sums 128 x B's columns with the same instruction (all-128 bytes
// times B's quads) into an [NC/32][32] i32 buffer that the register tile takes
// off C before its k loop. Without vnni, generic loops (a remark says why).
// PACK-LABEL: func.func @int8_linear
// PACK:         scf.if
// PACK:         } else {
// PACK-NOT:       memref.alloc
// PACK:           linalg.generic {{.*}} ins(%arg0, %arg1 : memref<?x?xi8>, memref<?x?xi8>) outs(%arg2 : memref<?x?xi32>)
// PACK:             arith.extsi %{{.*}} : i8 to i32
// PACK:             arith.extsi %{{.*}} : i8 to i32
// PACK:             arith.muli
// PACK:             arith.addi
// CHECK-LABEL: func.func @int8_linear
// CHECK-DAG:     %[[BP:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x32x128xi8>
// CHECK-DAG:     %[[AP:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x32x32xi8>
// CHECK-DAG:     %[[OFF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x32xi32>
// B: runs of 16 quads of 8 rows of w transposed in registers (the quads as
// 32-bit words: 8 loads of 64 bytes, two rounds of pairwise shuffles, then one
// shuffle per quad that gathers its 8 rows into the panel), ...
// CHECK-COUNT-8: vector.load %{{.*}} : memref<?x?xi8, strided<[?, 1]>>, vector<64xi8>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23] : vector<16xi32>, vector<16xi32>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23] : vector<16xi32>, vector<16xi32>
// CHECK:         %[[Q0:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 16, 17, 18, 19] : vector<16xi32>, vector<16xi32>
// CHECK-NEXT:    %[[Q0B:.*]] = vector.bitcast %[[Q0]] : vector<8xi32> to vector<32xi8>
// CHECK-NEXT:    vector.store %[[Q0B]], %[[BP]]
// ... the rest copied as 32-bit words from w's rows.
// CHECK:         %[[W:.*]] = vector.load %{{.*}} : memref<?x?xi8, strided<[?, 1]>>, vector<4xi8>
// CHECK-NEXT:    vector.store %[[W]], %[[BP]]
// The column sums: vpdpbusd of all-128 bytes and B's quads.
// CHECK:         %[[SUM:.*]] = scf.for {{.*}} iter_args(
// CHECK:           llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %cst{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK:         vector.store %[[SUM]], %[[OFF]]
// A: the same runs, the sign bit flipped after the transpose, then quads one
// at a time.
// CHECK:         %[[A0:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 16, 17, 18, 19] : vector<16xi32>, vector<16xi32>
// CHECK-NEXT:    %[[A0B:.*]] = vector.bitcast %[[A0]] : vector<8xi32> to vector<32xi8>
// CHECK-NEXT:    %[[A0U:.*]] = arith.xori %[[A0B]], %cst{{.*}} : vector<32xi8>
// CHECK-NEXT:    vector.store %[[A0U]], %[[AP]]
// CHECK:         %[[X:.*]] = vector.load %{{.*}} : memref<?x?xi8, strided<[?, 1]>>, vector<4xi8>
// CHECK-NEXT:    %[[U:.*]] = arith.xori %[[X]], %cst{{.*}} : vector<4xi8>
// CHECK-NEXT:    vector.store %[[U]], %[[AP]]
// CHECK:         vector.load %[[OFF]]
// CHECK:         arith.subi %{{.*}} : vector<16xi32>
// CHECK:         scf.for {{.*}} iter_args(
// CHECK:           vector.load %[[AP]]{{.*}} vector<4xi8>
// CHECK-NEXT:      vector.bitcast %{{.*}} : vector<4xi8> to vector<1xi32>
// CHECK:           vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK-COUNT-16:  llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK:           scf.yield
// CHECK-COUNT-16: vector.store %{{.*}} : memref<?x?xi32, strided<[?, 1]>>, vector<16xi32>
// F32-LABEL:   func.func @int8_linear
// F32-NOT:       llvm.call_intrinsic
func.func @int8_linear(%x: memref<?x?xi8>, %w: memref<?x?xi8>, %y: memref<?x?xi32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x?xi8>, memref<?x?xi8>) outs(%y : memref<?x?xi32>)
  return
}

// Batched int8 (per-head scores, q[i, h, d] x k[j, h, d]): A and B packed in
// int8 as [H][L][D] and [H][L][D] (the kernel reads B by rows, so k's rows are
// copied whole, as q's are: one and the same copy), then per batch slice the
// same i32 generic that the packed dot-product kernel takes, B read as [n][k];
// without vnni, generic loops.
// PACK-LABEL: func.func @int8_scores
// PACK:         %[[QP:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?xi8>
// PACK:         linalg.generic {indexing_maps = [#[[RD:.*]], #[[WR:.*]]], {{.*}} outs(%[[QP]]
// PACK:         %[[KP:.*]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?xi8>
// PACK:         linalg.generic {indexing_maps = [#[[RD]], #[[WR]]], {{.*}} outs(%[[KP]]
// PACK:         scf.for %[[H:.*]] =
// PACK-DAG:       %[[QS:.*]] = memref.subview %[[QP]][%[[H]], 0, 0]
// PACK-DAG:       %[[KS:.*]] = memref.subview %[[KP]][%[[H]], 0, 0]
// PACK-DAG:       %[[SS:.*]] = memref.subview %arg2[%[[H]], 0, 0]
// PACK:           linalg.generic {indexing_maps = [#{{.*}}, #[[NK]], #{{.*}}], {{.*}} ins(%[[QS]], %[[KS]] : {{.*}}) outs(%[[SS]] : {{.*}})
// PACK:             arith.extsi %{{.*}} : i8 to i32
// PACK:         memref.dealloc %[[QP]]
// PACK:         memref.dealloc %[[KP]]
// CHECK-LABEL: func.func @int8_scores
// CHECK:         scf.for
// CHECK:           llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// F32-LABEL:   func.func @int8_scores
// F32-NOT:       llvm.call_intrinsic
// F32:           linalg.generic {{.*}} ins(%arg0, %arg1 : memref<?x?x?xi8>, memref<?x?x?xi8>) outs(%arg2 : memref<?x?x?xi32>)
func.func @int8_scores(%q: memref<?x?x?xi8>, %k: memref<?x?x?xi8>, %s: memref<?x?x?xi32>) {
  linalg.contract indexing_maps = [affine_map<(h, i, j, d) -> (i, h, d)>, affine_map<(h, i, j, d) -> (j, h, d)>, affine_map<(h, i, j, d) -> (h, i, j)>]
      ins(%q, %k : memref<?x?x?xi8>, memref<?x?x?xi8>) outs(%s : memref<?x?x?xi32>)
  return
}
