//===- Passes.td - GPU transforms -*- tablegen -*-===//
#ifndef VIBEE_GPU_TRANSFORMS_PASSES
#define VIBEE_GPU_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def GpuPreparePass : Pass<"vibee-gpu-prepare", "::mlir::func::FuncOp"> {
  let summary = "Host memref.copy -> linalg.copy, so that copies run as kernels; small "
                "static allocations inside an scf.forall -> memref.alloca (thread-private)";
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def GpuAtomicScattersPass : Pass<"vibee-gpu-atomic-scatters", "::mlir::ModuleOp"> {
  let summary = "vibee.scatter_add on memrefs -> one atomic add per point";
  let description = [{
    Every `vibee.scatter_add` left by vibee-lower-scatters (keep-integer-sums: i32
    and i64, whose sums are the same bits in any order; f32 and f64 with
    keep-float-sums) and bufferized becomes an `scf.parallel` over its points,
    each adding its update with `memref.atomic_rmw` (addi, addf) at its position when every gathered index is inside
    its axis (`vibee.gather_index` reports the others). An integer sum into a
    destination that fits 32 KB, with at least 16 points per element, runs
    instead as a gpu.launch in which each block counts into its own copy in
    workgroup memory and adds the copy's non-zero elements once (chosen at run
    time; a module pass: it declares vibee_cuda_sm_count for the grid).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::gpu::GPUDialect"];
}

def GpuScanKernelsPass : Pass<"vibee-gpu-scan-kernels", "::mlir::ModuleOp"> {
  let summary = "vibee.scan on memrefs -> a kernel that scans a row per warp";
  let description = [{
    Every `vibee.scan` that vibee-lower-scans kept (warp-rows: sum, prod, max or
    min of 32-bit values along the last dimension) and bufferized becomes a
    gpu.launch in which each warp scans whole rows (grid-stride over the rows):
    per step, each lane loads four 16-byte vectors of consecutive elements; each
    vector is scanned in the lane, across the lanes with `gpu.shuffle up`, and
    from the running value, which lane 31's total (`gpu.shuffle idx`) carries to
    the next. Rows that are not whole aligned vectors (checked at run time) and the
    last partial step load and store element by element, the identity past the
    row. Rows that one step of at most 16 lanes covers are scanned by segments of
    that many lanes, several rows per warp; fewer than 1024 rows longer than a step
    are cut into chunks scanned in three launches (totals, carries, chunks). A
    module pass: it declares vibee_cuda_sm_count for the grid.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block (a multiple of 32: one row per warp)">];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::vector::VectorDialect"];
}

def GpuTileLoopsPass : Pass<"vibee-gpu-tile-loops", "::mlir::func::FuncOp"> {
  let summary = "Tile each outermost scf.parallel for a GPU block";
  let description = [{
    The innermost dim of every outermost `scf.parallel` is tiled by
    `block-size` (other dims by 1) with constant inner bounds, so that
    gpu-map-parallel-loops maps the tiles to blocks and the points of a tile to
    the threads of a block, consecutive threads on consecutive elements. A
    body without loops is coarsened: a tile is `coarsen` x `block-size`
    points, each thread handles `coarsen` of them block-size apart (unguarded
    in full tiles), so that it has that many loads in flight.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block">,
    Option<"coarsen", "coarsen", "int64_t", /*default=*/"4",
           "points per thread for bodies without loops (1: one point per thread)">];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

def GpuSerialLeftoversPass : Pass<"vibee-gpu-serial-leftovers", "::mlir::func::FuncOp"> {
  let summary = "Run host-side loops over device memory in a one-thread kernel";
  let description = [{
    After the parallel-loops route: a top-level scf.for, memref.load or
    memref.store of the kernel function that touches memory and launches nothing
    (a statement without parallel loops, such as a reduction to a scalar) would
    run on the host over device pointers. It moves into a gpu.launch of one
    block of one thread, in order with the other launches; a remark at the
    statement says it runs serially.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::arith::ArithDialect"];
}

def GpuGatherChecksPass : Pass<"vibee-gpu-gather-checks", "::mlir::ModuleOp"> {
  let summary = "Report gathered indices outside their axis through a device-side flag";
  let description = [{
    Every `vibee.gather_index` inside a gpu.launch becomes its clamped position
    plus, for an index outside the axis, a store of 1 and the index into a flag
    buffer of two i64 that its host function allocates and clears at entry
    (`vibee_cuda_gather_flags_clear`) and checks before each return
    (`vibee_cuda_gather_flags_check`: the runtime records the error that the
    JIT turns into the call's exception). Runs after the kernels are formed
    (vibee-gpu-serial-leftovers) and before vibee-gpu-device-memory, which puts
    the buffer in device memory. Gather indices outside launches are left for
    vibee-lower-gather-indices (a clamp).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
}

def GpuNoAliasKernelArgsPass : Pass<"vibee-gpu-noalias-kernel-args", "::mlir::ModuleOp"> {
  let summary = "llvm.noalias on outlined kernels' memref arguments of distinct buffers";
  let description = [{
    After outlining: a gpu.func memref argument gets `llvm.noalias` when at
    every gpu.launch_func of the kernel its operand is the only one viewing its
    root buffer, and that root is a kernel argument (the C ABI: outputs overlap
    no other tensor) or an allocation. vibee-noalias-pointers keeps the
    attribute through gpu-to-nvvm.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def GpuMapKernelsPass : Pass<"vibee-gpu-map-kernels", "::mlir::ModuleOp"> {
  let summary = "Bufferized linalg.generics -> hand-shaped gpu.launch kernels";
  let description = [{
    After bufferization, before the generic parallel-loops route (which handles
    whatever this pass leaves):
    - vibee.attention on memrefs (GpuAttentionKernels.cpp): one kernel, K and V
      tiles in shared memory, online softmax with the running max and sum in
      registers (no score matrix in memory), a causal mask ending each block's
      key loop at its last row's diagonal. bf16/f16 operands with aligned
      pointers and head/value dims multiples of 8 up to 128 run on mma.sync
      (GpuAttentionMmaKernel.cpp: 64 query rows per block; at most 16 rows and
      at least 512 keys split the keys over blocks and combine them,
      flash-decoding), everything else on CUDA cores
      (GpuAttentionSimtKernel.cpp: 16 query rows per block);
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
    - matmuls c[z..., m, n] (+)= sum_k f(a, b) over contiguous memrefs, a as
      a[z..., m, k] or a[z..., k, m], b as b[z..., k, n] or b[z..., n, k]
      (GpuMatmulMatch.h), taken before the row groups. bf16/f16 operands with
      an f32 accumulator (a not transposed) run on the tensor cores
      (with `wgmma`, sm_90a: GpuWgmmaKernels.cpp, wgmma m64n256k16 fed by TMA
      through a 4-stage mbarrier pipeline, taking c's zero fill and the
      elementwise statement after the product when c is a temporary; otherwise
      GpuMmaKernels.cpp: mma.sync m16n8k16, 128 x 128 tiles, ldmatrix) when
      pointers are 16-byte aligned and K (and N for b[k, n]) multiples of 8;
      everything else: one block of 256
      threads per 64 x 64 tile of c (4 x 4 outputs per thread), a and b staged
      in shared memory 16 values of k at a time, FMA; the grid's y and z
      (m tiles, batch) capped at 65535 and looped over inside the kernel.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block (a multiple of 32)">,
    Option<"blocksPerSm", "blocks-per-sm", "int64_t", /*default=*/"4",
           "elementwise grid cap: blocks per multiprocessor">,
    Option<"wgmma", "wgmma", "bool", /*default=*/"false",
           "sm_90a: bf16/f16 matmuls on wgmma with TMA loads (GpuWgmmaKernels.cpp) "
           "instead of mma.sync">];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::nvgpu::NVGPUDialect", "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::func::FuncDialect",
                           "::mlir::math::MathDialect"];
}

def GpuDeviceMemoryPass : Pass<"vibee-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Host-side memref.alloc/dealloc -> gpu.alloc/gpu.dealloc";
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuMergeModulesPass : Pass<"vibee-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module (one PTX per spec)";
  let description = [{
    Each kernel function is renamed after its outlined module (unique) and moved
    into `gpu.module @<spec>_kernels`; gpu.launch_func ops follow. A module
    without kernels (kernels without statements) gets an empty one.
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

def GpuEmitCHostPass : Pass<"vibee-gpu-emitc-host", "::mlir::ModuleOp"> {
  let summary = "Host functions after kernel outlining -> calls of the CUDA host file's helpers";
  let description = [{
    For `--emit=cuda-host` (backends/gpu/CudaHostSource.cpp), before
    vibee-prepare-emitc: every `vibee.kernel` function gets a trailing
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

#endif // VIBEE_GPU_TRANSFORMS_PASSES
