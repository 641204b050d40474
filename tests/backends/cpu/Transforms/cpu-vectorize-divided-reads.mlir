// RUN: %vibee-opt %s --vibee-cpu-vectorize=vector-bits=512 --canonicalize --cse | FileCheck %s
// Reads through a division of the innermost loop (DividedReads.h): int4 nibbles
// two to a byte, a scale per group. Tiles of W lanes start at multiples of W, so
// in each full tile a `k floordiv c` read is W / c bytes spread by a shuffle (W a
// multiple of c, through a stack buffer of W lanes at the function's entry), or
// one element for all lanes (c a multiple of W). Remainder tiles keep the
// division on scalar loops; a divisor that fits neither way is left alone.

#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 2)>
#s = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 128)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
#w3 = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 3)>
#dw = affine_map<(d0, d1) -> (d0, d1 floordiv 2)>
#ds = affine_map<(d0, d1) -> (d0, d1 floordiv 64)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A dot product of x with int4 weights times their group's scale: 32 lanes
// (two f32 registers of partial sums), 16 bytes of codes per tile. The nibble's
// shift 4 * (k % 2) is the same in every tile (k = a multiple of 32 + the lane):
// computed from the lanes once, outside the loop.
// CHECK-LABEL: func.func @int4_dots(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: memref<?x?xf32>, %[[W:[a-z0-9]+]]: memref<?x?xi8>, %[[S:[a-z0-9]+]]: memref<?x?xf32>
// CHECK:         %[[BUF:.*]] = memref.alloca() : memref<32xi8>
// CHECK:         %[[STEP:.*]] = vector.step : vector<32xindex>
// CHECK:         %[[LANE:.*]] = arith.index_cast %[[STEP]] : vector<32xindex> to vector<32xi64>
// CHECK:         %[[ODD:.*]] = arith.remsi %[[LANE]], %{{.*}} : vector<32xi64>
// CHECK:         %[[SHIFT:.*]] = arith.muli %[[ODD]], %{{.*}} : vector<32xi64>
// CHECK:         scf.for %[[K:.*]] = %{{.*}} step %c32 iter_args(%{{.*}} = %{{.*}}) -> (vector<32xf32>) {
// CHECK:           %[[HALF:.*]] = affine.apply #{{.*}}(%[[K]])
// CHECK:           %[[CODES:.*]] = vector.load %[[W]][%{{.*}}, %[[HALF]]] : memref<?x?xi8>, vector<16xi8>
// CHECK:           %[[SPREAD:.*]] = vector.shuffle %[[CODES]], %[[CODES]] [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15]
// CHECK:           vector.store %[[SPREAD]], %[[BUF]][%c0] : memref<32xi8>, vector<32xi8>
// CHECK:           vector.load %[[X]][%{{.*}}, %[[K]]] : memref<?x?xf32>, vector<32xf32>
// CHECK:           %[[LANES:.*]] = vector.load %[[BUF]][%c0] : memref<32xi8>, vector<32xi8>
// CHECK:           %[[GROUP:.*]] = affine.apply #{{.*}}(%[[K]])
// CHECK:           %[[SCALE:.*]] = vector.load %[[S]][%{{.*}}, %[[GROUP]]] : memref<?x?xf32>, vector<f32>
// CHECK:           vector.broadcast %[[SCALE]] : vector<f32> to vector<32xf32>
// CHECK:           %[[WIDE:.*]] = arith.extsi %[[LANES]] : vector<32xi8> to vector<32xi64>
// CHECK:           arith.shrsi %[[WIDE]], %[[SHIFT]] : vector<32xi64>
// CHECK:           arith.addf %{{.*}} : vector<32xf32>
// CHECK:         vector.reduction <add>
// CHECK:         scf.for
// CHECK:           linalg.generic
// CHECK-SAME:        iterator_types = ["parallel", "parallel", "reduction"]
func.func @int4_dots(%x: memref<?x?xf32>, %w: memref<?x?xi8>, %s: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #s, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w, %s : memref<?x?xf32>, memref<?x?xi8>, memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: i8, %c: f32, %out: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i64
    %two = arith.constant 2 : i64
    %four = arith.constant 4 : i64
    %odd = arith.remsi %ki, %two : i64
    %sh = arith.muli %odd, %four : i64
    %bw = arith.extsi %b : i8 to i64
    %nib = arith.shrsi %bw, %sh : i64
    %m = arith.constant 15 : i64
    %code = arith.andi %nib, %m : i64
    %f = arith.sitofp %code : i64 to f32
    %deq = arith.mulf %f, %c : f32
    %p = arith.mulf %a, %deq : f32
    %r = arith.addf %p, %out fastmath<reassoc> : f32
    linalg.yield %r : f32
  }
  return
}

// A third of a lane per byte fits no tile: scalar loops.
// CHECK-LABEL: func.func @thirds(
// CHECK-NOT:     vector.
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
// CHECK:         return
func.func @thirds(%x: memref<?x?xf32>, %w: memref<?x?xi8>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#x, #w3, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xf32>, memref<?x?xi8>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: i8, %out: f32):
    %f = arith.sitofp %b : i8 to f32
    %p = arith.mulf %a, %f : f32
    %r = arith.addf %p, %out fastmath<reassoc> : f32
    linalg.yield %r : f32
  }
  return
}

// Elementwise dequantization: 16 lanes, 8 bytes spread; the remainder tile
// stays a scalar generic (a masked step would need masked divided reads).
// CHECK-LABEL: func.func @dequantize(
// CHECK:         memref.alloca() : memref<16xi8>
// CHECK:         scf.for %[[K:.*]] = %{{.*}} step %c16 {
// CHECK:           vector.load %{{.*}} : memref<?x?xi8>, vector<8xi8>
// CHECK:           vector.shuffle {{.*}} [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
// CHECK:           arith.sitofp %{{.*}} : vector<16xi8> to vector<16xf32>
// CHECK:           vector.store %{{.*}}[%{{.*}}, %[[K]]] : memref<?x?xf32>, vector<16xf32>
// CHECK:         scf.for
// CHECK-NOT:       vector.maskedstore
// CHECK:           linalg.generic
func.func @dequantize(%w: memref<?x?xi8>, %s: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#dw, #ds, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %s : memref<?x?xi8>, memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%b: i8, %c: f32, %out: f32):
    %f = arith.sitofp %b : i8 to f32
    %deq = arith.mulf %f, %c : f32
    linalg.yield %deq : f32
  }
  return
}

// Arithmetic on a uniform read alone (a block scale's FP8 conversion, times a
// scalar, plus an offset) on the scalar once per tile, then broadcast.
// CHECK-LABEL: func.func @uniform_scale(
// CHECK:         scf.for
// CHECK:           %[[Q:.*]] = memref.load %{{.*}} : memref<?x?xf8E4M3FN>
// CHECK:           %[[QF:.*]] = arith.extf %[[Q]] : f8E4M3FN to f32
// CHECK:           %[[A:.*]] = arith.addf %[[QF]], %{{.*}} : f32
// CHECK:           vector.broadcast %[[A]] : f32 to vector<16xf32>
#dq = affine_map<(d0, d1) -> (d0, d1 floordiv 64)>
func.func @uniform_scale(%w: memref<?x?xi8>, %q: memref<?x?xf8E4M3FN>, %off: f32, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#id2, #dq, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %q : memref<?x?xi8>, memref<?x?xf8E4M3FN>) outs(%y : memref<?x?xf32>) {
  ^bb0(%b: i8, %c: f8E4M3FN, %out: f32):
    %f = arith.sitofp %b : i8 to f32
    %s = arith.extf %c : f8E4M3FN to f32
    %a = arith.addf %s, %off : f32
    %deq = arith.mulf %f, %a : f32
    linalg.yield %deq : f32
  }
  return
}

// The matmul's computed panel of int4 weights (vibee-cpu-tile-matmul's
// Bp[jb][k][jj] = deq(w[jb * 32 + jj, k floordiv 2], s[.., k floordiv 128])):
// a transposed copy whose reads are also divided along k. Each 16 x 16 tile
// spreads 8 bytes of each of its 16 rows into a 16 x 16 byte buffer and copies
// the 16 rows' scales into a column, then reads both as a transposed tile; the
// shift `4 * (k % 2)` is the tile's own k (a constant vector).
// CHECK-LABEL: func.func @int4_panel(
// CHECK-DAG:     %[[COL:.*]] = memref.alloca() : memref<16xf32>
// CHECK-DAG:     %[[BYTES:.*]] = memref.alloca() : memref<16x16xi8>
// CHECK:         scf.for %[[R:.*]] = %c0 to %c16 step %c1 {
// CHECK:           %[[ROW:.*]] = vector.load %{{.*}} : memref<?x32x?xi8>, vector<8xi8>
// CHECK:           %[[SPREAD:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
// CHECK:           vector.store %[[SPREAD]], %[[BYTES]][%[[R]], %c0] : memref<16x16xi8>, vector<16xi8>
// CHECK:         scf.for %[[R2:.*]] = %c0 to %c16 step %c1 {
// CHECK:           memref.store %{{.*}}, %[[COL]][%[[R2]]] : memref<16xf32>
// CHECK:         vector.transfer_read %[[BYTES]][%c0, %c0], %{{.*}} {in_bounds = [true, true]} : memref<16x16xi8>, vector<16x16xi8>
// CHECK:         vector.load %[[COL]][%c0] : memref<16xf32>, vector<16xf32>
// CHECK:         vector.step : vector<16xindex>
// CHECK:         vector.transfer_write %{{.*}} : vector<16x16xf32>, memref<?x?x32xf32>
#pw = affine_map<(d0, d1, d2) -> (d0, d2, d1 floordiv 2)>
#ps = affine_map<(d0, d1, d2) -> (d0, d2, d1 floordiv 128)>
#po = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @int4_panel(%w: memref<?x32x?xi8>, %s: memref<?x32x?xf32>, %p: memref<?x?x32xf32>) {
  linalg.generic {indexing_maps = [#pw, #ps, #po], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%w, %s : memref<?x32x?xi8>, memref<?x32x?xf32>) outs(%p : memref<?x?x32xf32>) {
  ^bb0(%b: i8, %c: f32, %out: f32):
    %k = linalg.index 1 : index
    %ki = arith.index_cast %k : index to i64
    %two = arith.constant 2 : i64
    %four = arith.constant 4 : i64
    %odd = arith.remsi %ki, %two : i64
    %sh = arith.muli %odd, %four : i64
    %bw = arith.extsi %b : i8 to i64
    %nib = arith.shrsi %bw, %sh : i64
    %m = arith.constant 15 : i64
    %code = arith.andi %nib, %m : i64
    %f = arith.sitofp %code : i64 to f32
    %deq = arith.mulf %f, %c : f32
    linalg.yield %deq : f32
  }
  return
}
