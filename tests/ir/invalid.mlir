// RUN: %vibee-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{arg_dims needs one entry per parameter and per result, got 1}}
vibee.kernel @k(%x: tensor<?xf32>) -> tensor<?xf32> attributes {dim_names = ["N"], arg_dims = [[0]]} {
  vibee.return %x : tensor<?xf32>
}

// -----

// expected-error @+1 {{parameter #0 has rank 1 but 2 arg_dims entries}}
vibee.kernel @k(%x: tensor<?xf32>) attributes {dim_names = ["N"], arg_dims = [[0, 0]]} {
  vibee.return
}

// -----

// expected-error @+1 {{parameter #0 axis 0 names dim 3 of 1}}
vibee.kernel @k(%x: tensor<?xf32>) attributes {dim_names = ["N"], arg_dims = [[3]]} {
  vibee.return
}

// -----

// expected-error @+1 {{parameter #0 axis 0 is dynamic but has no symbolic dim}}
vibee.kernel @k(%x: tensor<?xf32>) attributes {dim_names = [], arg_dims = [[-1]]} {
  vibee.return
}

// -----

// expected-error @+1 {{scalar parameter #0 cannot be inout}}
vibee.kernel @k(%x: f32 {vibee.mode = #vibee.mode<inout>}) -> f32 attributes {dim_names = [], arg_dims = [[]]} {
  vibee.return %x : f32
}

// -----

// expected-error @+1 {{must return the final value of each of its 1 inout parameters}}
vibee.kernel @k(%x: tensor<4xf32> {vibee.mode = #vibee.mode<inout>}) attributes {dim_names = [], arg_dims = [[-1]]} {
  vibee.return
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  %c = arith.constant 1.0 : f32
  // expected-error @+1 {{operand #0 has type 'f32' but kernel result #0 is 'tensor<4xf32>'}}
  vibee.return %c : f32
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<f32> attributes {dim_names = [], arg_dims = [[-1], []]} {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{has reduction loops but kind `none`}}
  %s = vibee.compute none [%c4] ins(%x : tensor<4xf32>) maps [affine_map<(d0) -> (d0)>] -> tensor<f32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  vibee.return %s : tensor<f32>
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{needs one access map per input: 1 inputs, 0 maps}}
  %s = vibee.compute none [%c4] ins(%x : tensor<4xf32>) maps [] -> tensor<4xf32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  vibee.return %s : tensor<4xf32>
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{body argument #0 has type 'f64' but input #0 has elements of 'f32'}}
  %s = vibee.compute none [%c4] ins(%x : tensor<4xf32>) maps [affine_map<(d0) -> (d0)>] -> tensor<4xf32> {
  ^bb0(%v: f64):
    %t = arith.truncf %v : f64 to f32
    vibee.yield %t : f32
  }
  vibee.return %s : tensor<4xf32>
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{map #0 has 2 results for an input of rank 1}}
  %s = vibee.compute none [%c4] ins(%x : tensor<4xf32>) maps [affine_map<(d0) -> (d0, d0)>] -> tensor<4xf32> {
  ^bb0(%v: f32):
    vibee.yield %v : f32
  }
  vibee.return %s : tensor<4xf32>
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{yields 'i32' but the result has elements of 'f32'}}
  %s = vibee.compute none [%c4] ins(%x : tensor<4xf32>) maps [affine_map<(d0) -> (d0)>] -> tensor<4xf32> {
  ^bb0(%v: f32):
    %i = arith.fptosi %v : f32 to i32
    vibee.yield %i : i32
  }
  vibee.return %s : tensor<4xf32>
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  %c4 = arith.constant 4 : index
  %s = vibee.compute none [%c4] ins(%x : tensor<4xf32>) maps [affine_map<(d0) -> (d0)>] -> tensor<4xf32> {
  ^bb0(%v: f32):
    // expected-error @+1 {{loop 2 out of range: the compute has 1 loops}}
    %i = vibee.index 2
    vibee.yield %v : f32
  }
  vibee.return %s : tensor<4xf32>
}

// -----

vibee.kernel @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  // expected-error @+1 {{axis 1 out of range for rank 1}}
  %s = vibee.softmax %x axis 1 : tensor<4xf32>
  vibee.return %s : tensor<4xf32>
}

// -----

vibee.kernel @k(%x: tensor<4xi32>) -> tensor<4xi32> attributes {dim_names = [], arg_dims = [[-1], [-1]]} {
  // expected-error @+1 {{needs a float tensor}}
  %s = vibee.softmax %x axis 0 : tensor<4xi32>
  vibee.return %s : tensor<4xi32>
}

// -----

// vibee.schedule (schedule hints): checked by the dialect on any op that has it.
// expected-error @+1 {{schedule names 'Q', not a size symbol}}
vibee.kernel @k(%x: tensor<?xf32>) attributes {dim_names = ["N"], arg_dims = [[0]], vibee.schedule = {tile = {Q = 4 : i64}}} {
  vibee.return
}

// -----

// expected-error @+1 {{schedule tile size of 'N' must be a positive i64}}
vibee.kernel @k(%x: tensor<?xf32>) attributes {dim_names = ["N"], arg_dims = [[0]], vibee.schedule = {tile = {N = 0 : i64}}} {
  vibee.return
}

// -----

// expected-error @+1 {{schedule 'vector' must be a power of two from 1 to 64}}
vibee.kernel @k(%x: tensor<?xf32>) attributes {dim_names = ["N"], arg_dims = [[0]], vibee.schedule = {vector = 12 : i64}} {
  vibee.return
}

// -----

// expected-error @+1 {{schedule names 'M', not a size symbol}}
func.func @f(%x: memref<?xf32>) attributes {vibee.dim_names = ["N"], vibee.schedule = {parallel = ["M"]}} {
  return
}

// -----

// expected-error @+1 {{schedule 'threads' must be a positive i64}}
func.func @f() attributes {vibee.schedule = {threads = -2 : i64}} {
  return
}

// -----

// expected-error @+1 {{unknown schedule entry 'unroll'}}
func.func @f() attributes {vibee.schedule = {unroll = 4 : i64}} {
  return
}

// -----

// expected-error @+1 {{'vibee.schedule' must be a dictionary}}
func.func @f() attributes {vibee.schedule = 4 : i64} {
  return
}

// -----

func.func @scan_inputs(%x: tensor<?xf32>, %d: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{a linear scan takes 2 inputs, not 1}}
  %y = vibee.scan linear dimension(0) ins(%x : tensor<?xf32>) outs(%d : tensor<?xf32>) -> tensor<?xf32> {
  ^bb0(%a: f32, %v: f32):
    vibee.yield %v : f32
  }
  return %y : tensor<?xf32>
}

// -----

func.func @scan_dim(%x: tensor<?xf32>, %d: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{dimension 1 out of range for rank 1}}
  %y = vibee.scan sum dimension(1) ins(%x : tensor<?xf32>) outs(%d : tensor<?xf32>) -> tensor<?xf32> {
  ^bb0(%a: f32, %v: f32):
    vibee.yield %v : f32
  }
  return %y : tensor<?xf32>
}

// -----

func.func @scan_init(%x: tensor<?x?xf32>, %h: tensor<?x?xf32>, %d: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{init 'tensor<?x?xf32>' must have the result's shape with size 1 along the dimension}}
  %y = vibee.scan sum dimension(1) ins(%x : tensor<?x?xf32>) init(%h : tensor<?x?xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
  ^bb0(%a: f32, %v: f32):
    vibee.yield %v : f32
  }
  return %y : tensor<?x?xf32>
}

// -----

func.func @scan_acc(%x: tensor<?xf32>, %d: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{combiner arguments must all have the accumulator type 'f64'}}
  %y = vibee.scan sum dimension(0) ins(%x : tensor<?xf32>) outs(%d : tensor<?xf32>) -> tensor<?xf32> {
  ^bb0(%a: f64, %v: f32):
    vibee.yield %a : f64
  }
  return %y : tensor<?xf32>
}

// -----

func.func @topk_dim(%x: tensor<?x?xf32>, %v: tensor<?x4xf32>, %i: tensor<?x4xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{dimension 0 must be the last of input and values}}
  %a, %b = vibee.topk dimension(0) ins(%x : tensor<?x?xf32>) outs(%v, %i : tensor<?x4xf32>, tensor<?x4xi64>) -> tensor<?x4xf32>, tensor<?x4xi64>
  return %a : tensor<?x4xf32>
}

// -----

func.func @topk_k(%x: tensor<?x3xf32>, %v: tensor<?x4xf32>, %i: tensor<?x4xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{k = 4 exceeds the dimension's 3 elements}}
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x3xf32>) outs(%v, %i : tensor<?x4xf32>, tensor<?x4xi64>) -> tensor<?x4xf32>, tensor<?x4xi64>
  return %a : tensor<?x4xf32>
}

// -----

func.func @topk_types(%x: tensor<?x?xf32>, %v: tensor<?x4xf16>, %i: tensor<?x4xi64>) -> tensor<?x4xf16> {
  // expected-error @+1 {{values must have the input's element type}}
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x?xf32>) outs(%v, %i : tensor<?x4xf16>, tensor<?x4xi64>) -> tensor<?x4xf16>, tensor<?x4xi64>
  return %a : tensor<?x4xf16>
}

// -----

func.func @topk_indices(%x: tensor<?x?xf32>, %v: tensor<?x4xf32>, %i: tensor<?x4xi8>) -> tensor<?x4xf32> {
  // expected-error @+1 {{indices must be i32 or i64}}
  %a, %b = vibee.topk dimension(1) ins(%x : tensor<?x?xf32>) outs(%v, %i : tensor<?x4xf32>, tensor<?x4xi8>) -> tensor<?x4xf32>, tensor<?x4xi8>
  return %a : tensor<?x4xf32>
}

// -----

func.func @scatter_axes(%dy: tensor<?x?xf32>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{needs one index tensor and map per -1 axis entry}}
  %g = vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [0, 1] index_maps [affine_map<(s, d) -> (s)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// -----

func.func @scatter_map(%dy: tensor<?x?xf32>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{index map 0 must map the loops to the index tensor}}
  %g = vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s) -> (s)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// -----

func.func @scatter_types(%dy: tensor<?x?xf16>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{updates must have the destination's element type}}
  %g = vibee.scatter_add ins(%dy : tensor<?x?xf16>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>] -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// -----

func.func @scatter_mixed(%dy: memref<?x?xf32>, %ids: tensor<?xi32>, %dt: memref<?x?xf32>) {
  // expected-error @+1 {{operands must be all ranked tensors or all memrefs}}
  vibee.scatter_add ins(%dy : memref<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : memref<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>]
  return
}

// -----

func.func @scatter_no_result(%dy: tensor<?x?xf32>, %ids: tensor<?xi32>, %dt: tensor<?x?xf32>) {
  // expected-error @+1 {{on tensors needs one result}}
  vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>) outs(%dt : tensor<?x?xf32>) axes [-1, 1] index_maps [affine_map<(s, d) -> (s)>]
  return
}

// -----

func.func @scan_mixed(%x: tensor<?xf32>, %d: memref<?xf32>) {
  // expected-error @+1 {{operands must be all ranked tensors or all memrefs}}
  vibee.scan sum dimension(0) ins(%x : tensor<?xf32>) outs(%d : memref<?xf32>) {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return
}

// -----

func.func @scan_memref_result(%x: memref<?xf32>, %d: memref<?xf32>) {
  // expected-error @+1 {{on memrefs has no result}}
  %y = vibee.scan sum dimension(0) ins(%x : memref<?xf32>) outs(%d : memref<?xf32>) -> tensor<?xf32> {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return
}

// -----

func.func @scan_no_result(%x: tensor<?xf32>, %d: tensor<?xf32>) {
  // expected-error @+1 {{on tensors needs one result}}
  vibee.scan sum dimension(0) ins(%x : tensor<?xf32>) outs(%d : tensor<?xf32>) {
  ^bb0(%acc: f32, %v: f32):
    %s = arith.addf %acc, %v : f32
    vibee.yield %s : f32
  }
  return
}

// -----

func.func @lookup_2d_table(%p: i64) -> f32 {
  // expected-error @+1 {{table must be 1-D and not empty, got 'tensor<2x2xf32>'}}
  %v = vibee.lookup %p in dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> : i64 -> f32
  return %v : f32
}

// -----

func.func @lookup_type(%p: i64) -> f64 {
  // expected-error @+1 {{result element type 'f64' differs from the table's 'f32'}}
  %v = vibee.lookup %p in dense<[1.0, 2.0]> : tensor<2xf32> : i64 -> f64
  return %v : f64
}

// -----

func.func @lookup_lanes(%p: vector<4xi64>) -> vector<8xf32> {
  // expected-error @+1 {{all non-scalar operands/results must have the same shape and base type}}
  %v = vibee.lookup %p in dense<[1.0, 2.0]> : tensor<2xf32> : vector<4xi64> -> vector<8xf32>
  return %v : vector<8xf32>
}
