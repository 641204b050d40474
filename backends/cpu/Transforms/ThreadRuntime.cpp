//===- ThreadRuntime.cpp - threaded calls of a chunk function --------------===//
#include "backends/cpu/Transforms/ThreadRuntime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace {
constexpr const char *kEnter = "vibee_cpu_parallel_enter";
constexpr const char *kEnterMax = "vibee_cpu_parallel_enter_max"; // threads(n) hint
constexpr const char *kExit = "vibee_cpu_parallel_exit";
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

/// nt = the runtime is linked ? vibee_cpu_parallel_enter(work) : 1 (i64), or
/// vibee_cpu_parallel_enter_max(work, max) under a threads(max) schedule hint.
static Value emitEnter(OpBuilder &b, Location loc, ModuleOp module, Value work,
                       std::optional<int64_t> maxThreads) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  LLVM::LLVMFuncOp enter = maxThreads ? declareWeak(module, kEnterMax, i64, {i64, i64})
                                      : declareWeak(module, kEnter, i64, {i64});
  Value fp = LLVM::AddressOfOp::create(b, loc, ptrTy, enter.getSymName());
  Value null = LLVM::ZeroOp::create(b, loc, ptrTy);
  Value linked = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, fp, null);
  SmallVector<Value, 2> args = {arith::IndexCastOp::create(b, loc, i64, work)};
  if (maxThreads)
    args.push_back(arith::ConstantIntOp::create(b, loc, i64, *maxThreads));
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{i64}, linked, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value nt = LLVM::CallOp::create(b, loc, enter, args).getResult();
    scf::YieldOp::create(b, loc, nt);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, Value(arith::ConstantIntOp::create(b, loc, i64, 1)));
  }
  return ifOp.getResult(0);
}

static void emitExit(OpBuilder &b, Location loc, ModuleOp module, Value nt) {
  LLVM::LLVMFuncOp exit =
      declareWeak(module, kExit, LLVM::LLVMVoidType::get(b.getContext()), {b.getI64Type()});
  LLVM::CallOp::create(b, loc, exit, ValueRange{nt});
}

/// Whether `extent` equal items split over `nt` threads give each a share
/// within 25 % of the others: 5 * extent >= 4 * nt * ceil(extent / nt).
static Value emitBalanced(OpBuilder &b, Location loc, Value extent, Value nt) {
  Type i64 = b.getI64Type();
  Value items = arith::IndexCastOp::create(b, loc, i64, extent);
  auto c = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i64, v); };
  Value share = arith::CeilDivUIOp::create(b, loc, items, nt);
  Value busiest = arith::MulIOp::create(b, loc, c(4), arith::MulIOp::create(b, loc, nt, share));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                               arith::MulIOp::create(b, loc, c(5), items), busiest);
}

/// scf.if (nt > 1) { parallel } else { serial }, both built by the callbacks.
/// Under ThreadAdmission::Balanced a grant that splits `extent` unevenly is
/// handed back before the serial branch runs.
static void emitParallelOrSerial(OpBuilder &b, Location loc, ModuleOp module, Value work,
                                 std::optional<int64_t> maxThreads, Value extent,
                                 vibee::ThreadAdmission admission,
                                 function_ref<void(OpBuilder &, Value nt)> parallel,
                                 function_ref<void(OpBuilder &)> serial) {
  Value nt = emitEnter(b, loc, module, work, maxThreads);
  Value one = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 1);
  Value many = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, nt, one);
  if (admission == vibee::ThreadAdmission::Balanced) {
    Value balanced = emitBalanced(b, loc, extent, nt);
    Value yes = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
    Value uneven = arith::XOrIOp::create(b, loc, balanced, yes);
    Value refused = arith::AndIOp::create(b, loc, many, uneven);
    auto handBack = scf::IfOp::create(b, loc, refused, /*withElse=*/false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(handBack.thenBlock()->getTerminator());
      emitExit(b, loc, module, nt);
    }
    many = arith::AndIOp::create(b, loc, many, balanced);
  }
  auto ifOp = scf::IfOp::create(b, loc, many, /*withElse=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  parallel(b, arith::IndexCastOp::create(b, loc, b.getIndexType(), nt));
  emitExit(b, loc, module, nt);
  b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  serial(b);
}

/// forall over the chunks of [0, extent) (`chunk` each, the last one shorter):
/// calls `body(lo, hi)` inside it.
static void emitChunks(OpBuilder &b, Location loc, Value extent, int64_t chunk,
                       function_ref<void(OpBuilder &, Value lo, Value hi)> body) {
  Value size = arith::ConstantIndexOp::create(b, loc, chunk);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value count = arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, extent, arith::SubIOp::create(b, loc, size, one)),
      size);
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{OpFoldResult(count)},
                                      ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value lo = arith::MulIOp::create(b, loc, forall.getInductionVar(0), size);
  Value hi = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, lo, size), extent);
  body(b, lo, hi);
}

/// forall over `nt` threads, thread t on [t * extent / nt, (t + 1) * extent / nt):
/// calls `body(lo, hi)` inside it.
static void emitThreadRanges(OpBuilder &b, Location loc, Value extent, Value nt,
                             function_ref<void(OpBuilder &, Value lo, Value hi)> body) {
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{OpFoldResult(nt)},
                                      ValueRange{}, std::nullopt);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value t = forall.getInductionVar(0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value lo = arith::DivUIOp::create(b, loc, arith::MulIOp::create(b, loc, t, extent), nt);
  Value hi = arith::DivUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, arith::AddIOp::create(b, loc, t, one), extent), nt);
  body(b, lo, hi);
}

/// A private, internal, noinline function named after `base` with a free suffix.
static func::FuncOp createHelperFunction(OpBuilder &b, func::FuncOp after, StringRef base,
                                         FunctionType type, SymbolTable *symbols) {
  auto module = after->getParentOfType<ModuleOp>();
  std::string name;
  for (unsigned n = 0;; ++n) {
    name = (base + "_threads" + (n ? Twine(n) : Twine())).str();
    if (!(symbols ? symbols->lookup(name) : module.lookupSymbol(name)))
      break;
  }
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(after);
  auto func = func::FuncOp::create(b, after.getLoc(), name, type);
  if (symbols)
    symbols->insert(func); // already in the module: only recorded (name kept)
  func.setPrivate();
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(b.getContext(), LLVM::Linkage::Internal));
  func->setAttr("passthrough", b.getStrArrayAttr({"noinline"}));
  return func;
}

void vibee::emitChunkCalls(OpBuilder &b, Location loc, Value work,
                           std::optional<int64_t> maxThreads, const ChunkFunction &chunk,
                           Value extent, std::optional<int64_t> chunkSize, SymbolTable *symbols,
                           ThreadAdmission admission) {
  // The dispatch (thread admission, the forall that becomes an OpenMP region,
  // the serial call) lives in a function of its own beside the chunk function,
  // `@<chunk>_threads(work, extent, captured...)`: translating an OpenMP region
  // scans its whole parent function (OpenMPIRBuilder's outlining), which over a
  // kernel of N threaded ops was O(N^2) (docs/performance.md, "Compile time").
  func::FuncOp chunkFunc = chunk.func;
  SmallVector<Type> types = {b.getIndexType(), b.getIndexType()};
  for (Value v : chunk.captured)
    types.push_back(v.getType());
  func::FuncOp dispatch = createHelperFunction(b, chunkFunc, chunkFunc.getSymName(),
                                               b.getFunctionType(types, {}), symbols);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = dispatch.addEntryBlock();
    b.setInsertionPointToStart(entry);
    ChunkFunction inner{chunk.func, SmallVector<Value>(entry->getArguments().drop_front(2))};
    Value innerExtent = entry->getArgument(1);
    auto call = [&](OpBuilder &b, Value lo, Value hi) { callChunk(b, loc, inner, lo, hi); };
    auto module = chunkFunc->getParentOfType<ModuleOp>();
    emitParallelOrSerial(
        b, loc, module, entry->getArgument(0), maxThreads, innerExtent, admission,
        [&](OpBuilder &b, Value nt) {
          if (chunkSize)
            emitChunks(b, loc, innerExtent, *chunkSize, call);
          else
            emitThreadRanges(b, loc, innerExtent, nt, call);
        },
        [&](OpBuilder &b) { call(b, arith::ConstantIndexOp::create(b, loc, 0), innerExtent); });
    func::ReturnOp::create(b, loc);
  }
  SmallVector<Value> args = {work, extent};
  llvm::append_range(args, chunk.captured);
  func::CallOp::create(b, loc, dispatch, args);
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
