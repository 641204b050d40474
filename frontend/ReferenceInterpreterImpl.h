// The reference interpreter's internals, shared by ReferenceInterpreter.cpp (argument
// binding, statements) and ReferenceEval.cpp (expressions). Not part of the API.
#pragma once

#include "frontend/ReferenceInterpreter.h"
#include "frontend/ReferenceScalar.h"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace vibee::ref::detail {

using ast::DType;
using ast::Expr;
using ast::ExprKind;
using ast::NameKind;
using namespace scalar;

int64_t numElements(const std::vector<int64_t> &shape);
std::string shapeStr(const std::vector<int64_t> &shape);
std::string typeStr(const ast::TensorType &t);
/// `a` combined with `b` by a statement's reduction (`b` alone for none);
/// integers wrap in the accumulator dtype `acc`.
Val combineReduced(ast::ReduceKind kind, DType acc, Val a, Val b);
/// The identity of a statement's reduction in the accumulator dtype `acc`.
Val reductionIdentity(ast::ReduceKind kind, DType acc);

class Interpreter {
public:
  Interpreter(const ast::Spec &spec, const ast::Kernel &kernel) : spec_(spec), kernel_(kernel) {}

  Outcome run(const std::vector<Array> &args);

private:
  [[noreturn]] void fail(const std::string &what) const {
    throw std::invalid_argument("kernel '" + kernel_.name + "': " + what);
  }

  void bindArgs(const std::vector<Array> &args);
  void execute(const ast::Statement &stmt);
  void executeScan(const ast::Statement &stmt);      // ReferenceScan.cpp
  void executeArgReduce(const ast::Statement &stmt); // ReferenceArgReduce.cpp
  void executeTopK(const ast::Statement &stmt);      // ReferenceTopK.cpp
  void executeScatter(const ast::Statement &stmt);   // ReferenceScatter.cpp
  // The extents of a statement's loops (sema's dims bound by the arguments).
  std::vector<int64_t> loopExtents(const ast::Statement &stmt) const;
  void store(const ast::Statement &stmt, Array &&fresh);
  // Into another target of `stmt` (a top-k's indices).
  void storeTo(NameKind kind, int ref, const ast::Statement &stmt, Array &&fresh);

  Val eval(const Expr &e);
  Val evalKind(const Expr &e);
  // Records in outOfRange_ whether a float `v` of dtype `t` leaves t's normal range.
  Val noteRange(Val v, DType t);
  // Records in nearTie_ whether a float comparison in dtype `t` of `a` and `b` is
  // within their rounding error bound.
  void noteTie(Val a, Val b, DType t);
  Val evalAs(const Expr &e, DType t) { return convert(eval(e), e.type, t); }
  Val evalName(const Expr &e);
  Val evalAccess(const Expr &e);
  int64_t affineValue(const ast::AffineForm &a) const;
  Val evalUnary(const Expr &e);
  Val evalBinary(const Expr &e);
  Val evalCall(const Expr &e);

  const Array &tensorFor(NameKind kind, int ref, const std::string &name) const;
  DType tensorType(NameKind kind, int ref) const;

  const ast::Spec &spec_;
  const ast::Kernel &kernel_;
  std::vector<int64_t> dimSizes_;
  std::vector<Array> params_;
  std::vector<Array> results_;
  std::vector<Array> locals_;
  std::vector<bool> localSet_;
  std::vector<int64_t> loop_;           // current loop values of the running statement
  bool outOfRange_ = false;             // Outcome::outOfRange
  bool nearTie_ = false;                // Outcome::nearTie
  mutable std::map<int, Array> consts_; // constant tensors, filled on first read
};

} // namespace vibee::ref::detail
