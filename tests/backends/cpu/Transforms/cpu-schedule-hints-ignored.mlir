// RUN: %vibee-opt %s -split-input-file -verify-diagnostics --vibee-cpu-tile-matmul="mr=8 nr=32 mc=256 nc=256 kc=256" --vibee-cpu-parallelize | FileCheck %s

// Hints are hints: one the CPU passes cannot take is dropped with a remark
// (printed by `vibeec compile --verbose`), and the defaults stay.

// tile(N = 100) is no multiple of NR = 32, tile(M = 12) none of MR = 8, and
// vector(64) is wider than the 32-wide register tile: the default panel (256),
// M block (256) and vector<32xf32> rows stay; tile(K = 64) applies.
// CHECK-LABEL: func.func @mm_misfit(
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<8x64x32xf32>
// CHECK:         vector<32xf32>
#mm = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @mm_misfit(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {
    vibee.dim_names = ["M", "K", "N"], vibee.arg_dims = [[0, 1], [1, 2], [0, 2]],
    vibee.schedule = {tile = {M = 12, N = 100, K = 64}, vector = 64}} {
  // expected-remark @+3 {{schedule hint tile(M = 12) ignored: the M tile must be a multiple of 8}}
  // expected-remark @+2 {{schedule hint tile(N = 100) ignored: the N panel must be a multiple of 32}}
  // expected-remark @+1 {{schedule hint vector(64) ignored: the register tile is 32 wide}}
  linalg.generic {indexing_maps = #mm, iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// tile(N = 8192, K = 4096) fit the register tile but would make each thread's packed
// B panel 128 MiB: both are dropped (the defaults: 256 x 256).
// CHECK-LABEL: func.func @mm_huge(
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<8x256x32xf32>
#mm = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @mm_huge(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {
    vibee.dim_names = ["M", "K", "N"], vibee.arg_dims = [[0, 1], [1, 2], [0, 2]],
    vibee.schedule = {tile = {N = 8192, K = 4096}}} {
  // expected-remark @+1 {{schedule hint tile(N = 8192, K = 4096) ignored: the packed B panel would exceed 64 MiB}}
  linalg.generic {indexing_maps = #mm, iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// parallel(M): the matmul's threads split only its N panels, so its micro-kernel
// runs serially (inline, no runtime call over N panels); its two edge strips
// (plain generics) are split over M rows by vibee-cpu-parallelize (no chunk size).
// CHECK-LABEL: func.func @mm_parallel_m(
// CHECK:         scf.if
// CHECK-NOT:       llvm.call
// CHECK:           vector.fma
// CHECK-NOT:     llvm.call @vibee_parallel_for_or_serial({{.*}}, %c256_i64
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c0_i64,
// CHECK:         llvm.call @vibee_parallel_for_or_serial(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c0_i64_{{[0-9]+}},
// CHECK:         return
#mm = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @mm_parallel_m(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) attributes {
    vibee.dim_names = ["M", "K", "N"], vibee.arg_dims = [[0, 1], [1, 2], [0, 2]],
    vibee.schedule = {parallel = ["M"]}} {
  // expected-remark @+1 {{schedule hint parallel(...) leaves the matmul serial: its threads split only the N panels}}
  linalg.generic {indexing_maps = #mm, iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// parallel(K) on a row sum over (R, K): K is a reduction loop, so nothing splits.
// CHECK-LABEL: func.func @rowsum(
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @rowsum(%x: memref<?x?xf32>, %y: memref<?xf32>) attributes {
    vibee.dim_names = ["R", "K"], vibee.arg_dims = [[0, 1], [0]],
    vibee.schedule = {parallel = ["K"]}} {
  // expected-remark @+1 {{schedule hint parallel(...) names no loop this op can split over threads: it runs serially}}
  linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  return
}
