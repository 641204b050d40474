// RUN: %vibee-opt %s --vibee-cpu-vectorize=vector-bits=512 --canonicalize --cse | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-vectorize=vector-bits=128 --canonicalize --cse | FileCheck %s --check-prefix=SSE
// With threads: the one copy of the op that the runtime's threads and the
// serial path call (its chunk function) is vectorized.
// RUN: %vibee-opt %s --vibee-cpu-parallelize --vibee-cpu-vectorize=vector-bits=512 --canonicalize --cse | FileCheck %s --check-prefix=PAR

#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#tr2 = affine_map<(d0, d1) -> (d1, d0)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// Elementwise, dynamic size: full 16-lane tiles in the main loop (plain
// vector loads/stores, the scalar broadcast), the remainder one masked step.
// CHECK-LABEL: func.func @axpy(
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[FULL:.*]] = affine.apply {{.*}}()[%[[N]]]
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %[[FULL]] step %c16 {
// CHECK:           vector.load %{{.*}}[%[[I]]] : memref<?xf32>, vector<16xf32>
// CHECK:           vector.broadcast
// CHECK:           arith.mulf {{.*}} : vector<16xf32>
// CHECK:           arith.addf {{.*}} : vector<16xf32>
// CHECK:           vector.store {{.*}}[%[[I]]] : memref<?xf32>, vector<16xf32>
// CHECK:         scf.for %[[J:.*]] = %[[FULL]] to %[[N]] step %c16 {
// CHECK:           %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK:           vector.maskedload %{{.*}}[%[[J]]], %[[MASK]]
// CHECK:           vector.maskedload %{{.*}}[%[[J]]], %[[MASK]]
// CHECK:           arith.mulf {{.*}} : vector<16xf32>
// CHECK:           vector.maskedstore %{{.*}}[%[[J]]], %[[MASK]]
// CHECK-NOT:     linalg.generic
// SSE-LABEL:   func.func @axpy(
// SSE:           vector.load {{.*}} vector<4xf32>
// PAR-LABEL:   func.func @axpy(
// PAR-NOT:       vector.
// PAR:           llvm.call @vibee_parallel_for_or_serial(
// PAR-NOT:       vector.
// PAR:           return
// PAR-LABEL:   func.func private @axpy__chunk0(
// PAR:           vector.load {{.*}} vector<16xf32>
// PAR:           vector.maskedstore
// PAR-LABEL:   func.func private @axpy__chunk0_entry(
// PAR-NOT:         vector.
// PAR:             call @axpy__chunk0(
// PAR-NOT:       vector.
// PAR:           return
func.func @axpy(%x: memref<?xf32>, %y: memref<?xf32>, %a: f32) {
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %a : f32
    %s = arith.addf %m, %out : f32
    linalg.yield %s : f32
  }
  return
}

// Static extent, a multiple of the tile: no remainder.
// CHECK-LABEL: func.func @static_rows(
// CHECK:         scf.for
// CHECK:           scf.for {{.*}} to %c64 step %c16 {
// CHECK:             math.exp {{.*}} : vector<16xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @static_rows(%x: memref<4x64xf32>, %y: memref<4x64xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x64xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}

// Innermost reduction: two registers of partial sums carried by the loop, one
// vector.reduction into the row's accumulator after it, a scalar remainder
// (no masked reduction).
// CHECK-LABEL: func.func @sumsq(
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<32xf32>
// CHECK:         scf.for %[[R:.*]] =
// CHECK:           %[[ACC:.*]] = memref.load %{{.*}}[%[[R]]]
// CHECK:           %[[P:.*]] = scf.for {{.*}} step %c32 iter_args(%[[PART:.*]] = %[[ZERO]]) -> (vector<32xf32>) {
// CHECK:             %[[X:.*]] = vector.load {{.*}} : memref<?x?xf32>, vector<32xf32>
// CHECK:             %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : vector<32xf32>
// CHECK:             %[[NEXT:.*]] = arith.addf %[[SQ]], %[[PART]] : vector<32xf32>
// CHECK:             scf.yield %[[NEXT]]
// CHECK:           %[[SUM:.*]] = vector.reduction <add>, %[[P]], %[[ACC]] : vector<32xf32> into f32
// CHECK:           vector.broadcast %[[SUM]]
// CHECK:           vector.store
// CHECK:           scf.for
// CHECK:             linalg.generic {{.*}} ["parallel", "reduction"]
// SSE-LABEL:   func.func @sumsq(
// SSE:           iter_args({{.*}}) -> (vector<8xf32>)
func.func @sumsq(%x: memref<?x?xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %q = arith.mulf %in, %in : f32
    %r = arith.addf %q, %acc fastmath<reassoc> : f32
    linalg.yield %r : f32
  }
  return
}

// Row max: the partials start from the accumulator (max is idempotent).
// CHECK-LABEL: func.func @rowmax(
// CHECK:           %[[ACC:.*]] = memref.load
// CHECK:           %[[INIT:.*]] = vector.broadcast %[[ACC]] : f32 to vector<32xf32>
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK:             arith.maxnumf {{.*}} : vector<32xf32>
// CHECK:           vector.reduction <maxnumf>
func.func @rowmax(%x: memref<?x?xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maxnumf %in, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// bf16 storage: bf16 vectors loaded and stored, the body in f32 (the CPU
// pipeline's emulation later handles the vector extf/truncf).
// CHECK-LABEL: func.func @scale_bf16(
// CHECK:           vector.load {{.*}} : memref<?x?xbf16>, vector<16xbf16>
// CHECK:           vector.load {{.*}} : memref<?xbf16>, vector<16xbf16>
// CHECK:           arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK:           arith.mulf {{.*}} : vector<16xf32>
// CHECK:           arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK:           vector.store {{.*}} : memref<?x?xbf16>, vector<16xbf16>
// The remainder stays scalar: masked bf16 loads/stores are not legal on every
// x86 target (the SSE2 baseline would call __truncsfbf2 per element).
// CHECK-NOT:       vector.maskedload
// CHECK:           linalg.generic
func.func @scale_bf16(%x: memref<?x?xbf16>, %w: memref<?xbf16>, %y: memref<?x?xbf16>) {
  linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %w : memref<?x?xbf16>, memref<?xbf16>) outs(%y : memref<?x?xbf16>) {
  ^bb0(%in: bf16, %wi: bf16, %out: bf16):
    %e = arith.extf %in : bf16 to f32
    %f = arith.extf %wi : bf16 to f32
    %m = arith.mulf %e, %f : f32
    %t = arith.truncf %m : f32 to bf16
    linalg.yield %t : bf16
  }
  return
}

// Outer reduction, parallel innermost (the online softmax's lanes): the
// reduction loop has extent-1 tiles, dropped, so each tile is an elementwise
// read-modify-write of the accumulator lanes (no remainder: 32 = 2 x 16).
// CHECK-LABEL: func.func @lanes(
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for {{.*}} to %c32 step %c16 {
// CHECK:               vector.load {{.*}} : memref<?x?x32xf32>, vector<16xf32>
// CHECK:               vector.load {{.*}} : memref<?x32xf32>, vector<16xf32>
// CHECK:               arith.maxnumf {{.*}} : vector<16xf32>
// CHECK:               vector.store
// CHECK-NOT:     linalg.generic
// CHECK:         return
#l3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#o3 = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @lanes(%x: memref<?x?x32xf32>, %m: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#l3, #o3], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : memref<?x?x32xf32>) outs(%m : memref<?x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maxnumf %in, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// A transposed read (the innermost loop walks %x with a stride, the outer one
// at unit stride): blocks of 64 x 64, and within each square tiles of the lanes
// over both loops, 16 x 16 at 512 bits (4 x 4 at 128), each read as rows of %x,
// transposed in registers (one shuffle) and written as rows of %y. The partial
// tiles at a block's two edges (peeled) stay scalar generics.
// CHECK-LABEL: func.func @transposed(
// CHECK:         scf.for %[[BI:.*]] = %c0 to %{{.*}} step %c64 {
// CHECK:           scf.for %[[BJ:.*]] = %c0 to %{{.*}} step %c64 {
// CHECK:             scf.for %[[TI:.*]] = %c0 to %{{.*}} step %c16 {
// CHECK:               scf.for %[[TJ:.*]] = %c0 to %{{.*}} step %c16 {
// CHECK-DAG:             %[[J:.*]] = affine.apply #{{.*}}()[%[[BJ]], %[[TJ]]]
// CHECK-DAG:             %[[I:.*]] = affine.apply #{{.*}}()[%[[BI]], %[[TI]]]
// CHECK:                 %[[T:.*]] = vector.transfer_read %arg0[%[[J]], %[[I]]], {{.*}} : memref<?x?xf32>, vector<16x16xf32>
// CHECK:                 %[[F:.*]] = vector.shape_cast %[[T]] : vector<16x16xf32> to vector<256xf32>
// CHECK:                 %[[S:.*]] = vector.shuffle %[[F]], %[[F]] [0, 16, 32,
// CHECK:                 %[[R:.*]] = vector.shape_cast %[[S]] : vector<256xf32> to vector<16x16xf32>
// CHECK:                 vector.transfer_write %[[R]], %arg1[%[[I]], %[[J]]] {{.*}} : vector<16x16xf32>, memref<?x?xf32>
// CHECK:               scf.for
// CHECK-NOT:             vector.
// CHECK:                 linalg.generic
// CHECK:             scf.for
// CHECK:               scf.for
// CHECK-NOT:             vector.
// CHECK:                 linalg.generic
// CHECK-NOT:     vector.
// CHECK:         return
// SSE-LABEL:   func.func @transposed(
// SSE:           vector.transfer_read %arg0{{.*}} vector<4x4xf32>
// SSE:           vector.shuffle {{.*}} [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]
func.func @transposed(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#tr2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// A panel pack of w[n, k] (vibee-cpu-tile-matmul's Bp[jb][k][jj] = w[jb * 32 +
// jj][k], w viewed [NB][32][K]): the loop jb outside, then (k, jj) as the
// transposed copy above, 16 x 16 tiles converting int8 to f32.
// CHECK-LABEL: func.func @panel_pack(
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK:           vector.transfer_read %arg0{{.*}} : memref<?x32x?xi8>, vector<16x16xi8>
// CHECK:           vector.shuffle
// CHECK:           arith.sitofp %{{.*}} : vector<16x16xi8> to vector<16x16xf32>
// CHECK:           vector.transfer_write %{{.*}}, %arg1{{.*}} : vector<16x16xf32>, memref<?x?x32xf32>
func.func @panel_pack(%w: memref<?x32x?xi8>, %p: memref<?x?x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(jb, k, jj) -> (jb, jj, k)>,
                                   affine_map<(jb, k, jj) -> (jb, k, jj)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%w : memref<?x32x?xi8>) outs(%p : memref<?x?x32xf32>) {
  ^bb0(%in: i8, %out: f32):
    %f = arith.sitofp %in : i8 to f32
    linalg.yield %f : f32
  }
  return
}

// Left alone: a loop between the transposed read's two loops (here the
// middle loop of a broadcast along d1): the transfers of its tiles would skip
// a dim of the output.
// CHECK-LABEL: func.func @transposed_broadcast(
// CHECK-NOT:     vector.
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
// CHECK:         return
func.func @transposed_broadcast(%x: memref<?x?xf32>, %y: memref<?x1x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x1x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// Left alone: a transposed read in a generic with a reduction (column sums of
// %x^T: the tiles would need a reduction across the transposed lanes).
// CHECK-LABEL: func.func @transposed_reduction(
// CHECK-NOT:     vector.
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
// CHECK:         return
func.func @transposed_reduction(%x: memref<?x?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [#tr2, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// Left alone: bool buffers (a byte per element; vector<16xi1> packs bits).
// CHECK-LABEL: func.func @bools(
// CHECK-NOT:     vector.
// CHECK:         linalg.generic
func.func @bools(%x: memref<?xf32>, %b: memref<?xi1>) {
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%b : memref<?xi1>) {
  ^bb0(%in: f32, %out: i1):
    %zero = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %in, %zero : f32
    linalg.yield %c : i1
  }
  return
}

// A schedule hint vector(w) sets the tile: 8 lanes instead of 16.
// CHECK-LABEL: func.func @hinted(
// CHECK:         scf.for {{.*}} step %c8 {
// CHECK:           vector.load {{.*}} vector<8xf32>
func.func @hinted(%x: memref<?xf32>, %y: memref<?xf32>) attributes {vibee.schedule = {vector = 8}} {
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  return
}

// Integer division: the remainder stays scalar (masked-off lanes hold poison,
// which an integer divide must not see).
// CHECK-LABEL: func.func @int_div(
// CHECK:         arith.divsi {{.*}} : vector<16xi32>
// CHECK:         linalg.generic
// CHECK:           arith.divsi {{.*}} : i32
func.func @int_div(%x: memref<?xi32>, %y: memref<?xi32>) {
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%x, %y : memref<?xi32>, memref<?xi32>) outs(%y : memref<?xi32>) {
  ^bb0(%a: i32, %b: i32, %out: i32):
    %q = arith.divsi %a, %b : i32
    linalg.yield %q : i32
  }
  return
}

// An outer reduction (the i-k-j matmul fallback): full tiles vectorized, the
// remainder stays scalar (a masked accumulator would be stored and reloaded every k).
// CHECK-LABEL: func.func @ikj(
// CHECK:         vector.load {{.*}} vector<16xf32>
// CHECK-NOT:     vector.maskedstore
// CHECK:         linalg.generic {{.*}} ["parallel", "reduction", "parallel"]
// CHECK:         return
func.func @ikj(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>, affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// A by a transposed view (b[k, n] read as w[n, k]: innermost stride 45): its
// element of each step is a scalar load and a broadcast, not a 0-d transfer
// that upstream's lowering to vector.load refuses for a non-unit stride.
// CHECK-LABEL: func.func @by_columns(
// CHECK:         %[[BT:.*]] = memref.transpose %arg0
// CHECK:         scf.for %[[I:.*]] = %c0 to %c45
// CHECK:           scf.for %[[K:.*]] = %c0 to %c70
// CHECK-NEXT:        %[[A:.*]] = memref.load %[[BT]][%[[I]], %[[K]]] : memref<45x70xf32, strided<[1, 45]>>
// CHECK-NEXT:        vector.broadcast %[[A]] : f32 to vector<16xf32>
// CHECK-NOT:     vector.transfer_read
func.func @by_columns(%b: memref<70x45xf32>, %x: memref<?x16xf32>, %c: memref<?x16xf32>) {
  %bt = memref.transpose %b (d0, d1) -> (d1, d0) : memref<70x45xf32> to memref<45x70xf32, strided<[1, 45]>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%bt, %x : memref<45x70xf32, strided<[1, 45]>>, memref<?x16xf32>) outs(%c : memref<?x16xf32>) {
  ^bb0(%a: f32, %y: f32, %acc: f32):
    %p = arith.mulf %a, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
