// vibee-split-shared-subexpressions: after form-expressions, a value used twice
// inside an emitc.expression (here t = a * b in t * t + t) gets an expression of
// its own, read by the user as an operand, so the C++ printer computes it once;
// its operand chain (the casts) moves with it. Constants stay shared in place.
// RUN: %vibee-opt %s --form-expressions --vibee-split-shared-subexpressions | FileCheck %s
// RUN: %vibee-opt %s --form-expressions --vibee-split-shared-subexpressions | mlir-translate --mlir-to-cpp | FileCheck %s --check-prefix=CPP

// CHECK-LABEL: func.func @square_plus(
// CHECK:         %[[T:.*]] = emitc.expression %{{.*}}, %{{.*}} : (i32, i32) -> i32 {
// CHECK:           cast
// CHECK:           mul
// CHECK:           yield
// CHECK:         }
// CHECK:         emitc.expression {{.*}}%[[T]] : {{.*}} {
// CHECK-NOT:       cast
// CHECK:           mul %[[T]], %[[T]]
// CHECK:           add
// CHECK:           yield
// CPP-LABEL: int32_t square_plus(
// CPP-NEXT:      int32_t v3 = (int32_t) ((uint32_t) v1) * v2;
// CPP-NEXT:      return v3 * v3 + v3;
func.func @square_plus(%a: i32, %b: i32) -> i32 {
  %ua = emitc.cast %a : i32 to ui32
  %sa = emitc.cast %ua : ui32 to i32
  %t = emitc.mul %sa, %b : (i32, i32) -> i32
  %tt = emitc.mul %t, %t : (i32, i32) -> i32
  %y = emitc.add %tt, %t : (i32, i32) -> i32
  return %y : i32
}

// CHECK-LABEL: func.func @tree(
// CHECK-COUNT-1: emitc.expression
// CHECK-NOT:     emitc.expression
func.func @tree(%a: i32, %b: i32, %c: i32) -> i32 {
  %k = "emitc.constant"() <{value = 3 : i32}> : () -> i32
  %x = emitc.mul %a, %k : (i32, i32) -> i32
  %y = emitc.mul %b, %k : (i32, i32) -> i32
  %z = emitc.add %x, %y : (i32, i32) -> i32
  %w = emitc.sub %z, %c : (i32, i32) -> i32
  return %w : i32
}
