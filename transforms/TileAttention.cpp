//===- TileAttention.cpp - vibee.attention tiled through TilingInterface --===//
//
// A target that decomposes attention into the statements users write (the C++
// output) would hold the whole S x T score matrix; tiled first, it holds one
// tile's (query-block x T). The tiling is upstream's scf::tileUsingSCF over the
// op's TilingInterface (ir/AttentionTiling.cpp), so nothing here knows how an
// attention is sliced.
//
//===----------------------------------------------------------------------===//
#include "transforms/Passes.h"

#include "ir/VibeeOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace vibee {
#define GEN_PASS_DEF_TILEATTENTIONPASS
#include "transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

struct TileAttentionPass : vibee::impl::TileAttentionPassBase<TileAttentionPass> {
  using TileAttentionPassBase::TileAttentionPassBase;

  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) {
      if (op.getNumResults() == 1) // on tensors
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (AttentionOp op : ops) {
      SmallVector<AttentionOp::LoopRole> roles = *op.getLoopRoles();
      SmallVector<OpFoldResult> tileSizes;
      for (AttentionOp::LoopRole role : roles) {
        int64_t size = 0; // 0: not tiled (value, key and head loops)
        if (role == AttentionOp::LoopRole::batch)
          size = 1;
        else if (role == AttentionOp::LoopRole::query && !op.getCausal())
          size = queryBlock;
        tileSizes.push_back(rewriter.getIndexAttr(size));
      }
      if (op.getCausal())
        op->emitRemark("causal attention tiled over its batch loops only: the mask's offset "
                       "is static, so its query loops stay whole");
      if (llvm::all_of(tileSizes, [](OpFoldResult s) { return isZeroInteger(s); }))
        continue;
      scf::SCFTilingOptions options;
      options.setTileSizes(tileSizes);
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        return signalPassFailure();
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
