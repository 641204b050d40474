//===- CpuAttention.cpp - blocked online-softmax attention on the CPU -----===//
//
// vibee.attention on memrefs (after bufferization) becomes FlashAttention's loop
// nest (Dao et al. 2022, Algorithm 1, forward): per block of kQueryBlock query
// rows, key blocks of kKeyBlock keys stream through; each row keeps a running
// max m, a running sum l and an f32 accumulator of E values, rescaled by
// exp(m_old - m_new) when the max grows. Extra memory per thread: the blocks
// (CpuAttentionEmitter.h), O(block x D) -- never S x T. Work items are batch x
// other query loops x query blocks, spread over the runtime's threads
// (ThreadRuntime.h). A causal mask stops each query block's key loop at its
// last row's diagonal: the key blocks above it are never visited.
//
// An item of kQueryPathRows rows or more runs the query path
// (CpuAttentionQueryBlocks.cpp: scores transposed, vectors over query rows,
// both products on register tiles); a shorter one, decoding among them, the
// row path (CpuAttentionRows.cpp: vectors over keys). exp() becomes a
// polynomial in vibee-cpu-prepare-vectorization, which runs after this pass.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/Passes.h"

#include "backends/cpu/Transforms/ChunkFunctions.h"
#include "backends/cpu/Transforms/CpuAttentionEmitter.h"
#include "backends/cpu/Transforms/CpuTarget.h"
#include "backends/cpu/Transforms/ThreadRuntime.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace vibee {
#define GEN_PASS_DEF_CPUATTENTIONPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;
using namespace vibee::cpu_attention;

namespace {

// One thread's blocks (Blocks). Those a path reads before it writes them are
// zero-filled: Qt's rows past a short block (query path), the K block's rows
// past a short key block (query path tiles), the score row's columns past it
// (row path's masked vectors). They are never used, but must not be garbage.
Blocks allocateBlocks(Emitter &em) {
  auto alloc = [&](Value rows, Value cols, bool zeroed) {
    auto type = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, em.b.getF32Type());
    Value block = memref::AllocOp::create(em.b, em.loc, type, ValueRange{rows, cols});
    if (zeroed)
      em.loop(em.c(0), rows, [&](Value r) {
        em.loop(em.c(0), cols, [&](Value col) { em.put(em.f(0), block, r, col); });
      });
    return block;
  };
  Value queries = em.c(kQueryBlock), keys = em.c(kKeyBlock);
  Value d = em.size[em.dl], e = em.size[em.el];
  return Blocks{alloc(d, queries, true),  alloc(keys, d, true),          alloc(queries, d, false),
                alloc(keys, e, false),    alloc(keys, queries, true),    alloc(e, queries, false),
                alloc(queries, e, false), alloc(em.c(3), queries, false)};
}

struct CpuAttentionPass : vibee::impl::CpuAttentionPassBase<CpuAttentionPass> {
  using CpuAttentionPassBase::CpuAttentionPassBase;

  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) {
      if (op.getNumResults() == 0)
        ops.push_back(op);
    });
    SymbolTable symbols(getOperation());
    for (AttentionOp op : ops)
      rewrite(op, symbols);
  }

  void rewrite(AttentionOp op, SymbolTable &symbols) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    SmallVector<Role> roles = *op.getLoopRoles();
    SmallVector<Value> operands = {op.getQuery(), op.getKey(), op.getValue(), op.getScale(),
                                   op.getInit()};
    if (op.getBias())
      operands.push_back(op.getBias());
    // The work items: batch and query loops but the blocked one, times query blocks.
    int iq = -1;
    for (int l = 0; l < (int)roles.size(); ++l)
      if (roles[l] == Role::query)
        iq = l;
    if (auto causal = op.getCausal())
      iq = (int)(*causal)[0];
    auto body = [&, iq](OpBuilder &nb, Value lo, Value hi, const IRMapping &mapping) {
      Emitter em{nb, loc, op, roles};
      em.q = mapping.lookupOrDefault(op.getQuery());
      em.k = mapping.lookupOrDefault(op.getKey());
      em.v = mapping.lookupOrDefault(op.getValue());
      em.scale = mapping.lookupOrDefault(op.getScale());
      em.out = mapping.lookupOrDefault(op.getInit());
      em.bias = op.getBias() ? mapping.lookupOrDefault(op.getBias()) : Value();
      em.iq = iq;
      unsigned bits = vectorBits ? vectorBits : detectHostCpu().vectorBits;
      // At most kQueryBlock / kTileVectors lanes: a query-path tile spans at
      // most the block's rows, a power of two that divides it.
      em.lanes = std::min<int64_t>(llvm::bit_floor(uint64_t(chooseVectorLanes(bits, 32))),
                                   kQueryBlock / kTileVectors);
      // mr x 4 accumulators: half of the 32 registers of AVX-512, of the 16 of
      // AVX2 and SSE.
      em.mr = bits >= 512 ? 4 : 2;
      for (unsigned l = 0; l < roles.size(); ++l) {
        if (roles[l] == Role::key)
          em.jl = l;
        if (roles[l] == Role::head)
          em.dl = l;
        if (roles[l] == Role::value)
          em.el = l;
      }
      // Sizes from the (mapped) operands.
      em.size.resize(roles.size());
      SmallVector<std::pair<Value, AffineMap>> sources = {{em.q, op.getQueryMap()},
                                                          {em.k, op.getKeyMap()},
                                                          {em.v, op.getValueMap()},
                                                          {em.out, op.getOutputMap()}};
      for (auto [memref, map] : sources)
        for (unsigned a = 0; a < map.getNumResults(); ++a) {
          unsigned l = cast<AffineDimExpr>(map.getResult(a)).getPosition();
          if (!em.size[l])
            em.size[l] = memref::DimOp::create(nb, loc, memref, a);
        }
      Value nqb =
          iq >= 0 ? arith::CeilDivUIOp::create(nb, loc, em.size[iq], em.c(kQueryBlock)) : em.c(1);
      Blocks blocks = allocateBlocks(em);
      em.loop(lo, hi, [&](Value w) {
        SmallVector<Value> env(roles.size());
        Value bq;
        Value i0 = em.itemIndices(w, nqb, env, bq);
        if (iq < 0)
          return em.emitRowItem(env, i0, bq, blocks);
        Value many =
            arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::sge, bq, em.c(kQueryPathRows));
        auto paths = scf::IfOp::create(nb, loc, many, /*withElseRegion=*/true);
        OpBuilder::InsertionGuard guard(nb);
        nb.setInsertionPoint(paths.thenBlock()->getTerminator());
        em.emitQueryBlockItem(env, i0, bq, blocks);
        nb.setInsertionPoint(paths.elseBlock()->getTerminator());
        em.emitRowItem(env, i0, bq, blocks);
      });
      for (Value block : {blocks.qt, blocks.kb, blocks.qrows, blocks.vb, blocks.scores, blocks.acct,
                          blocks.acc, blocks.rows})
        memref::DeallocOp::create(nb, loc, block);
    };
    // The number of work items, computed before the chunk function exists.
    Value items = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<OpFoldResult> sizes = op.getLoopSizes(b);
    for (int l = 0; l < (int)roles.size(); ++l) {
      Value s = getValueOrCreateConstantIndexOp(b, loc, sizes[l]);
      if (l == iq)
        s = arith::CeilDivUIOp::create(b, loc, s,
                                       arith::ConstantIndexOp::create(b, loc, kQueryBlock));
      if (roles[l] == Role::batch || roles[l] == Role::query)
        items = arith::MulIOp::create(b, loc, items, s);
    }
    ChunkFunction chunk =
        createChunkFunction(b, op->getParentOfType<func::FuncOp>(), operands, body, {}, &symbols);
    b.setInsertionPoint(op);
    if (threads) {
      Value work = emitIterationCount(b, loc, sizes);
      emitChunkCalls(b, loc, work, std::nullopt, chunk, items, /*chunkSize=*/1, &symbols);
    } else {
      callChunk(b, loc, chunk, arith::ConstantIndexOp::create(b, loc, 0), items);
    }
    op->erase();
  }
};

} // namespace
