// RUN: %vibee-opt %s --vibee-cpu-pack-contractions --canonicalize 2>/dev/null | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=256" --canonicalize | FileCheck %s --check-prefix=KERNEL
// RUN: %vibee-opt %s --vibee-cpu-pack-contractions=threads=true --canonicalize 2>/dev/null | FileCheck %s --check-prefix=THREADS

// Every linalg.contract becomes the micro-kernel's form, C[m, n] += A[m, k] * B[k, n]
// in f32, on packed operands (an operand in that layout already is a view).

// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[XM:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[YT:.*]] = affine_map<(d0, d1, d2) -> (d1, d0)>
// CHECK-DAG: #[[SWAP2:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// KERNEL-DAG: #[[KNM:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// KERNEL-DAG: #[[KNK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// KERNEL-DAG: #[[KYT:.*]] = affine_map<(d0, d1, d2) -> (d1, d0)>

// Plain f32 matmul: 1 or 2 rows, the contraction's own loops with k outermost
// and n innermost (b's rows read once and in order, SkinnyRowsOfB.h), with
// threads one call over ranges of n (a chunk function on its loop 2); from 3
// to 32 rows, the transposed product with b read as w[n, k] through a
// transposed view (the micro-kernel's A, by columns); otherwise no copy.
// CHECK-LABEL: func.func @plain
// CHECK:         %[[TWO:.*]] = arith.cmpi sle, %[[ROWS:.*]], %c2
// CHECK-NEXT:    scf.if %[[TWO]] {
// CHECK-NEXT:      linalg.generic {indexing_maps = [#[[YT]], #[[A]], #[[XM]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%arg0, %arg1 : memref<?x?xf32>, memref<?x?xf32>) outs(%arg2
// CHECK:         } else {
// CHECK:         %[[MOST:.*]] = arith.cmpi sle, %[[ROWS]], %c32
// CHECK-NEXT:    %[[LEAST:.*]] = arith.cmpi sge, %[[ROWS]], %c3
// CHECK-NEXT:    %[[FEW:.*]] = arith.andi %[[MOST]], %[[LEAST]]
// CHECK-NEXT:    scf.if %[[FEW]] {
// CHECK:           %[[BT:.*]] = memref.transpose %arg1 (d0, d1) -> (d1, d0) : memref<?x?xf32> to memref<?x?xf32, strided<[1, ?]>>
// CHECK:           linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], {{.*}} ins(%[[BT]], %{{.*}} : memref<?x?xf32, strided<[1, ?]>>, memref<?x16xf32>)
// CHECK:           memref.dealloc %{{.*}} : memref<?x32xf32>
// CHECK-NEXT:      memref.dealloc %{{.*}} : memref<?x32xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// CHECK-NEXT: } else {
// CHECK-NOT:       memref.alloc
// CHECK:           linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1
// THREADS-LABEL: func.func @plain(
// THREADS:         scf.if
// THREADS:           llvm.call @vibee_parallel_for_or_serial(
// THREADS-NEXT:    } else {
// KERNEL-LABEL: func.func @plain
// KERNEL:         vector.fma
func.func @plain(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// nn.Linear with a bf16 weight w[n, k]: with at most 11 rows, the generic loops
// (dot products along k, the N loop outside the M loop so that each weight row
// is read once); else the matmul reads the bf16 weights themselves through
// their transposed map and converts them in its body (no f32 copy of B:
// vibee-cpu-tile-matmul converts while packing its panels), and x is used in
// place. cpu-pack-contractions-dequant.mlir has the quantized forms.
// CHECK-LABEL: func.func @linear_bf16
// CHECK:         %[[SKINNY:.*]] = arith.cmpi sle, %{{.*}}, %c11
// CHECK:         scf.if %[[SKINNY]] {
// CHECK:           linalg.generic {indexing_maps = [#[[XM]], #[[A]], #[[YT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : memref<?x?xf32>, memref<?x?xbf16>)
// CHECK:         } else {
// CHECK-NOT:       memref.alloc
// CHECK:           linalg.generic {indexing_maps = [#[[A]], #[[XM]], #[[C]]], {{.*}} ins(%arg0, %arg1 : memref<?x?xf32>, memref<?x?xbf16>) outs(%arg2
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:        arith.extf
// CHECK-NEXT:        arith.mulf
// CHECK-NEXT:        arith.addf
// CHECK:         return
// With threads, the dot products are marked for vibee-cpu-parallelize, which
// splits their N loop (cpu-parallelize.mlir, @dots_in_branch); without, not.
// CHECK-NOT:     vibee.threads_in_branch
// THREADS-LABEL: func.func @linear_bf16
// THREADS:         scf.if
// THREADS-NEXT:      linalg.generic {{.*}} ins(%arg0, %arg1 : memref<?x?xf32>, memref<?x?xbf16>) {{.*}} attrs = {vibee.threads_in_branch}
// THREADS:         } else {
// THREADS-NOT:       vibee.threads_in_branch
// THREADS:         return
// KERNEL-LABEL: func.func @linear_bf16
// KERNEL:         vector.fma
func.func @linear_bf16(%x: memref<?x?xf32>, %w: memref<?x?xbf16>, %y: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x?xf32>, memref<?x?xbf16>) outs(%y : memref<?x?xf32>)
  return
}

// nn.Linear in f32: dot products up to 2 rows; up to 128 rows, by blocks of
// 32 rows, the transposed product (SkinnyTransposedProduct.h): x copied to
// xT[k][j] with zero columns up to 16 (32), the plain matmul
// cT[n][j] += w[n, k] * xT[k][j] with w in place as its A (from zero: the fill
// right before it), and y[m, n] += cT[n][m]. Above, as in bf16, w[n, k] read in place with no f32
// copy transposed to [K][N]: the pack of each panel reads w through a
// [NB][32][K] view (n split into the panel and its lane), the transposed copy
// that vibee-cpu-vectorize takes (no vibee.pack attribute).
// CHECK-LABEL: func.func @linear_f32
// CHECK:         %[[DOTS:.*]] = arith.cmpi sle, %[[ROWS:.*]], %c2
// CHECK:         scf.if %[[DOTS]] {
// CHECK:           linalg.generic {indexing_maps = [#[[XM]], #[[A]], #[[YT]]]
// CHECK:         } else {
// CHECK:           %[[FEW:.*]] = arith.cmpi sle, %[[ROWS]], %c128
// CHECK:           scf.if %[[FEW]] {
// Blocks of 32 rows of x and y, each the transposed product for 16 or 32.
// CHECK:             scf.for %[[R:.*]] = %c0 to %[[ROWS2:.*]] step %c32 {
// CHECK-NEXT:          %[[LEFT:.*]] = arith.subi %[[ROWS2]], %[[R]]
// CHECK-NEXT:          %[[BLOCK:.*]] = arith.minsi %[[LEFT]], %c32
// CHECK:               %[[XB:.*]] = memref.subview %arg0[%[[R]], 0] [%[[BLOCK]], %{{.*}}] [1, 1]
// CHECK:               %[[YB:.*]] = memref.subview %arg2[%[[R]], 0] [%[[BLOCK]], %{{.*}}] [1, 1]
// CHECK-NEXT:          %[[HALF:.*]] = arith.cmpi sle, %[[BLOCK]], %c16
// CHECK-NEXT:          scf.if %[[HALF]] {
// CHECK:                 %[[XT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x16xf32>
// CHECK-NEXT:            linalg.fill {{.*}} outs(%[[XT]] :
// CHECK-NEXT:            %[[XTV:.*]] = memref.subview %[[XT]][0, 0]
// CHECK-NEXT:            linalg.generic {indexing_maps = [#[[SWAP2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[XB]] : {{.*}}) outs(%[[XTV]] :
// CHECK:                 %[[CT:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x16xf32>
// CHECK-NEXT:            linalg.fill {{.*}} outs(%[[CT]] :
// CHECK-NEXT:            linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], {{.*}} ins(%arg1, %[[XT]] : memref<?x?xf32>, memref<?x16xf32>) outs(%[[CT]] :
// CHECK:                 %[[CTV:.*]] = memref.subview %[[CT]][0, 0]
// CHECK-NEXT:            linalg.generic {indexing_maps = [#[[SWAP2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[CTV]] : {{.*}}) outs(%[[YB]] :
// CHECK-NEXT:            ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT:              arith.addf %[[OUT]], %[[IN]]
// CHECK:                 memref.dealloc %[[XT]]
// CHECK-NEXT:            memref.dealloc %[[CT]]
// CHECK-NEXT:          } else {
// CHECK:                 memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x32xf32>
// CHECK:                 memref.dealloc %{{.*}} : memref<?x32xf32>
// CHECK-NEXT:            memref.dealloc %{{.*}} : memref<?x32xf32>
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// CHECK-NEXT:      } else {
// CHECK-NOT:       memref.alloc
// CHECK:           linalg.generic {indexing_maps = [#[[A]], #[[XM]], #[[C]]], {{.*}} ins(%arg0, %arg1 : memref<?x?xf32>, memref<?x?xf32>) outs(%arg2
// CHECK-NEXT:      ^bb0(%[[X:.*]]: f32, %[[W:.*]]: f32, %[[Y:.*]]: f32):
// CHECK-NEXT:        %[[P:.*]] = arith.mulf %[[X]], %[[W]]
// CHECK-NEXT:        arith.addf %[[P]], %[[Y]]
// CHECK:         return
// The M % MR edge rows beside the micro-kernel's tiles: n outside m, so that
// each weight row is read once for all of them (loops (n, m, k): x[m, k],
// w[n, k], y[m, n]).
// KERNEL-LABEL: func.func @linear_f32(
// KERNEL:         llvm.call @vibee_parallel_for_or_serial(
// KERNEL:         linalg.generic
// KERNEL:         linalg.generic {indexing_maps = [#[[KNM]], #[[KNK]], #[[KYT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %arg1 : memref<?x?xf32, {{.*}}>, memref<?x?xf32>)
// KERNEL-LABEL: func.func private @linear_f32__chunk2(
// KERNEL:         memref.alloc() {alignment = 64 : i64} : memref<8x256x32xf32>
// KERNEL-NOT:     memref.alloc
// KERNEL:         %[[PANEL:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%{{.*}}, 32, %{{.*}}]
// KERNEL:         linalg.generic {{.*}} ins(%[[PANEL]] : memref<?x32x?xf32, {{.*}}>) outs(%{{.*}} : memref<?x?x32xf32, {{.*}}>) {
// KERNEL:         vector.fma
func.func @linear_f32(%x: memref<?x?xf32>, %w: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x?xf32>, memref<?x?xf32>) outs(%y : memref<?x?xf32>)
  return
}

// Per-head scores: batch loops (b, h) become one loop over B*H slices of the packed
// [b][h][i][d] and [b][h][d][j] buffers; the result, [b][h][i][j], is used in place.
// CHECK-LABEL: func.func @scores
// CHECK-COUNT-2: memref.alloc
// CHECK:         scf.for
// CHECK:           memref.subview
// CHECK:           linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]]
// With threads, the batch loop is a chunk function on ranges of slices, run by
// the runtime as a balanced split (the last argument, 1): it takes the grant only
// when the B*H slices split evenly (5 * slices >= 4 * nt * ceil(slices / nt));
// otherwise it hands the grant back and runs every slice in order, each matmul
// then free to split its N panels (backends/cpu/CpuRuntime.c).
// THREADS-LABEL: func.func @scores(
// THREADS-DAG:     %[[ZERO:.*]] = arith.constant 0 : i64
// THREADS-DAG:     %[[ONE:.*]] = arith.constant 1 : i64
// THREADS:         %[[SLICES:.*]] = arith.muli %[[B:.*]], %[[H:.*]] : index
// THREADS:         %[[BH:.*]] = arith.muli %[[B]], %[[H]] : index
// THREADS:         %[[BHI:.*]] = arith.muli %[[BH]], %[[I:.*]] : index
// THREADS:         %[[BHIJ:.*]] = arith.muli %[[BHI]], %[[J:.*]] : index
// THREADS:         %[[WORK:.*]] = arith.muli %[[BHIJ]], %[[D:.*]] : index
// THREADS:         %[[W64:.*]] = arith.index_cast %[[WORK]] : index to i64
// THREADS:         %[[S64:.*]] = arith.index_cast %[[SLICES]] : index to i64
// THREADS:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %[[W64]], %[[S64]], %[[ZERO]], %[[ZERO]], %[[ONE]])
// THREADS-LABEL: func.func private @scores__chunk0(
// THREADS:         scf.for %[[SLICE:.*]] = %arg0 to %arg1
// THREADS:           memref.subview %{{.*}}[%[[SLICE]], 0, 0]
// THREADS:           linalg.generic
// THREADS-LABEL: func.func private @scores__chunk0_entry(
// THREADS:         call @scores__chunk0(%arg0, %arg1,
func.func @scores(%q: memref<?x?x?x?xf32>, %k: memref<?x?x?x?xf32>, %s: memref<?x?x?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, i, h, d)>, affine_map<(b, h, i, j, d) -> (b, j, h, d)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>]
      ins(%q, %k : memref<?x?x?x?xf32>, memref<?x?x?x?xf32>) outs(%s : memref<?x?x?x?xf32>)
  return
}

// A transposed result: C' is packed, zeroed, and added back.
// CHECK-LABEL: func.func @transposed_result
// CHECK:         %[[CP:.*]] = memref.alloc
// CHECK:         linalg.fill {{.*}} outs(%[[CP]]
// CHECK:         linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], {{.*}} outs(%[[CP]]
// CHECK:         linalg.generic {{.*}} ins(%[[CP]] : memref<?x?xf32>) outs(%arg2 : memref<?x?xf32>)
// CHECK:           arith.addf
func.func @transposed_result(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(n, m, k) -> (m, k)>, affine_map<(n, m, k) -> (k, n)>, affine_map<(n, m, k) -> (n, m)>]
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// An i32 accumulator: not packed (the micro-kernel is f32), the generic loops.
// CHECK-LABEL: func.func @int8
// REMARK: cpu-pack-contractions.mlir:[[@LINE+8]]:3: remark: contraction on generic loops: the accumulator is not f32
// The remark is not followed by the op as printed (printing a nested op numbers its
// whole function: a remark per op made large kernels quadratic).
// REMARK-NOT: see current operation
// CHECK-NOT:     linalg.contract
// CHECK:         linalg.generic
// CHECK:           arith.extsi
func.func @int8(%a: memref<?x?xi8>, %b: memref<?x?xi8>, %c: memref<?x?xi32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<?x?xi8>, memref<?x?xi8>) outs(%c : memref<?x?xi32>)
  return
}

// A result that starts from zero (the fill MLIRGen puts before every sum): the
// fill moves to each matmul generic's own C, right before it, where
// vibee-cpu-tile-matmul absorbs it (ZeroInit.h): per batch slice here; in both
// branches of the skinny test; none is left on all of C.
// CHECK-LABEL: func.func @scores_zero
// CHECK-NOT:     linalg.fill
// CHECK:         scf.if
// CHECK-NEXT:      linalg.fill {{.*}} outs(%arg2 :
// CHECK-NEXT:      linalg.generic
// CHECK:         } else {
// CHECK-NOT:       linalg.fill
// CHECK:           scf.for
// CHECK:             memref.subview
// CHECK:             memref.subview
// CHECK:             %[[SLICE:.*]] = memref.subview %{{.*}}[%{{.*}}, 0, 0]
// CHECK-NEXT:        linalg.fill {{.*}} outs(%[[SLICE]] :
// CHECK-NEXT:        linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], {{.*}} outs(%[[SLICE]] :
func.func @scores_zero(%q: memref<?x?x?x?xf32>, %k: memref<?x?x?x?xf32>, %s: memref<?x?x?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%s : memref<?x?x?x?xf32>)
  linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, i, h, d)>, affine_map<(b, h, i, j, d) -> (b, j, h, d)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>]
      ins(%q, %k : memref<?x?x?x?xf32>, memref<?x?x?x?xf32>) outs(%s : memref<?x?x?x?xf32>)
  return
}

// A transposed result that starts from zero: C' is zeroed right before its
// generic and copied into C (not added: C's own fill is gone). (From 3 to 32
// rows, the transposed product, into C's columns, after C's fill.)
// CHECK-LABEL: func.func @transposed_zero
// CHECK:         linalg.fill {{.*}} outs(%arg2
// CHECK:           memref.subview %arg2[0, %{{.*}}] [%{{.*}}, %{{.*}}] [1, 1]
// CHECK:           memref.dealloc %{{.*}} : memref<?x32xf32>
// CHECK-NEXT:      memref.dealloc %{{.*}} : memref<?x32xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// CHECK-NEXT: } else {
// CHECK-NOT:       linalg.fill {{.*}} outs(%arg2
// CHECK:         %[[CP:.*]] = memref.alloc
// CHECK:         linalg.fill {{.*}} outs(%[[CP]]
// CHECK-NEXT:    linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], {{.*}} outs(%[[CP]]
// CHECK:         linalg.generic {{.*}} ins(%[[CP]] : memref<?x?xf32>) outs(%arg2 : memref<?x?xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[IN]] : f32
func.func @transposed_zero(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.contract indexing_maps = [affine_map<(n, m, k) -> (m, k)>, affine_map<(n, m, k) -> (k, n)>, affine_map<(n, m, k) -> (n, m)>]
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}
