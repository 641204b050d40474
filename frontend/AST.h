// The vibee AST: what the parser builds from the ANTLR parse tree and what sema
// annotates. Owned by `ast::Spec`; nodes carry source locations for diagnostics.
// MLIR generation and the reference interpreter both read this (and only this).
#pragma once

#include "frontend/Builtins.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vibee::ast {

struct Loc {
  int line = 0; // 1-based
  int col = 0;  // 1-based
};

// F8E4M3 and F8E5M2 are OCP FP8 (MLIR's f8E4M3FN and f8E5M2): storage types whose
// values every operation computes in f32 (docs/language.md, "FP8").
// U64..U8 are unsigned integers: MLIR holds them in signless iN like the signed ones,
// and every operation whose result depends on the sign picks its unsigned form by the
// vibee dtype (docs/language.md, "Unsigned integers").
enum class DType { F64, F32, F16, BF16, F8E4M3, F8E5M2, I64, I32, I8, U64, U32, U16, U8, Bool };

const char *dtypeName(DType t);                          // "f32"
std::optional<DType> dtypeFromName(const std::string &); // "f32" -> F32
bool isFloat(DType t);
bool isFloat8(DType t);   // f8e4m3, f8e5m2
bool isInteger(DType t);  // i64 i32 i8 u64 u32 u16 u8 (not bool)
bool isUnsigned(DType t); // u64 u32 u16 u8
int dtypeBytes(DType t);

// `text` (a doc string, a file name) made safe for one `// ...` line of generated
// C/C++: newlines and other control characters become escapes (a doc string's `\n`
// used to end the comment and inject code), and a trailing backslash gets a space.
std::string commentText(const std::string &text);

// ---- Expressions ----------------------------------------------------------

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Number, // 1, 0.5, 1e-3, true/false (value in `number`, isIntLiteral/isBool)
  Name,   // bare identifier: a constant, a scalar parameter, a symbolic dim or an index
  Access, // tensor access t[i, j] (subscripts are index names or integer literals)
  Unary,  // -x, !x
  Binary, // + - * / % < <= > >= == != && ||
  Call,   // builtin (exp, max, where, ...) or cast (f32(x), bf16(y))
};

// What a Name (or the tensor of an Access) resolves to; filled by sema.
enum class NameKind {
  Unresolved,
  Const,       // `const beta1: f32 = 0.9;` -> ref = index into Spec::consts
  ScalarParam, // scalar kernel parameter   -> ref = index into Kernel::params
  TensorParam, // tensor kernel parameter (Access only) -> ref = param index
  Result,      // kernel result (Access only) -> ref = index into Kernel::results
  Local,       // local tensor defined by an earlier statement -> ref = Kernel::locals
  Dim,         // symbolic dimension used as a value (`/ C`) -> ref = Kernel::dims
  Index,       // loop index used as a value (`where(j <= i, ...)`) -> ref = stmt index slot
};

// Sema's normal form of an affine subscript (`2 * j + 1`, `N - 1 - i`, `k / 128`):
// sum(coeff * loop index) + sum(coeff * symbolic dim) + constant, then optionally a
// floor division or floor modulo by a positive constant (docs/language.md, "Affine
// subscripts").
struct AffineForm {
  std::vector<std::pair<int, int64_t>> indices; // (Statement::loopIndices slot, coefficient)
  std::vector<std::pair<int, int64_t>> dims;    // (Kernel::dims index, coefficient)
  int64_t constant = 0;
  char op = 0; // 0, '/' (floor division) or '%' (floor modulo) by `divisor`
  int64_t divisor = 1;
};

struct Subscript {
  Loc loc;
  std::string index; // index variable name, or empty when `literal` is set
  std::optional<int64_t> literal;
  int slot = -1; // sema: position of `index` in Statement::loopIndices
  // Parser: a subscript that is neither a name nor a literal (`2 * j + 1`, `ids[s]`).
  std::shared_ptr<Expr> expr;
  std::optional<AffineForm> affine; // sema: `expr` as an affine form
  // sema: `expr` is an element of an integer tensor parameter (`ids[s]`): a gather.
  bool gather = false;
  // sema: `expr` is an integer value computed from the statement's reads, subscripting a
  // constant tensor (`nf4[w[n, k] & 15]`), proven inside the table's axis.
  bool code = false;
};

// The expression a subscript reads as a value (a gather's index, a table's code), else
// null: walks over a statement's reads visit it like an operand.
inline const Expr *valueSubscript(const Subscript &s) {
  return s.gather || s.code ? s.expr.get() : nullptr;
}

struct Expr {
  ExprKind kind;
  Loc loc;
  // Number. An integer literal keeps its exact value in `intValue` (`number` holds it
  // rounded to double, for float uses); sema checks it fits the dtype it settles to.
  double number = 0;
  int64_t intValue = 0;
  bool isIntLiteral = false; // written without '.', 'e' (e.g. `1`)
  bool isBool = false;       // `true` / `false`
  // Name / Access / Call: identifier (callee for Call)
  std::string name;
  // Access
  std::vector<Subscript> subscripts;
  // Unary / Binary operator spelling: "-", "!", "+", "<=", "&&", ...
  std::string op;
  // Unary: operands[0]; Binary: operands[0] op operands[1]; Call: arguments
  std::vector<ExprPtr> operands;

  // ---- sema annotations ----
  NameKind nameKind = NameKind::Unresolved;
  int ref = -1;
  DType type = DType::F32; // dtype of the value this expression produces
  // dtype the operation computes in: operands are converted to it first. Equal to
  // `type` except for comparisons (type = Bool, opType = the operands' common
  // dtype) and casts (opType = the operand's dtype).
  DType opType = DType::F32;
  // Call: the builtin the name resolves to (Builtins.def); casts also set castTo, the
  // target dtype
  std::optional<Builtin> builtin;
  std::optional<DType> castTo;
  // Access with affine subscripts that are not proven in bounds but guarded by a
  // `where` (sema): each subscript is clamped into its axis, so the read that the
  // guard discards stays inside the tensor.
  bool clampedRead = false;
};

// ---- Kernels ----------------------------------------------------------------

// One dimension in a tensor type: a symbol (`N`) or a literal size (`4`).
struct DimSpec {
  Loc loc;
  std::string symbol; // empty for a literal
  int64_t size = -1;  // literal size when symbol is empty
  int dimRef = -1;    // sema: index into Kernel::dims
  // Parser: a result's dim written as an expression (`N - K + 1`); sema makes it a
  // derived Dim and sets `symbol` to its canonical text.
  std::shared_ptr<Expr> expr;
};

struct TensorType {
  DType dtype = DType::F32;
  std::vector<DimSpec> dims; // empty: scalar
  bool isScalar() const { return dims.empty(); }
};

enum class ParamMode { In, InOut };

struct Param {
  Loc loc;
  std::string name;
  ParamMode mode = ParamMode::In;
  TensorType type;
  ExprPtr defaultValue;         // scalars only; a constant expression
  double defaultFolded = 0;     // sema: the value of defaultValue
  int64_t defaultFoldedInt = 0; // sema: the exact value for integer and bool dtypes
};

struct Result {
  Loc loc;
  std::string name;
  TensorType type;
};

// ArgMax/ArgMin: the index of the first largest/smallest element along the one
// reduction index (a NaN counts as the extremum); the target is an integer tensor.
// TopK: the k largest elements along the reduction index, into two targets
// (values, indices) ranked along the last left-hand side index (docs/language.md,
// "Top-k").
enum class ReduceKind { None, Sum, Max, Min, Prod, ArgMax, ArgMin, TopK };
const char *reduceKindName(ReduceKind k); // "sum", "max", ...
inline bool isArgReduce(ReduceKind k) { return k == ReduceKind::ArgMax || k == ReduceKind::ArgMin; }

// A scan along one left-hand side index (docs/language.md, "Scans"): a prefix
// sum/product/max/min, or the linear recurrence h[t] = A[t] * h[t - 1] + B[t].
enum class ScanKind { None, Sum, Prod, Max, Min, Linear };
const char *scanKindName(ScanKind k); // "cumsum", ..., "scan"

// `target[i, j] = red(k, ...) expr;`  (red(...) is optional)
struct Statement {
  Loc loc;
  std::string target;
  Loc targetLoc;
  std::vector<Subscript> lhs; // index names only (no literals)
  ReduceKind reduce = ReduceKind::None;
  std::vector<Subscript> reduceIndices; // the names inside sum(...)
  Loc reduceLoc;
  ExprPtr rhs;
  std::string sourceText; // the statement as written, for comments in emitted code
  // A scan (`cumsum(t) x[i, t]`, `scan(t, h0[i]) a[i, t] * h[i, t - 1] + b[i, t]`):
  // its kind, index (one of `lhs`) and, for a prefix, whether it is exclusive. A
  // recurrence keeps its initial value in scanInit, A in scanCoef (null: 1) and B in
  // rhs (the parser splits `A * h[..., t - 1] + B`; B is the literal 0 when absent).
  ScanKind scan = ScanKind::None;
  Subscript scanIndex;
  Loc scanLoc;
  bool exclusive = false;
  ExprPtr scanInit;
  ExprPtr scanCoef;
  int scanAxis = -1; // sema: the position of scanIndex in lhs
  // A top-k (`v[b, j], i[b, j] = topk(c, j) x[b, c]`): the second target, which
  // takes the indices (its subscripts are those of `lhs`), and the rank index `j`
  // (the last of `lhs`; its extent is k).
  std::string indexTarget; // empty unless a second target is written
  Loc indexTargetLoc;
  std::vector<Subscript> indexLhs;
  Subscript rankIndex;
  NameKind indexTargetKind = NameKind::Unresolved; // sema, as targetKind
  int indexTargetRef = -1;
  DType indexTargetType = DType::I64;
  // A scatter-add (`dt[ids[s], d] += dy[s, d]`, docs/language.md "Scatter-add"): the
  // target's subscripts as written (index names or gathers) in scatterSubs; `lhs`
  // holds the loop indices, the names in them in order of appearance.
  bool accumulate = false;
  std::vector<Subscript> scatterSubs;

  // ---- sema annotations ----
  NameKind targetKind = NameKind::Unresolved; // TensorParam (inout), Result or Local
  int targetRef = -1;
  DType targetType = DType::F32;
  // Loop indices: the lhs indices in order, then the reduction indices in order.
  std::vector<std::string> loopIndices;
  std::vector<int> loopDims; // per loop index: index into Kernel::dims (its extent)
  int numParallel = 0;       // == lhs.size()
};

// A symbolic or literal dimension of a kernel. Symbolic dims unify across params.
struct Dim {
  std::string name;  // "N", or the literal spelled as a number ("4")
  int64_t size = -1; // known size for literal dims, -1 for symbolic
  // The first tensor parameter/result dimension that carries it (for lowering).
  bool fromResult = false;
  int carrierRef = -1; // param index (or result index when fromResult)
  int carrierAxis = -1;
  // A result dim written as an expression (`y: f32[N - K + 1]`, docs/language.md
  // "Dims as expressions"): sum(coeff * dims[d]) + constant over symbolic dims that
  // parameters carry. It is no argument of the C ABI: every target computes it.
  bool derived = false;
  std::vector<std::pair<int, int64_t>> terms;
  int64_t constant = 0;
};

// The size of derived dim `dim` for the sizes of the other dims; nullopt when a
// term's dim is unbound (negative) or the arithmetic overflows int64. May be negative.
std::optional<int64_t> derivedDimSize(const Dim &dim, const std::vector<int64_t> &sizes);

// ---- Schedule hints (docs/language.md, "Schedule hints") ------------------

// One argument of a schedule entry as written: `M = 64` (name and value), `N`
// (name only) or `16` (value only).
struct ScheduleArg {
  Loc loc;
  std::string name; // empty for a bare number
  bool hasValue = false;
  Loc valueLoc;
  std::string valueText; // the number as written, with its sign
  double value = 0;
  bool isInt = false;  // written without '.' or an exponent
  bool valueOk = true; // false after a literal error (already reported)
};

// `tile(M = 64, N = 256);` as written; sema checks it into Schedule's fields.
struct ScheduleEntry {
  Loc loc;
  std::string name;
  std::vector<ScheduleArg> args;
};

struct Schedule {
  Loc loc;
  std::vector<ScheduleEntry> entries;
  // ---- sema: the checked hints (an entry with an error contributes nothing) ----
  std::vector<std::pair<int, int64_t>> tiles; // (index into Kernel::dims, size)
  std::optional<int64_t> vectorWidth;
  std::optional<std::vector<int>> parallelDims; // Kernel::dims; empty: no threads
  std::optional<int64_t> threads;
};

struct Kernel;
// "f32[R, C]" (or "f32" for a scalar): a type as the spec writes it.
std::string typeText(const Kernel &kernel, const TensorType &type);

struct Local {
  std::string name;
  Loc loc;
  DType dtype = DType::F32;
  std::vector<int> dims; // indices into Kernel::dims
};

struct Kernel {
  Loc loc;
  std::string name;
  std::vector<Param> params;
  std::vector<Result> results;
  std::vector<Statement> body;
  std::optional<Schedule> schedule; // the optional `schedule { ... }` block

  // ---- sema annotations ----
  std::vector<Dim> dims; // in order of first appearance in params, then results
  std::vector<Local> locals;
};

// ---- Constants, behaviors, spec ---------------------------------------------

struct Const {
  Loc loc;
  std::string name;
  DType dtype = DType::F32;
  ExprPtr value;         // constant expression; sema folds it into `folded`
  double folded = 0;     // the value (for integer dtypes: foldedInt, rounded)
  int64_t foldedInt = 0; // the exact value for integer and bool dtypes
  // A constant tensor (`const lut: f32[16] = [...]`): its type's literal dims and its
  // elements row-major (the parser checks the nesting against the dims); sema folds
  // them into elems / elemInts (the rules of `folded` / `foldedInt`). `value` is null.
  TensorType type;
  std::vector<ExprPtr> elements;
  std::vector<double> elems;
  std::vector<int64_t> elemInts;
  bool isTensor() const { return !type.dims.empty(); }
};

// A value in a behavior: a nested literal, zeros/ones/rand(...), or a given's name.
struct Value {
  enum Kind { Literal, Zeros, Ones, Rand, NameRef, Scalar } kind = Literal;
  Loc loc;
  std::vector<int64_t> shape; // Literal (inferred from nesting), Zeros/Ones/Rand
  std::vector<double> data;   // Literal, row-major; Scalar: data[0]
  int64_t seed = 0;           // Rand
  std::string name;           // NameRef
};

struct Binding { // `given x = [...]` or a named argument `lr = 0.1`
  Loc loc;
  std::string name;
  Value value;
};

struct Expectation { // `then y ~= [...] within 1e-6;` or `then y == [...];`
  Loc loc;
  std::string name;
  bool approx = true;
  double tolerance = 0;
  Value expected;
  // sema: what `name` refers to: a kernel result, or else a given
  int resultRef = -1; // index into Kernel::results
  int givenRef = -1;  // index into Behavior::given
};

struct Call { // `when step(param, grad, m, lr = 0.1, wd = 0.0);`
  Loc loc;
  std::string kernel;
  std::vector<Binding> positional; // name = given's name, value.kind == NameRef
  std::vector<Binding> named;      // `lr = 0.1`: a parameter name and a value
};

struct Behavior {
  Loc loc;
  std::string title;
  std::vector<Binding> given;
  Call when;
  std::vector<Expectation> then;
  // sema: kernel index and, per kernel param, the binding that feeds it
  int kernelRef = -1;
  struct ParamSource {
    enum Kind { Default, Positional, Named } kind = Default; // Default: param default
    int index = -1;                                          // into when.positional / when.named
    int givenRef = -1; // the `given` whose value it is (positional or a named NameRef)
  };
  std::vector<ParamSource> paramSources; // per kernel param
  std::vector<int64_t> dimSizes;         // per Kernel::dims entry, from the shapes
};

struct Spec {
  std::string file; // path as given, for diagnostics
  std::string source;
  Loc loc;
  Loc nameLoc; // of `name`
  std::string name;
  std::string version;
  std::string doc;
  std::vector<Const> consts;
  std::vector<Kernel> kernels;
  std::vector<Behavior> behaviors;
  // parser: errors from the ANTLR lexer/parser; sema is skipped when there are any
  int syntaxErrors = 0;

  const Kernel *findKernel(const std::string &name) const;
};

// The kernels [begin, end) of a spec, by their position in `Spec::kernels`.
struct KernelRange {
  size_t begin = 0;
  size_t end = SIZE_MAX; // clamped to the number of kernels
};

} // namespace vibee::ast
