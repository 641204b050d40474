//===- CppSplitReductions.cpp - reductions over lanes for the C++ output --===//
//
// for (j = lb; j < ub; ++j) acc[i] = acc[i] + f(j);
// becomes
// if (main > 0) {                                 main = (ub - lb) - (ub - lb) % L
//   for (l = 0; l < L; ++l) lanes[l] = identity;
//   for (jb = lb; jb < lb + main; jb += L)
//     for (l = 0; l < L; ++l) lanes[l] = lanes[l] + f(jb + l);
//   for (l = 0; l < L; ++l) acc[i] = acc[i] + lanes[l];
// }
// for (j = lb + main; j < ub; ++j) acc[i] = acc[i] + f(j);
//
//===----------------------------------------------------------------------===//
#include "backends/cpp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

namespace vibee {
#define GEN_PASS_DEF_CPPSPLITREDUCTIONSPASS
#include "backends/cpp/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;

namespace {

/// acc[I] = combiner(acc[I], value) in one iteration of the loop.
struct Accumulator {
  memref::LoadOp load;
  memref::StoreOp store;
  Operation *combiner;
  TypedAttr identity;
  Value lanes; // the local array, once made
};

/// The value x with combiner(x, v) == v for every v, if the op is a
/// commutative, associative combiner this pass knows.
std::optional<TypedAttr> identityOf(Operation *combiner) {
  Type type = combiner->getResult(0).getType();
  if (auto ft = dyn_cast<FloatType>(type)) {
    const llvm::fltSemantics &sem = ft.getFloatSemantics();
    std::optional<APFloat> value =
        llvm::TypeSwitch<Operation *, std::optional<APFloat>>(combiner)
            .Case([&](arith::AddFOp) { return APFloat::getZero(sem, /*Negative=*/true); })
            .Case([&](arith::MulFOp) { return APFloat::getOne(sem); })
            .Case([&](arith::MaximumFOp) { return APFloat::getInf(sem, /*Negative=*/true); })
            .Case([&](arith::MinimumFOp) { return APFloat::getInf(sem); })
            // maxnum(x, NaN) == x: the identity of the NaN-ignoring max and min.
            .Case<arith::MaxNumFOp, arith::MinNumFOp>(
                [&](Operation *) { return APFloat::getQNaN(sem); })
            .Default([](Operation *) { return std::nullopt; });
    if (!value)
      return std::nullopt;
    return FloatAttr::get(ft, *value);
  }
  auto it = dyn_cast<IntegerType>(type);
  if (!it)
    return std::nullopt;
  unsigned w = it.getWidth();
  std::optional<APInt> value =
      llvm::TypeSwitch<Operation *, std::optional<APInt>>(combiner)
          .Case<arith::AddIOp, arith::OrIOp, arith::XOrIOp, arith::MaxUIOp>(
              [&](Operation *) { return APInt::getZero(w); })
          .Case([&](arith::MulIOp) { return APInt(w, 1); })
          .Case<arith::AndIOp, arith::MinUIOp>([&](Operation *) { return APInt::getAllOnes(w); })
          .Case([&](arith::MaxSIOp) { return APInt::getSignedMinValue(w); })
          .Case([&](arith::MinSIOp) { return APInt::getSignedMaxValue(w); })
          .Default([](Operation *) { return std::nullopt; });
  if (!value)
    return std::nullopt;
  return IntegerAttr::get(it, *value);
}

/// The buffer a memref value is a view of.
Value viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// The accumulators of an innermost loop, or none when any memory access in it
/// could see a lane's partial result in the wrong place.
SmallVector<Accumulator> findAccumulators(scf::ForOp loop) {
  SmallVector<Accumulator> found;
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto store = dyn_cast<memref::StoreOp>(op);
    if (!store ||
        !llvm::all_of(store.getIndices(), [&](Value i) { return loop.isDefinedOutsideOfLoop(i); }))
      continue;
    Operation *combiner = store.getValueToStore().getDefiningOp();
    if (!combiner || combiner->getBlock() != loop.getBody() || combiner->getNumOperands() != 2 ||
        !combiner->hasOneUse())
      continue;
    std::optional<TypedAttr> identity = identityOf(combiner);
    if (!identity)
      continue;
    for (Value operand : combiner->getOperands()) {
      auto load = operand.getDefiningOp<memref::LoadOp>();
      if (load && load->getBlock() == loop.getBody() && load->hasOneUse() &&
          load.getMemRef() == store.getMemRef() && load.getIndices() == store.getIndices() &&
          load->isBeforeInBlock(store)) {
        found.push_back({load, store, combiner, *identity, Value()});
        break;
      }
    }
  }
  // Every other access to an accumulator's buffer (a second accumulator of it
  // included) keeps the loop as it is.
  for (Accumulator &acc : found) {
    Value root = viewRoot(acc.store.getMemRef());
    bool other = false;
    loop.getBody()->walk([&](Operation *op) {
      if (op == acc.load || op == acc.store)
        return;
      for (Value operand : op->getOperands())
        other |= isa<MemRefType>(operand.getType()) && viewRoot(operand) == root;
    });
    if (other)
      return {};
  }
  return found;
}

bool isInnermost(scf::ForOp loop) {
  bool nested = false;
  loop.getBody()->walk([&](Operation *op) { nested |= isa<LoopLikeOpInterface>(op); });
  return !nested;
}

Value constant(OpBuilder &b, Location loc, Type type, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

/// for (l = 0; l < lanes; ++l) body(l)
void forEachLane(OpBuilder &b, Location loc, Type indexType, unsigned lanes,
                 function_ref<void(OpBuilder &, Value)> body) {
  scf::ForOp::create(b, loc, constant(b, loc, indexType, 0), constant(b, loc, indexType, lanes),
                     constant(b, loc, indexType, 1), ValueRange{},
                     [&](OpBuilder &nb, Location, Value lane, ValueRange) {
                       body(nb, lane);
                       scf::YieldOp::create(nb, loc);
                     });
}

void splitLoop(scf::ForOp loop, MutableArrayRef<Accumulator> accumulators, unsigned lanes) {
  Location loc = loop.getLoc();
  auto func = loop->getParentOfType<FunctionOpInterface>();
  OpBuilder entry(&func.getFunctionBody().front(), func.getFunctionBody().front().begin());
  for (Accumulator &acc : accumulators)
    acc.lanes = memref::AllocaOp::create(entry, loc,
                                         MemRefType::get({(int64_t)lanes}, acc.identity.getType()));

  OpBuilder b(loop);
  Type indexType = loop.getInductionVar().getType();
  Value lb = loop.getLowerBound(), ub = loop.getUpperBound();
  // nsw: the values lie between the loop's bounds (a C++ compiler then sees
  // jb + l as an affine subscript; vibee-prepare-emitc prints signed arithmetic).
  auto nsw = arith::IntegerOverflowFlags::nsw;
  Value count = arith::SubIOp::create(b, loc, ub, lb, nsw);
  Value tail = arith::RemSIOp::create(b, loc, count, constant(b, loc, indexType, lanes));
  Value main = arith::SubIOp::create(b, loc, count, tail, nsw);
  Value mainEnd = arith::AddIOp::create(b, loc, lb, main, nsw);
  Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, main,
                                    constant(b, loc, indexType, 0));
  auto ifMain = scf::IfOp::create(b, loc, any, /*withElseRegion=*/false);
  b.setInsertionPointToStart(ifMain.thenBlock());
  for (Accumulator &acc : accumulators) {
    Value identity = arith::ConstantOp::create(b, loc, acc.identity);
    forEachLane(b, loc, indexType, lanes, [&](OpBuilder &nb, Value lane) {
      memref::StoreOp::create(nb, loc, identity, acc.lanes, lane);
    });
  }
  auto blocks = scf::ForOp::create(b, loc, lb, mainEnd, constant(b, loc, indexType, lanes));
  b.setInsertionPointToStart(blocks.getBody());
  forEachLane(b, loc, indexType, lanes, [&](OpBuilder &nb, Value lane) {
    IRMapping map;
    map.map(loop.getInductionVar(),
            arith::AddIOp::create(nb, loc, blocks.getInductionVar(), lane, nsw));
    for (Operation &op : loop.getBody()->without_terminator()) {
      Accumulator *acc = nullptr;
      for (Accumulator &a : accumulators)
        if (&op == a.load || &op == a.store)
          acc = &a;
      if (!acc)
        nb.clone(op, map);
      else if (&op == acc->load)
        map.map(acc->load.getResult(), memref::LoadOp::create(nb, loc, acc->lanes, lane));
      else
        memref::StoreOp::create(nb, loc, map.lookup(acc->store.getValueToStore()), acc->lanes,
                                lane);
    }
  });
  // The lanes into the accumulator, before the remaining iterations.
  b.setInsertionPointAfter(blocks);
  for (Accumulator &acc : accumulators)
    forEachLane(b, loc, indexType, lanes, [&](OpBuilder &nb, Value lane) {
      IRMapping map;
      map.map(acc.load.getResult(),
              memref::LoadOp::create(nb, loc, acc.load.getMemRef(), acc.load.getIndices()));
      for (Value operand : acc.combiner->getOperands())
        if (operand != acc.load.getResult())
          map.map(operand, memref::LoadOp::create(nb, loc, acc.lanes, lane));
      Operation *combined = nb.clone(*acc.combiner, map);
      memref::StoreOp::create(nb, loc, combined->getResult(0), acc.store.getMemRef(),
                              acc.store.getIndices());
    });
  loop.getLowerBoundMutable().assign(mainEnd);
}

struct CppSplitReductionsPass : vibee::impl::CppSplitReductionsPassBase<CppSplitReductionsPass> {
  using CppSplitReductionsPassBase::CppSplitReductionsPassBase;

  void runOnOperation() override {
    if (lanes < 2)
      return;
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (step == 1 && loop.getNumResults() == 0 && isInnermost(loop))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      SmallVector<Accumulator> accumulators = findAccumulators(loop);
      if (!accumulators.empty())
        splitLoop(loop, accumulators, lanes);
    }
  }
};

} // namespace
