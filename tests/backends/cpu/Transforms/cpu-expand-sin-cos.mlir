// RUN: %vibee-opt %s --vibee-cpu-expand-sin-cos | FileCheck %s

// An f32 vector sin: reduced by pi/2 in f64 (k = roundeven(x * 2/pi), two fmas
// with the two parts of pi/2), both polynomials, the quadrant's choice and sign,
// one truncation to f32, sin(+-0) = x; lanes past 1e6 (or inf, NaN) take the
// original op, only when one of the vector's lanes needs it.
// CHECK-LABEL: func.func @sin16(
// CHECK-SAME:      %[[X:.*]]: vector<16xf32>
// CHECK:         %[[XD:.*]] = arith.extf %[[X]] : vector<16xf32> to vector<16xf64>
// CHECK:         %[[SCALED:.*]] = arith.mulf %[[XD]], %{{.*}} : vector<16xf64>
// CHECK:         %[[K:.*]] = math.roundeven %[[SCALED]] : vector<16xf64>
// CHECK:         %[[NK:.*]] = arith.negf %[[K]]
// CHECK:         %[[R1:.*]] = math.fma %[[NK]], %{{.*}}, %[[XD]] : vector<16xf64>
// CHECK:         %[[R:.*]] = math.fma %[[NK]], %{{.*}}, %[[R1]] : vector<16xf64>
// CHECK:         %[[Q:.*]] = arith.fptosi %[[K]] : vector<16xf64> to vector<16xi32>
// CHECK:         %[[Y:.*]] = arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK:         %[[ZERO:.*]] = arith.cmpf oeq, %[[X]], %{{.*}} : vector<16xf32>
// CHECK:         %[[SIN:.*]] = arith.select %[[ZERO]], %[[X]], %[[Y]]
// CHECK:         %[[ABS:.*]] = math.absf %[[XD]] : vector<16xf64>
// CHECK:         %[[NEAR:.*]] = arith.cmpf ole, %[[ABS]], %{{.*}} : vector<16xf64>
// CHECK:         %[[FAR:.*]] = arith.xori %[[NEAR]], %{{.*}} : vector<16xi1>
// CHECK:         %[[ANY:.*]] = vector.reduction <or>, %[[FAR]] : vector<16xi1> into i1
// CHECK:         %[[OUT:.*]] = scf.if %[[ANY]] -> (vector<16xf32>) {
// CHECK:           %[[LIBM:.*]] = math.sin %[[X]] : vector<16xf32>
// CHECK:           %[[MIX:.*]] = arith.select %[[FAR]], %[[LIBM]], %[[SIN]]
// CHECK:           scf.yield %[[MIX]]
// CHECK:         } else {
// CHECK:           scf.yield %[[SIN]]
// CHECK:         return %[[OUT]]
func.func @sin16(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.sin %x : vector<16xf32>
  return %y : vector<16xf32>
}

// cos: the same reduction, quadrant q + 1 for the sign, no zero case.
// CHECK-LABEL: func.func @cos8(
// CHECK:         math.roundeven %{{.*}} : vector<8xf64>
// CHECK:         arith.addi %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK-NOT:     arith.cmpf oeq
// CHECK:         scf.if
// CHECK:           math.cos %{{.*}} : vector<8xf32>
func.func @cos8(%x: vector<8xf32>) -> vector<8xf32> {
  %y = math.cos %x : vector<8xf32>
  return %y : vector<8xf32>
}

// Scalars, f64 vectors and other functions stay.
// CHECK-LABEL: func.func @unchanged(
// CHECK-NEXT:    math.sin %{{.*}} : f32
// CHECK-NEXT:    math.cos %{{.*}} : vector<4xf64>
// CHECK-NEXT:    math.exp %{{.*}} : vector<16xf32>
// CHECK-NEXT:    return
func.func @unchanged(%a: f32, %b: vector<4xf64>, %c: vector<16xf32>) -> (f32, vector<4xf64>, vector<16xf32>) {
  %x = math.sin %a : f32
  %y = math.cos %b : vector<4xf64>
  %z = math.exp %c : vector<16xf32>
  return %x, %y, %z : f32, vector<4xf64>, vector<16xf32>
}
