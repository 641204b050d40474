//===- Passes.td - CPU transforms -*- tablegen -*-===//
#ifndef VIBEE_CPU_TRANSFORMS_PASSES
#define VIBEE_CPU_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def CpuOnlineSoftmaxPass : Pass<"vibee-cpu-online-softmax"> {
  let summary = "Softmax row max and exp-sum in one online pass (CPU)";
  let description = [{
    On tensors, after vibee-fuse-elementwise: a row max-reduction generic and
    the exp(v - max)-sum generic that reads it become one online pass over the
    row (running max and a sum rescaled to it), split into 32 lanes so that it
    vectorizes, plus a combine of the lanes and a scalar tail (C % 32). The
    output generic is unchanged: two passes over each row instead of three.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"];
}

def CpuPrepareVectorizationPass : Pass<"vibee-cpu-prepare-vectorization"> {
  let summary = "Polynomial math, reassociable reductions and noalias kernel args";
  let description = [{
    On bufferized linalg, before loops: generics whose last parallel loop walks
    the output's innermost dim get their reductions moved outside it (matmul
    becomes i-k-j), math functions become polynomial
    approximations in arith (vectorizable, no libm calls), float reduction
    combiners get `reassoc`, and memref arguments of `vibee.kernel` funcs get
    `llvm.noalias` (distinct tensors never overlap, docs/abi.md).
  }];
  let options = [
    Option<"approximateMath", "approximate-math", "bool", /*default=*/"true",
           "rewrite math functions into polynomial approximations">,
    Option<"reassociateReductions", "reassociate-reductions", "bool",
           /*default=*/"true", "mark float reduction combiners reassoc">,
    Option<"noalias", "noalias", "bool", /*default=*/"true",
           "mark kernel memref arguments llvm.noalias">,
    Option<"interchange", "interchange", "bool", /*default=*/"true",
           "move reductions outside the last parallel loop when it walks the "
           "output's innermost dim (matmul: i-k-j)">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::LLVM::LLVMDialect"];
}

#endif // VIBEE_CPU_TRANSFORMS_PASSES
