// RUN: %vibee-opt %s -split-input-file -vibee-gpu-map-kernels=wgmma=1 -canonicalize -cse | FileCheck %s

// sm_90a (wgmma=1): bf16 x bf16 -> f32 in the nn.Linear layout on the wgmma
// kernel when the host's check passes (16-byte aligned, K multiple of 8): a
// 3-D tensor map per operand (bf16 = 9, boxes 64 x 128), launched only when
// both maps exist; 384 threads (a producer and two consumer warpgroups),
// ~197 KB of dynamic shared memory; setmaxnreg per role; TMA loads completing
// on mbarriers; 4 wgmma m64n256k16 per stage, w[n, k] K-major (layout col).
// c is not known to start at zero: it accumulates (load, add, store).
// CHECK-LABEL: func.func private @vibee_cuda_tensor_map(index, index, index, index, index, index, index, index, index) -> index
// CHECK-LABEL: func.func @linear_bf16(
// CHECK:         scf.if
// CHECK:           %[[MA:.*]] = func.call @vibee_cuda_tensor_map(%{{.*}}, %c9, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %{{.*}}, %c64, %c128)
// CHECK:           %[[MB:.*]] = func.call @vibee_cuda_tensor_map(%{{.*}}, %c9, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %{{.*}}, %c64, %c256)
// CHECK:           scf.if
// CHECK:             gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c384, {{.*}}) dynamic_shared_memory_size %c197696_i32 {
// CHECK:               nvvm.mbarrier.init
// CHECK:               nvvm.fence.mbarrier.init
// CHECK:               nvvm.setmaxregister decrease 40
// CHECK:               nvvm.mbarrier.arrive.expect_tx
// CHECK:               nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK:               nvvm.setmaxregister increase 232
// CHECK:               nvvm.mbarrier.try_wait.parity
// CHECK:               nvvm.wgmma.fence.aligned
// CHECK-COUNT-4:       nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK:               nvvm.wgmma.commit.group.sync.aligned
// CHECK:               nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:               nvvm.mbarrier.arrive
// CHECK:               nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:               memref.load
// CHECK:               arith.addf
// CHECK:               memref.store
// CHECK:         } else {
// CHECK:           gpu.launch {{.*}} workgroup(%{{.*}} : memref<16x64xbf16, #gpu.address_space<workgroup>>
func.func @linear_bf16(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xbf16>, memref<?x?xbf16>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: bf16, %b: bf16, %acc: f32):
    %ea = arith.extf %a : bf16 to f32
    %eb = arith.extf %b : bf16 to f32
    %p = arith.mulf %ea, %eb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// matmul_bf16: a temporary f32 accumulator filled with zeros, the matmul, a
// cast to bf16. The wgmma kernel takes the fill (no load of c) and the cast
// (bf16(acc) stored straight to the output; the f32 temporary is never
// written); b[k, n] is N-major (layout row: the transposed wgmma form). The
// fallback branch keeps the three statements (fill and cast kernels around
// the FMA one).
// CHECK-LABEL: func.func @matmul_bf16(
// CHECK-SAME:    %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %[[OUT:.*]]: memref<?x?xbf16>)
// CHECK-NOT:     linalg.fill
// CHECK:         scf.if
// CHECK:           gpu.launch {{.*}} dynamic_shared_memory_size
// CHECK-COUNT-4:     nvvm.wgmma.mma_async {{.*}} B[<bf16>, <one>, <row>]
// CHECK-NOT:         memref.load
// CHECK:             arith.truncf %{{.*}} : f32 to bf16
// CHECK-NEXT:        memref.store %{{.*}}, %[[OUT]][{{.*}}] : memref<?x?xbf16>
// CHECK:         } else {
// CHECK:           gpu.launch
// CHECK:             memref.store %cst
// CHECK:           gpu.launch {{.*}} workgroup(
// CHECK:           gpu.launch
// CHECK:             arith.truncf
// CHECK:         memref.dealloc
func.func @matmul_bf16(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %out: memref<?x?xbf16>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.dim %a, %c0 : memref<?x?xbf16>
  %n = memref.dim %b, %c1 : memref<?x?xbf16>
  %acc = memref.alloc(%m, %n) {alignment = 64 : i64} : memref<?x?xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x?xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xbf16>, memref<?x?xbf16>) outs(%acc : memref<?x?xf32>) {
  ^bb0(%x: bf16, %y: bf16, %s: f32):
    %ex = arith.extf %x : bf16 to f32
    %ey = arith.extf %y : bf16 to f32
    %p = arith.mulf %ex, %ey : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<?x?xf32>) outs(%out : memref<?x?xbf16>) {
  ^bb0(%v: f32, %o: bf16):
    %t = arith.truncf %v : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %acc : memref<?x?xf32>
  return
}

// -----

// Bias + ReLU after the product, read through the bias's own map (b[n]): the
// epilogue loads the bias at each element. Here c is an output the caller
// sees, so only the fill is taken: c = acc is stored, the bias statement stays
// (its own kernel).
// CHECK-LABEL: func.func @linear_bias_out(
// CHECK:         gpu.launch {{.*}} dynamic_shared_memory_size
// CHECK-NOT:       arith.maximumf
// CHECK:         } else {
func.func @linear_bias_out(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>, %bias: memref<?xf32>,
                           %c: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xbf16>, memref<?x?xbf16>) outs(%c : memref<?x?xf32>) {
  ^bb0(%a: bf16, %b: bf16, %acc: f32):
    %ea = arith.extf %a : bf16 to f32
    %eb = arith.extf %b : bf16 to f32
    %p = arith.mulf %ea, %eb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (n)>,
                                   affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<?x?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%v: f32, %bv: f32, %o: f32):
    %t = arith.addf %v, %bv : f32
    %r = arith.maximumf %t, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The same with c a temporary: bias + ReLU fused, the bias loaded by n.
// CHECK-LABEL: func.func @linear_bias_relu(
// CHECK-SAME:    %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %[[BIAS:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK:         gpu.launch {{.*}} dynamic_shared_memory_size
// CHECK:           memref.load %[[BIAS]][
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      arith.maximumf
// CHECK-NEXT:      memref.store %{{.*}}, %[[Y]][
// CHECK:         } else {
func.func @linear_bias_relu(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>, %bias: memref<?xf32>,
                            %y: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x?xbf16>
  %n = memref.dim %w, %c0 : memref<?x?xbf16>
  %c = memref.alloc(%m, %n) : memref<?x?xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xbf16>, memref<?x?xbf16>) outs(%c : memref<?x?xf32>) {
  ^bb0(%a: bf16, %b: bf16, %acc: f32):
    %ea = arith.extf %a : bf16 to f32
    %eb = arith.extf %b : bf16 to f32
    %p = arith.mulf %ea, %eb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (n)>,
                                   affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<?x?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%v: f32, %bv: f32, %o: f32):
    %t = arith.addf %v, %bv : f32
    %r = arith.maximumf %t, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %c : memref<?x?xf32>
  return
}

// -----

// FP8 (e5m2 x e4m3 -> f32) in the nn.Linear layout: the same kernel with 128
// bytes of k per stage row (128 FP8 values), so the tensor maps move bytes
// (UINT8 = 0, boxes 128 x 128 and 128 x 256) and each of the 4 wgmmas per
// stage is m64n256k32 with the operands' own FP8 types; the host's check
// wants K a multiple of 16 (16-byte rows).
// CHECK-LABEL: func.func @linear_fp8(
// CHECK:         %[[K16:.*]] = arith.remui %{{.*}}, %c16
// CHECK:         scf.if
// CHECK:           func.call @vibee_cuda_tensor_map(%{{.*}}, %c0, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %{{.*}}, %c128, %c128)
// CHECK:           func.call @vibee_cuda_tensor_map(%{{.*}}, %c0, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %{{.*}}, %c128, %c256)
// CHECK:             gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c384, {{.*}})
// CHECK-COUNT-4:       nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 32>, D[<f32>, <one>], A[<e5m2>, <one>, <row>], B[<e4m3>, <one>, <col>]
// CHECK:         } else {
func.func @linear_fp8(%x: memref<?x?xf8E5M2>, %w: memref<?x?xf8E4M3FN>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xf8E5M2>, memref<?x?xf8E4M3FN>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f8E5M2, %b: f8E4M3FN, %acc: f32):
    %ea = arith.extf %a : f8E5M2 to f32
    %eb = arith.extf %b : f8E4M3FN to f32
    %p = arith.mulf %ea, %eb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// FP8 with b[k, n] (N-major): wgmma cannot transpose 8-bit operands, so no
// tensor map and no wgmma: the CUDA-core kernel.
// CHECK-LABEL: func.func @matmul_fp8_kn(
// CHECK-NOT:     vibee_cuda_tensor_map
// CHECK-NOT:     nvvm.wgmma
// CHECK:         gpu.launch
func.func @matmul_fp8_kn(%a: memref<?x?xf8E4M3FN>, %b: memref<?x?xf8E4M3FN>, %c: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf8E4M3FN>, memref<?x?xf8E4M3FN>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f8E4M3FN, %y: f8E4M3FN, %acc: f32):
    %ex = arith.extf %x : f8E4M3FN to f32
    %ey = arith.extf %y : f8E4M3FN to f32
    %p = arith.mulf %ex, %ey : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// int8 x int8 -> i32 (sign-extended: s8) in the nn.Linear layout: the same
// kernel with i32 accumulators (m64n256k32, D s32) and byte tensor maps; c
// accumulates with an integer add.
// CHECK-LABEL: func.func @linear_s8(
// CHECK:           func.call @vibee_cuda_tensor_map(%{{.*}}, %c0, %{{.*}}, %{{.*}}, %c1, %{{.*}}, %{{.*}}, %c128, %c128)
// CHECK:             gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c384, {{.*}})
// CHECK-COUNT-4:       nvvm.wgmma.mma_async {{.*}} <m = 64, n = 256, k = 32>, D[<s32>, <one>{{.*}}], A[<s8>, <one>, <row>], B[<s8>, <one>, <col>]
// CHECK:               arith.addi
// CHECK:               memref.store
// CHECK:         } else {
func.func @linear_s8(%x: memref<?x?xi8>, %w: memref<?x?xi8>, %y: memref<?x?xi32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?xi8>, memref<?x?xi8>) outs(%y : memref<?x?xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %ea = arith.extsi %a : i8 to i32
    %eb = arith.extsi %b : i8 to i32
    %p = arith.muli %ea, %eb : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

// A computed B (int4 codes times a bf16 scale per group of 128) with bf16 a:
// the mma.sync kernel even on sm_90a (TMA cannot compute), each weight split
// into three bf16 tiles (hi, mid, lo) of [n, k]; the two barriers of each k
// step OR whether the next tile's mid and lo are used; their mma.sync under
// scf.if. The next tile's inputs are loaded before the mma.sync and dequantized
// after them; a segment of 8 values is one bounds check, and its values share
// their loads (4 bytes of w, 1 scale). The FMA kernel when the host's check
// fails (a not 16-byte aligned, K % 8 != 0); w and the scale need no alignment.
// CHECK-LABEL: func.func @w4_bf16(
// CHECK-SAME:    %[[X:.*]]: memref<256x?xbf16>, %[[W:.*]]: memref<?x?xi8>, %[[S:.*]]: memref<?x?xbf16>
// CHECK:         memref.extract_aligned_pointer_as_index %[[X]]
// CHECK-NOT:     memref.extract_aligned_pointer_as_index
// CHECK:         scf.if
// CHECK:           gpu.launch {{.*}} workgroup(%[[AT:.*]] : memref<128x40xbf16, #gpu.address_space<workgroup>>, %[[HI:.*]] : memref<128x40xbf16, #gpu.address_space<workgroup>>, %[[MID:.*]] : memref<128x40xbf16, #gpu.address_space<workgroup>>, %[[LO:.*]] : memref<128x40xbf16, #gpu.address_space<workgroup>>)
// CHECK-NOT:       nvgpu.tma
// CHECK:             arith.divui %{{.*}}, %c8
// CHECK:             scf.if
// CHECK:               memref.load %[[W]]
// CHECK:               memref.load %[[S]]
// CHECK-COUNT-3:       memref.load %[[W]]
// CHECK-NOT:           memref.load
// CHECK:               scf.yield
// CHECK:             arith.truncf %{{.*}} : f32 to bf16
// CHECK:             vector.store %{{.*}}, %[[LO]]
// CHECK:             nvvm.barrier #nvvm.reduction<or>
// CHECK:             nvvm.barrier #nvvm.reduction<or>
// CHECK:             scf.for
// CHECK:               memref.load %[[W]]
// CHECK:               nvgpu.ldmatrix %[[HI]]
// CHECK-COUNT-16:      nvvm.mma.sync
// CHECK:               scf.if
// CHECK:                 nvgpu.ldmatrix %[[MID]]
// CHECK-COUNT-16:        nvvm.mma.sync
// CHECK:               scf.if
// CHECK:                 nvgpu.ldmatrix %[[LO]]
// CHECK-COUNT-16:        nvvm.mma.sync
// CHECK:               arith.truncf %{{.*}} : f32 to bf16
// CHECK:               nvvm.barrier #nvvm.reduction<or>
// CHECK:               vector.store %{{.*}}, %[[LO]]
// CHECK:               nvvm.barrier #nvvm.reduction<or>
// CHECK:         } else {
// CHECK:           gpu.launch {{.*}} workgroup(%{{.*}} : memref<16x64xbf16, #gpu.address_space<workgroup>>, %{{.*}} : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:     linalg.generic
func.func @w4_bf16(%x: memref<256x?xbf16>, %w: memref<?x?xi8>, %s: memref<?x?xbf16>, %y: memref<256x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k floordiv 2)>,
                                   affine_map<(m, n, k) -> (n, k floordiv 128)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w, %s : memref<256x?xbf16>, memref<?x?xi8>, memref<?x?xbf16>) outs(%y : memref<256x?xf32>) {
  ^bb0(%a: bf16, %b: i8, %sc: bf16, %o: f32):
    %k = linalg.index 2 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %odd = arith.remui %k, %c2 : index
    %sh = arith.muli %odd, %c4 : index
    %shi = arith.index_cast %sh : index to i8
    %code = arith.shrui %b, %shi : i8
    %c15 = arith.constant 15 : i8
    %lo = arith.andi %code, %c15 : i8
    %f = arith.uitofp %lo : i8 to f32
    %scf = arith.extf %sc : bf16 to f32
    %ws = arith.mulf %f, %scf : f32
    %ea = arith.extf %a : bf16 to f32
    %p = arith.mulf %ea, %ws : f32
    %r = arith.addf %p, %o : f32
    linalg.yield %r : f32
  }
  return
}
