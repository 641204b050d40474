//===- VibeeOps.td - vibee operations ---------------------------*- tablegen -*-===//
#ifndef VIBEE_OPS
#define VIBEE_OPS

include "ir/VibeeDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/Interfaces/TilingInterface.td"

//===----------------------------------------------------------------------===//
// vibee.kernel
//===----------------------------------------------------------------------===//

def Vibee_KernelOp : Vibee_Op<"kernel", [
    FunctionOpInterface, IsolatedFromAbove, Symbol]> {
  let summary = "a kernel of a spec: value semantics over tensors and scalars";
  let description = [{
    A kernel takes its parameters (ranked tensors and scalars) as block arguments
    and returns, through `vibee.return`, first the final value of every `inout`
    parameter (in parameter order) and then its results. Parameter modes are the
    `vibee.mode` argument attributes; `dim_names` names the symbolic dimensions in
    order of first appearance and `arg_dims` maps every tensor axis of every
    parameter and result to its index in `dim_names` (-1: a literal size, static in
    the type). Lowering gives it a destination-passing signature (docs/abi.md).
    Schedule hints are the optional discardable `vibee.schedule` dictionary
    (`tile`, `vector`, `parallel`, `threads`; docs/language.md), checked by the
    dialect's attribute verifier.

    ```mlir
    vibee.kernel @step(%param: tensor<?xf32> {vibee.mode = #vibee.mode<inout>},
                       %lr: f32) -> tensor<?xf32>
        attributes {dim_names = ["N"], arg_dims = [[0], [], [0]]} { ... }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       StrArrayAttr:$dim_names,
                       ArrayAttr:$arg_dims,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region AnyRegion:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    //===------------------------------------------------------------------===//
    // FunctionOpInterface
    //===------------------------------------------------------------------===//
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() {
      return getFunctionType().getInputs();
    }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() {
      return getFunctionType().getResults();
    }
    /// The mode of parameter `i` (scalars are always `in`).
    ::vibee::ParamMode getParamMode(unsigned i);
    /// Number of `inout` parameters: the leading results of the kernel.
    unsigned getNumInOut();
  }];
}

def Vibee_ReturnOp : Vibee_Op<"return", [Pure, HasParent<"KernelOp">, Terminator,
                                          ReturnLike]> {
  let summary = "returns the final inout values, then the results, of a kernel";
  let arguments = (ins Variadic<AnyType>:$operands);
  let assemblyFormat = "attr-dict ($operands^ `:` type($operands))?";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// vibee.compute: one index-notation statement
//===----------------------------------------------------------------------===//

def Vibee_ComputeOp : Vibee_Op<"compute", [
    AttrSizedOperandSegments, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "one statement of tensor index notation";
  let description = [{
    `t[i, j] = red(k) f(a[...], b[...], s)` as an op. The loops are the
    `extents` operands (index values): the first `rank(result)` loops are the
    parallel output indices, in order; the remaining loops are reduction loops,
    combined with `kind` (`none` when there are none). Every input has an affine
    access map from the loops to its indices; scalar inputs have a map with no
    results. The body receives one scalar per input (the element read) and yields
    the value to combine; `vibee.index` reads a loop index inside it.

    ```mlir
    %mx = vibee.compute max [%R, %C] ins(%x : tensor<?x?xf32>)
            maps [affine_map<(d0, d1) -> (d0, d1)>] -> tensor<?xf32> {
    ^bb0(%v: f32):
      vibee.yield %v : f32
    }
    ```
  }];
  let arguments = (ins Vibee_ReduceKindAttr:$kind,
                       Variadic<Index>:$extents,
                       Variadic<AnyType>:$inputs,
                       AffineMapArrayAttr:$indexing_maps);
  let results = (outs AnyRankedTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `` $kind ` ` `[` $extents `]` (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `maps` $indexing_maps attr-dict `->` type($result) $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumLoops() { return getExtents().size(); }
    unsigned getNumParallelLoops() { return getResult().getType().getRank(); }
    /// The access map of the result: the identity on the parallel loops.
    ::mlir::AffineMap getResultMap();
  }];
}

def Vibee_YieldOp : Vibee_Op<"yield", [Pure, Terminator,
                                        ParentOneOf<["ComputeOp", "ScanOp"]>, ReturnLike]> {
  let summary = "yields the value of a compute body or a scan's combiner";
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Vibee_IndexOp : Vibee_Op<"index", [Pure, HasParent<"ComputeOp">]> {
  let summary = "the current value of loop `dim` of the enclosing compute";
  let arguments = (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Named ops that later passes recognise
//===----------------------------------------------------------------------===//

def Vibee_SoftmaxOp : Vibee_Op<"softmax", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "max-subtracted softmax along one axis";
  let description = [{
    Formed by `vibee-form-softmax` from the statement chain
    `mx = max(c) x; e = exp(x - mx); s = sum(c) e; y = e / s`, so that later passes
    (online softmax for flash attention, one-kernel-per-row GPU codegen) see it.
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Vibee_AttentionOp : Vibee_Op<"attention", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<TilingInterface, ["getLoopIteratorTypes", "getIterationDomain",
        "getTiledImplementation", "getResultTilePosition",
        "getIterationDomainTileFromResultTile", "generateResultTileValue"]>,
    DeclareOpInterfaceMethods<BufferizableOpInterface, ["bufferizesToMemoryRead",
        "bufferizesToMemoryWrite", "getAliasingValues", "bufferize"]>]> {
  let summary = "scaled dot-product attention with an online softmax over the keys";
  let description = [{
    `o = softmax_j(scale * sum_d q k + bias, masked) . v` over a loop space given by
    the indexing maps (q, k, v, then bias if present, then the destination), computed
    in f32 whatever the storage types. Each loop's role follows from which operands
    read it: batch (all four), query (q and o only: a GQA group member `r` is one),
    key `j` (k and v: the softmax and the second contraction run over it), head
    dim `d` (q and k: the first contraction), value dim `e` (v and o). Exactly one
    key, head and value loop. `causal = [i, j, c]` keeps key loop j where
    j <= i + c (i a query loop), the rest counts as -infinity.

    Formed by `vibee-form-attention` from the chain users write. A target rewrites
    it with a running max and sum per query row (blocked online softmax: no score
    matrix in memory, vibee-cpu-attention) or decomposes it late, through
    AggregatedOpInterface, into the statements it came from (linalg generics).
    TilingInterface: batch, query and value loops are parallel and tile freely
    (each tile is an attention over slices of the operands); the key and head
    loops are reductions that a tile always spans whole (tile size 0), since the
    softmax needs every key. A causal op tiles its query loop only at constant
    offsets (the mask's offset is an attribute).
    Destination-style on tensors; on memrefs after bufferization.
  }];
  let arguments = (ins AnyShaped:$query, AnyShaped:$key, AnyShaped:$value, F32:$scale,
                       Optional<AnyShaped>:$bias, AnyShaped:$init,
                       AffineMapArrayAttr:$indexing_maps,
                       OptionalAttr<DenseI64ArrayAttr>:$causal);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $query `,` $key `,` $value `,` $scale (`,` `bias` $bias^)? `:`
      type($query) `,` type($key) `,` type($value) (`,` type($bias)^)? `)`
    `outs` `(` $init `:` type($init) `)` `maps` $indexing_maps attr-dict
    (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Roles of the loops (see the description).
    enum class LoopRole { batch, query, key, head, value };
    unsigned getNumLoops();
    ::mlir::AffineMap getMap(unsigned i) {
      return ::llvm::cast<::mlir::AffineMapAttr>(getIndexingMaps()[i]).getValue();
    }
    ::mlir::AffineMap getQueryMap() { return getMap(0); }
    ::mlir::AffineMap getKeyMap() { return getMap(1); }
    ::mlir::AffineMap getValueMap() { return getMap(2); }
    ::mlir::AffineMap getBiasMap() { return getMap(3); }
    ::mlir::AffineMap getOutputMap() { return getMap(getIndexingMaps().size() - 1); }
    /// The role of every loop; failure when a loop has none (verifier).
    ::mlir::FailureOr<::llvm::SmallVector<LoopRole>> getLoopRoles();
    /// The extent of every loop, read from the operands (tensor/memref dims).
    ::llvm::SmallVector<::mlir::OpFoldResult> getLoopSizes(::mlir::OpBuilder &b);
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];
}

def Vibee_ScanOp : Vibee_Op<"scan", [
    AttrSizedOperandSegments, SingleBlock, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<BufferizableOpInterface, ["bufferizesToMemoryRead",
        "bufferizesToMemoryWrite", "getAliasingValues", "bufferize"]>]> {
  let summary = "an inclusive or exclusive scan along one dimension, with a combiner";
  let description = [{
    Along `dimension`, for every position of the other dimensions: the running value
    starts at `init` (the element at the same position; `init` has size 1 along
    `dimension`) or, without `init`, at the identity of `kind`; step t replaces it by
    the combiner applied to (running value, element t of every input). The result at
    t is the running value after step t (inclusive) or before it (`exclusive`).

    `kind` says which associative form the combiner has, so that a target can scan
    in parallel (blocks, then their carries): `sum`/`prod`/`max`/`min` combine the
    running value with one input; `linear` is h = a * h + b over inputs (a, b),
    whose steps compose associatively as pairs (a1 a2, a2 b1 + b2). The combiner
    computes in the type of its block arguments (the inputs' element type); the
    result may be narrower (bf16/f16), rounded once per element when stored.
    Destination-passing style: `outs` is the destination. `vibee-lower-scans` lowers
    it on tensors, except the scans a target scans with whole warps (the GPU's
    `warp-rows`), which bufferize: on memrefs the op has no result.

    ```mlir
    %h = vibee.scan linear dimension(1) ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>)
           init(%h0 : tensor<?x1xf32>) outs(%d : tensor<?x?xf32>) -> tensor<?x?xf32> {
    ^bb0(%acc: f32, %x: f32, %y: f32):
      %m = arith.mulf %x, %acc : f32
      %s = arith.addf %m, %y : f32
      vibee.yield %s : f32
    }
    ```
  }];
  let arguments = (ins Vibee_ScanKindAttr:$kind,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$dimension,
                       UnitAttr:$exclusive,
                       Variadic<AnyShaped>:$inputs,
                       Optional<AnyShaped>:$init,
                       AnyShaped:$dest);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let regions = (region SizedRegion<1>:$combiner);
  let assemblyFormat = [{
    `` $kind `dimension` `(` $dimension `)` (`exclusive` $exclusive^)?
    `ins` `(` $inputs `:` type($inputs) `)`
    (`init` `(` $init^ `:` type($init) `)`)?
    `outs` `(` $dest `:` type($dest) `)` attr-dict-with-keyword (`->` type($result)^)? $combiner
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getDestMutable(); }
    /// The destination's (and on tensors the result's) type.
    ::mlir::ShapedType getDestType() {
      return ::llvm::cast<::mlir::ShapedType>(getDest().getType());
    }
    /// The scanned tensor on tensors (its one result).
    ::mlir::Value getScanned() { return getResult().front(); }
    /// The type the combiner computes in.
    ::mlir::Type getAccumulatorType() {
      return getCombiner().front().getArgument(0).getType();
    }
    /// The running value before the first step when there is no `init`: the
    /// identity of `kind` (linear scans always have an `init`).
    ::mlir::Value buildIdentity(::mlir::OpBuilder &b, ::mlir::Location loc);
    /// The combiner's body cloned at `b` for (running value, one element per
    /// input); returns the value it yields.
    ::mlir::Value buildCombine(::mlir::OpBuilder &b, ::mlir::Value running,
                               ::mlir::ValueRange elements);
  }];
}

def Vibee_TopKOp : Vibee_Op<"topk", [DestinationStyleOpInterface]> {
  let summary = "the k largest elements along one dimension, with their indices";
  let description = [{
    Along `dimension` (the last one), for every position of the other dimensions:
    the first K = size(values, dimension) elements of the input in decreasing order
    and their positions along the dimension. Ties keep the lower position first; a
    NaN counts as larger than any number (NaNs first, in order of position): the
    order of `torch.topk` with stable sorting. The input's dimension has N >= K
    elements (the caller checks). `values` and `indices` are the destinations
    (destination-passing style): the values in the input's element type, the
    positions as integers. Decomposed per target by `vibee-lower-topk`.

    ```mlir
    %v, %i = vibee.topk dimension(1) ins(%x : tensor<?x?xf32>)
               outs(%dv, %di : tensor<?x?xf32>, tensor<?x?xi64>)
               -> tensor<?x?xf32>, tensor<?x?xi64>
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$dimension,
                       AnyRankedTensor:$input,
                       AnyRankedTensor:$values,
                       AnyRankedTensor:$indices);
  let results = (outs AnyRankedTensor:$value_result, AnyRankedTensor:$index_result);
  let assemblyFormat = [{
    `dimension` `(` $dimension `)` `ins` `(` $input `:` type($input) `)`
    `outs` `(` $values `,` $indices `:` type($values) `,` type($indices) `)` attr-dict
    `->` type($value_result) `,` type($index_result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return ::mlir::MutableOperandRange(getOperation(), 1, 2);
    }
  }];
}

def Vibee_ScatterAddOp : Vibee_Op<"scatter_add", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<BufferizableOpInterface, ["bufferizesToMemoryRead",
        "bufferizesToMemoryWrite", "getAliasingValues", "bufferize"]>]> {
  let summary = "adds every update into the destination at gathered positions";
  let description = [{
    For every point p of the update space (the loops, the dimensions of `updates`,
    in row-major order): dest[q] += updates[p], where axis a of q is loop `axes[a]`
    of p when that is >= 0, and otherwise the element of the next `indices` tensor
    (in order) at `index_maps[i](p)`. A position outside its axis adds nothing (the
    caller checks the indices first). Updates that land on one element add in the
    order of the points. Destination-passing style: `outs` is the tensor added to.
    Lowered per target by `vibee-lower-scatters` on tensors, or, for the scatters a
    target adds atomically (integer sums on the GPU), after bufferization, where
    the op works on memrefs and has no result.

    ```mlir
    %g = vibee.scatter_add ins(%dy : tensor<?x?xf32>) indices(%ids : tensor<?xi32>)
           outs(%dt : tensor<?x?xf32>) axes [-1, 1]
           index_maps [affine_map<(s, d) -> (s)>] -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins AnyShaped:$updates,
                       Variadic<AnyShaped>:$indices,
                       AnyShaped:$dest,
                       DenseI64ArrayAttr:$axes,
                       AffineMapArrayAttr:$index_maps);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $updates `:` type($updates) `)`
    (`indices` `(` $indices^ `:` type($indices) `)`)?
    `outs` `(` $dest `:` type($dest) `)` `axes` $axes `index_maps` $index_maps
    attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getDestMutable(); }
    ::mlir::AffineMap getIndexMap(unsigned i) {
      return ::llvm::cast<::mlir::AffineMapAttr>(getIndexMaps()[i]).getValue();
    }
  }];
}

def Vibee_GatherIndexOp : Vibee_Op<"gather_index", [Pure]> {
  let summary = "a gathered position, kept inside the axis it indexes";
  let description = [{
    `index` (an element of an index tensor, as `index`) as a position on an axis of
    `size` elements: the result is `index` clamped into [0, size - 1], so that no
    target reads or writes outside a tensor. An index outside its axis is the
    caller's error (docs/language.md, "Gathers"): the JIT checks the indices before
    a CPU call; on CUDA, where the indices are on the device, the kernels record it
    in a device-side flag that the launcher turns into the error
    (`vibee-gpu-gather-checks`). Targets without a check clamp
    (`vibee-lower-gather-indices`). Kept whole until then so that the check is
    placed where the index is used, never rediscovered from a clamp.

    ```mlir
    %p = vibee.gather_index %i into %rows
    ```
  }];
  let arguments = (ins Index:$index, Index:$size);
  let results = (outs Index:$result);
  let assemblyFormat = "$index `into` $size attr-dict";
  let extraClassDeclaration = [{
    /// `index` clamped into [0, size - 1] (arith ops before this op).
    ::mlir::Value buildClamped(::mlir::OpBuilder &b);
    /// i1: `index` outside [0, size) (one unsigned comparison).
    ::mlir::Value buildOutside(::mlir::OpBuilder &b);
  }];
}

def Vibee_LookupOp : Vibee_Op<"lookup", [Pure] # ElementwiseMappable.traits> {
  let summary = "an element of a constant table at a computed position";
  let description = [{
    Element `position` of `table` (1-D; a constant tensor of the spec, flattened in
    row-major order). Sema proves the position inside the table (docs/language.md,
    "Constant tensors"), so no target checks it. Elementwise-mappable: the linalg
    vectorizer widens it as it does arith ops. Kept whole until the target decides
    how to look up: on x86 with AVX2, a vector of positions into a table of 16 or
    fewer 32-bit elements is a lane permute (`vibee-cpu-lookup-permutes`);
    elsewhere a tree of selects on the position's bits (`vibee-expand-lookups`).

    ```mlir
    %v = vibee.lookup %code in dense<[0.0, 0.5, 1.0]> : tensor<3xf32> : i64 -> f32
    ```
  }];
  let arguments = (ins SignlessIntegerLike:$position, ElementsAttr:$table);
  let results = (outs AnyType:$result);
  let assemblyFormat = "$position `in` $table attr-dict `:` type($position) `->` type($result)";
  let hasVerifier = 1;
}

#endif // VIBEE_OPS
