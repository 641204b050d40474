// createCpuTileMatmulPass / createCpuVectorizePass: a CpuTarget becomes the passes'
// target options, so a pipeline built for a machine prints (and reparses, e.g. in
// vibee-opt) as that machine rather than as the host.
#include "backends/cpu/Transforms/Passes.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace vibee;

namespace {

std::string textualPipeline(mlir::Pass &pass) {
  std::string text;
  llvm::raw_string_ostream os(text);
  pass.printAsTextualPipeline(os);
  return text;
}

TEST(CpuPassOptions, TileMatmulTakesTheTarget) {
  CpuTarget target;
  target.vectorBits = 256;
  target.l1dBytes = 32 * 1024;
  target.l2Bytes = 256 * 1024;
  target.l3Bytes = 0; // no L3: a value, not "the host's"
  target.cores = 2;
  std::string text = textualPipeline(*createCpuTileMatmulPass(target, /*threads=*/false));
  for (const char *option : {"vector-bits=256", "l1-bytes=32768", "l2-bytes=262144", "l3-bytes=0",
                             "cores=2", "threads=false", "mr=0", "nc=0", "bf16-dot=false",
                             "vnni=false"})
    EXPECT_NE(text.find(option), std::string::npos) << option << " in " << text;
  // The packed dot-product micro-kernels follow the target's instructions.
  target.vectorBits = 512;
  target.bf16Dot = target.vnni = true;
  text = textualPipeline(*createCpuTileMatmulPass(target, /*threads=*/false));
  for (const char *option : {"bf16-dot=true", "vnni=true"})
    EXPECT_NE(text.find(option), std::string::npos) << option << " in " << text;
}

TEST(CpuPassOptions, VectorizeTakesTheVectorWidth) {
  std::string text = textualPipeline(*createCpuVectorizePass(portableCpu()));
  EXPECT_NE(text.find("vector-bits=128"), std::string::npos) << text;
}

TEST(CpuPassOptions, DefaultsMeanTheHost) {
  // Without a target every machine option is unset (the host's at run time).
  std::string text = textualPipeline(*createCpuTileMatmulPass());
  for (const char *option :
       {"vector-bits=0", "l1-bytes=0", "l2-bytes=0", "l3-bytes=-1", "cores=0", "threads=true"})
    EXPECT_NE(text.find(option), std::string::npos) << option << " in " << text;
}

} // namespace
