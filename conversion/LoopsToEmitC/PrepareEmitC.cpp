//===- EmitCPrepare.cpp - kernels over loops -> what convert-to-emitc takes ===//
//
// MLIR 22's convert-to-emitc handles arith, scf and func well but not what the
// bufferized kernels are made of: dynamic memrefs, memref.alloc/dealloc/copy,
// arith.maximumf & co., most of math, bf16/f16 storage. This pass rewrites those
// into EmitC ops (pointers, subscripts, calls of the helpers that the C++
// backend prints in its preamble, backends/cpp/CppEmitter.cpp), so that
// convert-to-emitc + translateToCpp finish the job:
//
//  - every memref becomes `!emitc.ptr<T>` to contiguous row-major data; loads
//    and stores index it with the linearized subscript (i64 arithmetic);
//  - a kernel function gets one i64 argument per symbolic dim (vibee.dim_names),
//    which replace memref.dim; allocs are `alloc<T>(n)`, deallocs `release(p)`,
//    copies `copy(dst, src, n)`;
//  - `index` becomes i64 (loops count in int64_t, like the ABI's dims);
//  - bf16 / f16 values are kept in f32 by arith-emulate-unsupported-floats
//    before this pass; what remains (storage, extf, truncf, constants) becomes
//    `uint16_t` bit patterns and calls of the conversion helpers; bool storage
//    is `uint8_t`;
//  - math ops become calls of <cmath> functions; maximumf/minimumf (NaN
//    propagating) and maxnumf/minnumf become helpers / std::fmax / std::fmin;
//  - arguments the body does not use are dropped; `vibee.cpp_args` records the
//    ABI position (params, results, dims) of each remaining one.
//
//===----------------------------------------------------------------------===//
#include "conversion/LoopsToEmitC/MathCallees.h"
#include "conversion/LoopsToEmitC/Passes.h"
#include "conversion/LoopsToEmitC/ScalarLogic.h"
#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringSwitch.h"

namespace vibee {
#define GEN_PASS_DEF_PREPAREEMITCPASS
#include "conversion/LoopsToEmitC/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using vibee::mathCallee;

namespace {

/// The element type a memref of `element` stores, in EmitC.
Type storageType(Type element) {
  MLIRContext *ctx = element.getContext();
  if (element.isBF16() || element.isF16())
    return IntegerType::get(ctx, 16, IntegerType::Unsigned); // uint16_t bits
  if (isa<Float8E4M3FNType, Float8E5M2Type>(element))        // uint8_t bits; only
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);  // bitcasts read them
  if (element.isInteger(1))
    return IntegerType::get(ctx, 8, IntegerType::Unsigned); // uint8_t 0 / 1
  return element;
}

static Type pointerType(MemRefType type) {
  return emitc::PointerType::get(storageType(type.getElementType()));
}

static Value i64Const(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

static Value call(OpBuilder &b, Location loc, Type result, StringRef callee, ValueRange operands,
                  ArrayAttr templateArgs = {}) {
  TypeRange results = result ? TypeRange(result) : TypeRange();
  auto op = emitc::CallOpaqueOp::create(b, loc, results, callee, operands,
                                        /*args=*/ArrayAttr(), templateArgs);
  return result ? op.getResult(0) : Value();
}

struct PrepareEmitCPass : vibee::impl::PrepareEmitCPassBase<PrepareEmitCPass> {
  void runOnOperation() override {
    for (auto func : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>()))
      if (failed(prepare(func)))
        return signalPassFailure();
  }

  // Sizes (i64) of every memref value: function arguments and allocs.
  DenseMap<Value, SmallVector<Value>> sizes;

  LogicalResult prepare(func::FuncOp func) {
    sizes.clear();
    // 1. Symbolic dims as trailing i64 arguments; sizes of memrefs; memref.dim.
    if (failed(addDimArguments(func)) || failed(recordAllocSizes(func)) ||
        failed(replaceDimOps(func)))
      return failure();
    // 2. index -> i64, in place (integer min/max first become compare + select).
    vibee::expandIntegerMinMax(func);
    retypeIndices(func);
    // 3. memref ops, comparisons and bool logic -> EmitC.
    if (failed(rewriteMemRefOps(func)))
      return failure();
    vibee::rewriteFloatComparisons(func);
    vibee::rewriteBoolLogic(func);
    vibee::rewriteSignedNoWrapArithmetic(func);
    splitIntToNarrowFloat(func);
    // 4. Scalar ops that convert-to-emitc lacks.
    SmallVector<Operation *> scalarOps;
    func.walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) || !mathCallee(op).empty() ||
          isa<arith::ExtFOp, arith::TruncFOp, arith::ConstantOp, arith::BitcastOp>(op))
        scalarOps.push_back(op);
    });
    for (Operation *op : scalarOps)
      if (failed(rewriteScalarOp(op)))
        return failure();
    // 5. Remaining 16-bit float values are storage; memref arguments are pointers.
    retypeStorage(func);
    // 6. Drop unused arguments; record where the others come from in the ABI.
    return dropUnusedArguments(func);
  }

  /// Step 1: one i64 argument per symbolic dim; the sizes of memref arguments.
  LogicalResult addDimArguments(func::FuncOp func) {
    Block &entry = func.getBody().front();
    OpBuilder b(func.getContext());
    b.setInsertionPointToStart(&entry);
    Location loc = func.getLoc();
    Type i64 = b.getI64Type();
    unsigned numAbiArgs = func.getNumArguments();
    bool hasMemRefArg =
        llvm::any_of(func.getArgumentTypes(), [](Type t) { return isa<MemRefType>(t); });
    if (!hasMemRefArg && !func->hasAttr(vibee::attr::kKernel))
      return success();
    auto dimNames = func->getAttrOfType<ArrayAttr>(vibee::attr::kDimNames);
    auto argDims = func->getAttrOfType<ArrayAttr>(vibee::attr::kArgDims);
    if (!dimNames || !argDims || argDims.size() != func.getNumArguments())
      return func.emitOpError("needs vibee.dim_names and vibee.arg_dims to pass "
                              "memrefs as pointers");
    SmallVector<Value> dims;
    for (size_t d = 0; d < dimNames.size(); ++d)
      dims.push_back(entry.addArgument(i64, loc));
    for (auto [i, arg] : llvm::enumerate(entry.getArguments().take_front(numAbiArgs))) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      SmallVector<Value> argSizes;
      for (auto [axis, dim] : llvm::enumerate(cast<ArrayAttr>(argDims[i]))) {
        int64_t d = cast<IntegerAttr>(dim).getInt();
        argSizes.push_back(
            vibee::argDimValue(b, loc, func, d, dims, d < 0 ? type.getDimSize(axis) : 0));
      }
      sizes[arg] = argSizes;
    }
    return success();
  }

  /// Step 1: allocs' sizes from their operands (still index here).
  LogicalResult recordAllocSizes(func::FuncOp func) {
    Type i64 = IntegerType::get(func.getContext(), 64);
    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        OpBuilder ab(alloc);
        SmallVector<Value> allocSizes;
        unsigned dynamic = 0;
        for (int64_t size : alloc.getType().getShape())
          allocSizes.push_back(ShapedType::isDynamic(size)
                                   ? arith::IndexCastOp::create(ab, alloc.getLoc(), i64,
                                                                alloc.getDynamicSizes()[dynamic++])
                                         .getResult()
                                   : i64Const(ab, alloc.getLoc(), size));
        sizes[alloc.getResult()] = allocSizes;
        if (!alloc.getType().getLayout().isIdentity())
          return alloc.emitOpError("non-identity layout in C++ emission");
        return WalkResult::advance();
      }
      if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
        // Small local arrays (vibee-cpp-split-reductions' lanes): static only.
        if (!alloca.getType().hasStaticShape() || !alloca.getType().getLayout().isIdentity())
          return alloca.emitOpError("dynamic or non-identity alloca in C++ emission");
        OpBuilder ab(alloca);
        SmallVector<Value> allocaSizes;
        for (int64_t size : alloca.getType().getShape())
          allocaSizes.push_back(i64Const(ab, alloca.getLoc(), size));
        sizes[alloca.getResult()] = allocaSizes;
        return WalkResult::advance();
      }
      for (Value result : op->getResults())
        if (isa<MemRefType>(result.getType()))
          return op->emitOpError("is not supported by C++ emission (memrefs must come "
                                 "from arguments, memref.alloc or memref.alloca)");
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

  /// Step 1: memref.dim -> the recorded size.
  LogicalResult replaceDimOps(func::FuncOp func) {
    OpBuilder b(func.getContext());
    SmallVector<memref::DimOp> dimOps;
    func.walk([&](memref::DimOp op) { dimOps.push_back(op); });
    for (memref::DimOp op : dimOps) {
      std::optional<int64_t> axis = op.getConstantIndex();
      auto it = sizes.find(op.getSource());
      if (!axis || it == sizes.end())
        return op.emitOpError("with a non-constant axis or unknown memref");
      OpBuilder db(op);
      op.replaceAllUsesWith(
          arith::IndexCastOp::create(db, op.getLoc(), b.getIndexType(), it->second[*axis])
              .getResult());
      op.erase();
    }
    return success();
  }

  /// Step 2: index -> i64 in place; index casts that became no-ops disappear.
  void retypeIndices(func::FuncOp func) {
    Type i64 = IntegerType::get(func.getContext(), 64);
    auto retype = [&](Value v) {
      if (v.getType().isIndex())
        v.setType(i64);
    };
    func.walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            retype(arg);
      for (Value result : op->getResults())
        retype(result);
      if (auto cst = dyn_cast<arith::ConstantOp>(op))
        if (auto attr = dyn_cast<IntegerAttr>(cst.getValue()); attr && attr.getType().isIndex())
          cst.setValueAttr(IntegerAttr::get(i64, attr.getInt()));
    });
    SmallVector<Operation *> casts;
    func.walk([&](Operation *op) {
      if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(op) &&
          op->getOperand(0).getType() == op->getResult(0).getType())
        casts.push_back(op);
    });
    // iN -> index (a gather's i32 or i8 element) is now iN -> i64: a sign extension,
    // or a zero extension from an unsigned element (index_castui).
    SmallVector<Operation *> widen;
    func.walk([&](Operation *op) {
      if (isa<arith::IndexCastOp, arith::IndexCastUIOp>(op) && op->getResult(0).getType() == i64 &&
          op->getOperand(0).getType().getIntOrFloatBitWidth() < 64)
        widen.push_back(op);
    });
    for (Operation *op : widen) {
      OpBuilder wb(op);
      Value in = op->getOperand(0);
      Value wide = isa<arith::IndexCastUIOp>(op)
                       ? (Value)arith::ExtUIOp::create(wb, op->getLoc(), i64, in)
                       : (Value)arith::ExtSIOp::create(wb, op->getLoc(), i64, in);
      op->getResult(0).replaceAllUsesWith(wide);
      op->erase();
    }
    for (Operation *op : casts) {
      Value from = op->getResult(0), to = op->getOperand(0);
      for (auto &entry : sizes)
        llvm::replace(entry.second, from, to);
      from.replaceAllUsesWith(to);
      op->erase();
    }
  }

  /// Step 3: memref ops -> EmitC pointers and subscripts.
  LogicalResult rewriteMemRefOps(func::FuncOp func) {
    SmallVector<Operation *> memOps;
    func.walk([&](Operation *op) {
      if (op->getDialect() && op->getDialect()->getNamespace() == "memref")
        memOps.push_back(op);
    });
    // Allocs last: the other ops read the element type off their memref operand.
    std::stable_partition(memOps.begin(), memOps.end(), [](Operation *op) {
      return !isa<memref::AllocOp, memref::AllocaOp>(op);
    });
    for (Operation *op : memOps)
      if (failed(rewriteMemRefOp(op)))
        return failure();
    return success();
  }

  /// Integer -> bf16/f16 casts, which arith-emulate-unsupported-floats leaves
  /// alone, as integer -> f32 -> 16 bits: step 4 turns the truncf into a call of
  /// the conversion helper. The same two roundings as the CPU backend's, where
  /// LLVM promotes the cast through f32 (integers in f16's range are exact in
  /// f32, so only bf16 of integers beyond 2^24 rounds twice, on both sides).
  static void splitIntToNarrowFloat(func::FuncOp func) {
    SmallVector<Operation *> casts;
    func.walk([&](Operation *op) {
      Type to = op->getNumResults() == 1 ? op->getResult(0).getType() : Type();
      if (isa<arith::SIToFPOp, arith::UIToFPOp>(op) && (to.isBF16() || to.isF16()))
        casts.push_back(op);
    });
    for (Operation *op : casts) {
      OpBuilder cb(op);
      Location loc = op->getLoc();
      Value in = op->getOperand(0);
      Value f = isa<arith::SIToFPOp>(op)
                    ? arith::SIToFPOp::create(cb, loc, cb.getF32Type(), in).getResult()
                    : arith::UIToFPOp::create(cb, loc, cb.getF32Type(), in).getResult();
      Value narrow = arith::TruncFOp::create(cb, loc, op->getResult(0).getType(), f);
      op->getResult(0).replaceAllUsesWith(narrow);
      op->erase();
    }
  }

  /// Step 5: 16-bit floats and bools as their storage types, memrefs as pointers;
  /// scalar bool arguments (uint8_t) compared once at the top.
  static void retypeStorage(func::FuncOp func) {
    Block &entry = func.getBody().front();
    OpBuilder b(func.getContext());
    MLIRContext *ctx = func.getContext();
    Location loc = func.getLoc();
    func.walk([&](Operation *op) {
      for (Value result : op->getResults()) // 16-bit floats, FP8 (a select of table bits)
        if (storageType(result.getType()) != result.getType() && !result.getType().isInteger(1))
          result.setType(storageType(result.getType()));
    });
    for (BlockArgument arg : entry.getArguments()) {
      if (auto type = dyn_cast<MemRefType>(arg.getType()))
        arg.setType(pointerType(type));
      else if (arg.getType().isBF16() || arg.getType().isF16() || arg.getType().isInteger(1))
        arg.setType(storageType(arg.getType()));
    }
    b.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      if (arg.getType() != IntegerType::get(ctx, 8, IntegerType::Unsigned))
        continue;
      Value flag = emitc::CastOp::create(b, loc, b.getI1Type(), arg);
      arg.replaceAllUsesExcept(flag, flag.getDefiningOp());
    }
  }

  /// Step 6: unused arguments dropped; `vibee.cpp_args` records the ABI position
  /// of each one kept.
  static LogicalResult dropUnusedArguments(func::FuncOp func) {
    Block &entry = func.getBody().front();
    OpBuilder b(func.getContext());
    MLIRContext *ctx = func.getContext();
    SmallVector<Attribute> kept;
    llvm::BitVector unused(entry.getNumArguments());
    for (BlockArgument arg : entry.getArguments()) {
      if (arg.use_empty())
        unused.set(arg.getArgNumber());
      else
        kept.push_back(b.getI64IntegerAttr(arg.getArgNumber()));
    }
    func.setType(FunctionType::get(ctx, entry.getArgumentTypes(), {}));
    func.removeArgAttrsAttr();
    if (failed(func.eraseArguments(unused)))
      return failure();
    func->setAttr(vibee::attr::kCppArgs, b.getArrayAttr(kept));
    return success();
  }

  /// The linear offset of `indices` into a row-major buffer of `dims`.
  static Value linearize(OpBuilder &b, Location loc, ValueRange indices, ArrayRef<Value> dims) {
    if (indices.empty())
      return i64Const(b, loc, 0);
    // Plain signed C arithmetic (`i * C + j`): offsets stay far from overflow,
    // and arith's wrapping ops would print as casts to uint64_t and back.
    Type i64 = b.getI64Type();
    Value offset = indices[0];
    for (size_t axis = 1; axis < indices.size(); ++axis) {
      offset = emitc::MulOp::create(b, loc, i64, offset, dims[axis]);
      offset = emitc::AddOp::create(b, loc, i64, offset, indices[axis]);
    }
    return offset;
  }

  Value numElements(OpBuilder &b, Location loc, ArrayRef<Value> dims) {
    if (dims.empty())
      return i64Const(b, loc, 1);
    Value n = dims[0];
    for (Value d : dims.drop_front())
      n = emitc::MulOp::create(b, loc, b.getI64Type(), n, d);
    return n;
  }

  LogicalResult rewriteMemRefOp(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto sizesOf = [&](Value memref) { return sizes.lookup(memref); };
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      Type element = load.getMemRefType().getElementType();
      Type storage = storageType(element);
      Value offset = linearize(b, loc, load.getIndices(), sizesOf(load.getMemRef()));
      auto lvalue = emitc::SubscriptOp::create(b, loc, emitc::LValueType::get(storage),
                                               load.getMemRef(), ValueRange{offset});
      Value value = emitc::LoadOp::create(b, loc, storage, lvalue);
      if (element.isF16())
        value.getDefiningOp()->setAttr(vibee::attr::kF16, b.getUnitAttr());
      if (element.isInteger(1))
        value = emitc::CastOp::create(b, loc, element, value);
      load.getResult().replaceAllUsesWith(value);
      // The users see the storage type now (16-bit floats): step 4 converts them.
      load.erase();
      return success();
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      Type element = store.getMemRefType().getElementType();
      Type storage = storageType(element);
      Value offset = linearize(b, loc, store.getIndices(), sizesOf(store.getMemRef()));
      auto lvalue = emitc::SubscriptOp::create(b, loc, emitc::LValueType::get(storage),
                                               store.getMemRef(), ValueRange{offset});
      Value value = store.getValueToStore();
      if (element.isInteger(1))
        value = emitc::CastOp::create(b, loc, storage, value);
      emitc::AssignOp::create(b, loc, lvalue, value);
      store.erase();
      return success();
    }
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      Type ptr = pointerType(alloc.getType());
      Value n = numElements(b, loc, sizesOf(alloc.getResult()));
      auto templateArgs =
          b.getArrayAttr({TypeAttr::get(storageType(alloc.getType().getElementType()))});
      Value p = call(b, loc, ptr, "alloc", n, templateArgs);
      SmallVector<Value> allocSizes = sizes.lookup(alloc.getResult());
      sizes[p] = allocSizes; // (not sizes[p] = sizes[...]: the map may grow)
      alloc.getResult().replaceAllUsesWith(p);
      alloc.erase();
      return success();
    }
    if (auto alloca = dyn_cast<memref::AllocaOp>(op)) { // `float v[16];`
      MemRefType type = alloca.getType();
      auto array =
          emitc::ArrayType::get({type.getNumElements()}, storageType(type.getElementType()));
      Value local =
          emitc::VariableOp::create(b, loc, array, emitc::OpaqueAttr::get(b.getContext(), ""));
      SmallVector<Value> allocaSizes = sizes.lookup(alloca.getResult());
      sizes[local] = allocaSizes;
      alloca.getResult().replaceAllUsesWith(local);
      alloca.erase();
      return success();
    }
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      call(b, loc, Type(), "release", dealloc.getMemref());
      dealloc.erase();
      return success();
    }
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      Value n = numElements(b, loc, sizesOf(copy.getSource()));
      call(b, loc, Type(), "copy", ValueRange{copy.getTarget(), copy.getSource(), n});
      copy.erase();
      return success();
    }
    return op->emitOpError("is not supported by C++ emission");
  }

  LogicalResult rewriteScalarOp(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    MLIRContext *ctx = op->getContext();
    auto is16 = [](Type t) { return t.isBF16() || t.isF16(); };
    if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      auto attr = dyn_cast<FloatAttr>(cst.getValue());
      // FP8 constants too: canonicalization folds the bitcast of their bits back.
      if (!attr || storageType(attr.getType()) == attr.getType())
        return success();
      uint64_t bits = attr.getValue().bitcastToAPInt().getZExtValue();
      Type storage = storageType(attr.getType());
      Value v = emitc::ConstantOp::create(b, loc, storage, IntegerAttr::get(storage, bits));
      if (attr.getType().isF16())
        v.getDefiningOp()->setAttr(vibee::attr::kF16, b.getUnitAttr());
      cst.getResult().replaceAllUsesWith(v);
      cst.erase();
      return success();
    }
    if (auto ext = dyn_cast<arith::ExtFOp>(op)) {
      Type from = ext.getIn().getType();
      if (!is16(from) && !from.isUnsignedInteger(16))
        return success();
      // After step 3 the operand may already be a uint16_t load: the original
      // element type is the op's, recorded in its operand's former type.
      bool bf16 = from.isBF16() || (from.isUnsignedInteger(16) && isBF16Source(ext));
      Value f = call(b, loc, b.getF32Type(), bf16 ? "bf16_to_float" : "f16_to_float", ext.getIn());
      if (!ext.getType().isF32())
        f = emitc::CastOp::create(b, loc, ext.getType(), f);
      ext.getResult().replaceAllUsesWith(f);
      ext.erase();
      return success();
    }
    if (auto trunc = dyn_cast<arith::TruncFOp>(op)) {
      Type to = trunc.getType();
      if (!is16(to))
        return success();
      Value in = trunc.getIn();
      if (!in.getType().isF32())
        in = emitc::CastOp::create(b, loc, b.getF32Type(), in);
      Value bits =
          call(b, loc, storageType(to), to.isBF16() ? "float_to_bf16" : "float_to_f16", in);
      trunc.getResult().replaceAllUsesWith(bits);
      trunc.erase();
      return success();
    }
    if (auto cast = dyn_cast<arith::BitcastOp>(op)) { // the same bits as another type
      // FP8 <-> i8 (vibee-expand-f8-conversions) is a cast of its uint8_t storage.
      Type to = storageType(cast.getType()), from = storageType(cast.getIn().getType());
      auto types = b.getArrayAttr({TypeAttr::get(to), TypeAttr::get(from)});
      cast.getResult().replaceAllUsesWith(call(b, loc, to, "bit_cast", cast.getIn(), types));
      cast.erase();
      return success();
    }
    StringRef callee = mathCallee(op);
    if (callee.empty() || op->getNumResults() != 1 ||
        !llvm::all_of(op->getOperandTypes(), [](Type t) { return isa<FloatType>(t); }))
      return op->emitOpError("is not supported by C++ emission");
    (void)ctx;
    Value v = call(b, loc, op->getResult(0).getType(), callee, op->getOperands());
    op->getResult(0).replaceAllUsesWith(v);
    op->erase();
    return success();
  }

  // Whether the uint16_t operand of an extf was bf16 (not f16) before step 3:
  // loads and constants of f16 carry `vibee.f16`.
  static bool isBF16Source(arith::ExtFOp ext) {
    Operation *def = ext.getIn().getDefiningOp();
    return !def || !def->hasAttr(vibee::attr::kF16);
  }
};

} // namespace
