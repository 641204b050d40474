//===- EmitCGpuHost.cpp - outlined host code -> CUDA host helpers (EmitC) --===//
//
// The host side of `--emit=cuda-host` is generated the way the C++ backend
// generates kernels: this pass, then vibee-prepare-emitc, convert-to-emitc and
// translateToCpp. After gpu-kernel-outlining a host function is index
// arithmetic (grid sizes from the dims and the SM count), scf.if guards and
// gpu ops; the gpu ops become calls of the small driver-API helpers that
// backends/gpu/CudaHostSource.cpp prints in the file's preamble, all taking the
// call's state (`vibee::cuda_host::Call *`: stream, functions, first error).
//
// Kernel arguments follow convert-gpu-to-nvvm's default memref convention: a
// memref<d0 x ... x T> is (T *allocated, T *aligned, int64_t offset,
// int64_t sizes[rank], int64_t strides[rank]); the memrefs here are row-major
// and contiguous (ABI arguments, device temporaries, collapse/expand_shape of
// those), so both pointers are the data pointer and the offset is 0.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"
#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dominance.h"

namespace vibee {
#define GEN_PASS_DEF_GPUEMITCHOSTPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// The C++ type a kernel argument of `type` is passed as (after
/// vibee-prepare-emitc: bf16/f16 are uint16_t bit patterns, i1 is bool).
static std::string cType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isBF16() || type.isF16())
    return "uint16_t";
  if (type.isInteger(1))
    return "bool";
  if (auto i = dyn_cast<IntegerType>(type))
    return (i.isUnsigned() ? "uint" : "int") + std::to_string(i.getWidth()) + "_t";
  if (type.isIndex())
    return "int64_t";
  return "";
}

/// The element type a device buffer of `element` stores (vibee-prepare-emitc's).
static Type storageType(Type element) {
  MLIRContext *ctx = element.getContext();
  if (element.isBF16() || element.isF16())
    return IntegerType::get(ctx, 16, IntegerType::Unsigned);
  if (isa<Float8E4M3FNType, Float8E5M2Type>(element))
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  if (element.isInteger(1))
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  return element;
}

static Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

struct GpuEmitCHostPass : vibee::impl::GpuEmitCHostPassBase<GpuEmitCHostPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    // The kernels in launch order of first appearance: the `gpu::` enumerators.
    SmallVector<Attribute> kernelNames;
    module.walk([&](gpu::LaunchFuncOp launch) {
      Attribute name = launch.getKernelName();
      if (!llvm::is_contained(kernelNames, name))
        kernelNames.push_back(name);
    });
    for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (func.isDeclaration() || !func->hasAttr(vibee::attr::kKernel))
        continue;
      if (failed(rewrite(func)))
        return signalPassFailure();
    }
    for (Operation &op : llvm::make_early_inc_range(module.getBody()->getOperations())) {
      auto decl = dyn_cast<func::FuncOp>(op);
      if (isa<gpu::GPUModuleOp, gpu::BinaryOp>(op) ||
          (decl && decl.isDeclaration() && decl.getSymName() == "vibee_cuda_sm_count"))
        op.erase();
    }
    module->removeAttr("gpu.container_module");
    module->setAttr(vibee::attr::kCudaKernels, b.getArrayAttr(kernelNames));
  }

  /// `memref` as the `!emitc.ptr<T>` that vibee-prepare-emitc makes of it (the
  /// cast folds away once it has).
  static Value asPointer(OpBuilder &b, Location loc, Value memref) {
    Type element = storageType(cast<MemRefType>(memref.getType()).getElementType());
    return UnrealizedConversionCastOp::create(b, loc, emitc::PointerType::get(element), memref)
        .getResult(0);
  }

  // Sizes (index values) of the memrefs met: arguments, allocations, reshapes.
  DenseMap<Value, SmallVector<Value>> sizes;

  /// The memref whose data `v` is (through collapse/expand_shape).
  static Value dataOf(Value v) {
    while (Operation *def = v.getDefiningOp()) {
      if (auto c = dyn_cast<memref::CollapseShapeOp>(def))
        v = c.getSrc();
      else if (auto e = dyn_cast<memref::ExpandShapeOp>(def))
        v = e.getSrc();
      else
        break;
    }
    return v;
  }

  /// The sizes of memref `v` (built once, where `v` is defined).
  FailureOr<SmallVector<Value>> sizesOf(Value v, OpBuilder &b, Location loc) {
    // Sizes computed for an earlier launch are reused where they dominate (a
    // launch in the other branch of an scf.if, the tensor-core kernel's
    // alternative, computes its own).
    auto it = sizes.find(v);
    if (it != sizes.end() && (b.getInsertionPoint() == b.getInsertionBlock()->end() ||
                              llvm::all_of(it->second, [&](Value s) {
                                return DominanceInfo().dominates(s, &*b.getInsertionPoint());
                              })))
      return it->second;
    auto type = cast<MemRefType>(v.getType());
    if (!type.getLayout().isIdentity())
      return emitError(loc, "cuda-host: a kernel argument with a non-identity layout: ") << type;
    // Later launches reuse the cached sizes: build them where `v` is defined (the
    // start of its block for an argument) so that they dominate every use of `v`,
    // not in the region of the first launch that needed them (an scf.if: "operand
    // does not dominate this use" at the next launch; found by the compiler fuzzer).
    OpBuilder::InsertionGuard guard(b);
    if (auto arg = dyn_cast<BlockArgument>(v))
      b.setInsertionPointToStart(arg.getOwner());
    else
      b.setInsertionPointAfter(v.getDefiningOp());
    SmallVector<Value> result;
    Operation *def = v.getDefiningOp();
    if (!def) { // an argument: memref.dim (vibee-prepare-emitc makes it the dim)
      for (int64_t axis = 0; axis < type.getRank(); ++axis)
        result.push_back(type.isDynamicDim(axis)
                             ? memref::DimOp::create(b, loc, v, axis).getResult()
                             : indexConst(b, loc, type.getDimSize(axis)));
    } else if (auto c = dyn_cast<memref::CollapseShapeOp>(def)) {
      FailureOr<SmallVector<Value>> src = sizesOf(c.getSrc(), b, loc);
      if (failed(src))
        return failure();
      for (const ReassociationIndices &group : c.getReassociationIndices()) {
        Value n = indexConst(b, loc, 1);
        for (int64_t axis : group)
          n = arith::MulIOp::create(b, loc, n, (*src)[axis]);
        result.push_back(n);
      }
    } else if (auto e = dyn_cast<memref::ExpandShapeOp>(def)) {
      for (OpFoldResult size : e.getMixedOutputShape())
        result.push_back(
            isa<Value>(size)
                ? cast<Value>(size)
                : indexConst(b, loc, cast<IntegerAttr>(cast<Attribute>(size)).getInt()));
    } else {
      return def->emitOpError("cuda-host: a kernel argument from this op is not supported");
    }
    sizes[v] = result;
    return result;
  }

  // Per function: the call-state argument, and the ops erased so far (`ops`
  // is walked more than once: what is erased is remembered, not revisited).
  Value call;
  DenseSet<Operation *> erased;

  void erase(Operation *op) {
    erased.insert(op);
    op->erase();
  }

  static Operation *callOpaque(OpBuilder &b, Location loc, Type result, StringRef callee,
                               ValueRange operands, ArrayAttr args = {},
                               ArrayAttr templateArgs = {}) {
    return emitc::CallOpaqueOp::create(b, loc, result ? TypeRange(result) : TypeRange(), callee,
                                       operands, args, templateArgs);
  }

  /// Host code must not touch device memory itself.
  static LogicalResult checkHostOnly(func::FuncOp func) {
    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      if (isa<memref::LoadOp, memref::StoreOp, memref::CopyOp>(op) ||
          (op->getDialect() && op->getDialect()->getNamespace() == "vector"))
        return op->emitOpError("in host code reads or writes device memory: "
                               "--emit=cuda-host only launches kernels (docs/gpu.md)");
      if (isa<gpu::LaunchOp>(op))
        return op->emitOpError("cuda-host: expected outlined kernels");
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

  /// The call's state: a trailing argument (vibee-prepare-emitc appends the dims
  /// after it).
  LogicalResult addCallArgument(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    Type callType = emitc::PointerType::get(emitc::OpaqueType::get(ctx, "vibee::cuda_host::Call"));
    unsigned callIndex = func.getNumArguments();
    if (failed(func.insertArgument(callIndex, callType, DictionaryAttr(), func.getLoc())))
      return failure();
    call = func.getBody().front().getArgument(callIndex);
    Builder attrs(ctx);
    if (auto argDims = func->getAttrOfType<ArrayAttr>(vibee::attr::kArgDims)) {
      SmallVector<Attribute> extended(argDims.begin(), argDims.end());
      extended.push_back(attrs.getArrayAttr({}));
      func->setAttr(vibee::attr::kArgDims, attrs.getArrayAttr(extended));
    }
    func->setAttr(vibee::attr::kCudaCallArg, attrs.getI64IntegerAttr(callIndex));
    return success();
  }

  /// The sizes of every device allocation (launches look them up).
  LogicalResult recordAllocationSizes(ArrayRef<Operation *> ops) {
    for (Operation *op : ops)
      if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
        if (alloc.getHostShared())
          return alloc.emitOpError("cuda-host: host-shared memory is not supported");
        OpBuilder b(alloc);
        SmallVector<Value> allocSizes;
        unsigned dynamic = 0;
        for (int64_t size : alloc.getType().getShape())
          allocSizes.push_back(ShapedType::isDynamic(size) ? alloc.getDynamicSizes()[dynamic++]
                                                           : indexConst(b, alloc.getLoc(), size));
        sizes[alloc.getMemref()] = allocSizes;
      }
    return success();
  }

  /// A memref kernel argument as convert-gpu-to-nvvm passes it: allocated and
  /// aligned pointer, offset 0, sizes, row-major strides.
  LogicalResult appendMemRefArgument(OpBuilder &b, Location loc, Value arg,
                                     SmallVectorImpl<Value> &operands) {
    FailureOr<SmallVector<Value>> argSizes = sizesOf(arg, b, loc);
    if (failed(argSizes))
      return failure();
    Value data = asPointer(b, loc, dataOf(arg));
    operands.push_back(data); // allocated
    operands.push_back(data); // aligned
    operands.push_back(indexConst(b, loc, 0));
    llvm::append_range(operands, *argSizes);
    SmallVector<Value> strides(argSizes->size());
    Value stride = indexConst(b, loc, 1);
    for (size_t axis = argSizes->size(); axis-- > 0;) {
      strides[axis] = stride;
      if (axis)
        stride = arith::MulIOp::create(b, loc, stride, (*argSizes)[axis]);
    }
    llvm::append_range(operands, strides);
    return success();
  }

  /// A splat constant vector argument (a fill's value): `splat<T, N>(v)`, a
  /// 16-byte aligned struct of N values, as the kernel's by-value vector.
  static FailureOr<Value> buildSplatArgument(OpBuilder &b, Location loc, gpu::LaunchFuncOp launch,
                                             Value arg) {
    MLIRContext *ctx = b.getContext();
    auto vector = cast<VectorType>(arg.getType());
    DenseElementsAttr value;
    if (auto cst = arg.getDefiningOp<arith::ConstantOp>())
      value = dyn_cast<DenseElementsAttr>(cst.getValue());
    std::string element = cType(vector.getElementType());
    if (!value || !value.isSplat() || vector.getRank() != 1 || element.empty())
      return launch.emitOpError("cuda-host: a vector kernel argument that is not a "
                                "splat constant: ")
             << arg.getType();
    Value scalar =
        arith::ConstantOp::create(b, loc, cast<TypedAttr>(value.getSplatValue<Attribute>()));
    Type splatType = emitc::OpaqueType::get(ctx, "vibee::cuda_host::vec<" + element + ", " +
                                                     std::to_string(vector.getNumElements()) + ">");
    ArrayAttr templateArgs = b.getArrayAttr(
        {emitc::OpaqueAttr::get(ctx, element), b.getI64IntegerAttr(vector.getNumElements())});
    return callOpaque(b, loc, splatType, "splat", scalar, ArrayAttr(), templateArgs)->getResult(0);
  }

  /// The C++ types of the kernel arguments (operands 8 on), as the kernel reads
  /// them: explicit template arguments of launch<...>.
  static ArrayAttr launchArgumentTypes(OpBuilder &b, ArrayRef<Value> operands) {
    MLIRContext *ctx = b.getContext();
    SmallVector<Attribute> types;
    for (Value v : operands.drop_front(8)) {
      std::string type;
      if (auto ptr = dyn_cast<emitc::PointerType>(v.getType()))
        type = cType(ptr.getPointee()) + " *";
      else if (auto opaque = dyn_cast<emitc::OpaqueType>(v.getType()))
        type = opaque.getValue().str();
      else
        type = cType(v.getType());
      types.push_back(emitc::OpaqueAttr::get(ctx, type));
    }
    return b.getArrayAttr(types);
  }

  /// gpu.launch_func -> launch<types...>(call, gpu::<kernel>, grid, block, smem,
  /// args...): the enumerator is literal; the argument types are explicit (a
  /// literal `4096` must still be passed as 8 bytes).
  LogicalResult rewriteLaunch(gpu::LaunchFuncOp launch) {
    MLIRContext *ctx = launch.getContext();
    Location loc = launch.getLoc();
    OpBuilder b(launch);
    if (launch.getClusterSizeX())
      return launch.emitOpError("cuda-host: clusters are not supported");
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Value smem = launch.getDynamicSharedMemorySize();
    SmallVector<Value> operands = {
        call,    grid.x,
        grid.y,  grid.z,
        block.x, block.y,
        block.z, smem ? smem : Value(arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0))};
    for (Value arg : launch.getKernelOperands()) {
      if (isa<MemRefType>(arg.getType())) {
        if (failed(appendMemRefArgument(b, loc, arg, operands)))
          return failure();
        continue;
      }
      if (isa<VectorType>(arg.getType())) {
        FailureOr<Value> splat = buildSplatArgument(b, loc, launch, arg);
        if (failed(splat))
          return failure();
        operands.push_back(*splat);
        continue;
      }
      if (cType(arg.getType()).empty())
        return launch.emitOpError("cuda-host: a kernel argument of type ")
               << arg.getType() << " is not supported";
      operands.push_back(arg);
    }
    ArrayAttr types = launchArgumentTypes(b, operands);
    SmallVector<Attribute> args = {
        b.getIndexAttr(0), emitc::OpaqueAttr::get(ctx, "gpu::" + launch.getKernelName().str())};
    for (size_t i = 1; i < operands.size(); ++i)
      args.push_back(b.getIndexAttr(i));
    callOpaque(b, loc, Type(), "launch", operands, b.getArrayAttr(args), types);
    erase(launch);
    return success();
  }

  /// vibee_cuda_sm_count() and the index casts of its result -> sm_count(call).
  LogicalResult rewriteSmCount(func::CallOp c) {
    if (c.getCallee() != "vibee_cuda_sm_count")
      return c.emitOpError("cuda-host: host code calls an unknown function");
    OpBuilder b(c);
    Value count = callOpaque(b, c.getLoc(), b.getIndexType(), "sm_count", call)->getResult(0);
    for (Operation *user : llvm::make_early_inc_range(c.getResult(0).getUsers())) {
      if (!isa<arith::IndexCastOp, arith::IndexCastUIOp>(user) ||
          !user->getResult(0).getType().isIndex())
        return user->emitOpError("cuda-host: expected an index cast of the SM count");
      user->getResult(0).replaceAllUsesWith(count);
      erase(user);
    }
    erase(c);
    return success();
  }

  /// ceildivui/minui/maxui -> ceil_div, std::min, std::max: sizes are
  /// non-negative, and the signed int64_t helpers read better.
  LogicalResult rewriteIndexArithmetic(Operation *op) {
    OpBuilder b(op);
    StringRef callee = isa<arith::CeilDivUIOp>(op) ? "ceil_div"
                       : isa<arith::MinUIOp>(op)   ? "std::min"
                                                   : "std::max";
    Type type = op->getResult(0).getType();
    ArrayAttr templateArgs =
        isa<arith::CeilDivUIOp>(op)
            ? ArrayAttr()
            : b.getArrayAttr({emitc::OpaqueAttr::get(op->getContext(), "int64_t")});
    if (!type.isIndex())
      return op->emitOpError("cuda-host: expected index operands");
    Value v =
        callOpaque(b, op->getLoc(), type, callee, op->getOperands(), ArrayAttr(), templateArgs)
            ->getResult(0);
    op->getResult(0).replaceAllUsesWith(v);
    // Allocation sizes recorded before this rewrite (a temporary sized by
    // min/max/ceil_div: the column reductions' partial sums) follow.
    for (auto &entry : sizes)
      std::replace(entry.second.begin(), entry.second.end(), Value(op->getResult(0)), v);
    erase(op);
    return success();
  }

  /// Dims of temporaries and reshapes (the arguments' stay for
  /// vibee-prepare-emitc).
  void rewriteDim(memref::DimOp dim) {
    auto it = sizes.find(dim.getSource());
    std::optional<int64_t> axis = dim.getConstantIndex();
    if (it != sizes.end() && axis && dim.getSource().getDefiningOp()) {
      dim.getResult().replaceAllUsesWith(it->second[*axis]);
      erase(dim);
    }
  }

  LogicalResult rewriteHostOp(Operation *op) {
    if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op))
      return rewriteLaunch(launch);
    if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
      OpBuilder b(op);
      callOpaque(b, op->getLoc(), Type(), "device_free",
                 ValueRange{call, asPointer(b, op->getLoc(), dealloc.getMemref())});
      return success(); // erased with the allocations, after the launches used its memref
    }
    if (auto c = dyn_cast<func::CallOp>(op))
      return rewriteSmCount(c);
    if (isa<arith::CeilDivUIOp, arith::MinUIOp, arith::MaxUIOp>(op))
      return rewriteIndexArithmetic(op);
    if (auto dim = dyn_cast<memref::DimOp>(op)) {
      rewriteDim(dim); // may erase it: nothing below may look at it
      return success();
    }
    if (auto address = dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(op)) {
      // The host's alignment check (the tensor-core kernel's choice).
      OpBuilder b(op);
      Value p = callOpaque(b, op->getLoc(), b.getIndexType(), "reinterpret_cast",
                           ValueRange{asPointer(b, op->getLoc(), address.getSource())}, ArrayAttr(),
                           b.getArrayAttr({emitc::OpaqueAttr::get(op->getContext(), "uintptr_t")}))
                    ->getResult(0);
      address.getResult().replaceAllUsesWith(p);
      erase(op);
    }
    return success();
  }

  /// Async tokens and gpu.wait go: one stream, stream order. Then the
  /// deallocations, allocations (device_alloc) and reshapes, whose memrefs the
  /// launches no longer need.
  LogicalResult eraseStreamOpsAndMemRefs(ArrayRef<Operation *> ops) {
    for (Operation *op : ops)
      if (!erased.contains(op) && isa<gpu::WaitOp, gpu::AllocOp, gpu::DeallocOp>(op))
        for (Value result : op->getResults())
          if (isa<gpu::AsyncTokenType>(result.getType()))
            result.dropAllUses();
    for (Operation *op : ops)
      if (!erased.contains(op) && isa<gpu::WaitOp, gpu::DeallocOp>(op))
        erase(op);
    for (Operation *op : ops) {
      auto alloc = erased.contains(op) ? gpu::AllocOp() : dyn_cast<gpu::AllocOp>(op);
      if (!alloc)
        continue;
      OpBuilder b(alloc);
      Location loc = alloc.getLoc();
      Value n = indexConst(b, loc, 1);
      for (Value size : sizes[alloc.getMemref()])
        n = arith::MulIOp::create(b, loc, n, size);
      Type storage = storageType(alloc.getType().getElementType());
      Value p =
          callOpaque(b, loc, emitc::PointerType::get(storage), "device_alloc", ValueRange{call, n},
                     ArrayAttr(), b.getArrayAttr({TypeAttr::get(storage)}))
              ->getResult(0);
      alloc.getMemref().replaceAllUsesWith(p);
      erase(alloc);
    }
    for (Operation *op : llvm::reverse(ops))
      if (!erased.contains(op) && isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(op)) {
        if (!op->use_empty())
          return op->emitOpError("cuda-host: a reshaped memref used outside launches");
        erase(op);
      }
    return success();
  }

  /// A size read from a reshaped memref (a 1-D scan's [1, N] row view, collapsed
  /// back) is read from the memref it reshapes: the host keeps no reshaped
  /// memrefs, only the launches take them.
  static void readSizesBeforeReshapes(func::FuncOp func) {
    SmallVector<memref::DimOp> dims;
    func.walk([&](memref::DimOp dim) { dims.push_back(dim); });
    for (memref::DimOp dim : dims) {
      std::optional<int64_t> axis = dim.getConstantIndex();
      if (!axis)
        continue;
      OpBuilder b(dim);
      Location loc = dim.getLoc();
      if (auto collapse = dim.getSource().getDefiningOp<memref::CollapseShapeOp>()) {
        Value n = arith::ConstantIndexOp::create(b, loc, 1);
        // A local: the reassociation is returned by value (ranging over an
        // element of the temporary read it after its end: ASan).
        SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
        for (int64_t source : groups[*axis])
          n = arith::MulIOp::create(b, loc, n,
                                    memref::DimOp::create(b, loc, collapse.getSrc(), source));
        dim.replaceAllUsesWith(n);
        dim.erase();
      } else if (auto expand = dim.getSource().getDefiningOp<memref::ExpandShapeOp>()) {
        OpFoldResult size = expand.getMixedOutputShape()[*axis];
        dim.replaceAllUsesWith(getValueOrCreateConstantIndexOp(b, loc, size));
        dim.erase();
      }
    }
  }

  LogicalResult rewrite(func::FuncOp func) {
    sizes.clear();
    erased.clear();
    readSizesBeforeReshapes(func);
    if (failed(checkHostOnly(func)) || failed(addCallArgument(func)))
      return failure();
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) { ops.push_back(op); });
    if (failed(recordAllocationSizes(ops)))
      return failure();
    for (Operation *op : ops)
      if (!erased.contains(op) && failed(rewriteHostOp(op)))
        return failure();
    return eraseStreamOpsAndMemRefs(ops);
  }
};

} // namespace
