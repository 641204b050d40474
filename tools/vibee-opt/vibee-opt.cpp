// vibee-opt: mlir-opt with the vibee dialect, every vibee pass and pipeline, for
// lit tests (runs without a GPU or a CUDA toolkit).
#include "backends/cpp/Transforms/Passes.h"
#include "backends/cpu/CpuPipeline.h"
#include "backends/gpu/GpuPipeline.h"
#include "conversion/LoopsToEmitC/Passes.h"
#include "conversion/VibeeToLinalg/Passes.h"
#include "ir/VibeeDialect.h"
#include "transforms/Passes.h"
#include "transforms/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  // Bufferization and LLVM-conversion interfaces of the upstream dialects.
  mlir::registerAllExtensions(registry);
  registry.insert<vibee::VibeeDialect>();
  mlir::registerAllPasses();
  vibee::registerVibeeTransformsPasses();
  vibee::registerVibeeToLinalgPasses();
  vibee::registerLoopsToEmitCPasses();
  vibee::registerVibeeCppTransformsPasses();
  vibee::registerSharedPipelines();
  vibee::registerCpuPipelines();
  vibee::registerGpuDialectExtensions(registry);
  vibee::registerGpuPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "vibee optimizer driver\n", registry));
}
