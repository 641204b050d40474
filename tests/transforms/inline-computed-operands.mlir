// RUN: %vibee-opt %s -split-input-file -vibee-inline-computed-operands -canonicalize | FileCheck %s

// A dequantized weight (int8 codes times a scale per group of 128 k, the form
// vibee-lower-to-linalg builds as a contraction's B prologue): the prologue
// goes into the contraction's payload; no [N, K] tensor is left.
// CHECK-LABEL: func.func @group_scale(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x?xf32>, %[[W:[a-z0-9]+]]: tensor<?x?xi8>, %[[S:[a-z0-9]+]]: tensor<?x?xf32>
// CHECK-NOT:     tensor.empty
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[W]], %[[S]] : tensor<?x?xf32>, tensor<?x?xi8>, tensor<?x?xf32>)
// CHECK:           arith.sitofp
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK-NOT:     linalg.generic
func.func @group_scale(%x: tensor<?x?xf32>, %w: tensor<?x?xi8>, %s: tensor<?x?xf32>,
                       %c: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %w, %c0 : tensor<?x?xi8>
  %k = tensor.dim %w, %c1 : tensor<?x?xi8>
  %e = tensor.empty(%n, %k) : tensor<?x?xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n, k floordiv 128)>,
                                        affine_map<(n, k) -> (n, k)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w, %s : tensor<?x?xi8>, tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%q: i8, %sc: f32, %o: f32):
    %f = arith.sitofp %q : i8 to f32
    %v = arith.mulf %f, %sc : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                        affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%c : tensor<?x?xf32>) {
  ^bb0(%a: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %a, %bv : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Left as they are: a computed A (it reads m: the matmul kernels tile m), a
// bf16 B (the tensor-core kernels read it from memory) and a B that another
// statement also reads.
// CHECK-LABEL: func.func @kept(
// CHECK-COUNT-6: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @kept(%x: tensor<?x?xf32>, %w: tensor<?x?xf32>, %c: tensor<?x?xf32>,
                %x16: tensor<?x?xbf16>, %e16: tensor<?x?xbf16>, %ea: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %ex = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m, k)>],
                        iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x?xf32>) outs(%ea : tensor<?x?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %y1 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                         affine_map<(m, n, k) -> (m, n)>],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ex, %w : tensor<?x?xf32>, tensor<?x?xf32>) outs(%c : tensor<?x?xf32>) {
  ^bb0(%a: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %a, %bv : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %w16 = linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n, k)>],
                         iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<?x?xf32>) outs(%e16 : tensor<?x?xbf16>) {
  ^bb0(%v: f32, %o: bf16):
    %r = arith.truncf %v : f32 to bf16
    linalg.yield %r : bf16
  } -> tensor<?x?xbf16>
  %y2 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                         affine_map<(m, n, k) -> (m, n)>],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x16, %w16 : tensor<?x?xbf16>, tensor<?x?xbf16>) outs(%c : tensor<?x?xf32>) {
  ^bb0(%a: bf16, %bv: bf16, %acc: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %bv : bf16 to f32
    %p = arith.mulf %a32, %b32 : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n, k)>],
                        iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<?x?xf32>) outs(%ea : tensor<?x?xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.mulf %v, %v : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %y3 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                         affine_map<(m, n, k) -> (m, n)>, affine_map<(m, n, k) -> (m, n)>],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %sq, %sq : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%c : tensor<?x?xf32>) {
  ^bb0(%a: f32, %bv: f32, %unused: f32, %acc: f32):
    %p = arith.mulf %a, %bv : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  return %y1, %y2, %y3 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}
