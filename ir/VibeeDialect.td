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
  // `vibee.schedule` (schedule hints, docs/language.md) is a discardable attribute
  // of vibee.kernel and of the func.func it lowers to; the dialect checks its form.
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kScheduleAttrName = "vibee.schedule";
  }];
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
