//===- VibeeDialect.td - the vibee dialect ---------------------*- tablegen -*-===//
//
// The vibee dialect sits at the language's own level: one op per index-notation
// statement, kernels as symbols that carry their parameter modes. See
// docs/architecture.md for the design and how later passes plug in.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_DIALECT
#define VIBEE_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Vibee_Dialect : Dialect {
  let name = "vibee";
  let summary = "Tensor index notation kernels of .vibee specs";
  let cppNamespace = "::vibee";
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let useDefaultAttributePrinterParser = 1;
  // The contracts between passes, declared once: each discardable attribute has a
  // named helper (VibeeDialect::KernelAttrHelper, ...; ir/VibeeDialect.h) and is
  // checked by verifyOperationAttribute (ir/VibeeDialect.cpp). An unknown
  // `vibee.*` attribute is an error, so a misspelled name cannot pass silently.
  let discardableAttrs = (ins
    // On a func.func lowered from a vibee.kernel (docs/abi.md).
    "::mlir::UnitAttr":$kernel,
    // Symbolic dims in order of first appearance, and per parameter and result
    // the index into them of every axis (-1: a literal, static size).
    "::mlir::ArrayAttr":$dim_names,
    "::mlir::ArrayAttr":$arg_dims,
    // Dims that results write as expressions (`y: f32[N - K + 1]`): per derived dim
    // [constant, c_0, ..., c_{n-1}] with n = the number of dim_names; its value is
    // constant + sum(c_i * dim_i). An arg_dims entry n + j names derived dim j.
    "::mlir::ArrayAttr":$derived_dims,
    // Per parameter, "in" or "inout" (the func.func form of vibee.mode).
    "::mlir::ArrayAttr":$modes,
    // Argument attribute of vibee.kernel: a #vibee.mode<inout> parameter.
    "::mlir::Attribute":$mode,
    // On the module: the spec's name (C symbols vibee_<spec>_<kernel>).
    "::mlir::StringAttr":$spec,
    // Schedule hints (docs/language.md), on vibee.kernel and its func.func.
    "::mlir::DictionaryAttr":$schedule,
    // vibee-cpu-tile-matmul's packing copy, which vibee-cpu-vectorize leaves alone.
    "::mlir::UnitAttr":$pack,
    // vibee-lower-scans and vibee-lower-topk (rows in order): the outermost scf.for
    // over independent rows (a scan's, a top-k's), which vibee-cpu-parallelize
    // splits over threads.
    "::mlir::UnitAttr":$independent_rows,
    // vibee-lower-scatters (points in order): the innermost scf.for, over an axis
    // that indexes the destination directly; vibee-cpu-parallelize splits its range
    // over threads, each thread running the loops around it in full.
    "::mlir::UnitAttr":$independent_columns,
    // vibee-cpu-pack-contractions: a linalg op inside one branch of a run-time
    // choice (the dot products of a contraction with few rows), which
    // vibee-cpu-parallelize splits over threads as it does top-level ops.
    "::mlir::UnitAttr":$threads_in_branch,
    // The CPU's threaded calls: the llvm.alloca, one per function, that holds the
    // context record of each call to the runtime's parallel loop (ThreadRuntime.h).
    "::mlir::UnitAttr":$thread_context,
    // vibee-prepare-emitc: the ABI position of every argument a C++ function kept.
    "::mlir::ArrayAttr":$cpp_args,
    // vibee-prepare-emitc, within the pass: a uint16_t load or constant that was
    // f16 (not bf16) before storage types were rewritten.
    "::mlir::UnitAttr":$f16,
    // vibee-gpu-emitc-host: the module's kernel names, and per host function the
    // position of its CUstream argument.
    "::mlir::ArrayAttr":$cuda_kernels,
    "::mlir::IntegerAttr":$cuda_call_arg,
    // vibee-noalias-pointers, between its two stages: the positions of the
    // noalias memrefs' aligned pointers among func-to-llvm's expanded arguments.
    "::mlir::DenseI64ArrayAttr":$noalias_pointers
  );
  let hasOperationAttrVerify = 1;
}

class Vibee_Op<string mnemonic, list<Trait> traits = []>
    : Op<Vibee_Dialect, mnemonic, traits>;

// How a statement combines the values of its reduction loops.
def Vibee_ReduceKind : I32EnumAttr<"ReduceKind", "reduction of a compute statement", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"sum", 1>, I32EnumAttrCase<"max", 2>,
    I32EnumAttrCase<"min", 3>, I32EnumAttrCase<"prod", 4>]> {
  let cppNamespace = "::vibee";
  let genSpecializedAttr = 0;
}
def Vibee_ReduceKindAttr : EnumAttr<Vibee_Dialect, Vibee_ReduceKind, "reduce">;

// What a scan computes along its dimension (docs/language.md, "Scans").
def Vibee_ScanKind : I32EnumAttr<"ScanKind", "what a scan computes", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"prod", 1>, I32EnumAttrCase<"max", 2>,
    I32EnumAttrCase<"min", 3>, I32EnumAttrCase<"linear", 4>]> {
  let cppNamespace = "::vibee";
  let genSpecializedAttr = 0;
}
def Vibee_ScanKindAttr : EnumAttr<Vibee_Dialect, Vibee_ScanKind, "scan">;

// Whether a kernel parameter is read only or read and written.
def Vibee_ParamMode : I32EnumAttr<"ParamMode", "kernel parameter mode", [
    I32EnumAttrCase<"in", 0>, I32EnumAttrCase<"inout", 1>]> {
  let cppNamespace = "::vibee";
  let genSpecializedAttr = 0;
}
def Vibee_ParamModeAttr : EnumAttr<Vibee_Dialect, Vibee_ParamMode, "mode"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // VIBEE_DIALECT
