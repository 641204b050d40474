// vibee-cpu-lookup-permutes: a vector lookup into a table of at most 16 32-bit
// elements, per 8 lanes, as vpermps of the first 8 (the last element repeated
// past the end) and, past 8 entries, of the next 8 and a select on bit 3.
// RUN: %vibee-opt %s --vibee-cpu-lookup-permutes | FileCheck %s

// NF4's 16 entries over 16 lanes: two halves of 8 positions, two permutes each.
// CHECK-LABEL: func.func @nf4_lanes(
// CHECK-SAME:      %[[P:.*]]: vector<16xi64>
// CHECK-NOT:     vibee.lookup
// CHECK-DAG:     %[[LOW:.*]] = arith.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00]> : vector<8xf32>
// CHECK-DAG:     %[[HIGH:.*]] = arith.constant dense<[8.000000e+00, 9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01, 1.400000e+01, 1.500000e+01]> : vector<8xf32>
// CHECK-DAG:     %[[EIGHT:.*]] = arith.constant dense<8> : vector<8xi32>
// CHECK:         %[[P32:.*]] = arith.trunci %[[P]] : vector<16xi64> to vector<16xi32>
// CHECK:         %[[I0:.*]] = vector.extract_strided_slice %[[P32]] {offsets = [0], sizes = [8], strides = [1]}
// CHECK:         %[[A0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.permps"(%[[LOW]], %[[I0]])
// CHECK:         %[[B0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.permps"(%[[HIGH]], %[[I0]])
// CHECK:         %[[M0:.*]] = arith.andi %[[I0]], %[[EIGHT]] : vector<8xi32>
// CHECK:         %[[H0:.*]] = arith.cmpi ne, %[[M0]], %{{.*}} : vector<8xi32>
// CHECK:         %[[S0:.*]] = arith.select %[[H0]], %[[B0]], %[[A0]] : vector<8xi1>, vector<8xf32>
// CHECK:         %[[R0:.*]] = vector.insert_strided_slice %[[S0]], %{{.*}} {offsets = [0], strides = [1]}
// CHECK:         vector.extract_strided_slice %[[P32]] {offsets = [8], sizes = [8], strides = [1]}
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.permps"
// CHECK:         %[[R1:.*]] = vector.insert_strided_slice %{{.*}}, %[[R0]] {offsets = [8], strides = [1]}
// CHECK:         return %[[R1]]
func.func @nf4_lanes(%p: vector<16xi64>) -> vector<16xf32> {
  %v = vibee.lookup %p in dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]> : tensor<16xf32> : vector<16xi64> -> vector<16xf32>
  return %v : vector<16xf32>
}

// Five i32 entries, 8 lanes of i8 positions: one permute of the table padded with
// its last element, on the float bits, widened positions, a bitcast back.
// CHECK-LABEL: func.func @small_ints(
// CHECK:         %[[T:.*]] = arith.constant dense<[{{.*}}]> : vector<8xf32>
// CHECK:         %[[P:.*]] = arith.extui %{{.*}} : vector<8xi8> to vector<8xi32>
// CHECK:         %[[V:.*]] = llvm.call_intrinsic "llvm.x86.avx2.permps"(%[[T]], %[[P]])
// CHECK-NOT:     llvm.call_intrinsic
// CHECK:         arith.bitcast %[[V]] : vector<8xf32> to vector<8xi32>
func.func @small_ints(%p: vector<8xi8>) -> vector<8xi32> {
  %v = vibee.lookup %p in dense<[3, -1, 4, 1, 5]> : tensor<5xi32> : vector<8xi8> -> vector<8xi32>
  return %v : vector<8xi32>
}

// Left for vibee-expand-lookups: scalars, 4 lanes, 17 entries, f64 tables.
// CHECK-LABEL: func.func @left(
// CHECK-COUNT-4: vibee.lookup
// CHECK-NOT:     llvm.call_intrinsic
func.func @left(%s: i64, %q: vector<4xi64>, %p: vector<8xi64>) -> (f32, vector<4xf32>, vector<8xf32>, vector<8xf64>) {
  %a = vibee.lookup %s in dense<[1.0, 2.0]> : tensor<2xf32> : i64 -> f32
  %b = vibee.lookup %q in dense<[1.0, 2.0]> : tensor<2xf32> : vector<4xi64> -> vector<4xf32>
  %c = vibee.lookup %p in dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]> : tensor<17xf32> : vector<8xi64> -> vector<8xf32>
  %d = vibee.lookup %p in dense<[1.0, 2.0]> : tensor<2xf64> : vector<8xi64> -> vector<8xf64>
  return %a, %b, %c, %d : f32, vector<4xf32>, vector<8xf32>, vector<8xf64>
}

// A 2-D tile (a computed panel's transposed copy) as one row of 16 lanes.
// CHECK-LABEL: func.func @tile(
// CHECK:         %[[ROW:.*]] = vector.shape_cast %{{.*}} : vector<2x8xi64> to vector<16xi64>
// CHECK:         arith.trunci %[[ROW]] : vector<16xi64> to vector<16xi32>
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.permps"
// CHECK:         %[[R:.*]] = vector.shape_cast %{{.*}} : vector<16xf32> to vector<2x8xf32>
// CHECK:         return %[[R]]
func.func @tile(%p: vector<2x8xi64>) -> vector<2x8xf32> {
  %v = vibee.lookup %p in dense<[1.0, 2.0, 3.0]> : tensor<3xf32> : vector<2x8xi64> -> vector<2x8xf32>
  return %v : vector<2x8xf32>
}
