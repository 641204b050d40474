//===- SkinnyRowsOfB.cpp - one or two rows of x against b[k, n] ------------===//
//
// See SkinnyRowsOfB.h.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/SkinnyRowsOfB.h"
#include "backends/cpu/Transforms/ScheduleHints.h"
#include "backends/cpu/Transforms/ThreadRuntime.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;
using namespace vibee::packing;

bool vibee::canStreamRowsOfB(linalg::ContractOp op, const Roles &roles) {
  if (!op.hasPureBufferSemantics() || !roles.batch.empty() || roles.m.size() != 1 ||
      roles.n.size() != 1 || roles.k.size() != 1)
    return false;
  AffineMap mapB = op.getIndexingMapsArray()[1], mapC = op.getIndexingMapsArray()[2];
  return mapB.getNumResults() == 2 && position(mapB, roles.k[0]) == 0u &&
         position(mapB, roles.n[0]) == 1u && mapC.getNumResults() == 2 &&
         position(mapC, roles.m[0]) == 0u && position(mapC, roles.n[0]) == 1u;
}

void vibee::buildRowsOfBProduct(RewriterBase &rw, linalg::ContractOp op, const Roles &roles,
                                bool threads) {
  auto product = cast<linalg::ContractOp>(rw.clone(*op));
  // Left as it is, the contraction still computes the branch's result (on
  // the generic lowering's loops).
  FailureOr<linalg::GenericOp> generic = linalg::generalizeNamedOp(rw, product);
  if (failed(generic))
    return;
  // k outermost: each row of b is read once, in order, for every row of x;
  // n innermost for the vector loop.
  SmallVector<unsigned> order = {roles.k[0], roles.m[0], roles.n[0]};
  FailureOr<linalg::GenericOp> ordered = linalg::interchangeGenericOp(rw, *generic, order);
  ScheduleHints hints = ScheduleHints::of(op);
  if (failed(ordered) || !threads || !hints.allowsThreads())
    return;
  // Each thread one range of columns, all of k: b's rows are read in runs as
  // long as the range (the whole row on one thread); blocks of columns per
  // k restarted the prefetchers' streams every block.
  constexpr unsigned kColumnsLoop = 2;
  emitOpOverThreads(rw, *ordered, kColumnsLoop, hints.maxThreads(), std::nullopt);
}
