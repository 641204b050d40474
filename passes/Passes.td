//===- Passes.td - vibee passes ---------------------------------*- tablegen -*-===//
#ifndef VIBEE_PASSES
#define VIBEE_PASSES

include "mlir/Pass/PassBase.td"

def FormSoftmaxPass : Pass<"vibee-form-softmax"> {
  let summary = "Recognise the max/exp/sum/div statement chain as vibee.softmax";
  let description = [{
    Rewrites `mx = max(c) x; e = exp(x - mx); s = sum(c) e; y = e / s` (along any
    axis) into `y = vibee.softmax x axis A` when `mx`, `e` and `s` have no other
    uses, so that later passes see one op they can fuse (online softmax).
  }];
  let dependentDialects = ["::vibee::VibeeDialect"];
}

def LowerToLinalgPass : Pass<"vibee-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower vibee kernels to destination-passing func.func over linalg";
  let description = [{
    `vibee.kernel` becomes a `func.func` taking one memref per tensor parameter and
    per declared result (scalars by value) and returning nothing; tensors are read
    with `bufferization.to_tensor ... restrict` and the final inout values and the
    results are written with `bufferization.materialize_in_destination`.
    `vibee.compute` becomes `linalg.generic` (plus `linalg.fill` of the reduction
    identity), `vibee.softmax` becomes `linalg.softmax`. The func keeps the
    `vibee.kernel`, `vibee.dim_names`, `vibee.arg_dims` and `vibee.modes`
    attributes for the ABI wrapper (docs/abi.md), and the kernel's schedule
    hints (`vibee.schedule`) for the CPU passes.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"];
}

def DecomposeAggregatesPass : Pass<"vibee-decompose-aggregates"> {
  let summary = "Decompose aggregated linalg ops (linalg.softmax) into generics";
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"];
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
           "also merge independent sibling generics over the same domain">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"];
}

def OnlineSoftmaxPass : Pass<"vibee-online-softmax"> {
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

def ForwardInOutCopiesPass : Pass<"vibee-forward-inout-copies"> {
  let summary = "Write inout results in place instead of copying a temporary back";
  let description = [{
    After bufferization: `memref.copy %t, %p` where `%t` is an allocation whose
    only writer is an all-parallel linalg op that reads `%p` at most through
    the same indexing map as it writes `%t`, and nothing between the writer and
    the copy touches `%p`: the writer writes `%p` directly, the copy and the
    allocation go. Runs before the deallocation pipeline.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def PrepareCpuVectorizationPass : Pass<"vibee-prepare-cpu-vectorization"> {
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

def EmitCPreparePass : Pass<"vibee-emitc-prepare", "::mlir::ModuleOp"> {
  let summary = "Rewrite bufferized kernel loops into what convert-to-emitc accepts";
  let description = [{
    For the C++ backend (backends/cpp): memrefs become `!emitc.ptr<T>` with
    linearized subscripts and the symbolic dims as trailing i64 arguments;
    alloc/dealloc/copy, math ops, maximumf/minimumf/maxnumf/minnumf/remf and
    bf16/f16 conversions become calls of <cmath> functions or of the helpers
    printed in the emitted preamble; index becomes i64. Unused arguments are
    dropped and `vibee.cpp_args` lists the ABI position of the others.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::emitc::EmitCDialect"];
}

//===----------------------------------------------------------------------===//
// GPU backend (backends/gpu/GpuPipeline.cpp, docs/gpu.md)
//===----------------------------------------------------------------------===//

def GpuFuseSiblingsPass : Pass<"vibee-gpu-fuse-siblings", "::mlir::func::FuncOp"> {
  let summary = "Merge independent all-parallel linalg.generics over one domain";
  let description = [{
    On tensors, after elementwise fusion: all-parallel `linalg.generic` ops with
    the same loop ranges, identity output maps and no use of one another become
    one multi-result generic, so that statements like Lion's or AdamW's updates
    run as one GPU kernel that reads each element once.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def GpuPrepareLoopsPass : Pass<"vibee-gpu-prepare", "::mlir::func::FuncOp"> {
  let summary = "Host memref.copy -> linalg.copy, so that copies run as kernels";
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def GpuTileLoopsPass : Pass<"vibee-gpu-tile-loops", "::mlir::func::FuncOp"> {
  let summary = "Tile each outermost scf.parallel for a GPU block";
  let description = [{
    The innermost dim of every outermost `scf.parallel` is tiled by
    `block-size` (other dims by 1) with constant inner bounds, so that
    gpu-map-parallel-loops maps the tiles to blocks and the points of a tile to
    the threads of a block, consecutive threads on consecutive elements.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block">];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

def GpuMapKernelsPass : Pass<"vibee-gpu-map-kernels", "::mlir::ModuleOp"> {
  let summary = "Bufferized linalg.generics -> hand-shaped gpu.launch kernels";
  let description = [{
    After bufferization, before the generic parallel-loops route (which handles
    whatever this pass leaves):
    - elementwise generics over contiguous memrefs (identity maps, scalars and
      rank-0 operands broadcast): one grid-stride kernel, grid =
      min(ceil(N / (block * V)), blocks-per-sm * SMs) (SMs from
      vibee_cuda_sm_count() at run time), 16-byte vector loads/stores
      (V = 16 / widest element) when every pointer is 16-byte aligned, a scalar
      tail;
    - row groups: a reduction over the innermost dim, then the row-scalar and
      row-elementwise statements that read its per-row result (softmax: max,
      sum, output; RMSNorm: sum of squares, inverse RMS, output): one kernel,
      one block per row, each statement a block-strided (vectorized where
      aligned) pass over the row, reductions through warp shuffles and shared
      memory, per-row results kept in registers; temporaries only the group uses
      disappear with their fills;
    - matmuls c[m, n] (+)= sum_k f(a[m, k], b[k, n]) over contiguous 2-D memrefs:
      one block of 256 threads per 64 x 64 tile of c (4 x 4 outputs per thread),
      a and b staged in shared memory 16 values of k at a time, FMA.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block (a multiple of 32)">,
    Option<"blocksPerSm", "blocks-per-sm", "int64_t", /*default=*/"4",
           "elementwise grid cap: blocks per multiprocessor">];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::func::FuncDialect"];
}

def GpuDeviceMemoryPass : Pass<"vibee-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Host-side memref.alloc/dealloc -> gpu.alloc/gpu.dealloc";
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuMergeModulesPass : Pass<"vibee-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module (one PTX per spec)";
  let description = [{
    Each kernel function is renamed after its outlined module (unique) and moved
    into `gpu.module @<spec>_kernels`; gpu.launch_func ops follow.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuPackedEntriesPass : Pass<"vibee-gpu-packed-entries", "::mlir::ModuleOp"> {
  let summary = "Add vibee_<spec>_<kernel>_packed(void **args) for every C entry";
  let description = [{
    For every public `func.func @vibee_*` (the C wrappers of vibee-expose-c-abi),
    adds `@<name>_packed(!llvm.ptr)` that loads each argument from args[i] (the
    address of the i-th C argument) and calls it: the same calling convention as
    ExecutionEngine::invokePacked, for ahead-of-time GPU host libraries.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"];
}

#endif // VIBEE_PASSES

def EmitCGpuHostPass : Pass<"vibee-emitc-gpu-host", "::mlir::ModuleOp"> {
  let summary = "Host functions after kernel outlining -> calls of the CUDA host file's helpers";
  let description = [{
    For `--emit=cuda-host` (backends/gpu/CudaHostSource.cpp), before
    vibee-emitc-prepare: every `vibee.kernel` function gets a trailing
    `vibee::cuda_host::Call *` argument (stream, loaded module, first error;
    `vibee.cuda_call_arg` records its position) and its GPU operations become
    `emitc.call_opaque` of the helpers in the generated file's preamble:
    `gpu.launch_func` -> `launch(call, gpu::<kernel>, grid, block, smem, args...)`
    with memref operands expanded the way convert-gpu-to-nvvm passes them
    (allocated and aligned pointer, offset, sizes, strides), `gpu.alloc` ->
    `device_alloc<T>(call, n)`, `gpu.dealloc` -> `device_free(call, p)`,
    `vibee_cuda_sm_count()` -> `sm_count(call)`, `arith.ceildivui/minui/maxui`
    -> `ceil_div`, `std::min`, `std::max`; `gpu.wait` goes (one stream: stream
    order). The gpu.module/gpu.binary ops go too; the module's
    `vibee.cuda_kernels` lists the kernel names (the `gpu::` enumerators).
    Host code that touches device memory itself (memref.load/store/copy) is an
    error.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::emitc::EmitCDialect",
                           "::mlir::memref::MemRefDialect"];
}
