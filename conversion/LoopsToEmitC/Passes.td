//===- Passes.td - bufferized loops to EmitC -*- tablegen -*-===//
#ifndef VIBEE_CONVERSION_LOOPSTOEMITC_PASSES
#define VIBEE_CONVERSION_LOOPSTOEMITC_PASSES

include "mlir/Pass/PassBase.td"

def PrepareEmitCPass : Pass<"vibee-prepare-emitc", "::mlir::ModuleOp"> {
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

#endif // VIBEE_CONVERSION_LOOPSTOEMITC_PASSES
