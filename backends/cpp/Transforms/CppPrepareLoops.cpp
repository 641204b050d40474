//===- CppPrepareLoops.cpp - vectorizable linalg for the C++ output -------===//
#include "backends/cpp/Transforms/Passes.h"
#include "transforms/LoopPreparation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

namespace vibee {
#define GEN_PASS_DEF_CPPPREPARELOOPSPASS
#include "backends/cpp/Transforms/Passes.h.inc"
} // namespace vibee

namespace {

struct CppPrepareLoopsPass : vibee::impl::CppPrepareLoopsPassBase<CppPrepareLoopsPass> {
  void runOnOperation() override {
    if (failed(vibee::approximateMathFunctions(getOperation())))
      return signalPassFailure();
    vibee::interchangeReductionsOutward(getOperation());
  }
};

} // namespace
