// RUN: %vibee-opt %s -split-input-file -vibee-gpu-map-kernels -canonicalize -cse | FileCheck %s

// Elementwise: one grid-stride kernel over the flattened domain, 256 threads,
// grid = max(1, min(ceil(N / (256 * 4)), 4 * SMs)); when both pointers are
// 16-byte aligned, 4 floats per operand per step (vector.load/store), then a
// scalar tail; otherwise a scalar loop. A fill is generalized and mapped too.
// CHECK-LABEL: func.func private @vibee_cuda_sm_count() -> i32
// CHECK-LABEL: func.func @axpy(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>, %[[A:.*]]: f32, %[[Z:.*]]: memref<?xbf16>)
// CHECK-DAG:     %[[C1024:.*]] = arith.constant 1024 : index
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[X1:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1]] : memref<?x?xf32> into memref<?xf32>
// CHECK-DAG:     %[[Y1:.*]] = memref.collapse_shape %[[Y]] {{\[}}[0, 1]] : memref<?x?xf32> into memref<?xf32>
// CHECK:         %[[N:.*]] = arith.muli
// CHECK:         %[[NEED:.*]] = arith.ceildivui %[[N]], %[[C1024]] : index
// CHECK:         %[[SMS:.*]] = call @vibee_cuda_sm_count() : () -> i32
// CHECK:         %[[CAP:.*]] = arith.muli
// CHECK:         %[[MIN:.*]] = arith.minui %[[NEED]], %[[CAP]] : index
// CHECK:         %[[GRID:.*]] = arith.maxui %[[MIN]], %{{.*}} : index
// CHECK:         gpu.launch blocks({{.*}}) in (%{{.*}} = %[[GRID]], {{.*}}) threads({{.*}}) in (%{{.*}} = %[[C256]],
// CHECK:           memref.extract_aligned_pointer_as_index %[[X1]]
// CHECK:           memref.extract_aligned_pointer_as_index %[[Y1]]
// CHECK:           scf.if
// CHECK:             scf.for
// CHECK:               vector.load %[[X1]][{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK:               vector.load %[[Y1]][{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK-COUNT-4:       arith.mulf %{{.*}}, %[[A]] : f32
// CHECK:               vector.store %{{.*}}, %[[Y1]][{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK:             scf.for
// CHECK:               memref.load %[[X1]]
// CHECK:               memref.store %{{.*}}, %[[Y1]]
// CHECK:           } else {
// CHECK:             scf.for
// CHECK:               memref.load %[[X1]]
// CHECK:               memref.store %{{.*}}, %[[Y1]]
// CHECK:         gpu.launch
// CHECK:           vector.store %{{.*}}, %[[Z]][{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK-NOT:     linalg.
func.func @axpy(%x: memref<?x?xf32>, %y: memref<?x?xf32>, %a: f32, %z: memref<?xbf16>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %a : f32
    %s = arith.addf %m, %out : f32
    linalg.yield %s : f32
  }
  %zero = arith.constant 0.0 : bf16
  linalg.fill ins(%zero : bf16) outs(%z : memref<?xbf16>)
  return
}

// -----

// Row group: softmax's max, exp-sum and output statements in ONE launch. Rows of
// at most 4 16-byte steps per lane (512 floats) take a warp each, 8 rows per block
// of 32 x 8 threads, the rows past the end skipping the body: the row in
// registers, the reductions as warp shuffles, no block barrier (the strided
// version waits for its warp). Longer rows take one block of 256 threads per row,
// one shared-memory slot per warp and reduction. The temporaries (mx, sum), their
// fills and deallocs disappear: the per-row values stay in registers. A row of at
// most 4096 floats on the vector path is loaded once, in 4 predicated 16-byte
// steps per thread, and kept in registers for the later statements; otherwise
// each statement is a strided pass.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[C4096:.*]] = arith.constant 4096 : index
// CHECK-DAG:     %[[C512:.*]] = arith.constant 512 : index
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK:         %[[ROWS:.*]] = memref.dim %[[X]], %c0
// CHECK:         %[[COLS:.*]] = memref.dim %[[X]], %c1
// CHECK-NOT:     memref.alloc
// CHECK:         arith.cmpi ule, %[[COLS]], %[[C512]] : index
// CHECK:         scf.if
// CHECK:           scf.if
// CHECK-NEXT:        %[[BLOCKS:.*]] = arith.ceildivui %[[ROWS]], %[[C8]] : index
// CHECK-NEXT:        gpu.launch blocks({{.*}}) in (%{{.*}} = %[[BLOCKS]], {{.*}}) threads({{.*}}) in (%{{.*}} = %[[C32]], %{{.*}} = %[[C8]], {{.*}})
// CHECK:               arith.cmpi ult, %{{.*}}, %[[ROWS]] : index
// CHECK-COUNT-4:       vector.load %[[X]]{{.*}} {alignment = 16 : i64} : memref<?x?xf32>, vector<4xf32>
// CHECK-NOT:           gpu.barrier
// CHECK-COUNT-4:       vector.store %{{.*}}, %[[Y]]{{.*}} {alignment = 16 : i64} : memref<?x?xf32>, vector<4xf32>
// CHECK-NOT:           gpu.barrier
// CHECK:               nvvm.bar.warp.sync
// CHECK-NOT:           gpu.barrier
// CHECK:         } else {
// CHECK:           scf.if
// CHECK-NEXT:      gpu.launch blocks({{.*}}) in (%{{.*}} = %[[ROWS]], {{.*}}) threads({{.*}}) in (%{{.*}} = %[[C256]], {{.*}}) workgroup(%[[MAX:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[SUM:.*]] : memref<8xf32, #gpu.address_space<workgroup>>) {
// CHECK:             arith.cmpi ule, %[[COLS]], %[[C4096]] : index
// CHECK:             scf.if
// CHECK-COUNT-4:       vector.load %[[X]]{{.*}} {alignment = 16 : i64} : memref<?x?xf32>, vector<4xf32>
// CHECK-NOT:           vector.load
// CHECK:               gpu.shuffle  xor
// CHECK:               memref.store %{{.*}}, %[[MAX]]
// CHECK:               gpu.barrier
// CHECK-NOT:           vector.load
// CHECK:               math.exp
// CHECK-NOT:           vector.load
// CHECK:               memref.store %{{.*}}, %[[SUM]]
// CHECK-NOT:           vector.load
// The sum's fill value, combined with the row's total once.
// CHECK:               arith.addf %{{.*}}, %[[ZERO]] : f32
// CHECK-NOT:           vector.load
// CHECK-COUNT-4:       vector.store %{{.*}}, %[[Y]]{{.*}} {alignment = 16 : i64} : memref<?x?xf32>, vector<4xf32>
// CHECK:             } else {
// CHECK:               scf.for
// CHECK:                 vector.load %[[X]]
// CHECK:               scf.for
// CHECK:                 memref.load %[[X]]
// CHECK:               gpu.shuffle  xor
// CHECK:             gpu.terminator
// CHECK-NOT:     linalg.
// CHECK-NOT:     memref.dealloc
func.func @softmax(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %r = memref.dim %x, %c0 : memref<?x?xf32>
  %mx = memref.alloc(%r) : memref<?xf32>
  linalg.fill ins(%ninf : f32) outs(%mx : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%mx : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %in, %acc : f32
    linalg.yield %m : f32
  }
  %sum = memref.alloc(%r) : memref<?xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>,
                                   affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %mx : memref<?x?xf32>, memref<?xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %s = arith.addf %e, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>,
                                   affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %mx, %sum : memref<?x?xf32>, memref<?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %q = arith.divf %e, %s : f32
    linalg.yield %q : f32
  }
  memref.dealloc %mx : memref<?xf32>
  memref.dealloc %sum : memref<?xf32>
  return
}

// -----

// Matmul: one block of 256 threads per 64 x 64 tile of c, grid
// (ceil(N / 64), min(ceil(M / 64), 65535), 1) with a loop over the m tiles
// (stride gridDim.y: no launch beyond the limits); a and b staged in shared memory 16 values of k
// at a time (zeros outside the matrices), the partial sums start at -0.0 and
// are added to c at the end; multiply-adds contract to FMA.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:    %[[A:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?x?xf32>, %[[C:.*]]: memref<?x?xf32>)
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG:     %[[IDENTITY:.*]] = arith.constant -0.000000e+00 : f32
// CHECK:         %[[M:.*]] = memref.dim %[[A]], %c0
// CHECK:         %[[N:.*]] = memref.dim %[[B]], %c1
// CHECK:         %[[GX:.*]] = arith.ceildivui %[[N]], %[[C64]] : index
// CHECK:         %[[TM:.*]] = arith.ceildivui %[[M]], %[[C64]] : index
// CHECK:         %[[GY:.*]] = arith.minui %[[TM]], %c65535 : index
// CHECK:         gpu.launch blocks(%{{.*}}, %[[BY:.*]], %[[BZ:.*]]) in (%{{.*}} = %[[GX]], %[[SY:.*]] = %[[GY]], %[[SZ:.*]] = %c1) threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%[[ATILE:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[BTILE:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>) {
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c1 step %[[SZ]] {
// CHECK:           scf.for %{{.*}} = %[[BY]] to %[[TM]] step %[[SY]] {
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[IDENTITY]], {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:             memref.load %[[A]]
// CHECK:             memref.store %{{.*}}, %[[ATILE]]
// CHECK:             memref.load %[[B]]
// CHECK:             memref.store %{{.*}}, %[[BTILE]]
// CHECK:             gpu.barrier
// CHECK:             arith.mulf {{.*}} fastmath<contract> : f32
// CHECK-NEXT:        arith.addf {{.*}} fastmath<contract> : f32
// CHECK:             gpu.barrier
// CHECK:           memref.load %[[C]]
// CHECK:           arith.addf {{.*}} fastmath<contract> : f32
// CHECK:           memref.store %{{.*}}, %[[C]]
// CHECK:           gpu.terminator
// CHECK-NOT:     linalg.
func.func @matmul(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Batched, b in the nn.Linear layout (b[z, n, k]): a matmul, not a row group
// (one block per output); the batch on gridDim.z = min(Z, 65535), looped with
// stride gridDim.z; b read transposed.
// CHECK-LABEL: func.func @bmm_nk(
// CHECK-SAME:    %[[A:.*]]: memref<?x?x?xf32>, %[[B:.*]]: memref<?x?x?xf32>, %[[C:.*]]: memref<?x?x?xf32>)
// CHECK:         %[[Z:.*]] = memref.dim %[[A]], %c0
// CHECK:         arith.minui %{{.*}}, %c65535 : index
// CHECK:         %[[GZ:.*]] = arith.minui %[[Z]], %c65535 : index
// CHECK:         gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %[[SZ:.*]] = %[[GZ]])
// CHECK:           scf.for %[[IZ:.*]] = %[[BZ]] to %{{.*}} step %[[SZ]] {
// CHECK:             memref.load %[[A]][%[[IZ]], %{{.*}}, %{{.*}}]
// CHECK:             memref.load %[[B]][%[[IZ]], %[[BN:.*]], %[[BK:.*]]]
// CHECK:           memref.store %{{.*}}, %[[C]][%[[IZ]], %{{.*}}, %{{.*}}]
// CHECK-NOT:     linalg.
func.func @bmm_nk(%a: memref<?x?x?xf32>, %b: memref<?x?x?xf32>, %c: memref<?x?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(z, m, n, k) -> (z, m, k)>, affine_map<(z, m, n, k) -> (z, n, k)>,
                                   affine_map<(z, m, n, k) -> (z, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?x?xf32>, memref<?x?x?xf32>) outs(%c : memref<?x?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// No strategy: a transposed read stays for the generic parallel-loops route,
// untouched.
// CHECK-LABEL: func.func @generic_route(
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-NOT:     gpu.launch
// CHECK-NOT:   vibee_cuda_sm_count
func.func @generic_route(%a: memref<?x?xf32>, %t: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x?xf32>) outs(%t : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

// A bool output is not vectorized (a vector of i1 is stored as packed bits, one
// byte for eight values): the op stays on the generic parallel-loops route.
// CHECK-LABEL: func.func @bool_output(
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.generic
#map = affine_map<(d0) -> (d0)>
func.func @bool_output(%x: memref<?xf32>, %y: memref<?xi1>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xi1>) {
  ^bb0(%v: f32, %o: i1):
    %p = arith.cmpf ogt, %v, %zero : f32
    linalg.yield %p : i1
  }
  return
}

// -----

// Column reduction (a sum over the outer dim): S splits of the rows from the
// SM count (at most 65535), a temporary of S x N partial sums, kernel 1 on
// grid (ceil(N / 128), S) with 16-byte loads (f32: 4 columns per lane) and the
// 8 warps' sums met in shared memory, kernel 2 adding the S partials to db.
// CHECK-LABEL: func.func @colsum(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[DB:.*]]: memref<?xf32>)
// CHECK:         %[[SMS:.*]] = call @vibee_cuda_sm_count()
// CHECK:         arith.minui %{{.*}}, %c65535 : index
// CHECK-NEXT:    %[[S:.*]] = arith.maxui %{{.*}}, %c1 : index
// CHECK:         %[[P:.*]] = memref.alloc(%[[S]], %{{.*}}) : memref<?x?xf32>
// CHECK:         gpu.launch blocks({{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %[[S]], %{{.*}} = %c1) threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%[[SLOTS:.*]] : memref<8x128xf32, #gpu.address_space<workgroup>>) {
// CHECK:           vector.load %[[X]]{{.*}} : memref<?x?xf32>, vector<4xf32>
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %[[P]]
// CHECK:         gpu.launch
// CHECK:           scf.for
// CHECK:             memref.load %[[P]]
// CHECK:           memref.store %{{.*}}, %[[DB]]
// CHECK:         memref.dealloc %[[P]]
// CHECK-NOT:     linalg.
func.func @colsum(%x: memref<?x?xf32>, %db: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, t) -> (t, n)>, affine_map<(n, t) -> (n)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%db : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Full reduction (every loop reduced into a rank-0 output: a norm's sum of
// squares): the input viewed as [N], G = max(1, min(ceil(N / 1024), 4 SMs))
// blocks of 256 threads over 16-byte chunks, each block's sum from warp shuffles
// and one shared-memory exchange into partial[G]; then one block adds the G
// partials to the output. No atomics: deterministic.
// CHECK-LABEL: func.func @sumsq(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[S:.*]]: memref<f32>)
// CHECK:         %[[X1:.*]] = memref.collapse_shape %[[X]] {{\[}}[0, 1]] : memref<?x?xf32> into memref<?xf32>
// CHECK:         call @vibee_cuda_sm_count()
// CHECK:         %[[G:.*]] = arith.maxui %{{.*}}, %c1 : index
// CHECK:         %[[P:.*]] = memref.alloc(%[[G]]) : memref<?xf32>
// CHECK:         gpu.launch blocks({{.*}}) in (%{{.*}} = %[[G]], {{.*}}) threads({{.*}}) in (%{{.*}} = %c256, {{.*}}) workgroup(%{{.*}} : memref<8xf32, #gpu.address_space<workgroup>>) {
// CHECK:           vector.load %[[X1]]{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK:           gpu.shuffle  xor
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %[[P]]
// CHECK:         gpu.launch blocks({{.*}}) in (%{{.*}} = %c1, %{{.*}} = %c1, %{{.*}} = %c1) threads({{.*}}) in (%{{.*}} = %c256, {{.*}})
// CHECK:           memref.load %[[P]]
// CHECK:           gpu.shuffle  xor
// CHECK:           memref.load %[[S]][]
// CHECK:           memref.store %{{.*}}, %[[S]][]
// CHECK:         memref.dealloc %[[P]]
// CHECK-NOT:     linalg.
func.func @sumsq(%x: memref<?x?xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %sum = arith.addf %sq, %acc : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// A full reduction whose input is not read at all loops in order (here a
// transposed read) stays for the other routes.
// CHECK-LABEL: func.func @sum_transposed(
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.generic
func.func @sum_transposed(%x: memref<?x?xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %sum = arith.addf %in, %acc : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// bf16 x bf16 -> f32 in the nn.Linear layout: the tensor-core kernel
// (ldmatrix, nvvm.mma.sync m16n8k16 bf16) when the host's check passes (16-byte
// aligned operands, K % 8 == 0), the FMA kernel otherwise.
// CHECK-LABEL: func.func @linear_bf16(
// CHECK:         memref.extract_aligned_pointer_as_index
// CHECK:         scf.if %{{.*}} {
// CHECK:           gpu.launch {{.*}} workgroup(%[[AT:.*]] : memref<128x40xbf16, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<128x40xbf16, #gpu.address_space<workgroup>>) {
// CHECK:             nvgpu.ldmatrix %[[AT]]{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK:             nvgpu.ldmatrix %[[BT]]{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK:             nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
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
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// One buffer reused for two row values (bufferization's reuse in attention: the
// running max, then the sum), each after its own fill: the sum's row-group kernel
// starts from the second fill (0), not the first (-inf).
// CHECK-LABEL: func.func @reused_row_buffer(
// CHECK-DAG:     %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     arith.addf %{{.*}}, %[[NINF]] : f32
// CHECK:         arith.addf %{{.*}}, %[[ZERO]] : f32
// CHECK-NOT:     arith.addf %{{.*}}, %[[NINF]] : f32
// CHECK:         return
func.func @reused_row_buffer(%x: memref<?x?xf32>, %r: memref<?xf32>, %o: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %x, %c0 : memref<?x?xf32>
  %cols = memref.dim %x, %c1 : memref<?x?xf32>
  %buf = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%ninf : f32) outs(%buf : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<?x?xf32>) outs(%buf : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %buf : memref<?x?xf32>, memref<?xf32>) outs(%o : memref<?x?xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    linalg.yield %e : f32
  }
  linalg.fill ins(%zero : f32) outs(%buf : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%o : memref<?x?xf32>) outs(%buf : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  memref.copy %buf, %r : memref<?xf32> to memref<?xf32>
  memref.dealloc %buf : memref<?xf32>
  return
}

// -----

// A max and the exp-sum after it (logsumexp; softmax's first two statements).
// With the row in registers, two reductions as above; with strided passes, one
// online pass: a running max from the lowest finite value and a sum rescaled to
// it, one exp per element (of -|x - m|), the pairs combined by shuffles and one
// exchange through both statements' slots; the max itself reduced beside them
// (from its identity, -inf) after a barrier, and the sum rescaled to it
// (GpuRowGroupOnlineMaxSum.cpp).
// CHECK-LABEL: func.func @logsumexp(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?xf32>)
// CHECK-DAG:     %[[LOWEST:.*]] = arith.constant -3.40282347E+38 : f32
// CHECK-DAG:     %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         gpu.launch {{.*}} workgroup(%[[MS:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[SS:.*]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK:           scf.if
// CHECK-COUNT-4:     vector.load %[[X]]
// CHECK:             memref.store %{{.*}}, %[[MS]]
// CHECK:             math.exp
// CHECK:             memref.store %{{.*}}, %[[SS]]
// CHECK:           } else {
// CHECK:             scf.if
// CHECK:               scf.for {{.*}} iter_args(%{{.*}} = %[[LOWEST]], %{{.*}} = %{{.*}}, %{{.*}} = %[[NINF]]) -> (f32, f32, f32)
// CHECK-NEXT:            vector.load %[[X]]
// CHECK-NOT:             vector.load
// CHECK-COUNT-4:         math.absf
// CHECK:                 scf.yield
// CHECK:             } else {
// CHECK:               scf.for {{.*}} iter_args(%{{.*}} = %[[LOWEST]], %{{.*}} = %{{.*}}, %{{.*}} = %[[NINF]]) -> (f32, f32, f32)
// CHECK-NEXT:            memref.load %[[X]]
// CHECK:                 math.absf
// CHECK-NOT:             memref.load %[[X]]
// CHECK:                 scf.yield
// CHECK:             gpu.shuffle  xor
// CHECK-NEXT:        gpu.shuffle  xor
// CHECK:             memref.store %{{.*}}, %[[MS]]
// CHECK-NEXT:        memref.store %{{.*}}, %[[SS]]
// CHECK:             gpu.barrier
// CHECK:             gpu.barrier
// CHECK:             gpu.shuffle  xor
// CHECK:             memref.store %[[M:.*]], %[[MS]]
// CHECK:             gpu.barrier
// CHECK-NOT:         memref.load %[[X]]
// CHECK:             math.log
// CHECK:           gpu.terminator
func.func @logsumexp(%x: memref<?x?xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %r = memref.dim %x, %c0 : memref<?x?xf32>
  %mx = memref.alloc(%r) : memref<?xf32>
  linalg.fill ins(%ninf : f32) outs(%mx : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%mx : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %in, %acc : f32
    linalg.yield %m : f32
  }
  %sum = memref.alloc(%r) : memref<?xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %mx : memref<?x?xf32>, memref<?xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %s = arith.addf %e, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%sum, %mx : memref<?xf32>, memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%s: f32, %m: f32, %out: f32):
    %l = math.log %s : f32
    %v = arith.addf %l, %m : f32
    linalg.yield %v : f32
  }
  memref.dealloc %mx : memref<?xf32>
  memref.dealloc %sum : memref<?xf32>
  return
}

// -----

// Row by row (GpuRowElementwiseKernels.cpp): a gather along contiguous rows.
// T threads per row (the smallest power of two >= ceil(D / 8), at most 256),
// 256 / T rows per block; the id, its gathered position (and check) once per
// row, outside the column loop; two chunks of 4 columns per thread and step,
// every load before the first store, as vector accesses when D % 4 == 0 and
// the output and the table (and its rows) are 16-byte aligned; else 8 scalar
// columns per step (the choice made per row, after the row's uniform values).
// CHECK-LABEL: func.func @embed_rows(
// CHECK-SAME:    %[[TABLE:.*]]: memref<?x?xf32>, %[[IDS:.*]]: memref<?xi32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[V:.*]] = memref.dim %[[TABLE]], %c0
// CHECK-DAG:     %[[S:.*]] = memref.dim %[[IDS]], %c0
// CHECK-DAG:     %[[D:.*]] = memref.dim %[[Y]], %c1
// CHECK:         %[[GROUPS:.*]] = arith.ceildivui %[[D]], %c8 : index
// CHECK:         %[[T:.*]] = arith.select %{{.*}}, %c1, %{{.*}} : index
// CHECK:         %[[ROWS:.*]] = arith.divui %[[C256]], %[[T]] : index
// CHECK:         %[[NEED:.*]] = arith.ceildivui %[[S]], %[[ROWS]] : index
// CHECK:         %[[TD:.*]] = memref.dim %[[TABLE]], %c1
// CHECK:         arith.remui %[[TD]], %c4
// CHECK:         %[[OK:.*]] = arith.andi
func.func @embed_rows(%table: memref<?x?xf32>, %ids: memref<?xi32>, %y: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %v = memref.dim %table, %c0 : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%ids : memref<?xi32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%id: i32, %out: f32):
    %i = arith.index_cast %id : i32 to index
    %row = vibee.gather_index %i into %v
    %d = linalg.index 1 : index
    %x = memref.load %table[%row, %d] : memref<?x?xf32>
    linalg.yield %x : f32
  }
  return
}

// -----

// A broadcast operand along the row (a bias b[n]) is read in vectors like the
// others.
// CHECK-LABEL: func.func @bias_rows(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK:         gpu.launch
// CHECK:           scf.for %[[R:.*]] =
// CHECK:             scf.for %[[C:.*]] =
// CHECK:               vector.load %[[X]][%[[R]], %[[C]]]
// CHECK:               vector.load %[[B]][%[[C]]]
// CHECK:               arith.addf
// CHECK:               vector.store %{{.*}}, %[[Y]][%[[R]], %[[C]]]
func.func @bias_rows(%x: memref<?x?xf32>, %b: memref<?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A load that runs backwards along the row is not a row load: no vector path,
// 8 scalar columns per step; the two outer indices come from the flattened row
// once per row.
// CHECK-LABEL: func.func @reversed_rows(
// CHECK-NOT:     vector.load
// CHECK:         gpu.launch
// CHECK:           scf.for %[[ROW:.*]] =
// CHECK-NEXT:        %[[J:.*]] = arith.remui %[[ROW]], %{{.*}} : index
// CHECK-NEXT:        %[[I:.*]] = arith.divui %[[ROW]], %{{.*}} : index
// CHECK:             scf.for %[[K:.*]] =
// CHECK:               %[[LAST:.*]] = arith.subi %{{.*}}, %[[K]] : index
// CHECK:               %[[R:.*]] = arith.subi %[[LAST]], %c1 : index
// CHECK:               memref.load %{{.*}}[%[[I]], %[[J]], %[[R]]]
// CHECK-NOT:     vector.load
func.func @reversed_rows(%x: memref<?x?x?xf32>, %y: memref<?x?x?xf32>) {
  %c2 = arith.constant 2 : index
  %n = memref.dim %x, %c2 : memref<?x?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%y : memref<?x?x?xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %k = linalg.index 2 : index
    %last = arith.subi %n, %k : index
    %c1 = arith.constant 1 : index
    %r = arith.subi %last, %c1 : index
    %v = memref.load %x[%i, %j, %r] : memref<?x?x?xf32>
    linalg.yield %v : f32
  }
  return
}

// -----

// A row load at an offset along the row (rotate-half RoPE's x[s, j + H],
// here x[s, j + k]): in vectors when the offset is a multiple of 4 too, checked
// per row.
// CHECK-LABEL: func.func @offset_rows(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[K:.*]]: index, %[[Y:.*]]: memref<?x2x?xf32>)
// CHECK:         gpu.launch
// CHECK:           scf.for
// CHECK:             %[[REM:.*]] = arith.remui %[[K]], %c4 : index
// CHECK:             %[[ALIGNED:.*]] = arith.cmpi eq, %[[REM]], %c0 : index
// CHECK:             %[[OK:.*]] = arith.andi %{{.*}}, %[[ALIGNED]] : i1
// CHECK:             scf.if %[[OK]] {
// CHECK:               scf.for %[[C:.*]] =
// CHECK:                 %[[SHIFTED:.*]] = arith.addi %[[C]], %[[K]] : index
// CHECK:                 vector.load %[[X]][%{{.*}}, %[[SHIFTED]]] {alignment = 16 : i64}
func.func @offset_rows(%x: memref<?x?xf32>, %k: index, %y: memref<?x2x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%y : memref<?x2x?xf32>) {
  ^bb0(%out: f32):
    %s = linalg.index 0 : index
    %j = linalg.index 2 : index
    %jk = arith.addi %j, %k : index
    %v = memref.load %x[%s, %jk] : memref<?x?xf32>
    linalg.yield %v : f32
  }
  return
}

// -----

// A per-row statement that loads, through a view, what the row group writes
// (y, by an earlier member) stays out of the group: its threads would race
// with the ones writing y. Views of one buffer count as that buffer.
// CHECK-LABEL: func.func @view_of_group_output(
// CHECK:         gpu.launch {{.*}} workgroup(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK-NEXT:    ^bb0(
// CHECK-NEXT:      linalg.index 0
// CHECK-NEXT:      memref.load
func.func @view_of_group_output(%x: memref<?x?xf32>, %at: memref<?xindex>, %y: memref<?x?xf32>, %z: memref<?xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %x, %c0 : memref<?x?xf32>
  %cols = memref.dim %x, %c1 : memref<?x?xf32>
  %m = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%ninf : f32) outs(%m : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : memref<?x?xf32>, memref<?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    linalg.yield %0 : f32
  }
  %yv = memref.cast %y : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1], offset: ?>>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%at, %m : memref<?xindex>, memref<?xf32>) outs(%z : memref<?xf32>) {
  ^bb0(%a: index, %mx: f32, %out: f32):
    %r = linalg.index 0 : index
    %0 = memref.load %yv[%r, %a] : memref<?x?xf32, strided<[?, 1], offset: ?>>
    %1 = arith.addf %0, %mx : f32
    linalg.yield %1 : f32
  }
  memref.dealloc %m : memref<?xf32>
  return
}

// -----

// A load of the same element all along the row (top-p's c[b, K - 1]) keeps the
// vector path: it is read once per lane, the row's other operands in vectors.
// CHECK-LABEL: func.func @row_uniform_load(
// CHECK-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[T:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK:         gpu.launch
// CHECK:           vector.load %[[X]]
// CHECK:           memref.load %[[T]]
// CHECK:           vector.store %{{.*}}, %[[Y]]
func.func @row_uniform_load(%x: memref<?x?xf32>, %t: memref<?x?xf32>, %y: memref<?x?xf32>) {
  %c1 = arith.constant 1 : index
  %k = memref.dim %t, %c1 : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = linalg.index 0 : index
    %last = arith.subi %k, %c1 : index
    %v = memref.load %t[%r, %last] : memref<?x?xf32>
    %q = arith.divf %in, %v : f32
    linalg.yield %q : f32
  }
  return
}
