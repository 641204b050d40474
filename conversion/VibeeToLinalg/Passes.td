//===- Passes.td - vibee dialect to linalg -*- tablegen -*-===//
#ifndef VIBEE_CONVERSION_VIBEETOLINALG_PASSES
#define VIBEE_CONVERSION_VIBEETOLINALG_PASSES

include "mlir/Pass/PassBase.td"

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

#endif // VIBEE_CONVERSION_VIBEETOLINALG_PASSES
