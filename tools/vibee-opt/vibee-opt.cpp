// vibee-opt: mlir-opt with the vibee dialect, passes and pipelines, for lit tests.
#include "backends/cpu/CpuPipeline.h"
#include "backends/gpu/GpuPipeline.h"
#include "ir/VibeeDialect.h"
#include "passes/Passes.h"

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
  vibee::registerVibeePasses();
  vibee::registerCpuPipelines();
  vibee::registerGpuDialectExtensions(registry);
  vibee::registerGpuPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "vibee optimizer driver\n", registry));
}
