// RUN: %vibee-opt %s --vibee-cpu-pack-contractions="bf16-dot=true" --vibee-cpu-tile-matmul="vector-bits=512 l1-bytes=32768 l2-bytes=1048576 l3-bytes=0 cores=1 bf16-dot=true threads=false" --canonicalize | FileCheck %s

// vibee-cpu-tile-matmul's K blocks for the bf16 packed dot-product kernel
// (tilesFor). With several register columns a K block is up to 1024 bf16
// long, a static K split into equal blocks of a multiple of 16: every C tile
// is loaded and stored once per K block, and L1-sized blocks (256 here) made
// that traffic a sixth of the time. The packed B panel is [NC / 32][KC / 2][64].

// K = 3000: three blocks of 1008 (504 pairs).
// CHECK-LABEL: func.func @long_k
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<{{[0-9]+}}x504x64xbf16>
func.func @long_k(%x: memref<512x3000xbf16>, %w: memref<256x3000xbf16>, %y: memref<512x256xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<512x3000xbf16>, memref<256x3000xbf16>) outs(%y : memref<512x256xf32>)
  return
}

// A dynamic K: blocks of 1024 (512 pairs). The transposed product of a few
// rows (one register column, N = 16 or 32) keeps its own, longer blocks sized
// to L2 (CpuTarget.cpp).
// CHECK-LABEL: func.func @dynamic_k
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<1x8192x32xbf16>
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<1x4096x64xbf16>
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<{{[0-9]+}}x512x64xbf16>
func.func @dynamic_k(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>, %y: memref<?x?xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<?x?xbf16>, memref<?x?xbf16>) outs(%y : memref<?x?xf32>)
  return
}

// K = 300, shorter than a block: one block of 304 (152 pairs).
// CHECK-LABEL: func.func @short_k
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<{{[0-9]+}}x152x64xbf16>
func.func @short_k(%x: memref<512x300xbf16>, %w: memref<256x300xbf16>, %y: memref<512x256xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : memref<512x300xbf16>, memref<256x300xbf16>) outs(%y : memref<512x256xf32>)
  return
}
