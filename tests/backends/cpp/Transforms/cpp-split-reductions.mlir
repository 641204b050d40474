// RUN: %vibee-opt %s -vibee-cpp-split-reductions | FileCheck %s
// RUN: %vibee-opt %s -vibee-cpp-split-reductions=lanes=4 | FileCheck %s --check-prefix=LANES4

// A row sum: the first C - C % 16 columns over 16 partial sums in a local
// array (identity -0.0), added into the accumulator, the rest as before.
// CHECK-LABEL: func.func @row_sum(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[S:.*]]: memref<?xf32>, %[[R:.*]]: index, %[[C:.*]]: index)
// CHECK:         %[[LANES:.*]] = memref.alloca() : memref<16xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %[[R]]
// CHECK:           %[[N:.*]] = arith.subi %[[C]], %{{.*}} overflow<nsw> : index
// CHECK:           %[[TAIL:.*]] = arith.remsi %[[N]], %{{.*}} : index
// CHECK:           %[[MAIN:.*]] = arith.subi %[[N]], %[[TAIL]] overflow<nsw> : index
// CHECK:           %[[END:.*]] = arith.addi %{{.*}}, %[[MAIN]] overflow<nsw> : index
// CHECK:           %[[ANY:.*]] = arith.cmpi sgt, %[[MAIN]]
// CHECK:           scf.if %[[ANY]] {
// CHECK:             %[[ID:.*]] = arith.constant -0.000000e+00 : f32
// CHECK:             scf.for %[[L0:.*]] =
// CHECK:               memref.store %[[ID]], %[[LANES]][%[[L0]]]
// CHECK:             scf.for %[[JB:.*]] = %{{.*}} to %[[END]] step %{{.*}} {
// CHECK:               scf.for %[[L:.*]] =
// CHECK:                 %[[J:.*]] = arith.addi %[[JB]], %[[L]] overflow<nsw> : index
// CHECK:                 %[[V:.*]] = memref.load %[[X]][%[[I]], %[[J]]]
// CHECK:                 %[[P:.*]] = memref.load %[[LANES]][%[[L]]]
// CHECK:                 %[[SUM:.*]] = arith.addf %[[V]], %[[P]] : f32
// CHECK:                 memref.store %[[SUM]], %[[LANES]][%[[L]]]
// CHECK:             scf.for %[[L2:.*]] =
// CHECK:               %[[ACC:.*]] = memref.load %[[S]][%[[I]]]
// CHECK:               %[[PART:.*]] = memref.load %[[LANES]][%[[L2]]]
// CHECK:               %[[ADDED:.*]] = arith.addf %[[PART]], %[[ACC]] : f32
// CHECK:               memref.store %[[ADDED]], %[[S]][%[[I]]]
// CHECK:           scf.for %[[JT:.*]] = %[[END]] to %[[C]]
// CHECK:             memref.load %[[X]][%[[I]], %[[JT]]]
// CHECK:             memref.load %[[S]][%[[I]]]
// LANES4-LABEL: func.func @row_sum(
// LANES4:         memref.alloca() : memref<4xf32>
func.func @row_sum(%x: memref<?x?xf32>, %s: memref<?xf32>, %r: index, %c: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %r step %c1 {
    scf.for %j = %c0 to %c step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x?xf32>
      %a = memref.load %s[%i] : memref<?xf32>
      %n = arith.addf %v, %a : f32
      memref.store %n, %s[%i] : memref<?xf32>
    }
  }
  return
}

// Identities: NaN for maxnumf (maxnum ignores it), -inf for maximumf, the
// smallest i32 for maxsi, all ones for andi; the accumulators of one loop get
// one local array each.
// CHECK-LABEL: func.func @identities(
// CHECK-DAG:     memref.alloca() : memref<16xf32>
// CHECK-DAG:     memref.alloca() : memref<16xf32>
// CHECK-DAG:     memref.alloca() : memref<16xi32>
// CHECK-DAG:     memref.alloca() : memref<16xi32>
// CHECK-DAG:     arith.constant 0x7FC00000 : f32
// CHECK-DAG:     arith.constant 0xFF800000 : f32
// CHECK-DAG:     arith.constant -2147483648 : i32
// CHECK-DAG:     arith.constant -1 : i32
// CHECK:         arith.maxnumf
// CHECK:         arith.maximumf
// CHECK:         arith.maxsi
// CHECK:         arith.andi
func.func @identities(%x: memref<?xf32>, %k: memref<?xi32>, %o1: memref<f32>, %o2: memref<f32>,
                      %o3: memref<i32>, %o4: memref<i32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %x[%j] : memref<?xf32>
    %w = memref.load %k[%j] : memref<?xi32>
    %a = memref.load %o1[] : memref<f32>
    %m = arith.maxnumf %a, %v : f32
    memref.store %m, %o1[] : memref<f32>
    %b = memref.load %o2[] : memref<f32>
    %m2 = arith.maximumf %v, %b : f32
    memref.store %m2, %o2[] : memref<f32>
    %c = memref.load %o3[] : memref<i32>
    %m3 = arith.maxsi %c, %w : i32
    memref.store %m3, %o3[] : memref<i32>
    %d = memref.load %o4[] : memref<i32>
    %m4 = arith.andi %d, %w : i32
    memref.store %m4, %o4[] : memref<i32>
  }
  return
}

// Two accumulators in one buffer (at different subscripts) are left alone: the
// pass does not tell subscripts apart.
// CHECK-LABEL: func.func @one_buffer(
// CHECK-NOT:     memref.alloca
// CHECK:         return
func.func @one_buffer(%x: memref<?xf32>, %out: memref<2xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %x[%j] : memref<?xf32>
    %a = memref.load %out[%c0] : memref<2xf32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %out[%c0] : memref<2xf32>
    %b = memref.load %out[%c1] : memref<2xf32>
    %m = arith.maximumf %v, %b : f32
    memref.store %m, %out[%c1] : memref<2xf32>
  }
  return
}

// Left alone: the accumulator's buffer is read again in the loop (its value
// would be a lane's partial sum), the combiner is not associative (subf), the
// loaded value has a second use (an argmax-style select), the loop is not
// innermost, and the subscript changes with the loop.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT:     memref.alloca
// CHECK:         return
func.func @left_alone(%x: memref<?xf32>, %s: memref<4xf32>, %y: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %x[%j] : memref<?xf32>
    %a = memref.load %s[%c0] : memref<4xf32>
    %t = arith.addf %a, %v : f32
    memref.store %t, %s[%c0] : memref<4xf32>
    %again = memref.load %s[%c0] : memref<4xf32>
    memref.store %again, %y[%j] : memref<?xf32>
  }
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %x[%j] : memref<?xf32>
    %a = memref.load %s[%c1] : memref<4xf32>
    %t = arith.subf %a, %v : f32
    memref.store %t, %s[%c1] : memref<4xf32>
  }
  %c2 = arith.constant 2 : index
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %x[%j] : memref<?xf32>
    %a = memref.load %s[%c2] : memref<4xf32>
    %gt = arith.cmpf ogt, %v, %a : f32
    %m = arith.select %gt, %v, %a : f32
    memref.store %m, %s[%c2] : memref<4xf32>
  }
  %c3 = arith.constant 3 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %v = memref.load %x[%j] : memref<?xf32>
      memref.store %v, %y[%j] : memref<?xf32>
    }
    %v = memref.load %x[%i] : memref<?xf32>
    %a = memref.load %s[%c3] : memref<4xf32>
    %t = arith.addf %a, %v : f32
    memref.store %t, %s[%c3] : memref<4xf32>
  }
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %x[%j] : memref<?xf32>
    %a = memref.load %y[%j] : memref<?xf32>
    %t = arith.addf %a, %v : f32
    memref.store %t, %y[%j] : memref<?xf32>
  }
  return
}
