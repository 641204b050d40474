// Pass pipelines that take vibee kernels to CUDA GPUs through MLIR's
// parallel-loops -> gpu -> NVVM path (docs/gpu.md).
#pragma once

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace vibee {

struct GpuOptions {
  std::string chip = "sm_90a"; // sm_80 for the portable fallback
  std::string features = "+ptx80";
  std::string format = "isa";              // isa (PTX text) | bin (cubin, needs ptxas) | fatbin
  std::string toolkit = "/usr/local/cuda"; // where ptxas is found for format=bin
  int blockSize = 256;
  int blocksPerSm = 4; // grid cap of elementwise kernels: blocks per SM
  // bf16/f16 matmuls on wgmma + TMA (sm_90a only; mma.sync otherwise). The
  // generated C++ host file turns it off: its kernels serve the sm_80 PTX too.
  bool wgmma = true;
  // Gathered indices outside their axis reported through a device-side flag that
  // the host code reads back (vibee-gpu-gather-checks; a stream synchronization
  // per call of a kernel with gathers). The generated C++ host file clamps only.
  bool gatherFlags = true;
  // f32/f64 scatter-adds as atomic adds too (integer ones always are): not
  // bit-reproducible, so only when the user asks (vibeec --gpu-float-atomics).
  bool floatAtomics = false;
  std::string key() const;
  // The options for `chip` (PTX ISA 7.0 for sm_80/86/89, 8.0 otherwise) and
  // `format`.
  static GpuOptions forChip(const std::string &chip, const std::string &format = "isa");
};

/// Linalg on tensors (the output of buildVibeeToLinalgPipeline) -> memref
/// kernels whose parallel loops are outlined into one gpu.module per spec
/// (gpu.launch_func in the host functions, temporaries in device memory).
void buildGpuKernelPipeline(mlir::OpPassManager &pm, const GpuOptions &options);

/// The gpu.module -> NVVM -> gpu.binary (PTX or cubin) step.
void buildGpuBinaryPipeline(mlir::OpPassManager &pm, const GpuOptions &options);

/// Host functions -> LLVM dialect: the C wrappers vibee_<spec>_<kernel> (device
/// pointers), their packed forms, gpu-to-llvm (mgpu* runtime calls).
void buildGpuHostToLLVMPipeline(mlir::OpPassManager &pm);

/// All three.
void buildGpuLinalgToLLVMPipeline(mlir::OpPassManager &pm, const GpuOptions &options);

/// The translations and interfaces the GPU path needs in a context's registry
/// (NVVM target, GPU/NVVM -> LLVM IR, convert-to-LLVM interfaces).
void registerGpuDialectExtensions(mlir::DialectRegistry &registry);

/// vibee-gpu-kernels, vibee-gpu-to-llvm (for vibee-opt).
void registerGpuPipelines();

} // namespace vibee
