// RUN: %vibee-opt %s -split-input-file -vibee-gpu-map-kernels="wgmma=true" -canonicalize -cse | FileCheck %s

// sm_90a (GpuAttentionWgmmaKernel.cpp): bf16 attention whose q, k and v are laid
// out item, rows (keys), dim. Decoding keeps flash-decoding (the mma.sync split
// kernel and the combine); otherwise three tensor maps (dim, rows, items; boxes of
// 64 values x 128 rows) and, when all exist, the wgmma kernel for dims up to 64
// (Q, then three stages of K and V: 113 KB of shared memory) or 128 (225 KB), 384
// threads; without a map the CUDA-core kernel. In the kernel: the mbarriers (q
// full with one arrival, the stages' full with one, empty with two consumers),
// the producer's setmaxnreg and TMA loads, the consumers' first tile (S = Q K^T on
// wgmma m64n128k16 from shared memory, waited), then per tile S issued with the
// previous tile's O += P V behind it (wgmma with A in registers), wait_group 1
// (S is done), the softmax, wait_group 0; the last P V after the loop.
// CHECK-LABEL: func.func @causal_bf16(
// CHECK:         scf.if
// CHECK:           scf.if %{{.*}} {
// CHECK:             gpu.launch
// CHECK:               nvvm.mma.sync
// CHECK:             gpu.launch
// CHECK:           } else {
// CHECK:             %[[MAPQ:.*]] = func.call @vibee_cuda_tensor_map(%{{.*}}, %c9, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c64, %c128)
// CHECK:             %[[MAPK:.*]] = func.call @vibee_cuda_tensor_map(
// CHECK:             %[[MAPV:.*]] = func.call @vibee_cuda_tensor_map(
// CHECK:             scf.if %{{.*}} {
// CHECK:               scf.if %{{.*}} {
// CHECK:                 gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c384, {{.*}}) dynamic_shared_memory_size %c115816_i32
// CHECK:                   nvvm.mbarrier.init {{.*}}, %c1_i32
// CHECK:                   nvvm.mbarrier.init {{.*}}, %c2_i32
// CHECK:                   nvvm.fence.mbarrier.init
// CHECK:                   gpu.shuffle idx
// CHECK:                   nvvm.setmaxregister decrease 24
// CHECK:                   nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c16384_i32
// CHECK:                   nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:                   nvvm.mbarrier.try_wait.parity
// CHECK:                   nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:                   nvvm.setmaxregister increase 240
// CHECK:                   nvvm.wgmma.fence.aligned
// CHECK-COUNT-4:           nvvm.wgmma.mma_async {{.*}}, <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK:                   nvvm.wgmma.commit.group.sync.aligned
// CHECK:                   nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:                   nvvm.mbarrier.arrive
// CHECK:                   math.exp2
// CHECK:                   scf.for
// CHECK:                     nvvm.wgmma.fence.aligned
// CHECK-COUNT-4:             nvvm.wgmma.mma_async {{.*}}, <m = 64, n = 128, k = 16>
// CHECK:                     nvvm.wgmma.commit.group.sync.aligned
// CHECK-COUNT-8:             llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// CHECK:                     nvvm.wgmma.commit.group.sync.aligned
// CHECK:                     nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:                     math.exp2
// CHECK:                     nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:                   nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:           llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// CHECK:                   nvvm.wgmma.commit.group.sync.aligned
// CHECK:                   nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:               } else {
// CHECK:                 gpu.launch {{.*}} dynamic_shared_memory_size %c230504_i32
// CHECK-COUNT-8:           nvvm.wgmma.mma_async {{.*}}, <m = 64, n = 128, k = 16>
// CHECK:                   llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK:             } else {
// CHECK:               gpu.launch {{.*}} workgroup(%{{.*}} : memref<16x128xf32, #gpu.address_space<workgroup>>
func.func @causal_bf16(%q: memref<?x?x?xbf16>, %k: memref<?x?x?xbf16>, %v: memref<?x?x?xbf16>, %scale: f32, %o: memref<?x?x?xbf16>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?x?xbf16>, memref<?x?x?xbf16>, memref<?x?x?xbf16>) outs(%o : memref<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 0>}
  return
}

// -----

// Keys laid out (j, h, d): no 3-D tensor map over them, so the mma.sync kernel
// (no wgmma, no tensor map).
// CHECK-LABEL: func.func @keys_outer(
// CHECK-NOT:     vibee_cuda_tensor_map
// CHECK-NOT:     wgmma
// CHECK:         nvvm.mma.sync
// CHECK-NOT:     wgmma
func.func @keys_outer(%q: memref<?x?x?xbf16>, %k: memref<?x?x?xbf16>, %v: memref<?x?x?xbf16>, %scale: f32, %o: memref<?x?x?xbf16>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?x?xbf16>, memref<?x?x?xbf16>, memref<?x?x?xbf16>) outs(%o : memref<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (j, h, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>]
  return
}
