// RUN: %vibee-opt %s --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=256" --canonicalize | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-parallelize --canonicalize | FileCheck %s --check-prefix=PAR

// f32 matmul: the micro-kernel on the full 8x32 tiles, C[0:M8, 0:N32] with
// M8 = M - M % 8, N32 = N - N % 32 (when that is enough work; else the plain
// generic), the edge columns C[0:M8, N32:N] and rows C[M8:M, 0:N] as plain
// generics after it. The micro-kernel exists once, in @mm__chunk0 on the columns
// [lo, hi) of the full tiles (noinline): called from each thread of the forall on
// one N panel of 256, or serially on all of them. Per panel a packed 8x256x32 B
// buffer; K and M blocks of 256; 32-wide x 8-row register tiles whose 8
// accumulator rows are loop-carried vectors across the k loop (8 broadcast-FMAs
// per k), stored once after it.
// CHECK:       llvm.func extern_weak @vibee_cpu_parallel_enter(i64) -> i64
// CHECK-LABEL: func.func @mm(
// CHECK:         %[[M:.*]] = memref.dim %arg0, %c0
// CHECK:         %[[K:.*]] = memref.dim %arg0, %c1
// CHECK:         %[[N:.*]] = memref.dim %arg1, %c1
// CHECK:         %[[MR:.*]] = arith.remui %[[M]], %c8
// CHECK:         %[[M8:.*]] = arith.subi %[[M]], %[[MR]]
// CHECK:         %[[NR:.*]] = arith.remui %[[N]], %c32
// CHECK:         %[[N32:.*]] = arith.subi %[[N]], %[[NR]]
// CHECK:         %[[FAST:.*]] = arith.cmpi sge
// CHECK:         %[[CROWS:.*]] = arith.select %[[FAST]], %[[M8]], %c0
// CHECK:         %[[ME:.*]] = arith.subi %[[M]], %[[M8]]
// CHECK:         %[[RROWS:.*]] = arith.select %[[FAST]], %[[ME]], %c0
// CHECK:         %[[NE:.*]] = arith.subi %[[N]], %[[N32]]
// CHECK:         %[[AE:.*]] = memref.subview %arg0[0, 0] [%[[CROWS]], %[[K]]]
// CHECK:         %[[BE:.*]] = memref.subview %arg1[0, %[[N32]]] [%[[K]], %[[NE]]]
// CHECK:         %[[CE:.*]] = memref.subview %arg2[0, %[[N32]]] [%[[CROWS]], %[[NE]]]
// CHECK:         %[[AR:.*]] = memref.subview %arg0[%[[M8]], 0] [%[[RROWS]], %[[K]]]
// CHECK:         %[[CR:.*]] = memref.subview %arg2[%[[M8]], 0] [%[[RROWS]], %[[N]]]
// CHECK:         scf.if %[[FAST]]
// CHECK-NOT:       memref.subview
// CHECK:           llvm.call @vibee_cpu_parallel_enter
// CHECK:           scf.if
// CHECK:             scf.forall (%[[P:.*]]) in (%{{.*}}) {
// CHECK:               %[[LO:.*]] = arith.muli %[[P]], %c256
// CHECK:               %[[END:.*]] = arith.addi %[[LO]], %c256
// CHECK:               %[[HI:.*]] = arith.minui %[[END]], %[[N32]]
// CHECK-NEXT:          func.call @mm__chunk0(%[[LO]], %[[HI]], %arg0, %arg1, %arg2)
// CHECK-NEXT:        }
// CHECK-NEXT:        llvm.call @vibee_cpu_parallel_exit
// CHECK-NEXT:      } else {
// CHECK-NEXT:        func.call @mm__chunk0(%c0, %[[N32]], %arg0, %arg1, %arg2)
// CHECK-NEXT:      }
// CHECK-NEXT:    } else {
// CHECK-NEXT:      linalg.generic
// The edge strips, at the top level (vibee-cpu-parallelize splits their rows too;
// empty when the plain generic above ran).
// CHECK:         linalg.generic {{.*}} ins(%[[AE]], %[[BE]] : {{.*}}) outs(%[[CE]] :
// CHECK:         linalg.generic {{.*}} ins(%[[AR]], %arg1 : {{.*}}) outs(%[[CR]] :
// CHECK-NOT:     vector.fma
// CHECK:         return
// The chunk function takes the kernel's arguments and recomputes the full-tile
// views from them (their sizes stay visible to LLVM).
// CHECK-LABEL: func.func private @mm__chunk0(
// CHECK-SAME:      %[[LO:.*]]: index, %[[HI:.*]]: index, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<?x?xf32>, %{{.*}}: memref<?x?xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:         %[[ROWS:.*]] = memref.dim %arg2, %c0
// CHECK:         %[[REM:.*]] = arith.remui %[[ROWS]], %c8
// CHECK:         %[[FULL:.*]] = arith.subi %[[ROWS]], %[[REM]]
// CHECK:         %[[COLS:.*]] = arith.subi %[[HI]], %[[LO]]
// CHECK:         scf.for %{{.*}} = %c0 to %[[COLS]] step %c256 {
// CHECK:           %[[PACK:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x256x32xf32>
// CHECK:           scf.for {{.*}} step %c256
// CHECK:             linalg.generic {{.*}} outs(%{{.*}} : memref<?x?x32xf32, strided<[8192, 32, 1]>>)
// CHECK:             scf.for {{.*}} = %c0 to %[[FULL]] step %c256
// CHECK:               scf.for {{.*}} step %c32
// CHECK:                 scf.for {{.*}} step %c8
// CHECK:                   scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:                     vector.load %[[PACK]]{{.*}} : memref<8x256x32xf32>, vector<32xf32>
// CHECK-COUNT-8:             vector.fma
// CHECK:                     scf.yield
// CHECK-COUNT-8:           vector.store
// CHECK:           memref.dealloc %[[PACK]]
// CHECK:         return
func.func @mm(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// Other ops: rows split in nt chunks (nt from the runtime) or the serial copy.
// PAR-LABEL: func.func @scale(
// PAR:         %[[NT:.*]] = scf.if %{{.*}} -> (i64) {
// PAR:           llvm.call @vibee_cpu_parallel_enter
// PAR:         %[[MANY:.*]] = arith.cmpi sgt, %[[NT]], %c1_i64
// Thread t gets rows [t * M / nt, (t + 1) * M / nt); both branches call the one
// copy of the op, @scale__chunk0, on their rows.
// PAR:         scf.if %[[MANY]] {
// PAR:           scf.forall (%{{.*}}) in (%{{.*}}) {
// PAR-NOT:         linalg.generic
// PAR:             func.call @scale__chunk0(%{{.*}}, %{{.*}}, %arg0, %arg1)
// PAR:           llvm.call @vibee_cpu_parallel_exit(%[[NT]])
// PAR:         } else {
// PAR-NEXT:      func.call @scale__chunk0(%c0, %{{.*}}, %arg0, %arg1)
// PAR-NEXT:    }
// PAR-NEXT:    return
// PAR-LABEL: func.func private @scale__chunk0(%arg0: index, %arg1: index, %arg2: memref<?x?xf32>, %arg3: memref<?x?xf32>)
// PAR:         %[[ROWS:.*]] = arith.subi %arg1, %arg0
// PAR:         %[[X:.*]] = memref.subview %arg2[%arg0, 0] [%[[ROWS]], %{{.*}}] [1, 1]
// PAR:         %[[Y:.*]] = memref.subview %arg3[%arg0, 0] [%[[ROWS]], %{{.*}}] [1, 1]
// PAR:         linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[Y]] :
func.func @scale(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  return
}
