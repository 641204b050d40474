// `--emit=cuda-host`: one self-contained C++17 source file for a spec's CUDA
// kernels (docs/gpu.md). It embeds the device code (a cubin for `chip` when
// ptxas is in `toolkit`, the chip's PTX, the sm_80 PTX), loads it with the
// driver API at first use (per context, thread-safe), and exposes the CPU
// ABI (docs/abi.md) on device pointers: `vibee_<spec>_<kernel>(...)`,
// `..._on_stream(..., CUstream)`, `..._packed(void **)` and
// `vibee::cuda::<spec>::<kernel>(..., CUstream = nullptr)`, each returning
// nullptr or the first CUDA error's text. Needs <cuda.h> and -lcuda.
#pragma once

#include "frontend/AST.h"

#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace vibee {

// `linalgModule` is the spec at Stage::Linalg (cloned, not modified).
llvm::Expected<std::string> emitCudaHostSource(mlir::ModuleOp linalgModule, const ast::Spec &spec,
                                               const std::string &chip = "sm_90a",
                                               const std::string &toolkit = "/usr/local/cuda");

} // namespace vibee
