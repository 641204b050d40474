// RUN: %vibee-opt %s -split-input-file -verify-diagnostics
// vibee.attention's verifier: the loop roles follow from the maps.

func.func @maps(%q: tensor<?x?xf32>, %s: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{expects 4 indexing maps}}
  %r = vibee.attention ins(%q, %q, %q, %s : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>] -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

func.func @roles(%q: tensor<?x?xf32>, %s: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{a loop is read by no valid set of operands}}
  %r = vibee.attention ins(%q, %q, %q, %s : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>] -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

func.func @rank(%q: tensor<?x?xf32>, %s: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{map 0 is not a projection of the 4 loops onto its operand's axes}}
  %r = vibee.attention ins(%q, %q, %q, %s : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>] -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

func.func @causal(%q: tensor<?x?xf32>, %s: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{causal must be [query loop, key loop, offset]}}
  %r = vibee.attention ins(%q, %q, %q, %s : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>] {causal = array<i64: 2, 0, 0>} -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

func.func @memref_result(%q: memref<?x?xf32>, %s: f32, %o: memref<?x?xf32>) {
  // expected-error @+1 {{has one result, the destination's type, on tensors; none on memrefs}}
  %r = vibee.attention ins(%q, %q, %q, %s : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, e)>] -> tensor<?x?xf32>
  return
}

// -----

func.func @bias(%q: tensor<?x?xf32>, %s: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{the bias reads a head or value loop}}
  %r = vibee.attention ins(%q, %q, %q, %s, bias %q : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (j, d)>, affine_map<(i, e, j, d) -> (j, e)>, affine_map<(i, e, j, d) -> (i, d)>, affine_map<(i, e, j, d) -> (i, e)>] -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

func.func @two_keys(%q: tensor<?x?xf32>, %k: tensor<?x?x?xf32>, %s: f32, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{expects exactly one key, one head and one value loop}}
  %r = vibee.attention ins(%q, %k, %k, %s : tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) outs(%o : tensor<?x?xf32>) maps [affine_map<(i, e, j, l, d) -> (i, d)>, affine_map<(i, e, j, l, d) -> (j, l, d)>, affine_map<(i, e, j, l, d) -> (j, l, e)>, affine_map<(i, e, j, l, d) -> (i, e)>] -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// A round trip: GQA with a bias and a causal mask, on tensors.
// CHECK-NOT: error
func.func @ok(%q: tensor<?x?x?xf32>, %k: tensor<?x?xf32>, %b: tensor<?x?xf32>, %s: f32, %o: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %r = vibee.attention ins(%q, %k, %k, %s, bias %b : tensor<?x?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?x?xf32>) maps [affine_map<(r, i, e, j, d) -> (r, i, d)>, affine_map<(r, i, e, j, d) -> (j, d)>, affine_map<(r, i, e, j, d) -> (j, e)>, affine_map<(r, i, e, j, d) -> (i, j)>, affine_map<(r, i, e, j, d) -> (r, i, e)>] {causal = array<i64: 1, 3, -1>} -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}
