// vibee-expand-lookups: a table lookup becomes a tree of selects on the position's
// bits (level b picks between neighbours by bit b), tested in the narrowest
// integer that holds the positions; vectors take splat constants. The padding of
// a table to a power of two repeats its last element, never selected.
// RUN: %vibee-opt %s -vibee-expand-lookups | FileCheck %s

// Four entries from an i64 position: bits tested in i8, 3 selects.
// CHECK-LABEL: func.func @four(
// CHECK-SAME:    %[[P:.*]]: i64
// CHECK-NOT:     vibee.lookup
// CHECK-DAG:     %[[A:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:     %[[B:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG:     %[[C:.*]] = arith.constant 3.000000e+00 : f32
// CHECK-DAG:     %[[D:.*]] = arith.constant 4.000000e+00 : f32
// CHECK:         %[[N:.*]] = arith.trunci %[[P]] : i64 to i8
// CHECK:         %[[B0:.*]] = arith.andi %[[N]], %{{.*}} : i8
// CHECK:         %[[S0:.*]] = arith.trunci %[[B0]] : i8 to i1
// CHECK:         %[[L0:.*]] = arith.select %[[S0]], %[[B]], %[[A]] : f32
// CHECK:         %[[L1:.*]] = arith.select %[[S0]], %[[D]], %[[C]] : f32
// CHECK:         %[[SH:.*]] = arith.shrui %[[N]], %{{.*}} : i8
// CHECK:         %[[B1:.*]] = arith.andi %[[SH]], %{{.*}} : i8
// CHECK:         %[[S1:.*]] = arith.trunci %[[B1]] : i8 to i1
// CHECK:         %[[R:.*]] = arith.select %[[S1]], %[[L1]], %[[L0]] : f32
// CHECK:         return %[[R]]
func.func @four(%p: i64) -> f32 {
  %v = vibee.lookup %p in dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> : i64 -> f32
  return %v : f32
}

// Three entries: padded to four with the last one; an i8 position stays i8.
// CHECK-LABEL: func.func @three(
// CHECK-NOT:     arith.trunci %{{.*}} : i8 to i8
// CHECK:         %[[L1:.*]] = arith.select %{{.*}}, %[[LAST:.*]], %[[LAST]] : i32
// CHECK:         arith.select %{{.*}}, %[[L1]], %{{.*}} : i32
func.func @three(%p: i8) -> i32 {
  %v = vibee.lookup %p in dense<[7, -1, 5]> : tensor<3xi32> : i8 -> i32
  return %v : i32
}

// A vector of positions: splat constants, bits tested on vector<8xi8>.
// CHECK-LABEL: func.func @lanes(
// CHECK:         %[[N:.*]] = arith.trunci %{{.*}} : vector<8xi64> to vector<8xi8>
// CHECK:         arith.trunci %{{.*}} : vector<8xi8> to vector<8xi1>
// CHECK:         arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<8xi1>, vector<8xf32>
// CHECK:         arith.shrui %[[N]], %{{.*}} : vector<8xi8>
func.func @lanes(%p: vector<8xi64>) -> vector<8xf32> {
  %v = vibee.lookup %p in dense<[0.5, 1.5, 2.5, 3.5]> : tensor<4xf32> : vector<8xi64> -> vector<8xf32>
  return %v : vector<8xf32>
}

// One entry: the entry itself.
// CHECK-LABEL: func.func @one(
// CHECK:         %[[E:.*]] = arith.constant -2.500000e+00 : f32
// CHECK:         return %[[E]]
func.func @one(%p: i64) -> f32 {
  %v = vibee.lookup %p in dense<[-2.5]> : tensor<1xf32> : i64 -> f32
  return %v : f32
}
