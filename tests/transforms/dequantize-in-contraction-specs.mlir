// The dequantization of quantized weights stays inside the contraction that
// reads them (issue 13): the unpack (shift, mask), the convert and the group
// scale and zero point are ops of the contraction's body, and no buffer of the
// weight's shape holds dequantized values, from linalg on tensors through the
// CPU's contraction packing and the GPU's kernel mapping. On specs/quant/.
//
// RUN: %vibeec compile %specs/quant/w4a16_group.vibee --emit=linalg -o - | FileCheck %s --check-prefix=W4
// RUN: %vibeec compile %specs/quant/w4a16_group.vibee --emit=llvm -o /dev/null --mlir-print-ir-after=vibee-cpu-pack-contractions 2>&1 | FileCheck %s --check-prefix=W4-CPU
// RUN: %vibeec compile %specs/quant/w4a16_group.vibee --target=cuda --emit=ptx -o /dev/null --mlir-print-ir-after=vibee-gpu-map-kernels 2>&1 | FileCheck %s --check-prefix=W4-GPU
// RUN: %vibeec compile %specs/quant/w8a16.vibee --emit=linalg -o - | FileCheck %s --check-prefix=W8
// RUN: %vibeec compile %specs/quant/w8a16.vibee --emit=llvm -o /dev/null --mlir-print-ir-after=vibee-cpu-pack-contractions 2>&1 | FileCheck %s --check-prefix=W8-CPU
// RUN: %vibeec compile %specs/quant/w8a16.vibee --target=cuda --emit=ptx -o /dev/null --mlir-print-ir-after=vibee-gpu-map-kernels 2>&1 | FileCheck %s --check-prefix=W8-GPU
// RUN: %vibeec compile %specs/quant/nf4.vibee --emit=linalg -o - | FileCheck %s --check-prefix=NF4

// w4a16_group: `k % 2`, read as a value (linalg.index), belongs to the weight's
// factor like its subscript `k / 2` (docs/architecture.md, "Contractions"): the
// statement is a linalg.contract whose B operand is a prologue over (n, k) that
// unpacks each nibble, converts it and applies its group's zero point and scale.
// On tensors that prologue has a tensor of the weight's shape; each target then
// computes it inside the contraction (below), never into a buffer.
// W4-LABEL: func.func @w4a16_group(
// W4:         %[[B:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins({{.*}} : tensor<?x?xi8>, tensor<?x?xf32>, tensor<?x?xf32>)
// W4:           arith.extsi %{{.*}} : i8 to i64
// W4-NEXT:      linalg.index 1 : index
// W4:           arith.shrsi
// W4-NEXT:      arith.andi
// W4-NEXT:      arith.sitofp
// W4-NEXT:      arith.subf
// W4-NEXT:      arith.mulf
// W4-NEXT:      linalg.yield
// W4:         linalg.contract {{.*}} ins(%{{.*}}, %[[B]] : tensor<?x?xf32>, tensor<?x?xf32>)
// W4:         return

// After bufferization and the CPU's contraction packing: no allocation at all,
// one generic, the packed matmul, whose B (the prologue's body, with the
// contraction's k as linalg.index) vibee-cpu-tile-matmul evaluates while it packs
// each panel, reads the int8 weights and writes the result in place. (No few-rows
// branch: a `k / G` read does not vectorize along k; the packed path unpacks
// each weight once per panel, the dot products once per row.)
// W4-CPU-LABEL: func.func private @w4a16_group(
// W4-CPU-NOT:     memref.alloc
// W4-CPU-NOT:     scf.if
// W4-CPU:         linalg.generic {{.*}} ins(%arg0, %arg1, %arg3, %arg2 : memref<?x?xf32>, memref<?x?xi8>, memref<?x?xf32>, memref<?x?xf32>) outs(%arg4 : memref<?x?xf32>)
// W4-CPU:           linalg.index 2 : index
// W4-CPU:           arith.shrsi
// W4-CPU-NEXT:      arith.andi
// W4-CPU-NEXT:      arith.sitofp
// W4-CPU-NEXT:      arith.subf
// W4-CPU-NEXT:      arith.mulf
// W4-CPU-NOT:     memref.alloc
// W4-CPU:         return

// GPU, after vibee-gpu-map-kernels: vibee-inline-computed-operands put the
// prologue into the contraction's payload, so no device buffer holds the
// dequantized weights. With many rows the tiled FMA kernel stages B in shared
// memory by unpacking each weight there (GpuMatmulMatch.h, `computedB`): the
// loads of the int8 codes and the group's zero point and scale, the shift and
// mask, the convert, then the store into the f32 B tile.
// W4-GPU-LABEL: func.func @w4a16_group(
// W4-GPU-NOT:     {{(memref|gpu)\.alloc}}
// W4-GPU:         gpu.launch {{.*}} workgroup(%[[ATILE:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[BTILE:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// W4-GPU:           memref.store %{{.*}}, %[[ATILE]]
// W4-GPU:           memref.load %arg1[{{.*}}] : memref<?x?xi8>
// W4-GPU:           memref.load %arg3[{{.*}}] : memref<?x?xf32>
// W4-GPU:           memref.load %arg2[{{.*}}] : memref<?x?xf32>
// W4-GPU:           arith.shrsi
// W4-GPU-NEXT:      arith.andi
// W4-GPU-NEXT:      arith.sitofp
// W4-GPU-NEXT:      arith.subf
// W4-GPU-NEXT:      arith.mulf
// W4-GPU:           memref.store %{{.*}}, %[[BTILE]]
// W4-GPU:           gpu.barrier
// W4-GPU-NOT:     {{(memref|gpu)\.alloc}}
// W4-GPU:         return

// w8a16: the int8 weights are the linalg.contract's operand as they are (its own
// cast_signed converts them) and the per-channel scale the epilogue.
// W8-LABEL: func.func @w8a16(
// W8:         %[[M:.*]] = memref.dim %arg0, %c0 : memref<?x?xbf16>
// W8:         %[[N:.*]] = memref.dim %arg1, %c0 : memref<?x?xi8>
// W8:         tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// W8-NOT:     tensor.empty
// W8:         %[[R:.*]] = linalg.contract {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x?xbf16>, tensor<?x?xi8>)
// W8-NOT:     tensor.empty
// W8:         linalg.generic {{.*}} ins(%[[R]], %{{.*}} : tensor<?x?xf32>, tensor<?xf32>)
// W8:           arith.mulf
// W8:         return

// CPU: with at most 16 rows (decoding) the contraction's own loops convert each
// weight in the reduction's body. With more rows, vibee-cpu-pack-contractions
// (backends/cpu/Transforms/CpuPackContractions.cpp) hands the f32 micro-kernel a
// matmul that reads the int8 weights through their transposed map and converts
// them in its body; vibee-cpu-tile-matmul converts while it packs each NC x KC
// panel (ComputedOperand.h). The only allocations are the [M, N] result before
// the scale and the f32 copy of the bf16 activations ([M, K]): no buffer of the
// weight's shape.
// W8-CPU-LABEL: func.func private @w8a16(
// W8-CPU:         scf.if
// W8-CPU:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : memref<?x?xbf16>, memref<?x?xi8>)
// W8-CPU-NEXT:      ^bb0
// W8-CPU-NEXT:        arith.sitofp %{{.*}} : i8 to f32
// W8-CPU-NEXT:        arith.extf
// W8-CPU:         } else {
// W8-CPU:           memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<?x?xf32>
// W8-CPU:           linalg.generic {{.*}} ins(%arg0 : memref<?x?xbf16>)
// W8-CPU-NOT:       memref.alloc
// W8-CPU:           linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %arg1 : memref<?x?xf32>, memref<?x?xi8>)
// W8-CPU-NEXT:      ^bb0
// W8-CPU-NEXT:        arith.sitofp %{{.*}} : i8 to f32
// W8-CPU-NOT:       memref.alloc
// W8-CPU:         return

// GPU: the tiled kernel stages the raw int8 tile in shared memory and converts
// it in registers; the one allocation is the [M, N] f32 result before the scale.
// W8-GPU-LABEL: func.func @w8a16(
// W8-GPU:         %[[M:.*]] = memref.dim %arg0, %c0 : memref<?x?xbf16>
// W8-GPU:         %[[N:.*]] = memref.dim %arg1, %c0 : memref<?x?xi8>
// W8-GPU:         memref.alloc(%[[M]], %[[N]]) {alignment = 64 : i64} : memref<?x?xf32>
// W8-GPU-NOT:     {{(memref|gpu)\.alloc}}
// W8-GPU:         workgroup({{.*}} : memref<16x64xbf16, #gpu.address_space<workgroup>>, {{.*}} : memref<16x64xi8, #gpu.address_space<workgroup>>)
// W8-GPU-NOT:     {{(memref|gpu)\.alloc}}
// W8-GPU:         arith.sitofp %{{.*}} : i8 to f32
// W8-GPU-NOT:     {{(memref|gpu)\.alloc}}
// W8-GPU:         return

// nf4_lora: the NF4 lookup (vibee.lookup in the table of 16 floats), the
// double-dequantized block scale (e4m3 code times its f32 scale plus the offset)
// and the nibble chosen by `k % 2` are the prologue of the contraction's B
// operand, as in w4a16_group; the LoRA products are ordinary contractions.
// NF4-LABEL: func.func @nf4_lora(
// NF4:         %[[B:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins({{.*}} : tensor<?x?xf8E4M3FN>, tensor<?x?xf32>, f32, tensor<?x?xi8>)
// NF4:           arith.extf %{{.*}} : f8E4M3FN to f32
// NF4-NEXT:      arith.mulf
// NF4-NEXT:      arith.addf
// NF4:           linalg.index 1 : index
// NF4:           arith.shrsi
// NF4-NEXT:      arith.andi
// NF4-NEXT:      vibee.lookup %{{.*}} in dense<[-1.000000e+00, {{.*}}, 1.000000e+00]> : tensor<16xf32> : i64 -> f32
// NF4-NEXT:      arith.mulf
// NF4-NEXT:      linalg.yield
// NF4:         linalg.contract {{.*}} ins(%{{.*}}, %[[B]] : tensor<?x?xbf16>, tensor<?x?xf32>)
// NF4:         linalg.contract {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x?xbf16>, tensor<?x?xbf16>)
// NF4:         return
