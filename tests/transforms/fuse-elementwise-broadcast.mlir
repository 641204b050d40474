// RUN: %vibee-opt %s --vibee-fuse-elementwise | FileCheck %s --check-prefix=ONCE
// RUN: %vibee-opt %s --vibee-fuse-elementwise=max-broadcast-recompute=2 | FileCheck %s --check-prefix=TWICE

// RoPE's table c[s, j] = cos(p[s] * f[j]) read as c[s, j] by y[s, h, j] with h
// of extent 2: by default (the CPU, the C++ output) the table stays its own loop
// nest, each cosine computed once; with max-broadcast-recompute=2 (the GPU
// takes 4) it is fused into y, each cosine computed twice and no table written.
// A broadcast over a dynamic loop (z[s, n, j], n of size N) stays unfused.
#s = affine_map<(d0, d1) -> (d0)>
#j = affine_map<(d0, d1) -> (d1)>
#sj = affine_map<(d0, d1) -> (d0, d1)>
#sj3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#shj = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// ONCE-LABEL: func.func @rope_table(
// ONCE:         math.cos
// ONCE:         linalg.yield
// ONCE:         linalg.generic
// ONCE-NOT:     math.cos
// ONCE:         return
// TWICE-LABEL: func.func @rope_table(
// TWICE:         %[[Y:.*]] = linalg.generic
// TWICE-SAME:      iterator_types = ["parallel", "parallel", "parallel"]
// TWICE:           math.cos
// TWICE:           arith.mulf
// TWICE:         return %[[Y]]
func.func @rope_table(%p: tensor<?xf32>, %f: tensor<?xf32>, %x: tensor<?x2x?xf32>) -> tensor<?x2x?xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %s = tensor.dim %x, %c0 : tensor<?x2x?xf32>
  %h = tensor.dim %x, %c2 : tensor<?x2x?xf32>
  %e = tensor.empty(%s, %h) : tensor<?x?xf32>
  %c = linalg.generic {indexing_maps = [#s, #j, #sj], iterator_types = ["parallel", "parallel"]}
      ins(%p, %f : tensor<?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %v = math.cos %m : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  %e3 = tensor.empty(%s, %h) : tensor<?x2x?xf32>
  %y = linalg.generic {indexing_maps = [#sj3, #shj, #shj], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%c, %x : tensor<?x?xf32>, tensor<?x2x?xf32>) outs(%e3 : tensor<?x2x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<?x2x?xf32>
  return %y : tensor<?x2x?xf32>
}

// TWICE-LABEL: func.func @dynamic_broadcast(
// TWICE:         math.cos
// TWICE:         linalg.yield
// TWICE:         linalg.generic
// TWICE-NOT:     math.cos
// TWICE:         return
func.func @dynamic_broadcast(%p: tensor<?xf32>, %f: tensor<?xf32>, %x: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %s = tensor.dim %x, %c0 : tensor<?x?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?x?xf32>
  %h = tensor.dim %x, %c2 : tensor<?x?x?xf32>
  %e = tensor.empty(%s, %h) : tensor<?x?xf32>
  %c = linalg.generic {indexing_maps = [#s, #j, #sj], iterator_types = ["parallel", "parallel"]}
      ins(%p, %f : tensor<?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %v = math.cos %m : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  %e3 = tensor.empty(%s, %n, %h) : tensor<?x?x?xf32>
  %y = linalg.generic {indexing_maps = [#sj3, #shj, #shj], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%c, %x : tensor<?x?xf32>, tensor<?x?x?xf32>) outs(%e3 : tensor<?x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}
