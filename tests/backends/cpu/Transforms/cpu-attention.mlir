// vibee-cpu-attention: vibee.attention on memrefs becomes FlashAttention's blocked
// loops in a chunk function: per work item (batch x query blocks of 64 rows) a Q
// block scaled once, then key blocks of 64 with a running max and sum per row, the
// accumulator rescaled by exp(m_old - m_new); the blocks are allocated per chunk
// call (O(block x D), never S x T). Causal: the key loop ends at the block's
// diagonal, and the diagonal block is masked.
// RUN: %vibee-opt %s --vibee-cpu-attention | FileCheck %s
// RUN: %vibee-opt %s --vibee-cpu-attention=threads=false | FileCheck %s --check-prefix=SERIAL
// RUN: %vibee-opt %s --vibee-cpu-attention="vector-bits=512" | FileCheck %s --check-prefix=AVX512
// RUN: %vibee-opt %s --vibee-cpu-attention="vector-bits=256" | FileCheck %s --check-prefix=AVX2

// The register tiles (vector-bits): S = Qt K^T in tiles of 4 rows x 4 vectors of
// 16 keys over the head dim (AVX-512; 2 x 4 vectors of 8 with 256-bit registers),
// stored to the score block; the row's max and sum on whole vectors under a prefix
// mask (the keys kept: before the block's end and the row's diagonal); P V in
// tiles of the same shape over the keys.
// AVX512-LABEL: func.func private @causal__chunk
// AVX512: scf.for {{.*}} step %c4
// AVX512: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512-COUNT-4: vector.load {{.*}} : memref<?x?xf32>, vector<16xf32>
// AVX512: vector.broadcast {{.*}} : f32 to vector<16xf32>
// AVX512-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// AVX512: vector.create_mask {{.*}} : vector<16xi1>
// AVX512: vector.reduction <maximumf>
// AVX512: math.exp {{.*}} : vector<16xf32>
// AVX512: vector.reduction <add>
// AVX512: scf.for {{.*}} step %c64
// AVX512: scf.for {{.*}} iter_args
// AVX512: vector.fma {{.*}} : vector<16xf32>
// AVX2-LABEL: func.func private @causal__chunk
// AVX2: scf.for {{.*}} step %c2
// AVX2: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2: vector.create_mask {{.*}} : vector<8xi1>
// AVX2: scf.for {{.*}} step %c32

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
