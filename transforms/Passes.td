//===- Passes.td - target-independent vibee transforms -*- tablegen -*-===//
#ifndef VIBEE_TRANSFORMS_PASSES
#define VIBEE_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def InlineComputedOperandsPass
    : Pass<"vibee-inline-computed-operands", "::mlir::func::FuncOp"> {
  let summary = "A contraction's B operand computed elementwise (a dequantized "
                "weight) goes into the contraction's payload, not into a buffer";
  let description = [{
    On linalg tensors after the late decomposition of targets that generalize
    contractions: for a generic c[m, n] += x * y over loops (m, n, k), an input
    read without m that an all-parallel generic computes in the accumulator's
    type, for this generic alone, is fused into it (upstream elementwise
    fusion). The GPU's matmul kernels then compute it per tile
    (backends/gpu/Transforms/GpuMatmulMatch.h, `computedB`), its few-rows
    kernels per weight they read, the C++ output's loops per product.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FormSoftmaxPass : Pass<"vibee-form-softmax"> {
  let summary = "Recognise the max/exp/sum/div statement chain as vibee.softmax";
  let description = [{
    Rewrites `mx = max(c) x; e = exp(x - mx); s = sum(c) e; y = e / s` (along any
    axis) into `y = vibee.softmax x axis A` when `mx`, `e` and `s` have no other
    uses, so that later passes see one op they can fuse (online softmax).
  }];
  let dependentDialects = ["::vibee::VibeeDialect"];
}

def FormAttentionPass : Pass<"vibee-form-attention"> {
  let summary = "Recognise attention statement chains as vibee.attention";
  let description = [{
    Rewrites the chain users write (scores as a sum over the head dim, optional
    scale, additive bias and causal where(), max over keys, exp of the difference,
    sum over keys, contraction with v, division by the sum before, inside or after
    the contraction; or a vibee.softmax followed by the contraction) into one
    `vibee.attention`, under any index names and orders, with f32 math over any
    float storage and GQA group axes. A chain that does not match stays on the
    generic path with a remark on the contraction with v naming the step that
    broke the match.
  }];
  let dependentDialects = ["::vibee::VibeeDialect", "::mlir::tensor::TensorDialect"];
}

def FuseElementwisePass : Pass<"vibee-fuse-elementwise"> {
  let summary = "Fuse producer-consumer and sibling linalg statements into one loop nest";
  let description = [{
    Producer-consumer fusion of all-parallel linalg.generic producers into the
    consumers that read each element once (upstream linalg elementwise fusion,
    with multi-use producers duplicated per consumer first), then horizontal
    fusion of independent all-parallel generics over the same iteration domain
    into one multi-result generic. Lion and AdamW become one loop nest;
    softmax and RMSNorm one loop nest per reduction plus one for the output.
  }];
  let options = [
    Option<"horizontal", "horizontal", "bool", /*default=*/"true",
           "also merge independent sibling generics over the same domain">,
    Option<"maxBroadcastRecompute", "max-broadcast-recompute", "int64_t", /*default=*/"1",
           "also fuse into a consumer that reads the producer under a broadcast "
           "over loops of static extents whose product is at most this (each "
           "element recomputed that many times; 1: never)">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"];
}

def DecomposeAggregatesPass : Pass<"vibee-decompose-aggregates"> {
  let summary = "Decompose aggregated linalg ops (linalg.softmax) into generics";
  let description = [{
    Every `AggregatedOpInterface` op (linalg.softmax) becomes its fill/generic
    pieces, and every `linalg.contract` the generic it defines, unless
    `keep-contractions` is set: a target with its own rewrite of contractions
    (the CPU's packed micro-kernel, docs/architecture.md "Contractions") keeps
    them for it.
  }];
  let options = [
    Option<"keepContractions", "keep-contractions", "bool", /*default=*/"false",
           "leave linalg.contract ops for the target's own rewrite">,
    Option<"keepAttention", "keep-attention", "bool", /*default=*/"false",
           "leave vibee.attention ops for the target's own rewrite">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"];
}

def TileAttentionPass : Pass<"vibee-tile-attention", "::mlir::func::FuncOp"> {
  let summary = "Tile vibee.attention over its batch and query loops (TilingInterface)";
  let description = [{
    Every `vibee.attention` on tensors becomes a loop nest (scf.for) over its
    batch loops (tiles of 1) and query loops (tiles of `query-block` rows) whose
    body is the attention of one tile, through the op's TilingInterface and
    upstream's scf::tileUsingSCF. For a target that decomposes attention into
    its statements (the C++ output), the score matrix of a tile is then
    query-block x T, not S x T. A causal op keeps its query loops whole (its
    mask offset is static; `--verbose` says so) and is tiled over batches only.
  }];
  let options = [
    Option<"queryBlock", "query-block", "int64_t", /*default=*/"64",
           "query rows per tile">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"];
}

def LowerScansPass : Pass<"vibee-lower-scans"> {
  let summary = "Lower vibee.scan to a parallel loop over its rows of sequential steps";
  let description = [{
    Every `vibee.scan` (on tensors) becomes an `scf.forall` over the dimensions other
    than the scanned one (one iteration when there are none), each iteration a
    sequential `scf.for` along the scanned dimension that carries the running value
    and writes each step into its row (`tensor.insert`, then
    `tensor.parallel_insert_slice` of the row). Rows are independent, so the targets
    run them on GPU threads. A 1-D scan is the one row of a [1, N] view. With
    `parallel=false` (the CPU and the C++ output) the rows are an scf.for nest that
    updates the destination in place, without row slices or views; without
    `acc-in-tensor` its outermost loop is marked `vibee.independent_rows` (the CPU splits
    it over its threads, vibee-cpu-parallelize). With `chunked=true` (the GPU), when
    there are fewer than 32768 rows and they are longer than 64 steps, each row is
    scanned in chunks of max(16, ceil(length / 1024)) steps by three parallel loops
    over (rows, chunks): each chunk's total; the carry into each chunk, an exclusive
    scan of the totals with the same combiner, lowered one thread per row; and each
    chunk's steps from its carry (otherwise one chunk per row, whose total phase 1
    skips). The kinds make this legal: sum/prod/max/min combine totals as they
    combine elements, linear steps compose as pairs. With `warp-rows=true` (the
    GPU) a sum/prod/max/min scan of 32-bit values along its last dimension stays a
    `vibee.scan`, bufferized, for the target to scan a row or a chunk of a row per
    warp (vibee-gpu-scan-kernels).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "rows as one scf.forall (false: a sequential loop nest)">,
    Option<"accInTensor", "acc-in-tensor", "bool", /*default=*/"false",
           "serial rows: the running value in a one-element tensor (EmitC: no "
           "loop result left unused)">,
    Option<"chunked", "chunked", "bool", /*default=*/"false",
           "parallel rows cut into chunks: chunk totals, their exclusive scan, "
           "then each chunk from its carry (the GPU)">,
    Option<"warpRows", "warp-rows", "bool", /*default=*/"false",
           "keep the scans that a target scans a row per warp (the GPU)">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"];
}

def LowerScattersPass : Pass<"vibee-lower-scatters"> {
  let summary = "Lower vibee.scatter_add to loops that add in order";
  let description = [{
    Every `vibee.scatter_add` (on tensors) becomes loops that add its updates in the
    order of its points (`tensor.extract` of the gathered position, clamped into
    the axis by `vibee.gather_index`; a select keeps the old value for a position
    outside it, so nothing is written outside the destination). With `parallel=true` (the GPU)
    ranges of the first gathered axis and the loops that index the destination
    directly are an `scf.forall` (disjoint slices), each iteration adding, in order
    over the other loops, the points whose position falls in its range (an
    `scf.if`; the positions read 8 ahead); with `parallel=false` (the CPU and the
    C++ output) one loop nest in order; with `mark-columns=true` (the CPU) its
    innermost loop, when it indexes the destination directly (d in
    `dt[ids[s], d] += dy[s, d]`), is marked `vibee.independent_columns`:
    vibee-cpu-parallelize gives each thread a range of it. Deterministic on every
    target: no atomics.
    With `keep-integer-sums=true` (the GPU) scatter-adds of i32 and i64, whose sums
    are the same in any order, stay: the target adds them atomically after
    bufferization (vibee-gpu-atomic-scatters). With `keep-float-sums=true` f32 and
    f64 ones stay too (vibeec --gpu-float-atomics: their order, so their last
    bits, then varies from run to run).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "directly indexed loops as one scf.forall (false: a sequential loop nest)">,
    Option<"keepIntegerSums", "keep-integer-sums", "bool", /*default=*/"false",
           "leave i32 and i64 scatter-adds for the target's atomic lowering">,
    Option<"keepFloatSums", "keep-float-sums", "bool", /*default=*/"false",
           "leave f32 and f64 scatter-adds for the target's atomic lowering too">,
    Option<"markColumns", "mark-columns", "bool", /*default=*/"false",
           "in order: mark the innermost loop vibee.independent_columns when it "
           "indexes the destination directly (the CPU splits it over threads)">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"];
}

def ExpandLookupsPass : Pass<"vibee-expand-lookups"> {
  let summary = "Expand every vibee.lookup into a tree of selects on its position's bits";
  let description = [{
    `vibee.lookup %p in table` (scalar or vector) becomes a binary tree of
    `arith.select`s: level b picks between neighbouring elements by bit b of the
    position, so a table of 16 costs 15 selects and 4 bit tests, without memory
    on any target (bitsandbytes' NF4 dequantization is the same tree, written by
    hand). The bits are tested in the narrowest integer that holds the
    positions, so vector code tests bytes, not 64-bit lanes. The GPU and C++
    pipelines expand every lookup early; the CPU one after vectorization, for
    what `vibee-cpu-lookup-permutes` left.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LowerGatherIndicesPass : Pass<"vibee-lower-gather-indices"> {
  let summary = "Clamp every vibee.gather_index into its axis";
  let description = [{
    Every `vibee.gather_index %i into %size` becomes `max(min(%i, %size - 1), 0)`:
    the targets without a device-side check (the CPU, whose JIT checks the
    indices before the call, the objects and the C++ output, whose headers state
    the precondition) read and write nothing outside a tensor. The GPU pipeline
    runs `vibee-gpu-gather-checks` first, which also records an index outside.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LowerTopKPass : Pass<"vibee-lower-topk"> {
  let summary = "Lower vibee.topk to rows of sorted insertions";
  let description = [{
    Every `vibee.topk` (on tensors) fills its destinations with zeros, then keeps
    each row's k best elements sorted in them: every element of the input is
    compared with the row's k-th and, when it beats it (or the row is not full),
    put in place by one descending `scf.for` over the slots that moves the worse
    ones down (`tensor.insert`; only the destinations are carried). Rows are an
    `scf.forall` (one GPU thread per row; a 1-D top-k is the one row of a [1, k]
    view) or, with `parallel=false` (the CPU and the C++ output), a loop nest in
    order that updates the destinations in place. With parallel rows, a row whose
    length is dynamic or at least 4 chunks of max(2k, 64) is cut into up to 256
    chunks (one forall iteration per row and chunk) whose sorted lists pairwise
    merges combine, one forall per level, the last into the destinations. With
    `mark-rows=true` (the CPU) the outermost loop of the nest in order is marked
    `vibee.independent_rows` (vibee-cpu-parallelize splits it over threads), and
    rows of f32/i32 (f64/i64) are read 16 (8) elements at a time once their slots
    are full: a block none of whose elements beats the k-th is skipped after one
    vector comparison, and an insertion moves the worse slots down only until its
    place (an scf.while).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "rows as one scf.forall (false: a sequential loop nest)">,
    Option<"markRows", "mark-rows", "bool", /*default=*/"false",
           "in order: mark the outermost row loop vibee.independent_rows">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"];
}

def UnshareDestinationsPass : Pass<"vibee-unshare-destinations"> {
  let summary = "One tensor.empty (and linalg.fill) per destination operand";
  let description = [{
    Before bufferization: a tensor.empty, or a linalg.fill of one, that is the
    destination of several destination-style ops (CSE merged them) is cloned
    so that each destination has its own; the last use keeps the original.
    Keeps bufferization linear in the number of statements and keeps two
    reductions that started from one shared fill in two buffers.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect", "::mlir::linalg::LinalgDialect"];
}

def ForwardInOutCopiesPass : Pass<"vibee-forward-inout-copies"> {
  let summary = "Write inout results in place instead of copying a temporary back";
  let description = [{
    After bufferization: `memref.copy %t, %p` where `%t` is an allocation whose
    only writer is an all-parallel linalg op that reads `%p` at most through
    the same indexing map as it writes `%t`, and nothing between the writer and
    the copy touches `%p`: the writer writes `%p` directly, the copy and the
    allocation go. Also a copy pair around a read-modify-write (a scatter-add's
    loops): `memref.copy %p, %t` as the first use of an allocation `%t`, loops
    that carry `%t` (scf.for iter_args yielded back), `memref.copy %t, %p`, with
    nothing else using `%p` in between, no view of `%p` and no use of `%t` after:
    the loops update `%p` in place. Runs before the deallocation pipeline.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def ExpandF64TruncationPass : Pass<"vibee-expand-f64-truncation"> {
  let summary = "Round f64 -> bf16/f16/FP8 truncations through f32 rounded to odd";
  let description = [{
    `arith.truncf` from f64 to bf16 or f16 becomes a truncation to f32 rounded
    to odd (the f32 nearest-even result, moved one step toward zero when it
    rounded away, its lowest bit set when inexact), then the f32 -> narrow
    truncation. Rounding to odd with 16 (bf16) or 13 (f16) spare bits makes the
    two steps round like one (no double rounding), and the narrow-float
    emulation and the CPU's bf16 expansion only know f32 sources: the direct
    conversion is a libcall (`__truncdfbf2`) that Debian 12's libgcc lacks.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

def ExpandF8ConversionsPass : Pass<"vibee-expand-f8-conversions"> {
  let summary = "Expand FP8 (f8E4M3FN, f8E5M2) conversions and constants into integer ops";
  let description = [{
    No target has FP8 conversions that LLVM lowers (the CPU, the C++ output and
    NVVM's generic path): `arith.extf` from FP8 and `arith.truncf` to FP8 become
    integer operations on the bits (scalar or vector), with the semantics of
    arith (round to nearest even; an f8E4M3FN overflow is NaN, an f8E5M2 one
    infinity; MLIRGen saturates f8e4m3 casts before the truncation), and FP8
    constants become i8 constants. Only `arith.bitcast` between FP8 and i8 is
    left, which every target lowers as a no-op. Run after the narrow-float
    emulation (which computes every other op on FP8 in f32) and after
    vibee-expand-f64-truncation (f64 sources arrive as f32 rounded to odd).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ExposeCAbiPass : Pass<"vibee-expose-c-abi", "::mlir::ModuleOp"> {
  let summary = "Add a plain C entry point vibee_<spec>_<kernel> to every kernel func";
  let description = [{
    For every `func.func` with the `vibee.kernel` attribute (memref arguments, as
    produced by vibee-lower-to-linalg, before or after bufferization), adds a public
    `func.func @vibee_<spec>_<kernel>` with the C ABI of docs/abi.md: tensors as
    `!llvm.ptr` to contiguous row-major data, scalars by value (f16/bf16 as i16,
    bool as i8), then one pointer per result, then every symbolic dim as i64. It
    builds the memref descriptors and calls the kernel, which becomes private.
    The spec name is the module's `vibee.spec` attribute, else `spec-name`.
  }];
  let options = [
    Option<"specName", "spec-name", "std::string", /*default=*/"\"\"",
           "spec name used when the module has no vibee.spec attribute">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect"];
}

def NoAliasPointersPass : Pass<"vibee-noalias-pointers"> {
  let summary = "Keep memref arguments' llvm.noalias through the conversions to LLVM";
  let description = [{
    convert-func-to-llvm and convert-gpu-to-nvvm expand a memref argument into
    its descriptor's values and drop the argument's `llvm.noalias` (MLIR 22), so
    LLVM saw every kernel, chunk-function and GPU-kernel pointer as possibly
    aliasing. With `stage=record`, before the conversion, each function with
    such arguments gets `vibee.noalias_pointers`, the positions of their aligned
    pointers among the expanded arguments (and loses the argument attributes);
    with `stage=apply`, after it, those llvm.func arguments get `llvm.noalias`
    (the allocated pointer, never accessed, is left alone).
  }];
  let options = [
    Option<"stage", "stage", "std::string", /*default=*/"\"record\"",
           "record (before the conversion to LLVM) or apply (after it)">];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::vibee::VibeeDialect"];
}

#endif // VIBEE_TRANSFORMS_PASSES
