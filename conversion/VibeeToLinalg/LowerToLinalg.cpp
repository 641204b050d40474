//===- LowerToLinalg.cpp - vibee kernels to func + linalg -----------------===//
//
// Kernels become destination-passing functions over memrefs so that the C ABI
// wrapper and the runtime own all user-visible memory: the kernel never
// allocates its outputs. Inside, the computation stays on tensors (to_tensor
// restrict / materialize_in_destination bridge the two), so that One-Shot
// Bufferize and empty-tensor elimination decide where intermediates live.
//
//===----------------------------------------------------------------------===//
#include "conversion/VibeeToLinalg/Contractions.h"
#include "conversion/VibeeToLinalg/Passes.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SmallBitVector.h"
#include "mlir/Transforms/DialectConversion.h"

namespace vibee {
#define GEN_PASS_DEF_LOWERTOLINALGPASS
#include "conversion/VibeeToLinalg/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

//===----------------------------------------------------------------------===//
// vibee.kernel -> func.func
//===----------------------------------------------------------------------===//

static Type toMemRef(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  return type;
}

struct ConvertKernelOp : OpConversionPattern<KernelOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(KernelOp kernel, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!kernel.getBody().hasOneBlock())
      return rewriter.notifyMatchFailure(kernel, "multi-block kernel body");
    Location loc = kernel.getLoc();
    FunctionType type = kernel.getFunctionType();
    unsigned numParams = type.getNumInputs();
    unsigned numInOut = kernel.getNumInOut();

    // Signature: every parameter (tensors as memrefs), then the declared results.
    SmallVector<Type> argTypes = llvm::map_to_vector(type.getInputs(), toMemRef);
    for (Type result : type.getResults().drop_front(numInOut))
      argTypes.push_back(toMemRef(result));
    SmallVector<Attribute> modes;
    for (unsigned i = 0; i < numParams; ++i)
      modes.push_back(rewriter.getStringAttr(stringifyParamMode(kernel.getParamMode(i))));

    auto func = func::FuncOp::create(rewriter, loc, kernel.getSymName(),
                                     rewriter.getFunctionType(argTypes, {}));
    func->setAttr(vibee::attr::kKernel, rewriter.getUnitAttr());
    func->setAttr(vibee::attr::kDimNames, kernel.getDimNamesAttr());
    func->setAttr(vibee::attr::kArgDims, kernel.getArgDimsAttr());
    func->setAttr(vibee::attr::kModes, rewriter.getArrayAttr(modes));
    if (Attribute derived = kernel->getAttr(vibee::attr::kDerivedDims))
      func->setAttr(vibee::attr::kDerivedDims, derived);
    if (Attribute schedule = kernel->getAttr(vibee::attr::kSchedule))
      func->setAttr(vibee::attr::kSchedule, schedule);
    Block *entry = func.addEntryBlock();
    rewriter.setInsertionPointToStart(entry);

    // Read-only tensor views of the parameters. Inout views are not writable
    // either: the caller's buffer must keep the original value while any
    // statement may still read it.
    SmallVector<Value> paramValues;
    for (unsigned i = 0; i < numParams; ++i) {
      Value arg = entry->getArgument(i);
      if (auto tensorType = dyn_cast<RankedTensorType>(type.getInput(i)))
        paramValues.push_back(
            bufferization::ToTensorOp::create(rewriter, loc, tensorType, arg, /*restrict=*/true));
      else
        paramValues.push_back(arg);
    }

    // The conversion replaces the kernel's block arguments lazily: the return
    // below still names them, so they identify the parameters.
    SmallVector<Value> kernelArgs(kernel.getArguments());
    auto ret = cast<ReturnOp>(kernel.getBody().front().getTerminator());

    // A final value that is the original value of an inout parameter lives in
    // that parameter's buffer, which gets overwritten below: copy it on entry,
    // before any statement or write-back can touch the buffer.
    rewriter.setInsertionPointToEnd(entry);
    auto copyIfInOutParam = [&](Value v) -> Value {
      auto it = llvm::find(kernelArgs, v);
      if (it == kernelArgs.end())
        return v;
      unsigned i = it - kernelArgs.begin();
      if (kernel.getParamMode(i) != ParamMode::inout)
        return v;
      return bufferization::AllocTensorOp::create(
          rewriter, loc, cast<RankedTensorType>(v.getType()), ValueRange(), paramValues[i]);
    };

    SmallVector<Value> sources =
        llvm::map_to_vector(ret.getOperands(), [&](Value v) { return copyIfInOutParam(v); });
    // Every returned block argument now maps to its converted value or its copy.
    for (Value &source : sources)
      if (auto arg = dyn_cast<BlockArgument>(source); arg && arg.getOwner() != entry)
        source = paramValues[arg.getArgNumber()];
    rewriter.inlineBlockBefore(&kernel.getBody().front(), entry, entry->end(), paramValues);
    rewriter.setInsertionPoint(ret);

    // Final inout values are copied into the parameter's buffer at the end. No
    // `restrict`: the parameter's to_tensor view aliases that buffer.
    unsigned r = 0;
    for (unsigned i = 0; i < numParams; ++i) {
      if (kernel.getParamMode(i) != ParamMode::inout)
        continue;
      unsigned result = r++;
      if (ret.getOperand(result) == kernelArgs[i])
        continue;
      auto op = bufferization::MaterializeInDestinationOp::create(
          rewriter, loc, TypeRange(), sources[result], entry->getArgument(i));
      op.setWritable(true);
    }
    // Results own their buffers (`restrict`), so empty-tensor elimination can
    // make the producing statement write straight into them.
    for (unsigned j = numInOut; j < ret.getNumOperands(); ++j) {
      auto op = bufferization::MaterializeInDestinationOp::create(
          rewriter, loc, TypeRange(), sources[j], entry->getArgument(numParams + j - numInOut));
      op.setRestrict(true);
      op.setWritable(true);
    }
    rewriter.replaceOpWithNewOp<func::ReturnOp>(ret);
    rewriter.eraseOp(kernel);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// vibee.compute -> [linalg.fill] + linalg.generic
//===----------------------------------------------------------------------===//

/// How the reduction loops of a compute combine values of `type`.
static std::optional<arith::AtomicRMWKind> getCombiner(ReduceKind kind, Type type) {
  bool isFloat = isa<FloatType>(type);
  switch (kind) {
  case ReduceKind::none:
    return std::nullopt;
  case ReduceKind::sum:
    return isFloat ? arith::AtomicRMWKind::addf : arith::AtomicRMWKind::addi;
  case ReduceKind::prod:
    return isFloat ? arith::AtomicRMWKind::mulf : arith::AtomicRMWKind::muli;
  case ReduceKind::max:
    return isFloat ? arith::AtomicRMWKind::maximumf : arith::AtomicRMWKind::maxs;
  case ReduceKind::min:
    return isFloat ? arith::AtomicRMWKind::minimumf : arith::AtomicRMWKind::mins;
  }
  llvm_unreachable("unknown reduce kind");
}

/// linalg derives its loops' extents from its operands' shapes, so every loop
/// must index some operand. A reduction loop that only subscripts reads inside
/// the body (`sum(b) x[B - 1, b]`: a symbolic dim in the subscript) indexes
/// none; such loops get an extra input of their extents, an empty i8 tensor
/// that the body never reads (fuzzing found the invalid generic this avoided).
static std::optional<std::pair<Value, AffineMap>>
buildLoopExtentOperand(ComputeOp op, ArrayRef<AffineMap> inputMaps, ValueRange extents,
                       OpBuilder &b) {
  unsigned loops = op.getNumLoops();
  llvm::SmallBitVector covered(loops);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(op.getResultMap());
  for (AffineMap map : maps)
    for (AffineExpr e : map.getResults())
      e.walk([&](AffineExpr sub) {
        if (auto dim = dyn_cast<AffineDimExpr>(sub))
          covered.set(dim.getPosition());
      });
  if (covered.all())
    return std::nullopt;
  SmallVector<AffineExpr> dims;
  SmallVector<OpFoldResult> sizes;
  for (unsigned d = 0; d < loops; ++d)
    if (!covered.test(d)) {
      dims.push_back(b.getAffineDimExpr(d));
      sizes.push_back(getAsOpFoldResult(extents[d]));
    }
  mlir::emitRemark(op.getLoc())
      << "a reduction index subscripts only reads inside the body: its extent is "
         "given to linalg by an unread operand";
  Value empty = tensor::EmptyOp::create(b, op.getLoc(), sizes, b.getI8Type());
  return std::make_pair(empty, AffineMap::get(loops, 0, dims, b.getContext()));
}

struct ConvertComputeOp : OpConversionPattern<ComputeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(ComputeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    Type element = type.getElementType();
    unsigned numParallel = op.getNumParallelLoops();

    // The result's dynamic sizes are the extents of its (parallel) loops.
    SmallVector<Value> dynamicSizes;
    for (unsigned d = 0; d < numParallel; ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(adaptor.getExtents()[d]);
    Value init = tensor::EmptyOp::create(rewriter, loc, type, dynamicSizes);
    std::optional<arith::AtomicRMWKind> combiner = getCombiner(op.getKind(), element);
    if (combiner) {
      Value identity = arith::getIdentityValue(*combiner, element, rewriter, loc);
      init = linalg::FillOp::create(rewriter, loc, identity, init).getResult(0);
    }

    // A sum of products is a linalg.contract (docs/architecture.md, "Contractions").
    if (combiner) {
      std::string why;
      if (std::optional<Value> contraction = vibee::buildContraction(
              op, adaptor.getInputs(), adaptor.getExtents(), init, rewriter, why)) {
        rewriter.replaceOp(op, *contraction);
        return success();
      }
      if (!why.empty())
        mlir::emitRemark(op.getLoc())
            << "sum of products not recognised as a contraction (generic loops): " << why;
    }

    // A read with a symbolic dim in a subscript, a clamped read under `where` or a
    // gather is computed in the body (frontend/MLIRGenSubscripts.h): correct, but no
    // access map for later passes to see.
    op.getBody().walk([&](tensor::ExtractOp read) {
      mlir::emitRemark(read.getLoc())
          << "read of a tensor inside the statement's body (a subscript with a "
             "symbolic dim, a where-guarded clamped read, or a gather): no access "
             "map, loads one element at a time";
    });
    SmallVector<AffineMap> maps = llvm::map_to_vector(
        op.getIndexingMaps(), [](Attribute a) { return cast<AffineMapAttr>(a).getValue(); });
    SmallVector<Value> inputs(adaptor.getInputs());
    unsigned numInputs = inputs.size();
    if (std::optional<std::pair<Value, AffineMap>> extent =
            buildLoopExtentOperand(op, maps, adaptor.getExtents(), rewriter)) {
      inputs.push_back(extent->first);
      maps.push_back(extent->second);
    }
    maps.push_back(op.getResultMap());
    SmallVector<utils::IteratorType> iterators(numParallel, utils::IteratorType::parallel);
    iterators.resize(op.getNumLoops(), utils::IteratorType::reduction);

    Block &body = op.getBody().front();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location nested, ValueRange args) {
          IRMapping mapping;
          mapping.map(body.getArguments(), args.take_front(numInputs));
          for (Operation &inner : body.without_terminator()) {
            if (auto index = dyn_cast<IndexOp>(inner))
              mapping.map(index.getResult(),
                          linalg::IndexOp::create(b, inner.getLoc(), index.getDim()));
            else
              b.clone(inner, mapping);
          }
          Value value = mapping.lookupOrDefault(cast<YieldOp>(body.getTerminator()).getValue());
          if (combiner)
            value = arith::getReductionOp(*combiner, b, nested, value, args.back());
          linalg::YieldOp::create(b, nested, value);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// vibee.softmax -> linalg.softmax
//===----------------------------------------------------------------------===//

struct ConvertSoftmaxOp : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, adaptor.getInput());
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
    rewriter.replaceOpWithNewOp<linalg::SoftmaxOp>(op, TypeRange{type}, adaptor.getInput(), init,
                                                   op.getAxis());
    return success();
  }
};

struct LowerToLinalgPass : vibee::impl::LowerToLinalgPassBase<LowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<VibeeDialect>();
    // A named op of linalg's level: destination-style already, kept for targets.
    target.addLegalOp<AttentionOp>();
    target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                           func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    // Body ops are rebuilt by ConvertComputeOp together with their compute.
    target.addDynamicallyLegalOp<IndexOp, YieldOp>(
        [](Operation *op) { return isa<ComputeOp, ScanOp>(op->getParentOp()); });
    // Scans, top-k and scatter-adds stay whole until each target's vibee-lower-scans
    // (docs/architecture.md, "The rule for new structure").
    target.addLegalOp<ScanOp, TopKOp, ScatterAddOp>();
    // A gathered position stays for each target's check or clamp (its lowering).
    target.addLegalOp<GatherIndexOp>();
    // A table lookup stays for each target's own expansion (a permute, selects).
    target.addLegalOp<LookupOp>();
    target.addDynamicallyLegalOp<ReturnOp>(
        [](Operation *op) { return isa<KernelOp>(op->getParentOp()); });

    RewritePatternSet patterns(ctx);
    patterns.add<ConvertKernelOp, ConvertComputeOp, ConvertSoftmaxOp>(ctx);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
