//===- Passes.td - C++ output transforms -*- tablegen -*-===//
#ifndef VIBEE_CPP_TRANSFORMS_PASSES
#define VIBEE_CPP_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def CppPrepareLoopsPass : Pass<"vibee-cpp-prepare-loops"> {
  let summary = "Math as polynomials and reductions outward, for the C++ output";
  let description = [{
    On bufferized linalg, before it becomes loops (--emit=cpp): the math
    functions that have an accurate polynomial approximation (exp, log, tanh,
    erf, ...; not sin and cos) become plain arith, which a C++ compiler
    vectorizes where a <cmath> call stays scalar (without -ffast-math no
    compiler vectorizes std::exp); reductions that walk an operand at a stride
    move outside the last parallel loop (matmul: i-k-j). The CPU pipeline makes
    the same two rewrites (transforms/LoopPreparation.h), so the C++ output and
    the object compute the same functions.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

def CppSplitReductionsPass : Pass<"vibee-cpp-split-reductions"> {
  let summary = "Innermost reduction loops over lanes of partial results (C++ output)";
  let description = [{
    On scf loops over memrefs (--emit=cpp, before vibee-prepare-emitc): an
    innermost scf.for that reads an accumulator at loop-invariant indices,
    combines it with one commutative, associative op (addf, mulf, max/min,
    addi, muli, and/or/xor, integer max/min) and stores it back, with no other
    access to that buffer in the loop, runs its first (n - n % lanes)
    iterations as an outer loop over blocks and an inner loop over `lanes`
    partial results held in a small local array, which are then combined into
    the accumulator; the last n % lanes iterations stay the original loop. A
    C++ compiler does not reassociate a float sum without -ffast-math, so it
    leaves the original loop scalar; the inner loop over lanes has no
    loop-carried dependence and vectorizes. Float sums change rounding (lane
    sums, then their sum), as the vectorized reductions of the CPU path do.
  }];
  let options = [
    Option<"lanes", "lanes", "unsigned", /*default=*/"16",
           "partial results per accumulator">];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"];
}

#endif // VIBEE_CPP_TRANSFORMS_PASSES
