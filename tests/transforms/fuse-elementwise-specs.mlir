// Golden fused IR of the spec kernels: the linalg optimization stage (decompose,
// fuse, canonicalize, cse) on the output of vibee-to-linalg.
// RUN: %vibeec compile %specs/optim/lion.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-decompose-aggregates --vibee-fuse-elementwise --canonicalize --cse | FileCheck %s --check-prefix=LION
// RUN: %vibeec compile %specs/optim/adamw.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-decompose-aggregates --vibee-fuse-elementwise --canonicalize --cse | FileCheck %s --check-prefix=ADAMW
// RUN: %vibeec compile %specs/nn/softmax.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-decompose-aggregates --vibee-fuse-elementwise --canonicalize --cse | FileCheck %s --check-prefix=SOFTMAX
// RUN: %vibeec compile %specs/nn/rmsnorm.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-decompose-aggregates --vibee-fuse-elementwise --canonicalize --cse | FileCheck %s --check-prefix=RMSNORM
// Without sibling fusion Lion keeps two loop nests.
// RUN: %vibeec compile %specs/optim/lion.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-fuse-elementwise=horizontal=false --canonicalize --cse | FileCheck %s --check-prefix=LION-VERTICAL
// After bufferization the inouts are written in place: no allocation, no copy.
// RUN: %vibeec compile %specs/optim/lion.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-linalg-to-llvm --mlir-print-ir-after=vibee-forward-inout-copies 2>&1 >/dev/null | FileCheck %s --check-prefix=LION-BUF
// RUN: %vibeec compile %specs/optim/adamw.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-linalg-to-llvm --mlir-print-ir-after=vibee-forward-inout-copies 2>&1 >/dev/null | FileCheck %s --check-prefix=ADAMW-BUF

// Lion: c (local) is inlined; the param and m updates share one loop nest.
// LION-LABEL:  func.func @step
// LION:          tensor.empty
// LION-NOT:      tensor.empty
// LION:          %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel"]
// LION-SAME:       outs(
// LION-NOT:      linalg.generic
// LION:          materialize_in_destination %[[R]]#0 in writable %arg0
// LION:          materialize_in_destination %[[R]]#1 in writable %arg2

// LION-VERTICAL-LABEL: func.func @step
// LION-VERTICAL-COUNT-2: linalg.generic
// LION-VERTICAL-NOT:     linalg.generic

// AdamW: six statements, two locals (mhat, vhat), one loop nest writing m, v, param.
// ADAMW-LABEL: func.func @step
// ADAMW:         tensor.empty
// ADAMW-NOT:     tensor.empty
// ADAMW:         %[[R:.*]]:3 = linalg.generic {{.*}} iterator_types = ["parallel"]
// ADAMW-NOT:     linalg.generic
// ADAMW-COUNT-3: materialize_in_destination %[[R]]#

// Softmax: max, then exp fused into the sum, then exp fused into the division
// (recomputed, so the exp local never gets a buffer): three loop nests that read x,
// only the last writes (into the result).
// SOFTMAX-LABEL: func.func @softmax
// SOFTMAX:         linalg.generic {{.*}} ["parallel", "reduction"]
// SOFTMAX:           arith.maxnumf
// SOFTMAX:         linalg.generic {{.*}} ["parallel", "reduction"]
// SOFTMAX:           math.exp
// SOFTMAX:           arith.addf
// SOFTMAX:         %[[Y:.*]] = linalg.generic {{.*}} ["parallel", "parallel"]
// SOFTMAX:           math.exp
// SOFTMAX:           arith.divf
// SOFTMAX-NOT:     linalg.generic
// SOFTMAX:         materialize_in_destination %[[Y]] in restrict writable %arg1

// RMSNorm: the row reduction (f64), the per-row scale (R elements), the output.
// RMSNORM-LABEL: func.func @rmsnorm(
// RMSNORM:         linalg.generic {{.*}} ["parallel", "reduction"]
// RMSNORM:         linalg.generic {{.*}} ["parallel"]
// RMSNORM:           math.rsqrt
// RMSNORM:         linalg.generic {{.*}} ["parallel", "parallel"]
// RMSNORM-NOT:     linalg.generic
// RMSNORM:       func.func @rmsnorm_f32(

// LION-BUF-LABEL: func.func @step
// LION-BUF-NOT:     memref.alloc
// LION-BUF-NOT:     memref.copy
// LION-BUF:         linalg.generic
// LION-BUF-SAME:      outs(%arg0, %arg2 : memref<?xf32>, memref<?xf32>)
// LION-BUF-NOT:     memref.alloc
// LION-BUF-NOT:     memref.copy
// LION-BUF:         return

// ADAMW-BUF-LABEL: func.func @step
// ADAMW-BUF-NOT:     memref.alloc
// ADAMW-BUF-NOT:     memref.copy
// ADAMW-BUF:         linalg.generic
// ADAMW-BUF-SAME:      outs(%arg2, %arg3, %arg0 : memref<?xf32>, memref<?xf32>, memref<?xf32>)
// ADAMW-BUF-NOT:     memref.alloc
// ADAMW-BUF-NOT:     memref.copy
// ADAMW-BUF:         return
