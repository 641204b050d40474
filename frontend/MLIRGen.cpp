// AST -> vibee dialect. Each statement becomes one `vibee.compute` whose inputs are
// the distinct (tensor, access map) pairs and scalars of its right-hand side; the
// scalar expression is rebuilt from arith/math ops inside the compute's body.
#include "frontend/MLIRGen.h"
#include "frontend/MLIRGenScalar.h"
#include "frontend/MLIRGenSubscripts.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <functional>
#include <map>

using namespace mlir;

namespace vibee {

void loadFrontendDialects(MLIRContext &context) {
  context
      .loadDialect<VibeeDialect, arith::ArithDialect, math::MathDialect, tensor::TensorDialect>();
}

namespace {

using ast::DType;
using namespace mlirgen;

class KernelGen {
public:
  KernelGen(OpBuilder &builder, const ast::Spec &spec, const ast::Kernel &kernel)
      : b(builder), ctx(*builder.getContext()), spec(spec), kernel(kernel) {}

  LogicalResult emit(Location loc) {
    // Symbolic dims are dynamic in the types; literal dims are static.
    std::vector<int> symbolicIndex(kernel.dims.size(), -1);
    SmallVector<Attribute> dimNames;
    for (auto [i, dim] : llvm::enumerate(kernel.dims)) {
      if (dim.size >= 0 || dim.derived)
        continue;
      if (dim.fromResult || dim.carrierRef < 0)
        return emitError(loc) << "dim '" << dim.name
                              << "' of a result is not given by any parameter";
      symbolicIndex[i] = dimNames.size();
      dimNames.push_back(b.getStringAttr(dim.name));
    }
    SmallVector<Attribute> derivedDims = derivedDimsAttr(b, kernel, symbolicIndex, dimNames.size());
    SmallVector<Attribute> argDims;
    auto axesOf = [&](const ast::TensorType &type) {
      SmallVector<Attribute> axes;
      for (const ast::DimSpec &d : type.dims)
        axes.push_back(b.getI64IntegerAttr(symbolicIndex[d.dimRef]));
      return b.getArrayAttr(axes);
    };
    SmallVector<Type> argTypes, resultTypes;
    for (const ast::Param &p : kernel.params) {
      argTypes.push_back(typeOf(p.type));
      argDims.push_back(axesOf(p.type));
    }
    for (const ast::Param &p : kernel.params)
      if (p.mode == ast::ParamMode::InOut)
        resultTypes.push_back(typeOf(p.type));
    for (const ast::Result &r : kernel.results) {
      resultTypes.push_back(shapedType(r.type.dims, r.type.dtype)); // scalars: rank 0
      argDims.push_back(axesOf(r.type));
    }

    auto op = KernelOp::create(b, loc, kernel.name, b.getFunctionType(argTypes, resultTypes),
                               b.getArrayAttr(dimNames), b.getArrayAttr(argDims),
                               /*arg_attrs=*/nullptr, /*res_attrs=*/nullptr);
    for (auto [i, p] : llvm::enumerate(kernel.params))
      if (p.mode == ast::ParamMode::InOut)
        op.setArgAttr(i, vibee::attr::kMode, ParamModeAttr::get(&ctx, ParamMode::inout));
    if (!derivedDims.empty())
      op->setAttr(vibee::attr::kDerivedDims, b.getArrayAttr(derivedDims));
    if (kernel.schedule)
      op->setAttr(vibee::attr::kSchedule, scheduleAttr(b, kernel, *kernel.schedule));
    SmallVector<Location> argLocs;
    for (const ast::Param &p : kernel.params)
      argLocs.push_back(locOf(p.loc));
    Block *entry = b.createBlock(&op.getBody(), {}, argTypes, argLocs);
    b.setInsertionPointToStart(entry);

    params.assign(entry->args_begin(), entry->args_end());
    results.assign(kernel.results.size(), Value());
    locals.assign(kernel.locals.size(), Value());
    dimValues = kernelDimValues(b, loc, kernel, params);

    for (const ast::Statement &stmt : kernel.body)
      if (failed(emitStatement(stmt)))
        return failure();

    SmallVector<Value> returned;
    for (auto [i, p] : llvm::enumerate(kernel.params))
      if (p.mode == ast::ParamMode::InOut)
        returned.push_back(params[i]);
    for (auto [i, r] : llvm::enumerate(kernel.results)) {
      if (!results[i])
        return emitError(locOf(r.loc)) << "result '" << r.name << "' is never assigned";
      returned.push_back(results[i]);
    }
    ReturnOp::create(b, loc, returned);
    return success();
  }

private:
  Location locOf(ast::Loc l) { return FileLineColLoc::get(&ctx, spec.file, l.line, l.col); }

  RankedTensorType shapedType(const std::vector<ast::DimSpec> &dims, DType dtype) {
    SmallVector<int64_t> shape;
    for (const ast::DimSpec &d : dims)
      shape.push_back(kernel.dims[d.dimRef].size >= 0 ? kernel.dims[d.dimRef].size
                                                      : ShapedType::kDynamic);
    return RankedTensorType::get(shape, toMLIRType(ctx, dtype));
  }

  Type typeOf(const ast::TensorType &t) {
    if (t.isScalar())
      return toMLIRType(ctx, t.dtype);
    return shapedType(t.dims, t.dtype);
  }

  Value &slotOf(ast::NameKind kind, int ref) {
    switch (kind) {
    case ast::NameKind::TensorParam:
      return params[ref];
    case ast::NameKind::Result:
      return results[ref];
    default:
      return locals[ref];
    }
  }

  // The inputs of one statement: distinct (value, map) pairs, in first-use order.
  struct Inputs {
    SmallVector<Value> values;
    SmallVector<Attribute> maps;
    std::map<std::pair<void *, const void *>, unsigned> index;
    unsigned add(Value v, AffineMap map) {
      auto key = std::make_pair(v.getAsOpaquePointer(), map.getAsOpaquePointer());
      auto [it, inserted] = index.try_emplace(key, values.size());
      if (inserted) {
        values.push_back(v);
        maps.push_back(AffineMapAttr::get(map));
      }
      return it->second;
    }
  };

  // First walk: collect inputs (reads happen before the statement assigns).
  LogicalResult collect(const ast::Expr &e, const ast::Statement &stmt, Inputs &in,
                        std::map<const ast::Expr *, unsigned> &argOf) {
    unsigned numLoops = stmt.loopIndices.size();
    switch (e.kind) {
    case ast::ExprKind::Access: {
      if (e.nameKind == ast::NameKind::Const) { // read in the body (constAccess)
        for (const ast::Subscript &s : e.subscripts)
          if (s.code && failed(collect(*s.expr, stmt, in, argOf)))
            return failure();
        return success();
      }
      Value tensor = slotOf(e.nameKind, e.ref);
      if (!tensor)
        return emitError(locOf(e.loc)) << "'" << e.name << "' is read before it is assigned";
      if (needsBodyRead(e)) { // read in the body (emitBodyRead), not an input
        for (const ast::Subscript &s : e.subscripts)
          if (s.gather && failed(collect(*s.expr, stmt, in, argOf)))
            return failure();
        return success();
      }
      SmallVector<AffineExpr> exprs;
      for (const ast::Subscript &s : e.subscripts)
        exprs.push_back(subscriptExpr(s, ctx));
      argOf[&e] = in.add(tensor, AffineMap::get(numLoops, 0, exprs, &ctx));
      return success();
    }
    case ast::ExprKind::Name:
      if (e.nameKind == ast::NameKind::ScalarParam) {
        argOf[&e] = in.add(params[e.ref], AffineMap::get(numLoops, 0, {}, &ctx));
      } else if (e.nameKind == ast::NameKind::Dim) {
        Value &asI64 = dimsAsI64[e.ref];
        if (!asI64)
          asI64 = arith::IndexCastOp::create(b, locOf(e.loc), b.getI64Type(), dimValues[e.ref]);
        argOf[&e] = in.add(asI64, AffineMap::get(numLoops, 0, {}, &ctx));
      }
      return success();
    default:
      for (const ast::ExprPtr &op : e.operands)
        if (failed(collect(*op, stmt, in, argOf)))
          return failure();
      return success();
    }
  }

  // The type of the statement's target (or of another target, a top-k's indices).
  RankedTensorType resultTypeOf(const ast::Statement &stmt, bool indexTarget = false) {
    ast::NameKind kind = indexTarget ? stmt.indexTargetKind : stmt.targetKind;
    int ref = indexTarget ? stmt.indexTargetRef : stmt.targetRef;
    if (kind == ast::NameKind::TensorParam)
      return cast<RankedTensorType>(typeOf(kernel.params[ref].type));
    if (kind == ast::NameKind::Result)
      return shapedType(kernel.results[ref].type.dims, kernel.results[ref].type.dtype);
    SmallVector<int64_t> shape;
    for (int i = 0; i < stmt.numParallel; ++i) {
      const ast::Dim &dim = kernel.dims[stmt.loopDims[i]];
      shape.push_back(dim.size >= 0 ? dim.size : ShapedType::kDynamic);
    }
    return RankedTensorType::get(
        shape, toMLIRType(ctx, indexTarget ? stmt.indexTargetType : stmt.targetType));
  }

  LogicalResult emitStatement(const ast::Statement &stmt) {
    if (stmt.scan != ast::ScanKind::None)
      return emitScan(stmt);
    if (stmt.accumulate)
      return emitScatter(stmt);
    ReduceKind kind = ReduceKind::none;
    switch (stmt.reduce) {
    case ast::ReduceKind::None:
      kind = ReduceKind::none;
      break;
    case ast::ReduceKind::ArgMax:
    case ast::ReduceKind::ArgMin:
      return emitArgReduce(stmt);
    case ast::ReduceKind::TopK:
      return emitTopK(stmt);
    case ast::ReduceKind::Sum:
      kind = ReduceKind::sum;
      break;
    case ast::ReduceKind::Max:
      kind = ReduceKind::max;
      break;
    case ast::ReduceKind::Min:
      kind = ReduceKind::min;
      break;
    case ast::ReduceKind::Prod:
      kind = ReduceKind::prod;
      break;
    }
    // Unsigned max / min: reduced as signed values of the same order, then back.
    bool flip =
        ast::isUnsigned(stmt.targetType) && (kind == ReduceKind::max || kind == ReduceKind::min);
    Value v =
        emitCompute(stmt, *stmt.rhs, resultTypeOf(stmt), kind, stmt.targetType, -1, nullptr, flip);
    if (v && flip)
      v = flipSignBits(b, locOf(stmt.reduceLoc), v);
    if (!v)
      return failure();
    slotOf(stmt.targetKind, stmt.targetRef) = v;
    return success();
  }

  // One `vibee.compute` of `rhs` over the statement's loops, yielding `yieldType`
  // values into `resultType`. With `unitAxis`, that parallel loop runs once (index 0):
  // a scan's initial value, which does not depend on the scan index. With `hook`, one
  // more input and the yielded value computed from rhs's (an arg reduction's).
  struct BodyHook {
    Value input;
    AffineMap map;
    std::function<Value(Value rhs, Value input)> yield;
  };
  Value emitCompute(const ast::Statement &stmt, const ast::Expr &rhs, RankedTensorType resultType,
                    ReduceKind kind, DType yieldType, int unitAxis = -1,
                    const BodyHook *hook = nullptr, bool flip = false) {
    Location loc = locOf(stmt.loc);
    Inputs in;
    std::map<const ast::Expr *, unsigned> argOf;
    const unsigned hookArg = hook ? in.add(hook->input, hook->map) : 0;
    if (failed(collect(rhs, stmt, in, argOf)))
      return {};

    SmallVector<Value> extents;
    for (int d : stmt.loopDims)
      extents.push_back((int)extents.size() == unitAxis
                            ? arith::ConstantIndexOp::create(b, loc, 1).getResult()
                            : dimValues[d]);

    OpBuilder::InsertionGuard guard(b);
    auto compute =
        ComputeOp::create(b, loc, resultType, kind, extents, in.values, b.getArrayAttr(in.maps));
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (Value v : in.values) {
      Type t = v.getType();
      if (auto tensor = dyn_cast<RankedTensorType>(t))
        t = tensor.getElementType();
      argTypes.push_back(t);
      argLocs.push_back(loc);
    }
    Block *body = b.createBlock(&compute.getBody(), {}, argTypes, argLocs);
    b.setInsertionPointToStart(body);
    bodyArgs = body;
    currentArgOf = &argOf;
    Value value = emitExpr(rhs);
    if (!value)
      return {};
    value = hook ? hook->yield(value, body->getArgument(hookArg))
                 : convertScalar(b, loc, value, rhs.type, yieldType);
    value = flip ? flipSignBit(b, loc, value) : value; // unsigned order as signed
    YieldOp::create(b, loc, value);
    return compute.getResult();
  }

  // An arg reduction (docs/language.md, "Arg reductions") as two reductions that every
  // target already runs in parallel: the extremum m[r] = max(c) e[r, c], then the
  // least c with e[r, c] == m[r] (or e[r, c] a NaN: max propagates NaN, so m is NaN
  // exactly when a NaN is there).
  LogicalResult emitArgReduce(const ast::Statement &stmt) {
    const bool isMax = stmt.reduce == ast::ReduceKind::ArgMax;
    RankedTensorType resultType = resultTypeOf(stmt);
    auto extremumType =
        RankedTensorType::get(resultType.getShape(), toMLIRType(ctx, stmt.rhs->type));
    const bool flip = ast::isUnsigned(stmt.rhs->type); // compared as signed (flipSignBit)
    Value extremum =
        emitCompute(stmt, *stmt.rhs, extremumType, isMax ? ReduceKind::max : ReduceKind::min,
                    stmt.rhs->type, -1, nullptr, flip);
    if (!extremum)
      return failure();
    SmallVector<AffineExpr> parallel;
    for (int i = 0; i < stmt.numParallel; ++i)
      parallel.push_back(getAffineDimExpr(i, &ctx));
    Location loc = locOf(stmt.reduceLoc);
    BodyHook hook{extremum, AffineMap::get(stmt.numParallel + 1, 0, parallel, &ctx),
                  [&](Value e, Value m) {
                    return argIndexOrNone(b, loc, flip ? flipSignBit(b, loc, e) : e, m,
                                          stmt.numParallel, stmt.targetType);
                  }};
    Value v = emitCompute(stmt, *stmt.rhs, resultType, ReduceKind::min, stmt.targetType, -1, &hook);
    if (!v)
      return failure();
    slotOf(stmt.targetKind, stmt.targetRef) = v;
    return success();
  }

  // A top-k (docs/language.md, "Top-k"): its elements as one compute over the
  // statement's loops with the rank index run once ([outer..., 1, n]), then one
  // `vibee.topk` into both targets (MLIRGenTopK.cpp).
  LogicalResult emitTopK(const ast::Statement &stmt) {
    RankedTensorType values = resultTypeOf(stmt), indices = resultTypeOf(stmt, true);
    const bool flip = ast::isUnsigned(stmt.targetType); // compared as signed (flipSignBit)
    Value elements =
        emitCompute(stmt, *stmt.rhs, topKElementType(values, kernel.dims[stmt.loopDims.back()]),
                    ReduceKind::none, stmt.targetType, stmt.numParallel - 1, nullptr, flip);
    if (!elements)
      return failure();
    auto [v, i] = buildTopKOp(b, locOf(stmt.reduceLoc), stmt, elements, values, indices, dimValues);
    slotOf(stmt.targetKind, stmt.targetRef) = flip ? flipSignBits(b, locOf(stmt.reduceLoc), v) : v;
    slotOf(stmt.indexTargetKind, stmt.indexTargetRef) = i;
    return success();
  }

  // A scatter-add (docs/language.md, "Scatter-add"): the updates over the statement's
  // loops, then one `vibee.scatter_add` into the target's value (MLIRGenScatter.cpp).
  LogicalResult emitScatter(const ast::Statement &stmt) {
    Value updates = emitCompute(stmt, *stmt.rhs, scatterUpdateType(ctx, kernel, stmt),
                                ReduceKind::none, stmt.targetType);
    Value &target = slotOf(stmt.targetKind, stmt.targetRef);
    if (!updates || !target)
      return failure();
    target = buildScatterAdd(b, locOf(stmt.loc), stmt, updates, target, params);
    return success();
  }

  // A scan statement (docs/language.md, "Scans"): its elements (a recurrence's A and
  // B) and initial value as computes, then one `vibee.scan` (MLIRGenScan.cpp).
  LogicalResult emitScan(const ast::Statement &stmt) {
    Location loc = locOf(stmt.loc);
    RankedTensorType resultType = resultTypeOf(stmt);
    DType acc = scanAccumulatorType(stmt);
    auto accType = RankedTensorType::get(resultType.getShape(), toMLIRType(ctx, acc));
    SmallVector<Value> inputs;
    if (stmt.scan == ast::ScanKind::Linear) {
      ast::Expr one;
      one.kind = ast::ExprKind::Number;
      one.loc = stmt.scanLoc;
      one.number = 1;
      one.type = one.opType = acc;
      inputs.push_back(
          emitCompute(stmt, stmt.scanCoef ? *stmt.scanCoef : one, accType, ReduceKind::none, acc));
    }
    // Unsigned cummax / cummin: scanned as signed values of the same order, then back.
    const bool flip = ast::isUnsigned(acc) &&
                      (stmt.scan == ast::ScanKind::Max || stmt.scan == ast::ScanKind::Min);
    inputs.push_back(
        emitCompute(stmt, *stmt.rhs, accType, ReduceKind::none, acc, -1, nullptr, flip));
    Value init;
    if (stmt.scanInit) {
      SmallVector<int64_t> shape(resultType.getShape());
      shape[stmt.scanAxis] = 1;
      init =
          emitCompute(stmt, *stmt.scanInit, RankedTensorType::get(shape, accType.getElementType()),
                      ReduceKind::none, acc, stmt.scanAxis, nullptr, flip);
    }
    if (llvm::is_contained(inputs, Value()) || (stmt.scanInit && !init))
      return failure();
    SmallVector<Value> sizes;
    for (int i = 0; i < stmt.numParallel; ++i)
      if (resultType.isDynamicDim(i))
        sizes.push_back(dimValues[stmt.loopDims[i]]);
    Value dest = tensor::EmptyOp::create(b, loc, resultType, sizes);
    Value v = buildScanOp(b, loc, stmt, acc, inputs, init, dest);
    slotOf(stmt.targetKind, stmt.targetRef) = flip ? flipSignBits(b, loc, v) : v;
    return success();
  }

  Value emitExpr(const ast::Expr &e) {
    Location loc = locOf(e.loc);
    switch (e.kind) {
    case ast::ExprKind::Number:
      if (e.isIntLiteral)
        return intConstantOf(b, loc, e.type, e.intValue);
      return constantOf(b, loc, e.type, e.number);
    case ast::ExprKind::Access:
      if (e.nameKind == ast::NameKind::Const)
        return emitConstAccess(e, loc);
      if (needsBodyRead(e))
        return emitBodyRead(e, loc);
      return bodyArgs->getArgument(currentArgOf->at(&e));
    case ast::ExprKind::Name:
      switch (e.nameKind) {
      case ast::NameKind::Const: {
        const ast::Const &c = spec.consts[e.ref];
        Value v = ast::isFloat(c.dtype) ? constantOf(b, loc, c.dtype, c.folded)
                                        : intConstantOf(b, loc, c.dtype, c.foldedInt);
        return convertScalar(b, loc, v, c.dtype, e.type);
      }
      case ast::NameKind::ScalarParam:
        return convertScalar(b, loc, bodyArgs->getArgument(currentArgOf->at(&e)),
                             kernel.params[e.ref].type.dtype, e.type);
      case ast::NameKind::Dim:
        return convertScalar(b, loc, bodyArgs->getArgument(currentArgOf->at(&e)), DType::I64,
                             e.type);
      case ast::NameKind::Index: {
        Value index = IndexOp::create(b, loc, b.getIndexType(), b.getI64IntegerAttr(e.ref));
        Value asI64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
        return convertScalar(b, loc, asI64, DType::I64, e.type);
      }
      default:
        emitError(loc) << "cannot use '" << e.name << "' as a value here";
        return {};
      }
    case ast::ExprKind::Unary: {
      Value x = emitExpr(*e.operands[0]);
      if (!x)
        return {};
      x = convertScalar(b, loc, x, e.operands[0]->type, e.opType);
      if (e.op == "!")
        return arith::XOrIOp::create(b, loc, x, constantOf(b, loc, DType::Bool, 1));
      if (e.op == "~")
        return arith::XOrIOp::create(b, loc, x, constantOf(b, loc, e.opType, -1));
      if (ast::isFloat(e.opType))
        return arith::NegFOp::create(b, loc, x);
      return arith::SubIOp::create(b, loc, constantOf(b, loc, e.opType, 0), x);
    }
    case ast::ExprKind::Binary:
      return emitBinary(e, loc);
    case ast::ExprKind::Call:
      return emitCall(e, loc);
    }
    return {};
  }

  // A read computed in the body (MLIRGenSubscripts.h): the tensor is captured, each
  // subscript computed (and clamped under a guarding `where`).
  Value emitBodyRead(const ast::Expr &e, Location loc) {
    Value tensor = slotOf(e.nameKind, e.ref);
    std::vector<int> axes;
    if (e.nameKind == ast::NameKind::TensorParam || e.nameKind == ast::NameKind::Result) {
      const ast::TensorType &t = e.nameKind == ast::NameKind::TensorParam
                                     ? kernel.params[e.ref].type
                                     : kernel.results[e.ref].type;
      for (const ast::DimSpec &d : t.dims)
        axes.push_back(d.dimRef);
    } else {
      axes = kernel.locals[e.ref].dims;
    }
    SmallVector<Value> indices;
    for (auto [axis, s] : llvm::enumerate(e.subscripts)) {
      if (!s.gather) {
        indices.push_back(
            subscriptValue(b, loc, s, dimValues, e.clampedRead ? dimValues[axes[axis]] : Value()));
        continue;
      }
      // A gathered index: each target checks or clamps it (vibee.gather_index).
      Value v = emitExpr(*s.expr);
      if (!v)
        return {};
      v = ast::isUnsigned(s.expr->type) // u64 above 2^63 is negative: outside
              ? (Value)arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v)
              : (Value)arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
      indices.push_back(GatherIndexOp::create(b, loc, b.getIndexType(), v, dimValues[axes[axis]]));
    }
    return tensor::ExtractOp::create(b, loc, tensor, indices);
  }

  // A constant tensor's element; its code subscripts are computed first, as i64.
  Value emitConstAccess(const ast::Expr &e, Location loc) {
    SmallVector<Value> codes;
    for (const ast::Subscript &s : e.subscripts) {
      codes.push_back({});
      if (!s.code)
        continue;
      Value v = emitExpr(*s.expr);
      if (!v)
        return {};
      codes.back() = convertScalar(b, loc, v, s.expr->type, DType::I64);
    }
    return constAccess(b, loc, spec, e, dimValues, codes);
  }

  // Emits the operands of `e` converted to its operation dtype.
  bool operandsIn(const ast::Expr &e, DType type, SmallVectorImpl<Value> &out) {
    for (const ast::ExprPtr &op : e.operands) {
      Value v = emitExpr(*op);
      if (!v)
        return false;
      out.push_back(convertScalar(b, locOf(op->loc), v, op->type, type));
    }
    return true;
  }

  Value emitBinary(const ast::Expr &e, Location loc) {
    SmallVector<Value, 2> v;
    if (!operandsIn(e, e.opType, v))
      return {};
    Value r = emitBinaryOp(b, e.op, e.opType, v[0], v[1], loc);
    if (!r)
      emitError(loc) << "unsupported operator '" << e.op << "'";
    return r;
  }

  Value emitCall(const ast::Expr &e, Location loc) {
    if (!e.builtin) {
      emitError(loc) << "call to '" << e.name << "' was not resolved by sema";
      return {};
    }
    if (e.castTo) {
      Value x = emitExpr(*e.operands[0]);
      return x ? convertScalar(b, loc, x, e.operands[0]->type, *e.castTo) : Value();
    }
    if (*e.builtin == ast::Builtin::Where) {
      Value c = emitExpr(*e.operands[0]);
      if (!c)
        return {};
      c = convertScalar(b, loc, c, e.operands[0]->type, DType::Bool);
      SmallVector<Value, 2> v;
      for (int i = 1; i <= 2; ++i) {
        Value x = emitExpr(*e.operands[i]);
        if (!x)
          return {};
        v.push_back(convertScalar(b, loc, x, e.operands[i]->type, e.opType));
      }
      return arith::SelectOp::create(b, loc, c, v[0], v[1]);
    }
    SmallVector<Value, 2> v;
    if (!operandsIn(e, e.opType, v))
      return {};
    return emitMath(b, *e.builtin, e.opType, v, loc);
  }

  OpBuilder &b;
  MLIRContext &ctx;
  const ast::Spec &spec;
  const ast::Kernel &kernel;
  SmallVector<Value> params, results, locals, dimValues;
  std::map<int, Value> dimsAsI64;
  Block *bodyArgs = nullptr;
  std::map<const ast::Expr *, unsigned> *currentArgOf = nullptr;
};

} // namespace

OwningOpRef<ModuleOp> generateMLIR(MLIRContext &context, const ast::Spec &spec,
                                   ast::KernelRange kernels) {
  loadFrontendDialects(context);
  OpBuilder b(&context);
  Location loc = FileLineColLoc::get(&context, spec.file, spec.loc.line, spec.loc.col);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  module->getOperation()->setAttr(vibee::attr::kSpec, b.getStringAttr(spec.name));
  size_t end = std::min(kernels.end, spec.kernels.size());
  for (size_t k = kernels.begin; k < end; ++k) {
    const ast::Kernel &kernel = spec.kernels[k];
    b.setInsertionPointToEnd(module->getBody());
    KernelGen gen(b, spec, kernel);
    if (failed(gen.emit(FileLineColLoc::get(&context, spec.file, kernel.loc.line, kernel.loc.col))))
      return nullptr;
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace vibee
