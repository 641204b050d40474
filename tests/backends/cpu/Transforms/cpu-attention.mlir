// vibee-cpu-attention: vibee.attention on memrefs becomes FlashAttention's blocked
// loops in a chunk function: per work item (batch x query blocks of 64 rows) a Q
// block scaled once, then key blocks of 64 with a running max and sum per row, the
// accumulator rescaled by exp(m_old - m_new); the blocks are allocated per chunk
// call (O(block x D), never S x T). Causal: the key loop ends at the block's
// diagonal, and the keys past each row's diagonal are masked.
// RUN: %vibee-opt %s --vibee-cpu-attention | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-attention=threads=false | FileCheck %s --check-prefix=SERIAL
// RUN: %vibee-opt %s --vibee-cpu-attention="vector-bits=512" | FileCheck %s --check-prefix=AVX512
// RUN: %vibee-opt %s --vibee-cpu-attention="vector-bits=256" | FileCheck %s --check-prefix=AVX2

// An item of 16 rows or more takes the query path: S^T = K Qt on register tiles
// of 4 keys x 4 vectors of 16 query rows over the head dim (AVX-512; 2 x 4
// vectors of 8 with 256-bit registers); the softmax of all the block's rows at
// once, vectors of rows carried over the keys (the causal mask an i64 lane
// compare, the max, then exp and the sum); P V on tiles of 4 value columns x 4
// vectors of rows over the keys, then one column at a time. A shorter item
// (the else branch) goes a row at a time: its max and sum are reductions of
// masked vectors of keys.
// AVX512-LABEL: func.func private @causal__chunk
// AVX512: arith.cmpi sge, {{.*}}, %c16 : index
// AVX512: scf.if
// AVX512: scf.for {{.*}} step %c4
// AVX512: scf.for {{.*}} step %c64
// AVX512: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512-COUNT-4: vector.load {{.*}} : memref<?x?xf32>, vector<16xf32>
// AVX512: vector.broadcast {{.*}} : f32 to vector<16xf32>
// AVX512-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// AVX512: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512: arith.cmpi slt, {{.*}} : vector<16xi64>
// AVX512: arith.maximumf {{.*}} : vector<16xf32>
// AVX512: math.exp {{.*}} : vector<16xf32>
// AVX512: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512: math.exp {{.*}} : vector<16xf32>
// AVX512: arith.addf {{.*}} : vector<16xf32>
// AVX512: scf.for {{.*}} step %c4
// AVX512: arith.mulf {{.*}} : vector<16xf32>
// AVX512: vector.fma {{.*}} : vector<16xf32>
// AVX512: } else {
// AVX512: vector.create_mask {{.*}} : vector<16xi1>
// AVX512: vector.reduction <maximumf>
// AVX512: math.exp {{.*}} : vector<16xf32>
// AVX512: vector.reduction <add>
// AVX2-LABEL: func.func private @causal__chunk
// AVX2: scf.if
// AVX2: scf.for {{.*}} step %c2
// AVX2: scf.for {{.*}} step %c32
// AVX2: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2: arith.cmpi slt, {{.*}} : vector<8xi64>
// AVX2: } else {
// AVX2: vector.create_mask {{.*}} : vector<8xi1>

// CHECK-LABEL: func.func @causal(
// CHECK-NOT: vibee.attention
// CHECK: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK: llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]],
// CHECK-LABEL: func.func private @causal__chunk
// CHECK-DAG: memref.alloc({{.*}}) : memref<?x?xf32>
// CHECK-DAG: arith.constant 64 : index
// CHECK: arith.minsi
// CHECK: scf.for
// CHECK: vector.fma
// CHECK: arith.maximumf
// CHECK: arith.select
// CHECK: math.exp
// CHECK: math.exp
// CHECK: memref.dealloc
// SERIAL-LABEL: func.func @causal(
// SERIAL: call @causal__chunk{{[0-9]+}}(%c0
// SERIAL-NOT: vibee_cpu_parallel_for
func.func @causal(%q: memref<?x?x?xbf16>, %k: memref<?x?x?xbf16>, %v: memref<?x?x?xbf16>, %scale: f32, %o: memref<?x?x?xbf16>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?x?xbf16>, memref<?x?x?xbf16>, memref<?x?x?xbf16>) outs(%o : memref<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 0>}
  return
}
