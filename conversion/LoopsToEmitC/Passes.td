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

def SplitSharedSubexpressionsPass
    : Pass<"vibee-split-shared-subexpressions", "::mlir::ModuleOp"> {
  let summary = "Give a value used twice inside an emitc.expression its own expression";
  let description = [{
    form-expressions folds an expression into its user once the user is its only
    one, also when that user reads it twice (`t = a * b; y = t * t + t` becomes one
    expression), and the C++ printer writes such a value out at every use: work
    repeated, and text exponential in the depth of a chain of shared values (ten
    Philox rounds printed as 150 KB). Each value used more than once inside an
    expression moves, with the operations only it uses, into an expression of its
    own before the user, which the printer gives a variable. Constants and
    literals stay where they are (printing them twice costs nothing).
  }];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // VIBEE_CONVERSION_LOOPSTOEMITC_PASSES
