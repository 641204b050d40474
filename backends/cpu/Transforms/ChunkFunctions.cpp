//===- ChunkFunctions.cpp - one copy of a threaded loop body ---------------===//
#include "backends/cpu/Transforms/ChunkFunctions.h"
#include "ir/VibeeDialect.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

/// A buffer that overlaps no other distinct root: a kernel argument (the C ABI,
/// docs/abi.md: distinct tensors do not overlap) or an allocation.
static bool isDistinctBuffer(Value root, func::FuncOp parent) {
  if (auto arg = dyn_cast<BlockArgument>(root))
    return parent->hasAttr(vibee::attr::kKernel) && arg.getOwner() == &parent.getBody().front();
  return isa_and_present<memref::AllocOp, memref::AllocaOp>(root.getDefiningOp());
}

/// Ops whose results the chunk function recomputes rather than takes as arguments:
/// constants, views, dims and index arithmetic (no memory effects, no regions).
/// The callee then sees what the caller knew (constants, `n - n % 32` < 32 for an
/// edge strip), which LLVM cannot see through the noinline call.
static bool isRecomputable(Operation *op) {
  return op->getNumRegions() == 0 && op->getNumResults() > 0 && isMemoryEffectFree(op);
}

vibee::ChunkFunction
vibee::createChunkFunction(OpBuilder &b, func::FuncOp parent, ArrayRef<Value> captured,
                           function_ref<void(OpBuilder &, Value, Value, const IRMapping &)> build,
                           ArrayRef<Operation *> privatized, SymbolTable *symbols) {
  ChunkFunction chunk;
  // Walk the captured values back to what must be passed: block arguments and
  // results of ops with effects (allocations, runtime calls); the rest is cloned.
  llvm::SetVector<Operation *> recomputed;
  llvm::SetVector<Value> arguments;
  SmallVector<Value> worklist(captured.rbegin(), captured.rend());
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || (!isRecomputable(def) && !llvm::is_contained(privatized, def))) {
      arguments.insert(v);
      continue;
    }
    if (recomputed.insert(def))
      for (Value operand : llvm::reverse(def->getOperands()))
        worklist.push_back(operand);
  }
  chunk.captured.assign(arguments.begin(), arguments.end());
  SmallVector<Type> argTypes(2, b.getIndexType());
  for (Value v : chunk.captured)
    argTypes.push_back(v.getType());

  auto module = parent->getParentOfType<ModuleOp>();
  std::string name;
  for (unsigned n = 0;; ++n) {
    name = (parent.getSymName() + "__chunk" + Twine(n)).str();
    if (!(symbols ? symbols->lookup(name) : module.lookupSymbol(name)))
      break;
  }
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(parent);
  Location loc = parent.getLoc();
  auto func = func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  if (symbols)
    symbols->insert(func); // already in the module: only recorded (name kept)
  func.setPrivate();
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(b.getContext(), LLVM::Linkage::Internal));
  // LLVM would inline it into both branches again (func-to-llvm passes this
  // attribute on to the llvm.func).
  func->setAttr("passthrough", b.getStrArrayAttr({"noinline"}));
  chunk.func = func;

  // Memref arguments that are views of distinct buffers do not alias (as the
  // kernel's own arguments, vibee-cpu-prepare-vectorization): no runtime alias
  // checks.
  llvm::DenseMap<Value, unsigned> rootUses;
  for (Value v : chunk.captured)
    if (auto buffer = dyn_cast<MemrefValue>(v))
      ++rootUses[memref::skipViewLikeOps(buffer)];
  for (auto [i, v] : llvm::enumerate(chunk.captured)) {
    auto buffer = dyn_cast<MemrefValue>(v);
    if (!buffer)
      continue;
    Value root = memref::skipViewLikeOps(buffer);
    if (rootUses[root] == 1 && isDistinctBuffer(root, parent))
      func.setArgAttr(2 + i, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  }

  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [v, arg] : llvm::zip(chunk.captured, entry->getArguments().drop_front(2)))
    mapping.map(v, arg);
  for (Operation *op : mlir::topologicalSort(recomputed))
    b.clone(*op, mapping);
  build(b, entry->getArgument(0), entry->getArgument(1), mapping);
  for (Operation *alloc : privatized)
    if (recomputed.contains(alloc))
      memref::DeallocOp::create(b, loc, mapping.lookup(alloc->getResult(0)));
  func::ReturnOp::create(b, loc);
  return chunk;
}

SmallVector<Value> vibee::capturedValues(ArrayRef<Operation *> ops) {
  llvm::SetVector<Value> values;
  for (Operation *op : ops) {
    values.insert(op->operand_begin(), op->operand_end());
    getUsedValuesDefinedAbove(op->getRegions(), values);
  }
  SmallVector<Value> outside;
  for (Value v : values)
    if (!llvm::is_contained(ops, v.getDefiningOp()))
      outside.push_back(v);
  return outside;
}

vibee::ChunkFunction vibee::createLoopChunkFunction(OpBuilder &b, linalg::LinalgOp op,
                                                    unsigned loop, Operation **tiled,
                                                    SymbolTable *symbols) {
  auto parent = op->getParentOfType<func::FuncOp>();
  return createChunkFunction(
      b, parent, capturedValues({op.getOperation()}),
      [&](OpBuilder &b, Value lo, Value hi, const IRMapping &mapping) {
        IRMapping map = mapping;
        auto clone = cast<TilingInterface>(b.clone(*op, map));
        Location loc = op.getLoc();
        SmallVector<OpFoldResult> offsets, sizes;
        for (auto [i, range] : llvm::enumerate(clone.getIterationDomain(b))) {
          offsets.push_back(i == loop ? OpFoldResult(lo) : range.offset);
          sizes.push_back(i == loop ? OpFoldResult(arith::SubIOp::create(b, loc, hi, lo))
                                    : range.size);
        }
        // Linalg ops on buffers always tile (subviews of every operand).
        FailureOr<TilingResult> result = clone.getTiledImplementation(b, offsets, sizes);
        assert(succeeded(result) && "linalg ops on buffers tile");
        if (tiled)
          *tiled = result->tiledOps.back();
        clone->erase();
      },
      /*privatized=*/{}, symbols);
}

void vibee::callChunk(OpBuilder &b, Location loc, const ChunkFunction &chunk, Value lo, Value hi) {
  SmallVector<Value> args = {lo, hi};
  llvm::append_range(args, chunk.captured);
  func::CallOp::create(b, loc, chunk.func, args);
}
