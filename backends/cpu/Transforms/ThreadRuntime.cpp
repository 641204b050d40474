//===- ThreadRuntime.cpp - threaded calls of a chunk function --------------===//
#include "backends/cpu/Transforms/ThreadRuntime.h"
#include "ir/VibeeDialect.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

using namespace mlir;

namespace {
constexpr const char *kParallelFor = "vibee_cpu_parallel_for";
constexpr const char *kDispatch = "vibee_parallel_for_or_serial";
} // namespace

static LLVM::LLVMFuncOp declareWeak(ModuleOp module, StringRef name, Type result,
                                    ArrayRef<Type> args) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  auto f =
      LLVM::LLVMFuncOp::create(b, module.getLoc(), name, LLVM::LLVMFunctionType::get(result, args));
  f.setLinkage(LLVM::Linkage::ExternWeak);
  return f;
}

/// The context record of `chunk`: one field per captured value, each the LLVM
/// type the value will have after the conversion to the LLVM dialect (a memref's
/// descriptor, index as i64).
static LLVM::LLVMStructType contextType(func::FuncOp chunk) {
  LLVMTypeConverter converter(chunk.getContext());
  SmallVector<Type> fields;
  for (Type t : chunk.getArgumentTypes().drop_front(2))
    fields.push_back(converter.convertType(t));
  return LLVM::LLVMStructType::getLiteral(chunk.getContext(), fields);
}

/// `v` as a value of `type`: itself, or a cast that the conversions to LLVM
/// resolve (reconcile-unrealized-casts).
static Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return UnrealizedConversionCastOp::create(b, loc, type, v).getResult(0);
}

/// `@<chunk>_entry(lo, hi, context)`: loads the captured values from the context
/// record and calls the chunk function, which keeps its typed, noalias
/// arguments. The runtime calls it through a pointer: `void (*)(i64, i64, void *)`.
static func::FuncOp getOrCreateEntry(OpBuilder &b, func::FuncOp chunk,
                                     LLVM::LLVMStructType record, SymbolTable *symbols) {
  std::string name = (chunk.getSymName() + "_entry").str();
  auto module = chunk->getParentOfType<ModuleOp>();
  if (auto existing = symbols ? symbols->lookup<func::FuncOp>(name)
                              : module.lookupSymbol<func::FuncOp>(name))
    return existing;
  MLIRContext *ctx = b.getContext();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(chunk);
  Location loc = chunk.getLoc();
  auto entry = func::FuncOp::create(
      b, loc, name, b.getFunctionType({b.getIndexType(), b.getIndexType(), ptrTy}, {}));
  if (symbols)
    symbols->insert(entry); // a fresh name: `_entry` is no other helper's suffix
  entry.setPrivate();
  entry->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  Block *body = entry.addEntryBlock();
  b.setInsertionPointToStart(body);
  SmallVector<Value> args = {body->getArgument(0), body->getArgument(1)};
  for (auto [i, type] : llvm::enumerate(chunk.getArgumentTypes().drop_front(2))) {
    Value field = LLVM::GEPOp::create(b, loc, ptrTy, record, body->getArgument(2),
                                      ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    Value loaded = LLVM::LoadOp::create(b, loc, record.getBody()[i], field);
    args.push_back(castTo(b, loc, loaded, type));
  }
  func::CallOp::create(b, loc, chunk, args);
  func::ReturnOp::create(b, loc);
  return entry;
}

/// The stack slot that holds the context records of the threaded calls in
/// `caller`: one per function, at the top of its entry block, as large as its
/// largest record (a record lives only during its call). One slot per call site
/// gave a kernel of thousands of threaded ops as many stack objects.
static LLVM::AllocaOp contextSlot(OpBuilder &b, Location loc, func::FuncOp caller,
                                  uint64_t bytes) {
  Block &entry = caller.getBody().front();
  LLVM::AllocaOp slot;
  // The slot sits among the constants at the top of the block (canonicalize
  // hoists those there): the scan stops at the first other op.
  for (Operation &op : entry) {
    if (auto alloca = dyn_cast<LLVM::AllocaOp>(op); alloca && alloca->hasAttr(vibee::attr::kThreadContext)) {
      slot = alloca;
      break;
    }
    if (!isa<LLVM::AllocaOp>(op) && !op.hasTrait<OpTrait::ConstantLike>())
      break;
  }
  uint64_t words = llvm::divideCeil(bytes, 8);
  if (slot && cast<LLVM::LLVMArrayType>(slot.getElemType()).getNumElements() >= words)
    return slot;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&entry);
  Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(1));
  auto grown = LLVM::AllocaOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                      LLVM::LLVMArrayType::get(b.getI64Type(), words), one,
                                      /*alignment=*/64);
  grown->setAttr(vibee::attr::kThreadContext, b.getUnitAttr());
  if (slot) {
    slot.getResult().replaceAllUsesWith(grown.getResult());
    slot.erase();
  }
  return grown;
}

/// Stores `chunk`'s captured values into the context slot of the function that
/// `b` builds in; returns the slot.
static Value packContext(OpBuilder &b, Location loc, const vibee::ChunkFunction &chunk,
                         LLVM::LLVMStructType record) {
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  auto caller = b.getInsertionBlock()->getParent()->getParentOfType<func::FuncOp>();
  uint64_t bytes = DataLayout::closest(caller).getTypeSize(record);
  Value slot = contextSlot(b, loc, caller, bytes);
  for (auto [i, v] : llvm::enumerate(chunk.captured)) {
    Value field = LLVM::GEPOp::create(b, loc, ptrTy, record, slot,
                                      ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, castTo(b, loc, v, record.getBody()[i]), field);
  }
  return slot;
}

/// `@vibee_parallel_for_or_serial(body, context, work, extent, chunk, max,
/// balanced)`, once per module (internal, noinline): vibee_cpu_parallel_for when
/// the runtime is linked, else body(0, extent, context). The test of the weak
/// symbol lives here, not at each call: LLVM's jump threading over a kernel of
/// thousands of branches on the same condition took most of its O3 time.
static LLVM::LLVMFuncOp getOrCreateDispatch(ModuleOp module) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(kDispatch))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b(module.getBodyRegion());
  Location loc = module.getLoc();
  Type i64 = b.getI64Type();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  auto voidTy = LLVM::LLVMVoidType::get(ctx);
  SmallVector<Type> params = {ptrTy, ptrTy, i64, i64, i64, i64, i64};
  LLVM::LLVMFuncOp runtime = declareWeak(module, kParallelFor, voidTy, params);
  // At the top of the module, where the next lookup (a scan from the top) finds
  // it at once.
  b.setInsertionPointAfter(runtime);
  auto dispatch = LLVM::LLVMFuncOp::create(b, loc, kDispatch,
                                           LLVM::LLVMFunctionType::get(voidTy, params),
                                           LLVM::Linkage::Internal);
  dispatch.setPassthroughAttr(b.getArrayAttr({b.getStringAttr("noinline")}));
  Block *entry = dispatch.addEntryBlock(b);
  Block *threaded = b.createBlock(&dispatch.getBody());
  Block *serial = b.createBlock(&dispatch.getBody());
  b.setInsertionPointToEnd(entry);
  Value fp = LLVM::AddressOfOp::create(b, loc, ptrTy, runtime.getSymName());
  Value null = LLVM::ZeroOp::create(b, loc, ptrTy);
  Value linked = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, fp, null);
  LLVM::CondBrOp::create(b, loc, linked, threaded, serial);
  b.setInsertionPointToEnd(threaded);
  LLVM::CallOp::create(b, loc, runtime, entry->getArguments());
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  b.setInsertionPointToEnd(serial);
  Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
  auto bodyType = LLVM::LLVMFunctionType::get(voidTy, {i64, i64, ptrTy});
  LLVM::CallOp::create(b, loc, bodyType,
                       ValueRange{entry->getArgument(0), zero, entry->getArgument(3),
                                  entry->getArgument(1)});
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return dispatch;
}

void vibee::emitChunkCalls(OpBuilder &b, Location loc, Value work,
                           std::optional<int64_t> maxThreads, const ChunkFunction &chunk,
                           Value extent, std::optional<int64_t> chunkSize, SymbolTable *symbols,
                           ThreadAdmission admission) {
  // One runtime call runs the chunk function on the threads (CpuRuntime.c): the
  // thread admission, the split into ranges and the OpenMP team live there, once,
  // instead of a dispatch function and an outlined OpenMP region per threaded op,
  // which made two thirds of the functions LLVM compiled (docs/performance.md,
  // "Compile time"). Without the runtime (an object linked on its own) the chunk
  // runs once on the whole range.
  Type i64 = b.getI64Type();
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  LLVM::LLVMFuncOp dispatch = getOrCreateDispatch(chunk.func->getParentOfType<ModuleOp>());
  LLVM::LLVMStructType record = contextType(chunk.func);
  func::FuncOp entry = getOrCreateEntry(b, chunk.func, record, symbols);
  Value entryRef = func::ConstantOp::create(b, loc, entry.getFunctionType(), entry.getSymName());
  auto c = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i64, v).getResult(); };
  SmallVector<Value> args = {castTo(b, loc, entryRef, ptrTy),
                             packContext(b, loc, chunk, record),
                             arith::IndexCastOp::create(b, loc, i64, work),
                             arith::IndexCastOp::create(b, loc, i64, extent),
                             c(chunkSize.value_or(0)),
                             c(maxThreads.value_or(0)),
                             c(admission == ThreadAdmission::Balanced)};
  LLVM::CallOp::create(b, loc, dispatch, args);
}

Value vibee::emitIterationCount(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes) {
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (OpFoldResult size : sizes)
    count = arith::MulIOp::create(b, loc, count, getValueOrCreateConstantIndexOp(b, loc, size));
  return count;
}

void vibee::emitLoopOverThreads(RewriterBase &rw, scf::ForOp loop, Value work,
                                std::optional<int64_t> maxThreads, ThreadAdmission admission,
                                SymbolTable *symbols) {
  Location loc = loop.getLoc();
  auto build = [&](OpBuilder &b, Value lo, Value hi, const IRMapping &outside) {
    IRMapping map = outside;
    auto part = scf::ForOp::create(b, loc, lo, hi, outside.lookupOrDefault(loop.getStep()));
    map.map(loop.getInductionVar(), part.getInductionVar());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(part.getBody()->getTerminator());
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
  };
  vibee::ChunkFunction chunk =
      vibee::createChunkFunction(rw, loop->getParentOfType<func::FuncOp>(),
                                 vibee::capturedValues({loop.getOperation()}), build, {}, symbols);
  rw.setInsertionPoint(loop);
  vibee::emitChunkCalls(rw, loc, work, maxThreads, chunk, loop.getUpperBound(), std::nullopt,
                        symbols, admission);
  rw.setInsertionPointAfter(loop);
  rw.eraseOp(loop);
}

void vibee::emitOpOverThreads(RewriterBase &rw, linalg::LinalgOp op, unsigned loop,
                              std::optional<int64_t> maxThreads, std::optional<int64_t> chunkSize,
                              SymbolTable *symbols) {
  Location loc = op.getLoc();
  rw.setInsertionPoint(op);
  SmallVector<OpFoldResult> sizes;
  for (Range r : op.createLoopRanges(rw, loc))
    sizes.push_back(r.size);
  Value work = emitIterationCount(rw, loc, sizes);
  ChunkFunction chunk = createLoopChunkFunction(rw, op, loop, /*tiled=*/nullptr, symbols);
  rw.setInsertionPoint(op);
  emitChunkCalls(rw, loc, work, maxThreads, chunk,
                 getValueOrCreateConstantIndexOp(rw, loc, sizes[loop]), chunkSize, symbols);
  rw.eraseOp(op);
}
