// vibee-cpu-attention: vibee.attention on memrefs becomes FlashAttention's blocked
// loops in a chunk function: per work item (batch x query blocks of 32 rows) a Q
// block scaled once, then key blocks of 64 with a running max and sum per row, the
// accumulator rescaled by exp(m_old - m_new); the blocks are allocated per chunk
// call (O(block x D), never S x T). Causal: the key loop ends at the block's
// diagonal, and the diagonal block is masked.
// RUN: %vibee-opt %s --vibee-cpu-attention | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-attention=threads=false | FileCheck %s --check-prefix=SERIAL

// CHECK-LABEL: func.func @causal(
// CHECK-NOT: vibee.attention
// CHECK: call @causal__chunk{{[0-9]+}}_threads(
// CHECK-LABEL: func.func private @causal__chunk
// CHECK-DAG: memref.alloc({{.*}}) : memref<?x?xf32>
// CHECK-DAG: arith.constant 64 : index
// CHECK: arith.minsi
// CHECK: scf.for
// CHECK: math.fma
// CHECK: arith.maximumf
// CHECK: arith.select
// CHECK: math.exp
// CHECK: math.exp
// CHECK: memref.dealloc
// SERIAL-LABEL: func.func @causal(
// SERIAL: call @causal__chunk{{[0-9]+}}(%c0
// SERIAL-NOT: _threads
func.func @causal(%q: memref<?x?x?xbf16>, %k: memref<?x?x?xbf16>, %v: memref<?x?x?xbf16>, %scale: f32, %o: memref<?x?x?xbf16>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?x?xbf16>, memref<?x?x?xbf16>, memref<?x?x?xbf16>) outs(%o : memref<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 0>}
  return
}
