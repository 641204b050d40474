// Shared between the sema files (Sema.cpp: consts/kernels/statements, SemaExpr.cpp:
// expression typing, SemaPromotion.cpp: the promotion rules, SemaBehavior.cpp:
// behaviors). Not part of the frontend API.
#pragma once

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vibee::sema {

// The type of a checked expression. A weak value is built from literals only and
// takes the dtype of where it is used (`1 - beta1` -> f32); settle() writes that
// dtype into its nodes.
struct TypeInfo {
  ast::DType type = ast::DType::F32;
  bool weak = false;
  bool weakReal = false; // a weak value with a real literal (never settles to an int)
  bool ok = true;        // false after an error: parents stay quiet
};

// Per-statement state of the loop indices (one slot per Statement::loopIndices).
struct StmtScope {
  ast::Statement *stmt = nullptr;
  std::vector<int> dim;             // Kernel::dims index, -1 until bound
  std::vector<ast::Loc> where;      // where the extent was bound
  std::vector<std::string> how;     // "axis 0 of 'x'"
  std::vector<bool> used;           // used on the right-hand side
  std::vector<bool> carried;        // subscripts a tensor that is not a constant
  std::vector<std::string> unbound; // unbound names already reported
};

// Where an expression is checked: a constant expression (kernel == null) or a
// statement's right-hand side.
struct ExprScope {
  const ast::Spec &spec;
  DiagnosticEngine &diags;
  int visibleConsts = 0; // consts declared before this point
  ast::Kernel *kernel = nullptr;
  StmtScope *stmt = nullptr;
};

TypeInfo checkExpr(ast::Expr &e, ExprScope &scope);
// The kernel dims of a constant tensor's literal sizes (one entry per size, shared
// with parameters of that size; a dim only a constant tensor has has no carrier).
std::vector<int> literalDims(ast::Kernel &k, const ast::TensorType &t);

// A result's dim written as an expression (SemaDims.cpp): its Kernel::dims index (a
// derived dim, or the symbol or literal it reduces to), or -1 after an error.
int resolveDimExpr(const ast::Spec &spec, ast::Kernel &k, ast::DimSpec &d, int resultRef, int axis,
                   DiagnosticEngine &diags);
// The promotion rules (SemaPromotion.cpp). A strong (non-literal) type; the dtype
// operations on `t` compute in (FP8 is a storage type: its values compute in f32,
// exactly, so the only rounding to FP8 is an explicit cast, docs/language.md "FP8").
TypeInfo strong(ast::DType t);
ast::DType arithType(ast::DType t);
// Unifies two operand types of `op` at `loc` by the promotion rules and settles a weak
// operand; false after an error (bool in arithmetic, f16 with bf16, an unsigned with
// a signed integer that is not wider).
bool unifyOperands(ast::Expr &at, TypeInfo a, ast::Expr &bt, TypeInfo b, ast::Loc loc,
                   const std::string &op, TypeInfo &out, DiagnosticEngine &diags);
// Gives a weak expression its final dtype (numeric only).
void settle(ast::Expr &e, ast::DType t);
ast::DType weakDefault(const TypeInfo &t);
// Checks that a value of type `t` may be stored as `target`; settles weak values.
bool checkAssign(ast::Expr &e, const TypeInfo &t, ast::DType target, ast::Loc loc,
                 const std::string &what, DiagnosticEngine &diags);
// A folded constant: `i` holds integer and bool values exactly, `f` float values.
struct Folded {
  double f = 0;
  int64_t i = 0;
};
// Folds a checked constant expression (numbers, consts, arithmetic, math builtins)
// to its value in e.type (SemaFold.cpp). Division by zero and integer overflow are
// errors at the operator: nullopt then.
std::optional<Folded> foldConst(const ast::Expr &e, const ast::Spec &spec, DiagnosticEngine &diags);
// A folded float value for a narrower float dtype must not overflow it (1e39 as f32:
// an error at `loc`, "<what> is 1e+39, beyond the largest f32"); false then.
bool checkFoldedRange(double v, ast::DType t, ast::Loc loc, const std::string &what,
                      DiagnosticEngine &diags);
// Reports every integer literal that does not fit the integer dtype it settled to
// (`const c: i32 = 3000000000;`, `x[i] + 300` with x: i8); false if there was one.
bool checkLiteralRanges(const ast::Expr &e, DiagnosticEngine &diags);

// A close match for `name` among `candidates` ("" when none is close), for notes.
std::string closestName(const std::string &name, const std::vector<std::string> &candidates);
void suggest(DiagnosticEngine &diags, ast::Loc loc, const std::string &name,
             const std::vector<std::string> &candidates);

// Kernel dims / shapes.
std::string dimLabel(const ast::Kernel &k, int dim); // "N" or "4"
std::vector<int> shapeOf(const ast::Kernel &k, ast::NameKind kind, int ref);

// The kernel's optional schedule block (SemaSchedule.cpp); needs Kernel::dims.
void checkSchedule(ast::Kernel &k, DiagnosticEngine &diags);

// Affine subscripts and gathers (SemaSubscripts.cpp): `sub.expr` of a read of `table`
// (a constant tensor, else null) as an affine form or a gather (false after an error),
// and, once a statement's loop extents are known, the bounds of its reads.
bool checkSubscriptExpr(ast::Subscript &sub, ExprScope &scope, const ast::Expr *table = nullptr,
                        int64_t tableAxisSize = 0);
// A constant tensor's subscript computed from data (SemaTableCodes.cpp): checked as an
// integer expression whose values sema proves inside the axis (sets `sub.code`).
bool checkTableCode(ast::Subscript &sub, ExprScope &scope, const ast::Expr &table,
                    int64_t axisSize);
// Built of names, integer literals, unary '-' and `+ - * / %` only: an affine subscript
// if it is one at all (else, on a table, a code).
bool isAffineCandidate(const ast::Expr &e);
// A plain subscript naming a constant or a symbolic dim (x[c], x[N]) becomes an
// expression for checkSubscriptExpr; false when it names neither.
bool asAffineName(ast::Subscript &sub, const ExprScope &scope);
void checkSubscriptBounds(const ast::Spec &spec, const ast::Kernel &k, ast::Statement &st,
                          DiagnosticEngine &diags);
// Scan statements (SemaScan.cpp). checkScan runs after the rhs is checked: it finds
// the scan axis, checks a recurrence's coefficient and initial value (their types go
// to `parts`) and returns the type the statement computes in; settleScan checks the
// two against the target dtype once it is known.
struct ScanTypes {
  TypeInfo coef, init;
};
TypeInfo checkScan(ast::Statement &st, ExprScope &scope, TypeInfo rhs, ScanTypes &parts);
bool settleScan(ast::Statement &st, const ScanTypes &parts, ast::DType target,
                DiagnosticEngine &diags);

// Arg reductions (SemaArgReduce.cpp), after the rhs is checked: one reduction index,
// the element expression settled, and with `checkTarget` an i32 or i64 target.
bool checkArgReduce(ast::Statement &st, TypeInfo t, bool checkTarget, DiagnosticEngine &diags);

// Top-k (SemaTopK.cpp). Before the rhs: the second target's subscripts are the
// first's. After it (`used`: loop indices read on the rhs): one reduction index,
// the rank index the last lhs index and not read, the index target i32 or i64 (a
// new local of i64 is added to `k` when `indexOk`).
bool checkTopKTargets(const ast::Statement &st, DiagnosticEngine &diags);
bool checkTopK(ast::Statement &st, ast::Kernel &k, const std::vector<bool> &used, bool indexOk,
               DiagnosticEngine &diags);

// A scatter-add's target (SemaScatter.cpp): assigned before (`readable`: results
// assigned by earlier statements), no reduction or scan, its rank, each subscript an
// index (bound to the target's axis) or a gather (checked as on the rhs).
bool checkScatterTarget(ast::Statement &st, ExprScope &scope, const std::vector<bool> &readable);

void checkBehavior(ast::Spec &spec, ast::Behavior &b, DiagnosticEngine &diags);

// Spec, kernel, parameter, result and dim names that are C/C++ keywords (SemaNames.cpp).
void checkReservedNames(ast::Spec &spec, DiagnosticEngine &diags);

} // namespace vibee::sema
