// RUN: vibee-opt %s --vibee-expand-f8-conversions | FileCheck %s

// f32 -> f8E4M3FN: nearest even on the bits (20 dropped), rebiased by 120 << 3;
// below 2^-6 the count of 2^-9 steps rounded by an f32 addition of 2^23; the code
// clamped at 0x7F (NaN: e4m3 has no infinity), NaN kept; no truncf is left.
// CHECK-LABEL: func.func @to_e4m3(
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui %{{.*}}, %c20_i32 : i32
// CHECK: arith.subi %{{.*}}, %c960_i32 : i32
// CHECK: arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %cst{{.*}} : f32
// CHECK: arith.cmpi ult, %{{.*}}, %c1015021568_i32 : i32
// CHECK: arith.minui %{{.*}}, %c127_i32 : i32
// CHECK: arith.cmpi ugt, %{{.*}}, %c2139095040_i32 : i32
// CHECK: %[[BYTE:.*]] = arith.trunci %{{.*}} : i32 to i8
// CHECK: %[[R:.*]] = arith.bitcast %[[BYTE]] : i8 to f8E4M3FN
// CHECK-NOT: arith.truncf
// CHECK: return %[[R]]
func.func @to_e4m3(%x: f32) -> f8E4M3FN {
  %r = arith.truncf %x : f32 to f8E4M3FN
  return %r : f8E4M3FN
}

// f8E5M2 -> f32 on vectors: the exponent all ones is inf/NaN (0x7F800000 with the
// mantissa bits); an f16 source of a truncation is extended first (exactly).
// CHECK-LABEL: func.func @e5m2_vector(
// CHECK: arith.bitcast %{{.*}} : vector<8xf8E5M2> to vector<8xi8>
// CHECK: arith.extui %{{.*}} : vector<8xi8> to vector<8xi32>
// CHECK: arith.uitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: arith.cmpi eq, %{{.*}}, %cst{{.*}} : vector<8xi32>
// CHECK: arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// CHECK: arith.minui %{{.*}}, %cst{{.*}} : vector<8xi32>
// CHECK: arith.bitcast %{{.*}} : vector<8xi8> to vector<8xf8E5M2>
// CHECK-NOT: arith.extf %{{.*}} : vector<8xf8E5M2>
func.func @e5m2_vector(%q: vector<8xf8E5M2>, %h: vector<8xf16>) -> (vector<8xf32>, vector<8xf8E5M2>) {
  %f = arith.extf %q : vector<8xf8E5M2> to vector<8xf32>
  %t = arith.truncf %h : vector<8xf16> to vector<8xf8E5M2>
  return %f, %t : vector<8xf32>, vector<8xf8E5M2>
}

// Constants become their bits (the folder would otherwise make them FP8 again).
// CHECK-LABEL: func.func @constant(
// CHECK: %[[C:.*]] = arith.constant 126 : i8
// CHECK: arith.bitcast %[[C]] : i8 to f8E4M3FN
func.func @constant() -> f8E4M3FN {
  %c = arith.constant 448.0 : f8E4M3FN
  return %c : f8E4M3FN
}

// f64 sources are left to vibee-expand-f64-truncation (run before this pass).
// CHECK-LABEL: func.func @from_f64(
// CHECK: arith.truncf %{{.*}} : f64 to f8E4M3FN
func.func @from_f64(%x: f64) -> f8E4M3FN {
  %r = arith.truncf %x : f64 to f8E4M3FN
  return %r : f8E4M3FN
}
