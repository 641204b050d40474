// analyzeSpec: checks consts, kernels (dims, statements, locals) and behaviors, and
// fills the sema fields of the AST. Keeps going after errors so all are reported.
#include "frontend/Frontend.h"
#include "frontend/SemaInternal.h"

#include <algorithm>
#include <map>

namespace vibee {

using namespace ast;
using namespace sema;

namespace {

// An FP8 accumulator would round at every step (docs/language.md, "FP8"): a sum,
// max, min or prod of FP8 values is an error; accumulate in f32.
bool float8ReductionOk(const Statement &st, const TypeInfo &t, DiagnosticEngine &diags) {
  if (st.reduce == ReduceKind::None || isArgReduce(st.reduce) || t.weak || !isFloat8(t.type))
    return true;
  diags.error(st.reduceLoc, std::string("cannot reduce ") + dtypeName(t.type) + " values with '" +
                                reduceKindName(st.reduce) + "'");
  diags.note(st.reduceLoc,
             std::string("accumulate in f32: ") + reduceKindName(st.reduce) + "(...) f32(...)");
  return false;
}

class KernelChecker {
public:
  KernelChecker(Spec &spec, Kernel &k, DiagnosticEngine &diags)
      : spec_(spec), k_(k), diags_(diags) {}

  void run() {
    checkNames();
    collectDims();
    checkSizes();
    checkDimNames();
    checkSchedule(k_, diags_);
    checkDefaults();
    assigned_.assign(k_.results.size(), false);
    for (Statement &st : k_.body)
      checkStatement(st);
    for (size_t i = 0; i < k_.results.size(); ++i)
      if (!assigned_[i])
        diags_.error(k_.results[i].loc, "result '" + k_.results[i].name + "' is never assigned");
  }

private:
  Spec &spec_;
  Kernel &k_;
  DiagnosticEngine &diags_;
  std::vector<bool> assigned_;

  void duplicate(Loc loc, const std::string &what, const std::string &name, Loc prev) {
    diags_.error(loc, "duplicate " + what + " '" + name + "'");
    diags_.note(prev, "'" + name + "' is first declared here");
  }

  // Params and results share one namespace.
  void checkNames() {
    std::map<std::string, Loc> seen;
    for (Param &p : k_.params)
      if (!seen.emplace(p.name, p.loc).second)
        duplicate(p.loc, "parameter", p.name, seen[p.name]);
    for (Result &r : k_.results)
      if (!seen.emplace(r.name, r.loc).second)
        duplicate(r.loc, "result", r.name, seen[r.name]);
  }

  // A tensor's literal dims must give a byte size that fits int64: a larger one
  // (f32[4294967296, 4294967296], a dim of 2^62) overflowed the size computations of
  // the checker and the runtime (a crash, or a vacuous check of 0 elements).
  void checkSizes() {
    auto visit = [&](const TensorType &t, const std::string &name) {
      int64_t bytes = dtypeBytes(t.dtype);
      for (const DimSpec &d : t.dims)
        if (d.symbol.empty() && __builtin_mul_overflow(bytes, d.size, &bytes)) {
          diags_.error(d.loc, "'" + name + "' is too large: " + typeText(k_, t) +
                                  " holds more than 2^63 - 1 bytes");
          return;
        }
    };
    for (const Param &p : k_.params)
      visit(p.type, p.name);
    for (const Result &r : k_.results)
      visit(r.type, r.name);
  }

  // Kernel::dims in order of first appearance (params, then results); each dim's
  // carrier is the first axis that has it. Literal sizes get one entry per size.
  void collectDims() {
    auto visit = [&](TensorType &t, bool fromResult, int ref) {
      for (size_t axis = 0; axis < t.dims.size(); ++axis) {
        DimSpec &d = t.dims[axis];
        if (d.expr) {
          if (!fromResult) {
            diags_.error(d.loc, "a parameter's dim is a symbol or a literal size");
            diags_.note(d.loc, "dims written as expressions are for results: the call binds "
                               "a parameter's dims from its shape");
          } else {
            d.dimRef = resolveDimExpr(spec_, k_, d, ref, (int)axis, diags_);
          }
          if (d.dimRef < 0) { // an error: a dim of size 1 keeps sema going
            d.expr = nullptr, d.size = 1;
          } else {
            continue;
          }
        }
        std::string name = d.symbol.empty() ? std::to_string(d.size) : d.symbol;
        int64_t size = d.symbol.empty() ? d.size : -1;
        for (size_t i = 0; i < k_.dims.size(); ++i)
          if (k_.dims[i].name == name && k_.dims[i].size == size)
            d.dimRef = (int)i;
        if (d.dimRef >= 0)
          continue;
        d.dimRef = (int)k_.dims.size();
        k_.dims.push_back({name, size, fromResult, ref, (int)axis});
      }
    };
    for (size_t i = 0; i < k_.params.size(); ++i)
      visit(k_.params[i].type, false, (int)i);
    for (size_t i = 0; i < k_.results.size(); ++i)
      visit(k_.results[i].type, true, (int)i);
  }

  // A symbolic dim is a value in expressions and an argument of the C ABI: it may
  // not share a name with a parameter or result, and a caller's tensor must bind it.
  void checkDimNames() {
    for (const Dim &dim : k_.dims) {
      if (dim.size >= 0 || dim.derived)
        continue;
      const TensorType &carrier =
          dim.fromResult ? k_.results[dim.carrierRef].type : k_.params[dim.carrierRef].type;
      Loc loc = carrier.dims[dim.carrierAxis].loc;
      for (const Param &p : k_.params)
        if (p.name == dim.name)
          diags_.error(loc, "dim '" + dim.name + "' has the name of parameter '" + p.name + "'");
      for (const Result &r : k_.results)
        if (r.name == dim.name)
          diags_.error(loc, "dim '" + dim.name + "' has the name of result '" + r.name + "'");
      if (dim.fromResult) {
        diags_.error(loc, "dim '" + dim.name + "' of result '" + k_.results[dim.carrierRef].name +
                              "' is not given by any parameter");
        diags_.note(loc, "a call binds dims from its tensor parameters: use '" + dim.name +
                             "' in a parameter's type");
      }
    }
  }

  void checkDefaults() {
    for (Param &p : k_.params) {
      if (p.type.isScalar() && isFloat8(p.type.dtype)) {
        // FP8 is a storage type for tensors: the ABI has no 8-bit float scalar.
        diags_.error(p.loc, std::string("scalar parameter '") + p.name + "' cannot be " +
                                dtypeName(p.type.dtype) + ": pass it as f32 and cast");
        continue;
      }
      if (!p.defaultValue)
        continue;
      if (!p.type.isScalar()) {
        diags_.error(p.defaultValue->loc, "only scalar parameters can have a default");
        continue;
      }
      ExprScope scope{spec_, diags_, (int)spec_.consts.size()};
      TypeInfo t = checkExpr(*p.defaultValue, scope);
      if (!checkAssign(*p.defaultValue, t, p.type.dtype, p.defaultValue->loc,
                       "parameter '" + p.name + "'", diags_) ||
          !checkLiteralRanges(*p.defaultValue, diags_))
        continue;
      if (auto v = foldConst(*p.defaultValue, spec_, diags_);
          v && checkFoldedRange(v->f, p.type.dtype, p.defaultValue->loc,
                                "the default of '" + p.name + "'", diags_)) {
        p.defaultFolded = isFloat(p.type.dtype) ? v->f : (double)v->i;
        p.defaultFoldedInt = v->i;
      }
    }
  }

  int findParam(const std::string &name) const {
    for (size_t i = 0; i < k_.params.size(); ++i)
      if (k_.params[i].name == name)
        return (int)i;
    return -1;
  }
  int findResult(const std::string &name) const {
    for (size_t i = 0; i < k_.results.size(); ++i)
      if (k_.results[i].name == name)
        return (int)i;
    return -1;
  }
  int findLocal(const std::string &name) const {
    for (size_t i = 0; i < k_.locals.size(); ++i)
      if (k_.locals[i].name == name)
        return (int)i;
    return -1;
  }

  // A result has no value before its first assignment (MLIRGen has nothing to read;
  // found by the compiler fuzzer as an internal error).
  void checkResultReads(const Expr &e, const std::vector<bool> &readable) {
    if (e.kind == ExprKind::Access && e.nameKind == NameKind::Result && e.ref >= 0 &&
        e.ref < (int)readable.size() && !readable[e.ref])
      diags_.error(e.loc, "'" + e.name + "' is read before it is assigned");
    for (const Subscript &s : e.subscripts)
      if (const Expr *value = valueSubscript(s))
        checkResultReads(*value, readable);
    for (const ExprPtr &op : e.operands)
      if (op)
        checkResultReads(*op, readable);
  }

  // Resolves a target (name `n` at `loc`); false when it cannot be assigned.
  bool resolveTarget(const std::string &n, Loc loc, NameKind &kind, int &ref, DType &type) {
    if (int p = findParam(n); p >= 0) {
      Param &param = k_.params[p];
      if (param.type.isScalar()) {
        diags_.error(loc, "cannot assign to scalar parameter '" + n + "'");
        return false;
      }
      if (param.mode != ParamMode::InOut) {
        diags_.error(loc, "cannot assign to input parameter '" + n + "'");
        diags_.note(param.loc, "declare it 'inout' to update it");
        return false;
      }
      kind = NameKind::TensorParam, ref = p;
      type = param.type.dtype;
      return true;
    }
    if (int r = findResult(n); r >= 0) {
      kind = NameKind::Result, ref = r;
      type = k_.results[r].type.dtype;
      assigned_[r] = true;
      return true;
    }
    for (size_t c = 0; c < spec_.consts.size(); ++c)
      if (spec_.consts[c].name == n) {
        diags_.error(loc, "cannot assign to constant '" + n + "'");
        diags_.note(spec_.consts[c].loc, "'" + n + "' is declared here");
        return false;
      }
    for (const Dim &d : k_.dims)
      if (d.size < 0 && d.name == n) {
        diags_.error(loc, "cannot assign to dim '" + n + "'");
        return false;
      }
    if (int l = findLocal(n); l >= 0) {
      kind = NameKind::Local, ref = l;
      type = k_.locals[l].dtype;
    }
    return true; // a new local when targetKind stays Unresolved
  }

  // A known target's rank against the lhs; binds the extents of the lhs indices.
  bool bindTargetShape(Statement &st, StmtScope &scope, const std::string &name, Loc loc,
                       NameKind kind, int ref) {
    std::vector<int> shape = shapeOf(k_, kind, ref);
    if (shape.size() != st.lhs.size()) {
      diags_.error(loc, "'" + name + "' has rank " + std::to_string(shape.size()) +
                            " but is accessed with " + std::to_string(st.lhs.size()) +
                            " subscripts");
      return false;
    }
    for (size_t a = 0; a < shape.size(); ++a) {
      int slot = st.lhs[a].slot;
      if (slot >= 0 && scope.dim[slot] < 0) {
        scope.dim[slot] = shape[a], scope.where[slot] = st.lhs[a].loc;
        scope.how[slot] = "axis " + std::to_string(a) + " of '" + name + "'";
      }
    }
    return true;
  }

  void checkStatement(Statement &st) {
    StmtScope scope;
    scope.stmt = &st;
    st.numParallel = (int)st.lhs.size();
    // Loop indices: the lhs, then the reduction's; all distinct.
    auto addIndex = [&](Subscript &sub, bool reduction) {
      auto &idx = st.loopIndices;
      auto it = std::find(idx.begin(), idx.end(), sub.index);
      if (it != idx.end()) {
        diags_.error(sub.loc, "index '" + sub.index + "' is already used in this " +
                                  (reduction ? "statement" : "left-hand side"));
        sub.slot = (int)(it - idx.begin());
        return;
      }
      sub.slot = (int)idx.size();
      idx.push_back(sub.index);
    };
    for (Subscript &s : st.lhs)
      addIndex(s, false);
    for (Subscript &s : st.reduceIndices)
      addIndex(s, true);
    size_t n = st.loopIndices.size();
    scope.dim.assign(n, -1), scope.where.assign(n, {}), scope.how.assign(n, "");
    scope.used.assign(n, false);
    scope.carried.assign(n, false);

    // Results this statement may read: those assigned by an earlier statement.
    const std::vector<bool> readableResults = assigned_;
    bool targetOk =
        resolveTarget(st.target, st.targetLoc, st.targetKind, st.targetRef, st.targetType);
    bool known = st.targetKind != NameKind::Unresolved;
    if (known && !st.accumulate)
      targetOk &= bindTargetShape(st, scope, st.target, st.targetLoc, st.targetKind, st.targetRef);
    ExprScope es{spec_, diags_, (int)spec_.consts.size(), &k_, &scope};
    if (st.accumulate) // a scatter-add's target (SemaScatter.cpp)
      targetOk &= checkScatterTarget(st, es, readableResults);
    // A top-k's second target, the indices (SemaTopK.cpp).
    bool indexOk = st.reduce == ReduceKind::TopK && !st.indexTarget.empty() &&
                   checkTopKTargets(st, diags_) &&
                   resolveTarget(st.indexTarget, st.indexTargetLoc, st.indexTargetKind,
                                 st.indexTargetRef, st.indexTargetType);
    if (indexOk && st.indexTargetKind != NameKind::Unresolved)
      indexOk = bindTargetShape(st, scope, st.indexTarget, st.indexTargetLoc, st.indexTargetKind,
                                st.indexTargetRef);

    TypeInfo t = checkExpr(*st.rhs, es);
    const TypeInfo rhsInfo = t;
    checkResultReads(*st.rhs, readableResults);
    ScanTypes scanParts;
    if (st.scan != ScanKind::None) {
      t = checkScan(st, es, t, scanParts);
      for (Expr *part : {st.scanCoef.get(), st.scanInit.get()})
        if (part)
          checkResultReads(*part, readableResults);
    }

    // Every loop index needs an extent; a reduction index must be used.
    bool extentsOk = true;
    for (size_t i = 0; i < n; ++i) {
      if (scope.dim[i] >= 0)
        continue;
      extentsOk = false;
      bool reduction = (int)i >= st.numParallel;
      Loc loc = reduction ? st.reduceIndices[i - st.numParallel].loc : st.lhs[i].loc;
      if (reduction && !scope.used[i]) {
        diags_.error(loc, "reduction index '" + st.loopIndices[i] +
                              "' is not used on the right-hand side");
      } else if (targetOk) {
        diags_.error(loc, "cannot infer the extent of index '" + st.loopIndices[i] + "'");
        diags_.note(loc,
                    "use '" + st.loopIndices[i] + "' to subscript a tensor on the right-hand side");
      }
    }
    // A loop's bounds come from the tensors it subscripts (docs/language.md, "Constant
    // tensors"): a reduction over constant tensors alone has none to come from.
    for (size_t i = st.numParallel; i < n; ++i)
      if (scope.dim[i] >= 0 && !scope.carried[i] && k_.dims[scope.dim[i]].carrierRef < 0) {
        Loc loc = st.reduceIndices[i - st.numParallel].loc;
        diags_.error(loc, "reduction index '" + st.loopIndices[i] +
                              "' subscripts only constant tensors");
        diags_.note(loc, "copy the table into a local first (t[k] = table[k]) and reduce over "
                         "the local");
      }
    st.loopDims = scope.dim;
    if (extentsOk && t.ok)
      checkSubscriptBounds(spec_, k_, st, diags_);

    if (t.ok && st.reduce != ReduceKind::None && !t.weak && t.type == DType::Bool) {
      diags_.error(st.reduceLoc, std::string("cannot reduce bool values with '") +
                                     reduceKindName(st.reduce) + "'");
      t.ok = false;
    }
    t.ok = t.ok && float8ReductionOk(st, t, diags_);
    if (st.reduce == ReduceKind::TopK && !checkTopK(st, k_, scope.used, indexOk, diags_))
      t.ok = false;
    if (isArgReduce(st.reduce)) {
      checkArgReduce(st, t, targetOk && known, diags_);
      if (!targetOk || known)
        return;
    }
    if (!targetOk)
      return;
    if (known) {
      std::string what = st.targetKind == NameKind::Local ? "local" : "tensor";
      if (checkAssign(*st.rhs, t.ok ? rhsInfo : t, st.targetType, st.targetLoc,
                      what + " '" + st.target + "'", diags_))
        checkLiteralRanges(*st.rhs, diags_);
      if (st.scan != ScanKind::None && t.ok)
        settleScan(st, scanParts, st.targetType, diags_);
      return;
    }
    // A new local: its dims are the extents of its parallel indices.
    Local local;
    local.name = st.target;
    local.loc = st.targetLoc;
    local.dtype = isArgReduce(st.reduce) ? DType::I64 : t.weak ? weakDefault(t) : t.type;
    if (isArgReduce(st.reduce)) {
      // settled and checked by checkArgReduce
    } else if (st.scan != ScanKind::None && t.ok) {
      // The rhs alone may be weak (`0` for a recurrence without B): it takes the
      // statement's dtype like the coefficient and the initial value.
      if (checkAssign(*st.rhs, rhsInfo, local.dtype, st.rhs->loc, "local '" + st.target + "'",
                      diags_))
        checkLiteralRanges(*st.rhs, diags_);
      settleScan(st, scanParts, local.dtype, diags_);
    } else {
      if (t.weak)
        settle(*st.rhs, local.dtype);
      if (t.ok)
        checkLiteralRanges(*st.rhs, diags_);
    }
    // After an index error loopDims may hold fewer entries than numParallel (found
    // by the fuzzers: a read past the end).
    local.dims.assign(st.loopDims.begin(),
                      st.loopDims.begin() +
                          std::min<size_t>((size_t)st.numParallel, st.loopDims.size()));
    if (!extentsOk || !t.ok)
      std::replace(local.dims.begin(), local.dims.end(), -1, 0);
    st.targetKind = NameKind::Local;
    st.targetRef = (int)k_.locals.size();
    st.targetType = local.dtype;
    k_.locals.push_back(std::move(local));
  }
};

// A constant's value or one element of a constant tensor: checked, folded, in range.
void foldConstValue(Expr &e, const Const &c, ExprScope &scope, double &folded, int64_t &exact) {
  DiagnosticEngine &diags = scope.diags;
  TypeInfo t = checkExpr(e, scope);
  if (!checkAssign(e, t, c.dtype, e.loc, "constant '" + c.name + "'", diags) ||
      !checkLiteralRanges(e, diags))
    return;
  if (auto v = foldConst(e, scope.spec, diags);
      v && checkFoldedRange(v->f, c.dtype, e.loc, "constant '" + c.name + "'", diags)) {
    folded = isFloat(c.dtype) ? v->f : (double)v->i;
    exact = v->i;
  }
}

void checkConsts(Spec &spec, DiagnosticEngine &diags) {
  std::map<std::string, Loc> seen;
  for (size_t i = 0; i < spec.consts.size(); ++i) {
    Const &c = spec.consts[i];
    if (!seen.emplace(c.name, c.loc).second) {
      diags.error(c.loc, "duplicate constant '" + c.name + "'");
      diags.note(seen[c.name], "'" + c.name + "' is first declared here");
    }
    ExprScope scope{spec, diags, (int)i};
    if (c.value)
      foldConstValue(*c.value, c, scope, c.folded, c.foldedInt);
    for (ExprPtr &e : c.elements) {
      double f = 0;
      int64_t n = 0;
      foldConstValue(*e, c, scope, f, n);
      c.elems.push_back(f), c.elemInts.push_back(n);
    }
  }
}

} // namespace

std::vector<int> sema::literalDims(Kernel &k, const TensorType &t) {
  std::vector<int> out;
  for (const DimSpec &d : t.dims) {
    int ref = -1;
    for (size_t i = 0; i < k.dims.size(); ++i)
      if (k.dims[i].size == d.size)
        ref = (int)i;
    if (ref < 0) {
      ref = (int)k.dims.size();
      k.dims.push_back({std::to_string(d.size), d.size});
    }
    out.push_back(ref);
  }
  return out;
}

bool analyzeSpec(Spec &spec, DiagnosticEngine &diags) {
  int before = diags.errorCount();
  checkReservedNames(spec, diags);
  checkConsts(spec, diags);
  std::map<std::string, Loc> kernels;
  for (Kernel &k : spec.kernels) {
    if (!kernels.emplace(k.name, k.loc).second) {
      diags.error(k.loc, "duplicate kernel '" + k.name + "'");
      diags.note(kernels[k.name], "'" + k.name + "' is first declared here");
    }
    KernelChecker(spec, k, diags).run();
  }
  for (Behavior &b : spec.behaviors)
    checkBehavior(spec, b, diags);
  return diags.errorCount() == before;
}

} // namespace vibee
