// RUN: %vibee-opt %s -split-input-file --vibee-cpu-parallelize --canonicalize | FileCheck %s

// A top-level op whose first loop is parallel: its rows split over nt threads (nt
// from the runtime), or the serial call when the runtime grants one thread.
// CHECK-LABEL: func.func @square(
// CHECK:         %[[NT:.*]] = scf.if %{{.*}} -> (i64) {
// CHECK:           llvm.call @vibee_cpu_parallel_enter
// CHECK:         %[[MANY:.*]] = arith.cmpi sgt, %[[NT]], %c1_i64
// Thread t gets rows [t * M / nt, (t + 1) * M / nt); both branches call the one
// copy of the op, @square__chunk0, on their rows.
// CHECK:         scf.if %[[MANY]] {
// CHECK:           scf.forall (%{{.*}}) in (%{{.*}}) {
// CHECK-NOT:         linalg.generic
// CHECK:             func.call @square__chunk0(%{{.*}}, %{{.*}}, %arg0, %arg1)
// CHECK:           llvm.call @vibee_cpu_parallel_exit(%[[NT]])
// CHECK:         } else {
// CHECK-NEXT:      func.call @square__chunk0(%c0, %{{.*}}, %arg0, %arg1)
// CHECK-NEXT:    }
// CHECK-NEXT:    return
// CHECK-LABEL: func.func private @square__chunk0(%arg0: index, %arg1: index, %arg2: memref<?x?xf32>, %arg3: memref<?x?xf32>)
// CHECK:         %[[ROWS:.*]] = arith.subi %arg1, %arg0
// CHECK:         %[[X:.*]] = memref.subview %arg2[%arg0, 0] [%[[ROWS]], %{{.*}}] [1, 1]
// CHECK:         %[[Y:.*]] = memref.subview %arg3[%arg0, 0] [%[[ROWS]], %{{.*}}] [1, 1]
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[Y]] :
func.func @square(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The threaded op is emitted once: in a chunk function on rows [lo, hi) of its
// split loop, called by each thread of the forall and by the serial branch. The
// caller keeps no copy of the op. Kernel arguments (distinct buffers, docs/abi.md)
// stay llvm.noalias in the chunk function; the function is internal and noinline.
// CHECK-LABEL: func.func @scale(
// CHECK-NOT:     linalg.generic
// CHECK:         scf.forall
// CHECK:           func.call @scale__chunk0(%{{.*}}, %{{.*}}, %arg0, %arg1, %arg2)
// CHECK:         } else {
// CHECK-NEXT:      func.call @scale__chunk0(%c0, %{{.*}}, %arg0, %arg1, %arg2)
// CHECK-NOT:     linalg.generic
// CHECK:         return
// CHECK-LABEL: func.func private @scale__chunk0(
// CHECK-SAME:      %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?x?xf32> {llvm.noalias}, %{{.*}}: memref<?x?xf32> {llvm.noalias}, %{{.*}}: f32)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     func.func
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @scale(%x: memref<?x?xf32>, %y: memref<?x?xf32>, %a: f32) attributes {vibee.kernel} {
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %a : f32
    %t = arith.mulf %m, %two : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// What the body needs from the caller is recomputed in the chunk function where
// that is free of effects (the constant, the view and its dims): only the buffer
// is passed. linalg.index of the split loop counts from the chunk's first row.
// CHECK-LABEL: func.func @iota(
// CHECK:         func.call @iota__chunk0(%{{.*}}, %{{.*}}, %arg0) :
// CHECK:         func.call @iota__chunk0(%c0, %{{.*}}, %arg0) :
// CHECK-LABEL: func.func private @iota__chunk0(
// CHECK-SAME:      %[[LO:[^:]*]]: index, %{{.*}}: index, %[[X:[^:]*]]: memref<?x?xf32> {llvm.noalias})
// CHECK-DAG:     %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:         %[[V:.*]] = memref.subview %[[X]][0, 0]
// CHECK:         %[[VROWS:.*]] = memref.subview %[[V]][%[[LO]], 0]
// CHECK:         %[[XROWS:.*]] = memref.subview %[[X]][%[[LO]], 0]
// CHECK:         linalg.generic {{.*}} ins(%[[VROWS]] : {{.*}}) outs(%[[XROWS]] :
// CHECK:           %[[I:.*]] = linalg.index 0
// CHECK:           %[[ROW:.*]] = affine.apply #{{.*}}()[%[[I]], %[[LO]]]
// CHECK:           arith.index_cast %[[ROW]]
// CHECK:           arith.mulf %{{.*}}, %[[HALF]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @iota(%x: memref<?x?xf32>) attributes {vibee.kernel} {
  %half = arith.constant 0.5 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = memref.dim %x, %c0 : memref<?x?xf32>
  %c = memref.dim %x, %c1 : memref<?x?xf32>
  %v = memref.subview %x[0, 0] [%r, %c] [1, 1] : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v : memref<?x?xf32, strided<[?, 1]>>) outs(%x : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i64
    %f = arith.sitofp %ii : i64 to f32
    %m = arith.mulf %f, %half : f32
    %s = arith.addf %m, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Arguments of a function that is no kernel may alias: no llvm.noalias.
// CHECK-LABEL: func.func private @helper__chunk0(
// CHECK-SAME:      %{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>)
// CHECK-SAME:      attributes
#id1 = affine_map<(d0) -> (d0)>
func.func @helper(%x: memref<?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  return
}
