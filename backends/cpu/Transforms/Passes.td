//===- Passes.td - CPU transforms -*- tablegen -*-===//
#ifndef VIBEE_CPU_TRANSFORMS_PASSES
#define VIBEE_CPU_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def CpuOnlineSoftmaxPass : Pass<"vibee-cpu-online-softmax"> {
  let summary = "Softmax row max and exp-sum in one online pass (CPU)";
  let description = [{
    On tensors, after vibee-fuse-elementwise: a row max-reduction generic and
    the exp(v - max)-sum generic that reads it become one online pass over the
    row (running max and a sum rescaled to it), split into 32 lanes so that it
    vectorizes, plus a combine of the lanes and a scalar tail (C % 32). The
    output generic is unchanged: two passes over each row instead of three.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"];
}

def CpuAttentionPass : Pass<"vibee-cpu-attention", "::mlir::ModuleOp"> {
  let summary = "vibee.attention as blocked online-softmax loops (FlashAttention) on the CPU";
  let description = [{
    After bufferization: every vibee.attention on memrefs becomes, per work item
    (batch x query loops x blocks of 64 query rows), a loop over blocks of 64
    keys that keeps a running max, a running sum and an f32 accumulator per row
    (O(block x D) memory per thread, never S x T); a causal mask ends each key
    loop at the query block's diagonal. The work items run in a chunk function
    on the runtime's threads (`threads`), else serially. An item of 16 query
    rows or more computes its scores transposed (keys x rows): both products on
    register tiles of `vector-bits` vectors (4 scalars x 4 vectors with 512-bit
    registers, 2 x 4 otherwise), the online softmax elementwise over vectors of
    rows. A shorter item (decoding, a short last block) goes a row at a time,
    its vectors over keys.
  }];
  let options = [
    Option<"threads", "threads", "bool", /*default=*/"true",
           "spread the work items over the runtime's threads">,
    Option<"vectorBits", "vector-bits", "unsigned", /*default=*/"0",
           "target: SIMD register width in bits (0: the host's)">];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect", "::mlir::omp::OpenMPDialect",
    "::mlir::vector::VectorDialect"];
}

def CpuPackContractionsPass : Pass<"vibee-cpu-pack-contractions", "::mlir::ModuleOp"> {
  let summary = "Every linalg.contract as packed f32 operands of the matmul micro-kernel";
  let description = [{
    On bufferized linalg, before vibee-cpu-tile-matmul: a linalg.contract of any
    layout (transposed operands, batch loops, several M, N or contracted loops,
    bf16/f16/i8 operands, an f32 accumulator) becomes A'[batch][M][K] and
    B'[batch][K][N] in f32 (an operand already in that layout, f32 and
    contiguous, is a view, not a copy), a loop over the batch of
    C'[m, n] += A'[m, k] * B'[k, n] generics (the micro-kernel's form), and
    C += C' when C is not in [batch][M][N] layout. A contraction it cannot pack
    becomes the generic it defines, with a remark that says why.

    With bf16-dot (the target has vdpbf16ps), a contraction of a bf16 A and a
    bf16 B read in place keeps A' in bf16, for vibee-cpu-tile-matmul's bf16
    micro-kernel; with vnni, an i8 contraction into i32 (one M, N and K
    loop, C in [M][N]) keeps A' in its type and B in place, for the vpdpbusd
    micro-kernel (without vnni it stays on generic loops).

    With threads, the batch loop is a chunk function on ranges of slices
    (ThreadRuntime.h) that takes the runtime's threads only when the slices
    split evenly over them (each slice's matmul then runs serially); otherwise
    the slices run in order and each matmul splits its N panels.
  }];
  let options = [
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "keep A' in bf16 when A and B are bf16 (for the vdpbf16ps micro-kernel)">,
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "i8 x i8 -> i32 contractions packed for the vpdpbusd micro-kernel">,
    Option<"threads", "threads", "bool", /*default=*/"false",
           "batch slices over the runtime's threads when they split evenly">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
}

def CpuTileMatmulPass : Pass<"vibee-cpu-tile-matmul", "::mlir::ModuleOp"> {
  let summary = "f32 matmul: cache tiles, packed B panel, vectorized MRxNR register "
                "micro-kernel; N panels over threads";
  let description = [{
    On bufferized linalg, after vibee-expose-c-abi: an f32 C[m,n] += A[m,k] B[k,n]
    generic runs its full MR x NR register tiles through a micro-kernel (N panels
    of NC, K blocks of KC, M blocks of MC, the B block packed per panel, the
    MR x NR x 1 step vectorized to broadcast + FMA rows with the accumulators in
    registers across k); the M % MR edge rows and N % NR edge columns stay plain
    generics beside it. With threads, the N panels are split over the runtime's
    threads (ThreadRuntime.h).

    With bf16-dot or vnni, a bf16 x bf16 -> f32 or i8 -> i32 matmul (as
    vibee-cpu-pack-contractions leaves it: A [M][K], B read in place) takes the
    packed dot-product micro-kernel instead (CpuPackedDotMicroKernel.h: A and B
    packed as pairs (bf16) or quads (int8) along k, one vdpbf16ps / vpdpbusd
    per group), with K blocks 2x (bf16) or 4x (int8) the f32 kernel's.

    Sizes, by precedence: the kernel's schedule hints (tile, vector, parallel,
    threads), then the options mr/nr/mc/nc/kc, then vibee::chooseMatmulTiles for
    the machine the options describe (each field left at its default: the host's).
  }];
  let options = [
    Option<"mr", "mr", "int64_t", /*default=*/"0", "register tile rows (0: chosen)">,
    Option<"nr", "nr", "int64_t", /*default=*/"0", "register tile columns (0: chosen)">,
    Option<"mc", "mc", "int64_t", /*default=*/"0", "M cache tile (0: chosen)">,
    Option<"nc", "nc", "int64_t", /*default=*/"0", "N panel per thread (0: chosen)">,
    Option<"kc", "kc", "int64_t", /*default=*/"0", "K cache tile (0: chosen)">,
    Option<"vectorBits", "vector-bits", "unsigned", /*default=*/"0",
           "target: SIMD register width in bits (0: the host's)">,
    Option<"l1Bytes", "l1-bytes", "int64_t", /*default=*/"0",
           "target: L1 data cache per core (0: the host's)">,
    Option<"l2Bytes", "l2-bytes", "int64_t", /*default=*/"0",
           "target: L2 cache per core (0: the host's)">,
    Option<"l3Bytes", "l3-bytes", "int64_t", /*default=*/"-1",
           "target: L3 cache shared by the cores (0: none; -1: the host's)">,
    Option<"cores", "cores", "unsigned", /*default=*/"0",
           "target: cores (0: the host's)">,
    Option<"threads", "threads", "bool", /*default=*/"true", "N panels (M blocks where N is one panel) over threads">,
    Option<"minWork", "min-work", "int64_t", /*default=*/"32 * 32 * 32",
           "smallest M*N*K of the full tiles for the micro-kernel path">,
    Option<"lowerSteps", "lower-steps", "int", /*default=*/"5",
           "debug: vector lowering steps of the micro-kernel to run (0-5)">,
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "bf16 x bf16 matmuls on vdpbf16ps dot products of pairs (AVX512_BF16)">,
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "i8 -> i32 matmuls on vpdpbusd dot products of quads (AVX512_VNNI)">];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::omp::OpenMPDialect",
    "::mlir::x86vector::X86VectorDialect"];
}

def CpuParallelizePass : Pass<"vibee-cpu-parallelize", "::mlir::ModuleOp"> {
  let summary = "Split the first parallel loop of top-level linalg ops over the "
                "runtime's threads";
  let description = [{
    On bufferized linalg, after vibee-cpu-tile-matmul: every other top-level
    linalg op whose first loop is parallel (or, under a parallel(...) schedule
    hint, the first parallel loop over a listed dim) runs as a chunk function on
    ranges of that loop: from an scf.forall, one range per thread (or a
    tile(...)-sized chunk each), when the runtime grants threads, else once on
    the whole loop (ThreadRuntime.h). The ops of a row-block group rooted at a
    row reduction split into lanes (RowGroupAnalysis.h; vibee-cpu-online-softmax
    builds that form) run in one thread region instead, each thread walking its
    rows in blocks of 8 through all of them; the group's temporaries shrink to
    one block. Independent rows (the top-level scf.for marked vibee.independent_rows
    by vibee-lower-scans and vibee-lower-topk) run as a chunk function on ranges of
    rows the same way; a scatter-add's loop nest whose innermost loop is marked
    vibee.independent_columns (vibee-lower-scatters) runs whole in each thread, on
    that thread's range of the innermost loop.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::omp::OpenMPDialect"];
}

def CpuCacheTemporariesPass : Pass<"vibee-cpu-cache-temporaries", "::mlir::ModuleOp"> {
  let summary = "Temporaries through the runtime's per-thread block cache when it is linked";
  let description = [{
    On the LLVM dialect after memref lowering: every call of `aligned_alloc` and
    `free` becomes an indirect call of `vibee_cpu_temp_alloc` / `vibee_cpu_temp_free`
    (declared extern_weak) when their address is not null, of the C library's
    function otherwise. The runtime (backends/cpu/CpuRuntime.c) keeps freed blocks
    of 64 KiB and more in a small per-thread cache for the next call.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def CpuLookupPermutesPass : Pass<"vibee-cpu-lookup-permutes"> {
  let summary = "Vector lookups into small tables as AVX2 lane permutes";
  let description = [{
    After vectorization, on x86 with AVX2: every `vibee.lookup` of a vector of
    positions (a multiple of 8 lanes; a 2-D tile as one row of them) into a table of at most 16 f32 or i32
    elements becomes, per 8 lanes, `vpermps` of the table's first 8 elements
    (it reads the low 3 bits of each position) and, for more than 8 elements, a
    second one of the next 8 and a select on bit 3: 3 instructions where the
    tree of selects costs 19 (QLoRA's NF4 decoding). Other lookups stay for
    `vibee-expand-lookups`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect"];
}

def CpuExpandSinCosPass : Pass<"vibee-cpu-expand-sin-cos"> {
  let summary = "f32 vector sin and cos as f64 vector arithmetic instead of libm calls";
  let description = [{
    Every math.sin and math.cos of a 1-D f32 vector becomes: the argument reduced
    by pi/2 in f64 (a 33-bit and a second part of pi/2, exact for |x| <= 1e6),
    the Taylor polynomials of sin and cos on [-pi/4, pi/4] in f64, the quadrant's
    choice and sign, one rounding to f32. Lanes with |x| > 1e6, inf or NaN take
    the original op (a libm call per lane, in an scf.if that runs only when some
    lane needs it). Scalars and other types stay.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"];
}

def CpuPrepareVectorizationPass : Pass<"vibee-cpu-prepare-vectorization"> {
  let summary = "Polynomial math, reassociable reductions and noalias kernel args";
  let description = [{
    On bufferized linalg, before loops: generics whose last parallel loop walks
    the output's innermost dim get their reductions moved outside it (matmul
    becomes i-k-j), math functions become polynomial
    approximations in arith (vectorizable, no libm calls), float reduction
    combiners get `reassoc`, and memref arguments of `vibee.kernel` funcs get
    `llvm.noalias` (distinct tensors never overlap, docs/abi.md).
  }];
  let options = [
    Option<"approximateMath", "approximate-math", "bool", /*default=*/"true",
           "rewrite math functions into polynomial approximations">,
    Option<"reassociateReductions", "reassociate-reductions", "bool",
           /*default=*/"true", "mark float reduction combiners reassoc">,
    Option<"noalias", "noalias", "bool", /*default=*/"true",
           "mark kernel memref arguments llvm.noalias">,
    Option<"interchange", "interchange", "bool", /*default=*/"true",
           "move reductions outside the last parallel loop when it walks the "
           "output's innermost dim (matmul: i-k-j)">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::LLVM::LLVMDialect"];
}

def CpuBlockReductionsPass : Pass<"vibee-cpu-block-reductions"> {
  let summary = "Long f32 sums in blocks of f32 lanes, added up in f64";
  let description = [{
    On bufferized linalg, after vibee-cpu-prepare-vectorization and before
    vibee-cpu-vectorize: every generic whose innermost loops reduce with one
    `arith.addf` into an f32 output, over a dynamic or longer-than-`block`
    extent, is tiled by 1 on its outer loops and by `block` on its innermost:
    each block sums from 0 into an f32 scalar (vectorized later), added into an
    f64 total that is stored to the output after the reduced loops. The f32
    error then grows with the block, not with the whole axis.
  }];
  let options = [
    Option<"block", "block", "int64_t", /*default=*/"4096",
           "elements of the innermost reduced loop summed in f32 per block">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
}

def CpuVectorizePass : Pass<"vibee-cpu-vectorize", "::mlir::ModuleOp"> {
  let summary = "Elementwise and innermost-reduction generics to the vector dialect";
  let description = [{
    On bufferized linalg, after vibee-cpu-parallelize: the innermost loop of
    every elementwise or innermost-reduction generic that walks its operands at
    unit stride is tiled by the vector width, the remainder peeled (one masked
    vector step, or scalars), and the full tiles vectorized (vector partials
    carried across the loop for reductions). Width: a vector(w) schedule hint,
    else vibee::chooseVectorTile for the vector-bits option.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "unsigned", /*default=*/"0",
           "target: SIMD register width in bits (0: the host's)">];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"];
}

#endif // VIBEE_CPU_TRANSFORMS_PASSES
