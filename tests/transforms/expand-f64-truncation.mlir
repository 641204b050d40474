// RUN: vibee-opt %s --vibee-expand-f64-truncation | FileCheck %s

// f64 -> bf16: to f32 rounded to odd (nearest, one step toward zero when it
// rounded away, the lowest bit set when inexact), then f32 -> bf16.
// CHECK-LABEL: func.func @to_bf16(
// CHECK-SAME: %[[X:.*]]: f64
// CHECK: %[[NEAR:.*]] = arith.truncf %[[X]] : f64 to f32
// CHECK: %[[BACK:.*]] = arith.extf %[[NEAR]] : f32 to f64
// CHECK: %[[INEXACT:.*]] = arith.cmpf one, %[[BACK]], %[[X]] : f64
// CHECK: %[[AWAY:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : f64
// CHECK: %[[BITS:.*]] = arith.bitcast %[[NEAR]] : f32 to i32
// CHECK: %[[DOWN:.*]] = arith.subi %[[BITS]], %{{.*}} : i32
// CHECK: %[[TRUNC:.*]] = arith.select %[[AWAY]], %[[DOWN]], %[[BITS]] : i32
// CHECK: %[[ODD:.*]] = arith.ori %[[TRUNC]], %{{.*}} : i32
// CHECK: %[[PICK:.*]] = arith.select %[[INEXACT]], %[[ODD]], %[[BITS]] : i32
// CHECK: %[[F:.*]] = arith.bitcast %[[PICK]] : i32 to f32
// CHECK: %[[R:.*]] = arith.truncf %[[F]] : f32 to bf16
// CHECK: return %[[R]]
func.func @to_bf16(%x: f64) -> bf16 {
  %r = arith.truncf %x : f64 to bf16
  return %r : bf16
}

// Vectors and f16 alike.
// CHECK-LABEL: func.func @to_f16_vector(
// CHECK: arith.truncf %{{.*}} : vector<4xf64> to vector<4xf32>
// CHECK: arith.bitcast %{{.*}} : vector<4xf32> to vector<4xi32>
// CHECK: arith.truncf %{{.*}} : vector<4xf32> to vector<4xf16>
func.func @to_f16_vector(%x: vector<4xf64>) -> vector<4xf16> {
  %r = arith.truncf %x : vector<4xf64> to vector<4xf16>
  return %r : vector<4xf16>
}

// Other truncations stay.
// CHECK-LABEL: func.func @untouched(
// CHECK-NEXT: arith.truncf %{{.*}} : f64 to f32
// CHECK-NEXT: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT: arith.bitcast
func.func @untouched(%x: f64, %y: f32) -> (f32, bf16) {
  %a = arith.truncf %x : f64 to f32
  %b = arith.truncf %y : f32 to bf16
  return %a, %b : f32, bf16
}
