//===- GpuKernelBuilder.cpp - Building blocks of the shaped GPU kernels ---===//
#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace vibee {

Value constantIndex(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

//===----------------------------------------------------------------------===//
// PayloadCloner
//===----------------------------------------------------------------------===//

void PayloadCloner::hoist(OpBuilder &b, ArrayRef<Value> uniformArgs,
                          ArrayRef<Value> uniformIndices) {
  for (auto [i, v] : llvm::enumerate(uniformArgs))
    if (v)
      uniform.map(body().getArgument(i), v);
  for (Operation &o : body().without_terminator()) {
    // linalg.index is per element (payloads with index semantics) unless its
    // loop is uniform here.
    if (auto index = dyn_cast<linalg::IndexOp>(o)) {
      if (index.getDim() < uniformIndices.size() && uniformIndices[index.getDim()]) {
        uniform.map(index.getResult(), uniformIndices[index.getDim()]);
        hoisted.insert(&o);
      }
      continue;
    }
    if (o.getNumRegions() || !isMemoryEffectFree(&o) || o.getNumResults() == 0)
      continue;
    bool invariant = llvm::all_of(o.getOperands(), [&](Value v) {
      if (uniform.contains(v))
        return true;
      if (auto arg = dyn_cast<BlockArgument>(v))
        return arg.getOwner() != &body();
      return v.getDefiningOp()->getBlock() != &body();
    });
    if (!invariant)
      continue;
    b.clone(o, uniform);
    hoisted.insert(&o);
  }
}

bool isOutsideKernels(Operation *op) {
  return op->getParentOfType<func::FuncOp>() && !op->getParentOfType<gpu::LaunchOp>();
}

Value PayloadCloner::lookupHoisted(Value v) {
  if (Value hoistedValue = uniform.lookupOrNull(v))
    return hoistedValue;
  Block *owner = isa<BlockArgument>(v) ? cast<BlockArgument>(v).getOwner()
                                       : v.getDefiningOp()->getBlock();
  return owner == &body() ? Value() : v;
}

DenseSet<Operation *> PayloadCloner::slice(ArrayRef<Value> roots, const DenseSet<Value> &stops) {
  DenseSet<Operation *> ops;
  SmallVector<Value> work(roots);
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (stops.contains(v) || !def || def->getBlock() != &body() || !ops.insert(def).second)
      continue;
    llvm::append_range(work, def->getOperands());
  }
  return ops;
}

void PayloadCloner::cloneOps(OpBuilder &b, IRMapping &mapping, ArrayRef<Value> loopIndices,
                             const DenseSet<Operation *> *ops) {
  for (Operation &o : body().without_terminator()) {
    if (hoisted.contains(&o) || (ops && !ops->contains(&o)))
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(o)) {
      assert(index.getDim() < loopIndices.size() && "linalg.index without loop indices");
      mapping.map(index.getResult(), loopIndices[index.getDim()]);
      continue;
    }
    b.clone(o, mapping);
  }
}

IRMapping PayloadCloner::mappingFor(ArrayRef<Value> args) {
  IRMapping mapping = uniform;
  for (auto [i, v] : llvm::enumerate(args))
    if (v && !uniform.contains(body().getArgument(i)))
      mapping.map(body().getArgument(i), v);
  return mapping;
}

SmallVector<Value> PayloadCloner::apply(OpBuilder &b, ArrayRef<Value> args,
                                        ArrayRef<Value> loopIndices,
                                        ArrayRef<std::pair<Value, Value>> given) {
  IRMapping mapping = mappingFor(args);
  SmallVector<Value> yielded(body().getTerminator()->getOperands());
  if (given.empty()) {
    cloneOps(b, mapping, loopIndices, nullptr);
  } else {
    DenseSet<Value> stops;
    for (auto [value, replacement] : given) {
      mapping.map(value, replacement);
      stops.insert(value);
    }
    DenseSet<Operation *> ops = slice(yielded, stops);
    cloneOps(b, mapping, loopIndices, &ops);
  }
  return llvm::map_to_vector(yielded, [&](Value v) { return mapping.lookupOrDefault(v); });
}

Value PayloadCloner::applyTo(OpBuilder &b, Value target, ArrayRef<Value> args,
                             ArrayRef<Value> loopIndices) {
  IRMapping mapping = mappingFor(args);
  DenseSet<Operation *> ops = slice(target, {});
  cloneOps(b, mapping, loopIndices, &ops);
  return mapping.lookupOrDefault(target);
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

SmallVector<Value> buildForLoop(OpBuilder &b, Location loc, Value lb, Value ub, Value step,
                                ValueRange inits, LoopBodyBuilder body) {
  auto loop = scf::ForOp::create(b, loc, lb, ub, step, inits,
                                 [&](OpBuilder &nb, Location l, Value iv, ValueRange iterArgs) {
                                   scf::YieldOp::create(nb, l, body(nb, iv, iterArgs));
                                 });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> buildIfElse(OpBuilder &b, Location loc, Value cond, BranchBuilder thenBranch,
                               BranchBuilder elseBranch) {
  auto op = scf::IfOp::create(
      b, loc, cond, [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, thenBranch(nb)); },
      [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, elseBranch(nb)); });
  return SmallVector<Value>(op.getResults());
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

Value buildIsMultipleOf(OpBuilder &b, Location loc, Value x, int64_t multiple) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                               arith::RemUIOp::create(b, loc, x, constantIndex(b, loc, multiple)),
                               constantIndex(b, loc, 0));
}

Value buildAllAligned(OpBuilder &b, Location loc, ArrayRef<Value> memrefs) {
  Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
  Value mask = constantIndex(b, loc, kVectorBytes - 1), zero = constantIndex(b, loc, 0);
  for (Value memref : memrefs) {
    Value pointer = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    Value low = arith::AndIOp::create(b, loc, pointer, mask);
    Value eq = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, low, zero);
    ok = arith::AndIOp::create(b, loc, ok, eq);
  }
  return ok;
}

SmallVector<Value> buildLoadLanes(OpBuilder &b, Location loc, Value memref, ValueRange indices,
                                  int64_t count, bool vector) {
  Type elementType = cast<MemRefType>(memref.getType()).getElementType();
  SmallVector<Value> lanes;
  if (!vector) {
    for (int64_t l = 0; l < count; ++l) {
      SmallVector<Value> idx(indices);
      if (l)
        idx.back() = arith::AddIOp::create(b, loc, idx.back(), constantIndex(b, loc, l));
      lanes.push_back(memref::LoadOp::create(b, loc, memref, idx));
    }
    return lanes;
  }
  auto vectorType = VectorType::get({count}, elementType);
  int64_t align = std::min<int64_t>(kVectorBytes, count * elementBytes(elementType));
  Value v = vector::LoadOp::create(b, loc, vectorType, memref, indices, /*nontemporal=*/false,
                                   llvm::MaybeAlign(align));
  for (int64_t l = 0; l < count; ++l)
    lanes.push_back(vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{l}));
  return lanes;
}

void buildStoreLanes(OpBuilder &b, Location loc, Value memref, ValueRange indices,
                     ArrayRef<Value> lanes, bool vector) {
  int64_t count = lanes.size();
  Type elementType = cast<MemRefType>(memref.getType()).getElementType();
  if (!vector) {
    for (int64_t l = 0; l < count; ++l) {
      SmallVector<Value> idx(indices);
      if (l)
        idx.back() = arith::AddIOp::create(b, loc, idx.back(), constantIndex(b, loc, l));
      memref::StoreOp::create(b, loc, lanes[l], memref, idx);
    }
    return;
  }
  auto vectorType = VectorType::get({count}, elementType);
  Value v = vector::FromElementsOp::create(b, loc, vectorType, lanes);
  int64_t align = std::min<int64_t>(kVectorBytes, count * elementBytes(elementType));
  vector::StoreOp::create(b, loc, v, memref, indices, /*nontemporal=*/false,
                          llvm::MaybeAlign(align));
}

//===----------------------------------------------------------------------===//
// Sizes, SM count, reductions
//===----------------------------------------------------------------------===//

Value buildProduct(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value product = constantIndex(b, loc, 1);
  for (Value v : values)
    product = arith::MulIOp::create(b, loc, product, v);
  return product;
}

SmallVector<Value> buildDelinearize(OpBuilder &b, Location loc, Value flat, ArrayRef<Value> sizes) {
  SmallVector<Value> coordinates(sizes.size());
  for (int64_t d = (int64_t)sizes.size() - 1; d >= 0; --d) {
    coordinates[d] = d == 0 ? flat : arith::RemUIOp::create(b, loc, flat, sizes[d]).getResult();
    if (d > 0)
      flat = arith::DivUIOp::create(b, loc, flat, sizes[d]);
  }
  return coordinates;
}

SmallVector<Value> buildLoopSizes(OpBuilder &b, Location loc, linalg::GenericOp op) {
  SmallVector<Value> sizes;
  for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  return sizes;
}

func::FuncOp getOrInsertSmCountDecl(OpBuilder &b, ModuleOp module) {
  StringRef name = "vibee_cuda_sm_count";
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType({}, {b.getI32Type()}));
  fn.setPrivate();
  return fn;
}

SmallVector<Value> hoistScalarOperands(OpBuilder &b, PayloadCloner &payload,
                                      ArrayRef<Value> operands) {
  SmallVector<Value> uniform(operands.size());
  SmallVector<Value> memrefs;
  for (auto [i, v] : llvm::enumerate(operands))
    if (!isa<MemRefType>(v.getType()))
      uniform[i] = v;
    else if (i + 1 < operands.size())
      memrefs.push_back(v);
  payload.hoist(b, uniform);
  return memrefs;
}

Value buildSmCount(OpBuilder &b, Location loc, Operation *op) {
  auto module = op->getParentOfType<ModuleOp>();
  auto call = func::CallOp::create(b, loc, getOrInsertSmCountDecl(b, module), ValueRange{});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), call.getResult(0));
}

Value buildCappedGrid(OpBuilder &b, Location loc, Operation *op, Value need,
                      const GpuKernelOptions &options) {
  Value cap = arith::MulIOp::create(b, loc, buildSmCount(b, loc, op),
                                    constantIndex(b, loc, options.blocksPerSm));
  return arith::MaxUIOp::create(b, loc, arith::MinUIOp::create(b, loc, need, cap),
                                constantIndex(b, loc, 1));
}

gpu::LaunchOp buildLaunch(OpBuilder &b, Location loc, Value gridX, Value gridY, int64_t threads,
                          ArrayRef<Type> workgroup,
                          function_ref<void(OpBuilder &, gpu::LaunchOp)> body) {
  Value one = constantIndex(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, gridX, gridY, one, constantIndex(b, loc, threads),
                                      one, one, nullptr, nullptr, {}, workgroup);
  OpBuilder inside = OpBuilder::atBlockBegin(&launch.getBody().front());
  body(inside, launch);
  gpu::TerminatorOp::create(inside, loc);
  return launch;
}

Value buildLaneReduce(OpBuilder &b, Location loc, Value value, int32_t lanes, bool isMax) {
  for (int32_t offset = lanes / 2; offset >= 1; offset /= 2) {
    Value other =
        gpu::ShuffleOp::create(b, loc, value, offset, 32, gpu::ShuffleMode::XOR).getShuffleResult();
    value = isMax ? Value(arith::MaximumFOp::create(b, loc, value, other))
                  : Value(arith::AddFOp::create(b, loc, value, other));
  }
  return value;
}

SmallVector<Value> buildBlockReduceAll(OpBuilder &b, Location loc, ValueRange values,
                                       ArrayRef<Value> slots, Value tid, int64_t threads,
                                       BlockCombine combine) {
  SmallVector<Value> acc(values);
  for (int32_t offset = 16; offset >= 1; offset /= 2) {
    SmallVector<Value> other;
    for (Value v : acc)
      other.push_back(
          gpu::ShuffleOp::create(b, loc, v, offset, 32, gpu::ShuffleMode::XOR).getShuffleResult());
    acc = combine(b, acc, other);
  }
  int64_t warps = threads / 32;
  if (warps == 1)
    return acc;
  Value lane = arith::RemUIOp::create(b, loc, tid, constantIndex(b, loc, 32));
  Value warp = arith::DivUIOp::create(b, loc, tid, constantIndex(b, loc, 32));
  Value firstLane =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, constantIndex(b, loc, 0));
  scf::IfOp::create(b, loc, firstLane, [&](OpBuilder &nb, Location l) {
    for (auto [v, slot] : llvm::zip(acc, slots))
      memref::StoreOp::create(nb, l, v, slot, ValueRange{warp});
    scf::YieldOp::create(nb, l);
  });
  gpu::BarrierOp::create(b, loc);
  auto warpValues = [&](int64_t w) {
    SmallVector<Value> loaded;
    for (Value slot : slots)
      loaded.push_back(
          memref::LoadOp::create(b, loc, slot, ValueRange{constantIndex(b, loc, w)}).getResult());
    return loaded;
  };
  SmallVector<Value> total = warpValues(0);
  for (int64_t w = 1; w < warps; ++w)
    total = combine(b, total, warpValues(w));
  return total;
}

Value buildBlockReduce(OpBuilder &b, Location loc, const ReductionCombiner &combiner, Value value,
                       Value slots, Value tid, int64_t threads) {
  return buildBlockReduceAll(b, loc, value, slots, tid, threads,
                             [&](OpBuilder &b, ValueRange x, ValueRange y) {
                               return SmallVector<Value>{
                                   buildCombine(b, loc, combiner, x[0], y[0])};
                             })
      .front();
}

} // namespace vibee
