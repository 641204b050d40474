// RUN: %vibee-opt %s -split-input-file -vibee-gpu-map-kernels -canonicalize -cse | FileCheck %s

// Attention on CUDA cores (GpuAttentionSimtKernel.cpp; f32 operands): one launch
// of 128 threads per 16 query rows
// of a batch item (no launch when there are no rows), three shared tiles (the warps'
// scaled query rows, 32 K rows padded to 132 floats, 32 V rows). Causal: the key
// loop ends at the block's last row's diagonal. Per value chunk of 128, the key
// tiles carry m, l and 16 accumulator values; per tile and head chunk: barrier,
// the tiles' loads (clamped indices, zero selected outside), barrier, 16-byte
// shared reads and FMAs; then the mask, the warp's max and sum by xor shuffles,
// the rescale, p handed out by idx shuffles against 16-byte V reads; finally
// acc / l in o's type.
// CHECK-LABEL: func.func @causal(
// CHECK-NOT:     vibee.attention
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         %[[S:.*]] = memref.dim %arg0, %c1
// CHECK:         %[[T:.*]] = memref.dim %arg1, %c1
// CHECK:         %[[ROWS:.*]] = arith.muli %{{.*}}, %[[S]] : index
// CHECK:         %[[ANY:.*]] = arith.cmpi ugt, %[[ROWS]], %c0 : index
// CHECK:         scf.if %[[ANY]] {
// CHECK:           %[[ROWBLOCKS:.*]] = arith.ceildivui %[[S]], %c16 : index
// CHECK:           %[[GRID:.*]] = arith.muli %{{.*}}, %[[ROWBLOCKS]] : index
// CHECK:           gpu.launch blocks({{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %c1, %{{.*}} = %c1) threads({{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1, %{{.*}} = %c1) workgroup(%[[QS:.*]] : memref<16x128xf32, #gpu.address_space<workgroup>>, %[[KS:.*]] : memref<32x132xf32, #gpu.address_space<workgroup>>, %[[VS:.*]] : memref<32x128xf32, #gpu.address_space<workgroup>>) {
// CHECK:             %[[LAST:.*]] = arith.maxsi %{{.*}}, %c0 : index
// CHECK:             %[[END:.*]] = arith.minsi %[[T]], %[[LAST]] : index
// CHECK:             scf.for %{{.*}} = %c0 to %{{.*}} step %c128 {
// CHECK:               scf.for %{{.*}} = %c0 to %[[END]] step %c32 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:                 gpu.barrier
// CHECK:                 memref.load %arg0
// CHECK:                 memref.store %{{.*}}, %[[QS]]
// CHECK:                 memref.load %arg1
// CHECK:                 arith.select
// CHECK:                 memref.store %{{.*}}, %[[KS]]
// CHECK:                 memref.load %arg2
// CHECK:                 memref.store %{{.*}}, %[[VS]]
// CHECK:                 gpu.barrier
// CHECK:                 vector.load %[[KS]]{{.*}} {alignment = 16 : i64}
// CHECK:                 vector.load %[[QS]]{{.*}} {alignment = 16 : i64}
// CHECK:                 math.fma
// CHECK:               arith.cmpi sle
// CHECK:               gpu.shuffle  xor
// CHECK:               arith.maximumf
// CHECK:               math.exp
// CHECK:               math.exp
// CHECK:               gpu.shuffle  xor
// CHECK:               arith.addf
// CHECK:               vector.load %[[VS]]{{.*}} {alignment = 16 : i64}
// CHECK:               gpu.shuffle  idx
// CHECK:               math.fma
// CHECK:             arith.divf
// CHECK:             arith.truncf %{{.*}} : f32 to bf16
// CHECK:             memref.store %{{.*}}, %arg4

func.func @causal(%q: memref<?x?x?xf32>, %k: memref<?x?x?xf32>, %v: memref<?x?x?xf32>, %scale: f32, %o: memref<?x?x?xbf16>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?x?xf32>, memref<?x?x?xf32>, memref<?x?x?xf32>) outs(%o : memref<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 0>}
  return
}

// -----

// bf16 operands and output (GpuAttentionMmaKernel.cpp): at run time, aligned pointers and
// head and value dims multiples of 8 up to 128 take the tensor-core kernel, the
// rest the CUDA-core one. Tensor cores: 128 threads per 64 query rows, two bf16
// tiles of 64 rows padded to 136; the warp's Q fragments loaded once (16-byte
// loads into the K tile, ldmatrix); per tile of 64 keys (m, l per row of the
// lane, 64 accumulator values) K and V copied by cp.async (the next tile's K
// issued after the scores, its V after P V; each tile waits for its own group),
// S = Q K^T by mma.sync per head step present, scale and causal mask, the quad's max by two
// xor shuffles, exp, P packed to bf16 as PV's A fragments, V by ldmatrix.trans.
// At most 16 query rows and at least 512 keys (flash-decoding): the keys split
// over blocks (enough for 16 per multiprocessor) that write their m, l and
// unnormalized accumulators to temporaries, then a kernel combining the splits.
// CHECK-LABEL: func.func @causal_bf16(
// CHECK:         %[[D:.*]] = memref.dim %arg0, %c2
// CHECK:         scf.if
// CHECK:           memref.extract_aligned_pointer_as_index %arg0
// CHECK:           memref.extract_aligned_pointer_as_index %arg1
// CHECK:           memref.extract_aligned_pointer_as_index %arg2
// CHECK:           arith.remui %[[D]], %c8
// CHECK:           arith.cmpi ule, %[[D]], %c128
// CHECK:           scf.if %[[MMA:.*]] {
// CHECK:             %[[LONG:.*]] = arith.cmpi uge, %[[T:.*]], %c512 : index
// CHECK:             %[[FEW:.*]] = arith.cmpi ule, %[[S:.*]], %c16 : index
// CHECK:             %[[DECODE:.*]] = arith.andi %[[FEW]], %[[LONG]] : i1
// CHECK:             scf.if %[[DECODE]] {
// CHECK:               func.call @vibee_cuda_sm_count()
// CHECK:               %[[PO:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:               %[[PM:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:               %[[PL:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:               gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c128, {{.*}}) workgroup(%{{.*}} : memref<64x136xbf16
// CHECK:                 memref.store %{{.*}}, %[[PM]]
// CHECK:                 memref.store %{{.*}}, %[[PL]]
// CHECK:                 memref.store %{{.*}}, %[[PO]]
// CHECK:               gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) {
// CHECK:                 memref.load %[[PM]]
// CHECK:                 math.exp
// CHECK:                 memref.load %[[PO]]
// CHECK:                 arith.divf
// CHECK:                 memref.store %{{.*}}, %arg4
// CHECK:               memref.dealloc %[[PO]]
// CHECK:             } else {
// CHECK:             gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1, %{{.*}} = %c1) workgroup(%[[KT:.*]] : memref<64x136xbf16, #gpu.address_space<workgroup>>, %[[VT:.*]] : memref<64x136xbf16, #gpu.address_space<workgroup>>) {
// CHECK:               vector.load %arg0{{.*}} : memref<?x?x?xbf16>, vector<8xbf16>
// CHECK:               vector.store %{{.*}}, %[[KT]]
// CHECK:               gpu.barrier
// CHECK:               nvgpu.ldmatrix %[[KT]]{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK:               gpu.barrier
// CHECK:               nvvm.cp.async.shared.global {{.*}}, 16, cache =  cg, {{.*}} : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK:               nvvm.cp.async.commit.group
// CHECK:               nvvm.cp.async.commit.group
// CHECK:               scf.for %{{.*}} = %c0 to %{{.*}} step %c64 iter_args
// CHECK:                 nvvm.cp.async.wait.group 1
// CHECK:                 gpu.barrier
// CHECK:                 nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>
// CHECK:                 arith.cmpi sle
// CHECK:                 gpu.shuffle  xor %{{.*}}, %c1_i32
// CHECK:                 gpu.shuffle  xor %{{.*}}, %c2_i32
// CHECK:                 math.exp
// CHECK:                 arith.truncf %{{.*}} : f32 to bf16
// CHECK:                 gpu.barrier
// CHECK:                 nvvm.cp.async.commit.group
// CHECK:                 nvvm.cp.async.wait.group 1
// CHECK:                 gpu.barrier
// CHECK:                 nvgpu.ldmatrix %[[VT]]{{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:                 nvvm.mma.sync
// CHECK:                 gpu.barrier
// CHECK:                 nvvm.cp.async.commit.group
// CHECK:               nvvm.cp.async.wait.group 0
// CHECK:               arith.divf
// CHECK:               memref.store %{{.*}}, %arg4
// CHECK:           } else {
// CHECK:             gpu.launch {{.*}} workgroup(%{{.*}} : memref<16x128xf32, #gpu.address_space<workgroup>>
func.func @causal_bf16(%q: memref<?x?x?xbf16>, %k: memref<?x?x?xbf16>, %v: memref<?x?x?xbf16>, %scale: f32, %o: memref<?x?x?xbf16>) {
  vibee.attention ins(%q, %k, %v, %scale : memref<?x?x?xbf16>, memref<?x?x?xbf16>, memref<?x?x?xbf16>) outs(%o : memref<?x?x?xbf16>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] {causal = array<i64: 1, 3, 0>}
  return
}

// -----

// Grouped-query attention with a mask tensor: the rows of a batch item (b, g)
// are r x i (R * S of them), each row's query coordinates from its index; the
// bias is read per row and key (clamped, selected), no causal end.
// CHECK-LABEL: func.func @gqa_bias(
// CHECK-DAG:     %[[B:.*]] = memref.dim %arg0, %c0
// CHECK-DAG:     %[[G:.*]] = memref.dim %arg0, %c1
// CHECK-DAG:     %[[R:.*]] = memref.dim %arg0, %c2
// CHECK-DAG:     %[[S:.*]] = memref.dim %arg0, %c3
// CHECK:         %[[ITEMS:.*]] = arith.muli %[[B]], %[[G]] : index
// CHECK:         %[[ROWS:.*]] = arith.muli %[[R]], %[[S]] : index
// CHECK:         scf.if
// CHECK:         %[[ROWBLOCKS:.*]] = arith.ceildivui %[[ROWS]], %c16 : index
// CHECK:         arith.muli %[[ITEMS]], %[[ROWBLOCKS]] : index
// CHECK:         gpu.launch
// CHECK-NOT:       arith.maxsi
// CHECK:           memref.load %arg4[
// CHECK:           arith.select
// CHECK:           memref.store %{{.*}}, %arg5[

func.func @gqa_bias(%q: memref<?x?x?x?x?xf32>, %k: memref<?x?x?x?xf32>, %v: memref<?x?x?x?xf32>, %scale: f32, %mask: memref<?x?xf32>, %o: memref<?x?x?x?x?xf32>) {
  vibee.attention ins(%q, %k, %v, %scale, bias %mask : memref<?x?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?x?x?x?xf32>) maps [affine_map<(b, g, r, i, e, j, d) -> (b, g, r, i, d)>, affine_map<(b, g, r, i, e, j, d) -> (b, g, j, d)>, affine_map<(b, g, r, i, e, j, d) -> (b, g, j, e)>, affine_map<(b, g, r, i, e, j, d) -> (i, j)>, affine_map<(b, g, r, i, e, j, d) -> (b, g, r, i, e)>]
  return
}


// -----

// On tensors (before bufferization) the op is not taken.
// CHECK-LABEL: func.func @tensors(
// CHECK:         vibee.attention
// CHECK-NOT:     gpu.launch

func.func @tensors(%q: tensor<?x?x?xf32>, %k: tensor<?x?x?xf32>, %v: tensor<?x?x?xf32>, %scale: f32, %o: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %r = vibee.attention ins(%q, %k, %v, %scale : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) outs(%o : tensor<?x?x?xf32>) maps [affine_map<(h, i, e, j, d) -> (h, i, d)>, affine_map<(h, i, e, j, d) -> (h, j, d)>, affine_map<(h, i, e, j, d) -> (h, j, e)>, affine_map<(h, i, e, j, d) -> (h, i, e)>] -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}
