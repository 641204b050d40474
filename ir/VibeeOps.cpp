#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"

using namespace mlir;
using namespace vibee;

//===----------------------------------------------------------------------===//
// KernelOp
//===----------------------------------------------------------------------===//

static constexpr llvm::StringLiteral kModeAttr = vibee::attr::kMode;

ParamMode KernelOp::getParamMode(unsigned i) {
  if (auto mode = getArgAttrOfType<ParamModeAttr>(i, kModeAttr))
    return mode.getValue();
  return ParamMode::in;
}

unsigned KernelOp::getNumInOut() {
  unsigned n = 0;
  for (unsigned i = 0, e = getNumArguments(); i < e; ++i)
    n += getParamMode(i) == ParamMode::inout;
  return n;
}

ParseResult KernelOp::parse(OpAsmParser &parser, OperationState &result) {
  auto buildFuncType = [](Builder &builder, ArrayRef<Type> argTypes, ArrayRef<Type> results,
                          function_interface_impl::VariadicFlag,
                          std::string &) { return builder.getFunctionType(argTypes, results); };
  return function_interface_impl::parseFunctionOp(
      parser, result, /*allowVariadic=*/false, getFunctionTypeAttrName(result.name), buildFuncType,
      getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void KernelOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(p, *this, /*isVariadic=*/false,
                                           getFunctionTypeAttrName(), getArgAttrsAttrName(),
                                           getResAttrsAttrName());
}

LogicalResult KernelOp::verify() {
  FunctionType type = getFunctionType();
  unsigned numDims = getDimNames().size();
  // Derived dims (vibee.derived_dims) follow the named ones in arg_dims.
  if (auto derived = (*this)->getAttrOfType<ArrayAttr>(vibee::attr::kDerivedDims)) {
    for (Attribute terms : derived)
      if (cast<ArrayAttr>(terms).size() != numDims + 1)
        return emitOpError("vibee.derived_dims entries need a constant and one coefficient "
                           "per dim name");
    numDims += derived.size();
  }
  // Checked first: the arg_dims count below assumes the inout results exist.
  if (type.getNumResults() < getNumInOut())
    return emitOpError("must return the final value of each of its ")
           << getNumInOut() << " inout parameters";
  if (getArgDims().size() != type.getNumInputs() + type.getNumResults() - getNumInOut())
    return emitOpError("arg_dims needs one entry per parameter and per result, got ")
           << getArgDims().size();
  // Each tensor axis names a known dim (or -1 for a literal, static size).
  auto checkAxes = [&](Attribute entry, Type type, StringRef what,
                       unsigned index) -> LogicalResult {
    auto axes = dyn_cast<ArrayAttr>(entry);
    if (!axes)
      return emitOpError("arg_dims entries must be arrays of integers");
    auto tensor = dyn_cast<RankedTensorType>(type);
    int64_t rank = tensor ? tensor.getRank() : 0;
    if ((int64_t)axes.size() != rank)
      return emitOpError() << what << " #" << index << " has rank " << rank << " but "
                           << axes.size() << " arg_dims entries";
    for (auto [axis, attr] : llvm::enumerate(axes)) {
      auto dim = dyn_cast<IntegerAttr>(attr);
      if (!dim)
        return emitOpError("arg_dims entries must be arrays of integers");
      int64_t d = dim.getInt();
      if (d < -1 || d >= (int64_t)numDims)
        return emitOpError() << what << " #" << index << " axis " << axis << " names dim " << d
                             << " of " << numDims;
      if (d == -1 && tensor.isDynamicDim(axis))
        return emitOpError() << what << " #" << index << " axis " << axis
                             << " is dynamic but has no symbolic dim";
    }
    return success();
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    Type argType = type.getInput(i);
    if (!isa<RankedTensorType>(argType) && !argType.isIntOrFloat())
      return emitOpError("parameter #") << i << " must be a ranked tensor or a scalar";
    if (getParamMode(i) == ParamMode::inout && !isa<RankedTensorType>(argType))
      return emitOpError("scalar parameter #") << i << " cannot be inout";
    if (failed(checkAxes(getArgDims()[i], argType, "parameter", i)))
      return failure();
  }
  // Results: the inout parameters' final values first, with their types.
  unsigned numInOut = getNumInOut();
  unsigned r = 0;
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    if (getParamMode(i) == ParamMode::inout && type.getResult(r++) != type.getInput(i))
      return emitOpError("result #") << (r - 1) << " must have the type of inout parameter #" << i;
  for (unsigned j = numInOut; j < type.getNumResults(); ++j)
    if (failed(checkAxes(getArgDims()[type.getNumInputs() + j - numInOut], type.getResult(j),
                         "result", j)))
      return failure();
  if (getBody().empty())
    return emitOpError("must have a body");
  return success();
}

LogicalResult ReturnOp::verify() {
  auto kernel = (*this)->getParentOfType<KernelOp>();
  ArrayRef<Type> results = kernel.getFunctionType().getResults();
  if (getNumOperands() != results.size())
    return emitOpError("returns ")
           << getNumOperands() << " values but kernel @" << kernel.getSymName() << " has "
           << results.size() << " results";
  for (auto [i, type] : llvm::enumerate(results))
    if (getOperand(i).getType() != type)
      return emitOpError("operand #") << i << " has type " << getOperand(i).getType()
                                      << " but kernel result #" << i << " is " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// ComputeOp
//===----------------------------------------------------------------------===//

AffineMap ComputeOp::getResultMap() {
  // (d0, ..., d{n-1}) -> (d0, ..., d{rank-1}): the leading loops, in order.
  // (getMajorSubMap(0) would be a null map for a rank-0 result.)
  SmallVector<AffineExpr> leading;
  for (unsigned i = 0; i < getNumParallelLoops(); ++i)
    leading.push_back(getAffineDimExpr(i, getContext()));
  return AffineMap::get(getNumLoops(), 0, leading, getContext());
}

LogicalResult ComputeOp::verify() {
  unsigned numLoops = getNumLoops();
  unsigned rank = getNumParallelLoops();
  if (rank > numLoops)
    return emitOpError("result rank ") << rank << " exceeds the number of loops " << numLoops;
  bool hasReduction = rank < numLoops;
  if (hasReduction != (getKind() != ReduceKind::none))
    return emitOpError(hasReduction ? "has reduction loops but kind `none`"
                                    : "has a reduction kind but no reduction loops");
  ArrayAttr maps = getIndexingMaps();
  if (maps.size() != getInputs().size())
    return emitOpError("needs one access map per input: ")
           << getInputs().size() << " inputs, " << maps.size() << " maps";
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body must take one argument per input");
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    AffineMap map = cast<AffineMapAttr>(maps[i]).getValue();
    if (map.getNumDims() != numLoops || map.getNumSymbols() != 0)
      return emitOpError("map #") << i << " must have " << numLoops << " dims and no symbols";
    Type element = input.getType();
    if (auto tensor = dyn_cast<RankedTensorType>(input.getType())) {
      if (map.getNumResults() != tensor.getRank())
        return emitOpError("map #") << i << " has " << map.getNumResults()
                                    << " results for an input of rank " << tensor.getRank();
      element = tensor.getElementType();
    } else if (map.getNumResults() != 0) {
      return emitOpError("map #") << i << " of a scalar input must have no results";
    }
    if (body.getArgument(i).getType() != element)
      return emitOpError("body argument #")
             << i << " has type " << body.getArgument(i).getType() << " but input #" << i
             << " has elements of " << element;
  }
  auto yield = cast<YieldOp>(body.getTerminator());
  Type element = getResult().getType().getElementType();
  if (yield.getValue().getType() != element)
    return emitOpError("yields ") << yield.getValue().getType()
                                  << " but the result has elements of " << element;
  if (getKind() != ReduceKind::none && element.isInteger(1))
    return emitOpError("cannot reduce i1 values");
  return success();
}

LogicalResult IndexOp::verify() {
  auto compute = (*this)->getParentOfType<ComputeOp>();
  if ((uint64_t)getDim() >= compute.getNumLoops())
    return emitOpError("loop ") << getDim() << " out of range: the compute has "
                                << compute.getNumLoops() << " loops";
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  if ((int64_t)getAxis() >= type.getRank())
    return emitOpError("axis ") << getAxis() << " out of range for rank " << type.getRank();
  if (!isa<FloatType>(type.getElementType()))
    return emitOpError("needs a float tensor");
  return success();
}

//===----------------------------------------------------------------------===//
// ScanOp
//===----------------------------------------------------------------------===//

LogicalResult ScanOp::verify() {
  ShapedType type = getDestType();
  // All tensors with one result (before bufferization) or all memrefs with none.
  bool onTensors = isa<RankedTensorType>(type);
  auto sameKind = [&](Value v) {
    return onTensors ? isa<RankedTensorType>(v.getType()) : isa<MemRefType>(v.getType());
  };
  if (!llvm::all_of(getInputs(), sameKind) || (getInit() && !sameKind(getInit())))
    return emitOpError("operands must be all ranked tensors or all memrefs");
  if (getResult().size() != (onTensors ? 1u : 0u))
    return emitOpError(onTensors ? "on tensors needs one result" : "on memrefs has no result");
  if (onTensors && getResult()[0].getType() != type)
    return emitOpError("result type ")
           << getResult()[0].getType() << " differs from the destination's " << type;
  int64_t dim = (int64_t)getDimension();
  if (dim >= type.getRank())
    return emitOpError("dimension ") << dim << " out of range for rank " << type.getRank();
  bool linear = getKind() == ScanKind::linear;
  size_t wantInputs = linear ? 2 : 1;
  if (getInputs().size() != wantInputs)
    return emitOpError("a ") << stringifyScanKind(getKind()) << " scan takes " << wantInputs
                             << " inputs, not " << getInputs().size();
  if (linear && (!getInit() || getExclusive()))
    return emitOpError("a linear scan needs an init and is inclusive");
  Block &body = getCombiner().front();
  if (body.getNumArguments() != 1 + wantInputs)
    return emitOpError("combiner must take the running value and one value per input");
  Type acc = getAccumulatorType();
  for (BlockArgument arg : body.getArguments())
    if (arg.getType() != acc)
      return emitOpError("combiner arguments must all have the accumulator type ") << acc;
  for (Value input : getInputs()) {
    auto in = cast<ShapedType>(input.getType());
    if (in.getShape() != type.getShape() || in.getElementType() != acc)
      return emitOpError("input ") << in << " must have the result's shape and elements " << acc;
  }
  if (Value init = getInit()) {
    auto in = cast<ShapedType>(init.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = 1;
    if (in.getShape() != ArrayRef<int64_t>(shape) || in.getElementType() != acc)
      return emitOpError("init ") << in << " must have the result's shape with size 1 along "
                                  << "the dimension, and elements " << acc;
  }
  if (cast<YieldOp>(body.getTerminator()).getValue().getType() != acc)
    return emitOpError("combiner must yield the accumulator type ") << acc;
  Type element = type.getElementType();
  if (element != acc && !(isa<FloatType>(element) && isa<FloatType>(acc)))
    return emitOpError("result elements ")
           << element << " and accumulator " << acc << " must be equal or both float";
  if (acc.isInteger(1))
    return emitOpError("cannot scan i1 values");
  return success();
}

void ScanOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  getDestinationStyleEffects(*this, getDestMutable(), effects);
}

// Bufferization: reads its inputs and init, overwrites every element of the
// destination (never reads it) in place.
bool ScanOp::bufferizesToMemoryRead(OpOperand &operand, const bufferization::AnalysisState &) {
  return &operand != &getDestMutable();
}

bool ScanOp::bufferizesToMemoryWrite(OpOperand &operand, const bufferization::AnalysisState &) {
  return &operand == &getDestMutable();
}

bufferization::AliasingValueList ScanOp::getAliasingValues(OpOperand &operand,
                                                           const bufferization::AnalysisState &) {
  if (&operand != &getDestMutable() || getResult().empty())
    return {};
  return {{getResult()[0], bufferization::BufferRelation::Equivalent}};
}

LogicalResult ScanOp::bufferize(RewriterBase &rewriter,
                                const bufferization::BufferizationOptions &options,
                                bufferization::BufferizationState &state) {
  rewriter.setInsertionPoint(*this);
  auto bufferOf = [&](Value tensor) {
    return bufferization::getBuffer(rewriter, tensor, options, state);
  };
  SmallVector<Value> inputs;
  for (Value input : getInputs()) {
    FailureOr<Value> buffer = bufferOf(input);
    if (failed(buffer))
      return failure();
    inputs.push_back(*buffer);
  }
  Value init;
  if (getInit()) {
    FailureOr<Value> buffer = bufferOf(getInit());
    if (failed(buffer))
      return failure();
    init = *buffer;
  }
  FailureOr<Value> dest = bufferOf(getDest());
  if (failed(dest))
    return failure();
  auto scan = ScanOp::create(rewriter, getLoc(), TypeRange{}, getKindAttr(), getDimensionAttr(),
                             getExclusiveAttr(), inputs, init, *dest);
  rewriter.inlineRegionBefore(getCombiner(), scan.getCombiner(), scan.getCombiner().end());
  bufferization::replaceOpWithBufferizedValues(rewriter, *this, *dest);
  return success();
}

Value ScanOp::buildCombine(OpBuilder &b, Value running, ValueRange elements) {
  Block &combiner = getCombiner().front();
  IRMapping mapping;
  mapping.map(combiner.getArgument(0), running);
  for (auto [i, element] : llvm::enumerate(elements))
    mapping.map(combiner.getArgument(i + 1), element);
  for (Operation &inner : combiner.without_terminator())
    b.clone(inner, mapping);
  return mapping.lookupOrDefault(cast<YieldOp>(combiner.getTerminator()).getValue());
}

Value ScanOp::buildIdentity(OpBuilder &b, Location loc) {
  Type acc = getAccumulatorType();
  bool isFloat = isa<FloatType>(acc);
  arith::AtomicRMWKind kind = isFloat ? arith::AtomicRMWKind::addf : arith::AtomicRMWKind::addi;
  switch (getKind()) {
  case ScanKind::sum:
  case ScanKind::linear:
    break;
  case ScanKind::prod:
    kind = isFloat ? arith::AtomicRMWKind::mulf : arith::AtomicRMWKind::muli;
    break;
  case ScanKind::max:
    kind = isFloat ? arith::AtomicRMWKind::maximumf : arith::AtomicRMWKind::maxs;
    break;
  case ScanKind::min:
    kind = isFloat ? arith::AtomicRMWKind::minimumf : arith::AtomicRMWKind::mins;
    break;
  }
  return arith::getIdentityValue(kind, acc, b, loc);
}

//===----------------------------------------------------------------------===//
// TopKOp
//===----------------------------------------------------------------------===//

LogicalResult TopKOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto values = cast<RankedTensorType>(getValues().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  if (getValueResult().getType() != values || getIndexResult().getType() != indices)
    return emitOpError("results must have the destinations' types");
  int64_t dim = (int64_t)getDimension();
  if (in.getRank() != values.getRank() || dim + 1 != in.getRank())
    return emitOpError("dimension ") << dim << " must be the last of input and values";
  if (values.getShape() != indices.getShape())
    return emitOpError("values and indices must have one shape");
  for (int64_t d = 0; d < dim; ++d)
    if (in.getDimSize(d) != values.getDimSize(d))
      return emitOpError("input and values differ along dimension ") << d;
  if (!in.isDynamicDim(dim) && !values.isDynamicDim(dim) &&
      values.getDimSize(dim) > in.getDimSize(dim))
    return emitOpError("k = ") << values.getDimSize(dim) << " exceeds the dimension's "
                               << in.getDimSize(dim) << " elements";
  if (values.getElementType() != in.getElementType())
    return emitOpError("values must have the input's element type");
  if (in.getElementType().isInteger(1))
    return emitOpError("cannot rank i1 values");
  auto idx = dyn_cast<IntegerType>(indices.getElementType());
  if (!idx || (idx.getWidth() != 32 && idx.getWidth() != 64))
    return emitOpError("indices must be i32 or i64");
  return success();
}

//===----------------------------------------------------------------------===//
// ScatterAddOp
//===----------------------------------------------------------------------===//

LogicalResult ScatterAddOp::verify() {
  auto updates = dyn_cast<ShapedType>(getUpdates().getType());
  auto dest = dyn_cast<ShapedType>(getDest().getType());
  // All tensors with one result (before bufferization) or all memrefs with none.
  bool onTensors = isa<RankedTensorType>(dest);
  auto sameKind = [&](Value v) {
    return onTensors ? isa<RankedTensorType>(v.getType()) : isa<MemRefType>(v.getType());
  };
  if (!sameKind(getDest()) || !sameKind(getUpdates()) || !llvm::all_of(getIndices(), sameKind))
    return emitOpError("operands must be all ranked tensors or all memrefs");
  if (getResult().size() != (onTensors ? 1u : 0u))
    return emitOpError(onTensors ? "on tensors needs one result" : "on memrefs has no result");
  if (onTensors && getResult()[0].getType() != dest)
    return emitOpError("result must have the destination's type");
  if (updates.getElementType() != dest.getElementType())
    return emitOpError("updates must have the destination's element type");
  ArrayRef<int64_t> axes = getAxes();
  if ((int64_t)axes.size() != dest.getRank())
    return emitOpError("needs one axis entry per destination dimension");
  size_t gathered = 0;
  for (int64_t a : axes) {
    if (a >= updates.getRank() || a < -1)
      return emitOpError("axis entry ") << a << " is neither a loop nor -1";
    gathered += a == -1;
  }
  if (gathered != getIndices().size() || getIndexMaps().size() != gathered)
    return emitOpError("needs one index tensor and map per -1 axis entry");
  for (auto [i, index] : llvm::enumerate(getIndices())) {
    auto t = cast<ShapedType>(index.getType());
    AffineMap map = getIndexMap(i);
    if (!t.getElementType().isSignlessInteger() || t.getElementType().isInteger(1))
      return emitOpError("index tensors must hold integers");
    if (map.getNumDims() != (unsigned)updates.getRank() ||
        map.getNumResults() != (unsigned)t.getRank() || map.getNumSymbols() != 0)
      return emitOpError("index map ") << i << " must map the loops to the index tensor";
  }
  return success();
}

void vibee::getDestinationStyleEffects(
    Operation *op, OpOperand &dest,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), &operand, SideEffects::DefaultResource::get());
    if (&operand == &dest)
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

void ScatterAddOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  getDestinationStyleEffects(*this, getDestMutable(), effects);
}

// Bufferization: reads its updates, indices and destination, adds into the
// destination in place.
bool ScatterAddOp::bufferizesToMemoryRead(OpOperand &, const bufferization::AnalysisState &) {
  return true;
}

bool ScatterAddOp::bufferizesToMemoryWrite(OpOperand &operand,
                                           const bufferization::AnalysisState &) {
  return &operand == &getDestMutable();
}

bufferization::AliasingValueList
ScatterAddOp::getAliasingValues(OpOperand &operand, const bufferization::AnalysisState &) {
  if (&operand != &getDestMutable() || getResult().empty())
    return {};
  return {{getResult()[0], bufferization::BufferRelation::Equivalent}};
}

LogicalResult ScatterAddOp::bufferize(RewriterBase &rewriter,
                                      const bufferization::BufferizationOptions &options,
                                      bufferization::BufferizationState &state) {
  rewriter.setInsertionPoint(*this);
  auto bufferOf = [&](Value tensor) {
    return bufferization::getBuffer(rewriter, tensor, options, state);
  };
  FailureOr<Value> updates = bufferOf(getUpdates()), dest = bufferOf(getDest());
  if (failed(updates) || failed(dest))
    return failure();
  SmallVector<Value> indices;
  for (Value index : getIndices()) {
    FailureOr<Value> buffer = bufferOf(index);
    if (failed(buffer))
      return failure();
    indices.push_back(*buffer);
  }
  ScatterAddOp::create(rewriter, getLoc(), TypeRange{}, *updates, indices, *dest, getAxesAttr(),
                       getIndexMapsAttr());
  bufferization::replaceOpWithBufferizedValues(rewriter, *this, *dest);
  return success();
}

Value GatherIndexOp::buildClamped(OpBuilder &b) {
  Location loc = getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value last = arith::SubIOp::create(b, loc, getSize(), arith::ConstantIndexOp::create(b, loc, 1));
  Value below = arith::MinSIOp::create(b, loc, getIndex(), last);
  return arith::MaxSIOp::create(b, loc, below, zero);
}

Value GatherIndexOp::buildOutside(OpBuilder &b) {
  // A negative index is a huge one unsigned.
  return arith::CmpIOp::create(b, getLoc(), arith::CmpIPredicate::uge, getIndex(), getSize());
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

LogicalResult LookupOp::verify() {
  ShapedType tableType = getTable().getShapedType();
  if (tableType.getRank() != 1 || tableType.getNumElements() == 0)
    return emitOpError("table must be 1-D and not empty, got ") << tableType;
  if (getElementTypeOrSelf(getResult().getType()) != tableType.getElementType())
    return emitOpError("result element type ")
           << getElementTypeOrSelf(getResult().getType()) << " differs from the table's "
           << tableType.getElementType();
  return success();
}

#define GET_OP_CLASSES
#include "ir/VibeeOps.cpp.inc"
