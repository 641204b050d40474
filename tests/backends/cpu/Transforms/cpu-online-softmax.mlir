// Online softmax (CPU): the row max and the exp-sum become one pass over each row
// (32 lanes of running max + rescaled sum, a combine of the lanes, a scalar tail),
// then the output pass (multiplying by the sum's reciprocal): two passes that read
// x instead of three.
// RUN: %vibeec compile %specs/nn/softmax.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-decompose-aggregates --vibee-fuse-elementwise --canonicalize --cse --vibee-cpu-online-softmax --canonicalize --cse | FileCheck %s
// In the CPU pipeline, vibee-cpu-parallelize runs the group block of rows by block
// of rows in one thread region (one fork per call), so the output pass finds the
// rows in the cache.
// RUN: %vibeec compile %specs/nn/softmax.vibee --emit=vibee -o - | %vibee-opt --vibee-to-linalg --vibee-linalg-to-llvm --mlir-print-ir-after=vibee-cpu-parallelize 2>&1 >/dev/null | FileCheck %s --check-prefix=PAR

// CHECK-LABEL: func.func @softmax(
// CHECK:         tensor.expand_shape {{.*}} into tensor<?x?x32xf32>
// CHECK:         %[[LANES:.*]]:2 = linalg.generic {{.*}} ["parallel", "reduction", "parallel"]
// CHECK:           math.exp
// CHECK-NOT:       math.exp
// CHECK:           arith.select
// CHECK:           arith.maxnumf
// CHECK:           linalg.yield
// CHECK:         %[[COMB:.*]]:2 = linalg.generic {{.*}} ["parallel", "reduction"]} ins(%[[LANES]]#0, %[[LANES]]#1
// CHECK:         %[[TAIL:.*]]:2 = linalg.generic {{.*}} ["parallel", "reduction"]} {{.*}} outs(%[[COMB]]#0, %[[COMB]]#1
// One divide per row: the output multiplies by the reciprocal of the sum.
// CHECK:         %[[RS:.*]] = linalg.generic {{.*}} ["parallel"]} ins(%[[TAIL]]#1
// CHECK:           arith.divf
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} ["parallel", "parallel"]} ins(%{{.*}}, %[[TAIL]]#0, %[[RS]]
// CHECK:           math.exp
// CHECK-NOT:       arith.divf
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.generic
// CHECK:         materialize_in_destination %[[Y]]

// bf16 (narrow inputs): one exp per element instead of two. The row max (32
// lanes, their combine, the tail), e = exp(v - mx) stored in f32, its sum (lanes,
// combine, tail); the output reads e instead of recomputing exp, and reads
// neither x nor the max.
// CHECK-LABEL: func.func @softmax_bf16(
// CHECK:         %[[ML:.*]] = linalg.generic {{.*}} ["parallel", "reduction", "parallel"]} ins(%{{.*}} : tensor<?x?x32xbf16>)
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.extf
// CHECK-NEXT:      arith.maxnumf
// CHECK:         %[[MC:.*]] = linalg.generic {{.*}} ["parallel", "reduction"]} ins(%[[ML]]
// CHECK:         %[[MX:.*]] = linalg.generic {{.*}} ["parallel", "reduction"]} ins(%{{.*}} : tensor<?x?xbf16>) outs(%[[MC]]
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.extf
// CHECK-NEXT:      arith.maxnumf
// CHECK:         %[[E:.*]] = linalg.generic {{.*}} ["parallel", "parallel"]} ins(%{{.*}}, %[[MX]] : tensor<?x?xbf16>, tensor<?xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.extf
// CHECK-NEXT:      arith.subf
// CHECK-NEXT:      math.exp
// CHECK:         tensor.extract_slice %[[E]][0, 0]
// CHECK:         %[[SL:.*]] = linalg.generic {{.*}} ["parallel", "reduction", "parallel"]} ins(%{{.*}} : tensor<?x?x32xf32>)
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.addf
// CHECK:         %[[SC:.*]] = linalg.generic {{.*}} ["parallel", "reduction"]} ins(%[[SL]]
// CHECK:         %[[ET:.*]] = tensor.extract_slice %[[E]][0, %{{.*}}]
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ["parallel", "reduction"]} ins(%[[ET]] : tensor<?x?xf32>) outs(%[[SC]]
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.addf
// CHECK:         %[[RS:.*]] = linalg.generic {{.*}} ["parallel"]} ins(%[[S]]
// CHECK:           arith.divf
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} ["parallel", "parallel"]} ins(%[[RS]], %[[E]] : tensor<?xf32>, tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xbf16>)
// CHECK-NEXT:      ^bb0
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.truncf
// CHECK-NOT:     linalg.generic
// CHECK:         materialize_in_destination %[[Y]]

// The group exists once, in @softmax__chunk0 (rows [lo, hi) in blocks of 8): the
// runtime's threads call it through @softmax__chunk0_entry on their rows (or
// once on all of them without the runtime).
// PAR-LABEL: func.func private @softmax(
// PAR-NOT:     linalg.generic
// PAR:         {{(func\.)?}}constant @softmax__chunk0_entry
// PAR-NOT:     linalg.generic
// PAR:         llvm.call @vibee_parallel_for_or_serial(
// PAR-NOT:     linalg.generic
// PAR:         return
// PAR-LABEL: func.func private @softmax__chunk0(
// PAR-SAME:      %[[LO:[^:]*]]: index, %[[HI:[^:]*]]: index,
// PAR:         scf.for %{{.*}} = %[[LO]] to %[[HI]] step %c8
// PAR:             linalg.generic {{.*}} ["parallel", "reduction", "parallel"]
// PAR:             linalg.generic {{.*}} ["parallel", "reduction"]
// PAR:             linalg.generic {{.*}} ["parallel", "reduction"]
// PAR:             linalg.generic {{.*}} ["parallel"]
// PAR:             linalg.generic {{.*}} ["parallel", "parallel"]
// PAR-NOT:     scf.forall
// PAR:         return
// PAR-LABEL: func.func private @softmax__chunk0_entry(
// PAR-NOT:       linalg.generic
// PAR:           call @softmax__chunk0(
// PAR-NOT:     linalg.generic
// PAR:         return

// The group's temporaries (lanes, max, sum) are one block of 8 rows, made per
// chunk call; e, 8 x C f32, stays in the cache instead of R x C going to memory.
// PAR-LABEL: func.func private @softmax_bf16(
// PAR-NOT:     memref.alloc
// PAR:         llvm.call @vibee_parallel_for_or_serial(
// PAR-LABEL: func.func private @softmax_bf16__chunk0(
// PAR:         %[[E:.*]] = memref.alloc(%c8{{[_0-9]*}}, %{{.*}}) {{.*}} : memref<?x?xf32>
// PAR:         scf.for
// PAR:           %[[EB:.*]] = memref.subview %[[E]][0, 0] [%{{.*}}, %{{.*}}]
// PAR:           linalg.generic {{.*}} ["parallel", "parallel"]} {{.*}} outs(%[[EB]] :
// PAR:             math.exp
// PAR:         memref.dealloc %[[E]]
// PAR:         return
