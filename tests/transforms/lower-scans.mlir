// RUN: %vibee-opt %s -vibee-lower-scans | FileCheck %s
// RUN: %vibee-opt %s -vibee-lower-scans=parallel=false | FileCheck %s --check-prefix=SERIAL
// RUN: %vibee-opt %s "-vibee-lower-scans=parallel=false acc-in-tensor=true" | FileCheck %s --check-prefix=CELL
// RUN: %vibee-opt %s -vibee-lower-scans=chunked=true | FileCheck %s --check-prefix=CHUNK
// RUN: %vibee-opt %s "-vibee-lower-scans=chunked=true warp-rows=true" | FileCheck %s --check-prefix=WARP

// A cumsum along dim 1: one scf.forall iteration per row, each row an scf.for that
// carries the running sum (from the identity 0) and inserts every step.
// CHECK-LABEL: func.func @cumsum
// CHECK:         scf.forall (%[[R:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:           %[[ROW:.*]] = tensor.extract_slice %[[OUT]][%[[R]], %{{.*}}] [1, %{{.*}}] [1, 1] : tensor<?x?xf32> to tensor<?xf32>
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]], %[[W:.*]] = %[[ROW]])
// CHECK:             %[[X:.*]] = tensor.extract %{{.*}}[%[[R]], %[[T]]]
// CHECK:             %[[S:.*]] = arith.addf %[[ACC]], %[[X]]
// CHECK:             %[[I:.*]] = tensor.insert %[[S]] into %[[W]][%[[T]]]
// CHECK:             scf.yield %[[S]], %[[I]]
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice
// Serial rows (the CPU) along the last dimension: 16-lane vectors, each scanned in
// four shifted adds (lanes shifted in from the identity) and added to the running
// sum broadcast, which the last lane carries on; then the row's tail in order.
// The part of a row in whole vectors is computed before the row loop (where
// vibee-cpu-parallelize reads a row's work).
// SERIAL-LABEL: func.func @cumsum
// SERIAL-NOT:     scf.forall
// SERIAL:         %[[LEN:.*]] = tensor.dim %{{.*}}, %c1
// SERIAL:         %[[REM:.*]] = arith.remui %[[LEN]], %c16
// SERIAL:         %[[WHOLE:.*]] = arith.subi %[[LEN]], %[[REM]]
// SERIAL:         scf.for %[[R:.*]] = {{.*}} iter_args(%[[D:.*]] = %{{.*}})
// SERIAL:           %[[ZEROS:.*]] = vector.broadcast %{{.*}} : f32 to vector<16xf32>
// SERIAL:           %[[BLOCKS:.*]]:2 = scf.for %[[T:.*]] = %{{.*}} to %[[WHOLE]] step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}, %[[W:.*]] = %[[D]])
// SERIAL:             %[[V:.*]] = vector.transfer_read %{{.*}}[%[[R]], %[[T]]]
// SERIAL:             %[[S1:.*]] = vector.shuffle %[[V]], %[[ZEROS]] [16, 0, 1, 2,
// SERIAL:             arith.addf %[[S1]], %[[V]] : vector<16xf32>
// SERIAL-COUNT-3:     vector.shuffle
// SERIAL:             %[[B:.*]] = vector.broadcast %[[ACC]] : f32 to vector<16xf32>
// SERIAL:             %[[OUT:.*]] = arith.addf %[[B]], %{{.*}} : vector<16xf32>
// SERIAL:             vector.transfer_write %[[OUT]], %[[W]][%[[R]], %[[T]]]
// SERIAL:             %[[LAST:.*]] = vector.extract %{{.*}}[15]
// SERIAL:             arith.addf %[[ACC]], %[[LAST]] : f32
// SERIAL:           scf.for %{{.*}} iter_args(%{{.*}} = %[[BLOCKS]]#0, %[[TW:.*]] = %[[BLOCKS]]#1)
// SERIAL:             tensor.insert %{{.*}} into %[[TW]][%[[R]], %{{.*}}]
// CELL-LABEL: func.func @cumsum
// CELL:         scf.for
// CELL:           tensor.insert %{{.*}} into %{{.*}}[%{{.*}}] : tensor<1xf32>
// CELL:           scf.for {{.*}} iter_args(%[[A:.*]] = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1xf32>, tensor<?x?xf32>)
// CELL:             tensor.extract %[[A]][%{{.*}}] : tensor<1xf32>
func.func @cumsum(%x: tensor<?x?xf32>, %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = vibee.scan sum dimension(1) ins(%x : tensor<?x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return %y : tensor<?x?xf32>
}

// Exclusive: each step stores the running value from before it; a bf16 result is
// rounded from the f32 running value once per element.
// CHECK-LABEL: func.func @exclusive_max
// CHECK:         arith.constant 0xFF800000 : f32
// CHECK:         scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}, %[[W:.*]] = %{{.*}})
// CHECK:           arith.maximumf %[[ACC]]
// CHECK:           %[[B:.*]] = arith.truncf %[[ACC]] : f32 to bf16
// CHECK:           tensor.insert %[[B]] into %[[W]]
func.func @exclusive_max(%x: tensor<4x?xf32>, %d: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  %y = vibee.scan max dimension(1) exclusive ins(%x : tensor<4x?xf32>) outs(%d : tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  ^bb0(%acc: f32, %v: f32):
    %m = arith.maximumf %acc, %v : f32
    vibee.yield %m : f32
  }
  return %y : tensor<4x?xbf16>
}

// A linear recurrence along dim 0 starts from its init element; a 1-D scan is the
// one row of a [1, N] view of its destination.
// CHECK-LABEL: func.func @linear
// CHECK:         scf.forall (%[[C:.*]]) in
// CHECK:           %[[H0:.*]] = tensor.extract %{{.*}}[%{{.*}}, %[[C]]] : tensor<1x?xf32>
// CHECK:           scf.for {{.*}} iter_args(%[[H:.*]] = %[[H0]],
// CHECK:             %[[M:.*]] = arith.mulf %{{.*}}, %[[H]]
// CHECK:             arith.addf %[[M]]
// CHECK-LABEL: func.func @one_row
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, %{{.*}}] : tensor<?xi32> into tensor<1x?xi32>
// CHECK:         %[[ONE:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK:         scf.forall (%{{.*}}) in (%[[ONE]])
// CHECK:           arith.muli
// CHECK:         tensor.collapse_shape
func.func @linear(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %h0: tensor<1x?xf32>,
                  %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %h = vibee.scan linear dimension(0) ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) init(%h0 : tensor<1x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %x: f32, %y: f32):
    %m = arith.mulf %x, %acc : f32
    %s = arith.addf %m, %y : f32
    vibee.yield %s : f32
  }
  return %h : tensor<?x?xf32>
}
func.func @one_row(%x: tensor<?xi32>, %d: tensor<?xi32>) -> tensor<?xi32> {
  %y = vibee.scan prod dimension(0) ins(%x : tensor<?xi32>) outs(%d : tensor<?xi32>) -> tensor<?xi32> {
  ^bb0(%acc: i32, %v: i32):
    %p = arith.muli %acc, %v : i32
    vibee.yield %p : i32
  }
  return %y : tensor<?xi32>
}

// Chunked (the GPU): with fewer than 32768 rows and rows longer than 64 steps,
// chunks of max(16, ceil(length / 1024)) steps; otherwise each row is one chunk
// (one thread per row, phase 1 takes no step). Phase 1 writes each chunk's total
// into its cell of a [rows, chunks] tensor; phase 2 scans the totals (exclusive,
// the same combiner, one thread per row); phase 3 runs each chunk's steps from its
// carry into its part of the row.
// CHUNK-LABEL: func.func @cumsum
// CHUNK:         %[[L:.*]] = tensor.dim %arg0, %c1
// CHUNK:         %[[FEW:.*]] = arith.cmpi ult, %{{.*}}, %c32768
// CHUNK:         %[[LONG:.*]] = arith.cmpi ugt, %[[L]], %c64
// CHUNK:         %[[SPLIT:.*]] = arith.andi %[[FEW]], %[[LONG]]
// CHUNK:         %[[Q:.*]] = arith.ceildivui %[[L]], %c1024
// CHUNK:         %[[CHUNK:.*]] = arith.maxui %c16, %[[Q]]
// CHUNK:         %[[WHOLE:.*]] = arith.maxui %[[L]], %c1
// CHUNK:         %[[SIZE:.*]] = arith.select %[[SPLIT]], %[[CHUNK]], %[[WHOLE]]
// CHUNK:         %[[COUNT:.*]] = arith.ceildivui %[[L]], %[[SIZE]]
// CHUNK:         %[[TOTALS:.*]] = scf.forall (%[[R:.*]], %[[C:.*]]) in (%{{.*}}, %[[COUNT]])
// CHUNK:           %[[BEGIN:.*]] = arith.muli %[[C]], %[[SIZE]]
// CHUNK:           %[[LEFT:.*]] = arith.subi %[[L]], %[[BEGIN]]
// CHUNK:           %[[N:.*]] = arith.minui %[[SIZE]], %[[LEFT]]
// CHUNK:           %[[STEPS:.*]] = arith.select %[[SPLIT]], %[[N]], %c0
// CHUNK:           %[[T:.*]] = scf.for %{{.*}} = %{{.*}} to %[[STEPS]] {{.*}} -> (f32)
// CHUNK:             arith.addf
// CHUNK:           %[[TOTAL1:.*]] = tensor.extract_slice %{{.*}}[%[[R]], %[[C]]] [1, 1] [1, 1] : tensor<?x?xf32> to tensor<1xf32>
// CHUNK:           tensor.insert %[[T]] into %[[TOTAL1]]
// CHUNK:         %[[CARRIES:.*]] = scf.forall (%{{.*}}) in
// CHUNK:           scf.for {{.*}} iter_args(%[[ACC2:.*]] = %{{.*}}, %[[W:.*]] = %{{.*}})
// CHUNK:             tensor.extract %[[TOTALS]]
// CHUNK:             tensor.insert %[[ACC2]] into %[[W]]
// CHUNK:         scf.forall (%[[R3:.*]], %[[C3:.*]]) in (%{{.*}}, %[[COUNT]]) shared_outs(%[[OUT:.*]] = %arg1)
// CHUNK:           %[[B3:.*]] = arith.muli %[[C3]], %[[SIZE]]
// CHUNK:           %[[START:.*]] = tensor.extract %[[CARRIES]][%[[R3]], %[[C3]]]
// CHUNK:           tensor.extract_slice %[[OUT]][%[[R3]], %[[B3]]] [1, %{{.*}}] [1, 1]
// CHUNK:           scf.for %[[S:.*]] = {{.*}} iter_args(%{{.*}} = %[[START]],
// CHUNK:             %[[AT:.*]] = arith.addi %[[B3]], %[[S]]
// CHUNK:             tensor.extract %arg0[%[[R3]], %[[AT]]]
// CHUNK:           tensor.parallel_insert_slice

// A linear recurrence: a chunk's total is the pair (product of a, steps from h = 0),
// and the carries start from the init.
// CHUNK-LABEL: func.func @linear
// CHUNK:         scf.forall
// CHUNK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHUNK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHUNK:           scf.for {{.*}} iter_args(%[[A:.*]] = %[[ONE]], %[[H:.*]] = %[[ZERO]]) -> (f32, f32)
// CHUNK:             %[[X:.*]] = tensor.extract %arg0
// CHUNK:             %[[Y:.*]] = tensor.extract %arg1
// CHUNK:             arith.mulf %[[X]], %[[A]]
// CHUNK:             %[[M:.*]] = arith.mulf %[[X]], %[[H]]
// CHUNK:             arith.addf %[[M]], %[[Y]]
// CHUNK:         scf.forall
// CHUNK:           tensor.extract %arg2
// CHUNK:         scf.forall

// A row known to fit one chunk keeps one thread per row.
// CHUNK-LABEL: func.func @short_rows
// CHUNK-COUNT-1: scf.forall (
// CHUNK-NOT:     scf.forall (
// CHUNK:         return
func.func @short_rows(%x: tensor<?x64xf32>, %d: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = vibee.scan sum dimension(1) ins(%x : tensor<?x64xf32>) outs(%d : tensor<?x64xf32>) -> tensor<?x64xf32> {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return %y : tensor<?x64xf32>
}

// With warp-rows (the GPU), a sum, prod, max or min of 32-bit values along the
// last dimension stays a vibee.scan for vibee-gpu-scan-kernels; a scan along
// another dimension, a linear recurrence and 64-bit values take the loops.
// WARP-LABEL: func.func @cumsum
// WARP:         %[[Y:.*]] = vibee.scan sum dimension(1) ins
// WARP:         return %[[Y]]
// WARP-LABEL: func.func @exclusive_max
// WARP:         vibee.scan max dimension(1) exclusive
// WARP-LABEL: func.func @linear
// WARP-NOT:     vibee.scan
// WARP:         scf.forall
// WARP-LABEL: func.func @one_row
// WARP:         vibee.scan prod dimension(0)
// WARP-LABEL: func.func @short_rows
// WARP:         vibee.scan sum dimension(1)
// WARP-LABEL: func.func @along_rows
// WARP-NOT:     vibee.scan
// WARP:         scf.forall
// WARP-LABEL: func.func @wide
// WARP-NOT:     vibee.scan
// WARP:         scf.forall
func.func @along_rows(%x: tensor<?x?xf32>, %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = vibee.scan sum dimension(0) ins(%x : tensor<?x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return %y : tensor<?x?xf32>
}

func.func @wide(%x: tensor<?x?xf64>, %d: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %y = vibee.scan sum dimension(1) ins(%x : tensor<?x?xf64>) outs(%d : tensor<?x?xf64>) -> tensor<?x?xf64> {
  ^bb0(%acc: f64, %v: f64):
    %s = arith.addf %acc, %v : f64
    vibee.yield %s : f64
  }
  return %y : tensor<?x?xf64>
}
