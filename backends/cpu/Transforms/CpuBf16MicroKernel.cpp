//===- CpuBf16MicroKernel.cpp - bf16 x bf16 matmuls on vdpbf16ps -----------===//
//
// The loops (CpuBf16MicroKernel.h), all of them built here rather than by
// tiling the generic: the pair layout of the packed panels and the broadcast
// of an A pair are not what linalg vectorization produces.
//     for jc in N step NC:                        (the chunk's columns)
//       for kc in K step KC:
//         Bp[jb][k2][2 jj + e] = B(kc + 2 k2 + e, jc + jb NR + jj), 0 past K
//         for ic in M step MC:
//           Ap[ib][k2][2 r + e] = A[ic + ib MR + r][kc + 2 k2 + e], 0 past K
//           for jr in NC step NR, ir in MC step MR:
//             acc[r][v] = C[ic + ir + r][jc + jr + 16 v : 16]
//             for k2:  b[v] = Bp[jr / NR][k2][32 v : 32]
//                      a[r] = broadcast(Ap[ir / MR][k2][2 r : 2] as i32)
//                      acc[r][v] = vdpbf16ps(acc[r][v], a[r], b[v])
//             C[...] = acc
// A is packed too: its MR rows read in place sit a row apart, and a row of
// 2,048 bf16 is 4 KiB, so all MR pairs of a step would share one L1 set.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuBf16MicroKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;

namespace {

/// Element type of a memref operand.
Type elementOf(Value v) { return cast<MemRefType>(v.getType()).getElementType(); }

/// `v` is f32(x) for the block argument `arg`.
bool isWidened(Value v, BlockArgument arg) {
  auto ext = v.getDefiningOp<arith::ExtFOp>();
  return ext && ext.getIn() == arg && ext.getType().isF32();
}

struct KernelBuilder {
  RewriterBase &rw;
  Location loc;
  const vibee::MatmulTiles &t;
  Value a, b, c;
  bool bByRows; // B read as b[n][k] (nn.Linear), else b[k][n]
  Value packedB; // [NC / NR][KC / 2][2 NR] bf16
  Value packedA; // [MC / MR][KC / 2][2 MR] bf16

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(rw, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(rw, loc, x, y); }
  Value mul(Value x, int64_t f) { return arith::MulIOp::create(rw, loc, x, idx(f)); }
  Value minus(Value x, Value y) { return arith::SubIOp::create(rw, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(rw, loc, x, y); }

  /// for iv in [lo, hi) step `step`: body(iv), the builder inside the loop.
  template <typename Body> void loop(Value lo, Value hi, int64_t step, Body body) {
    auto forOp = scf::ForOp::create(rw, loc, lo, hi, idx(step));
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
  }

  /// dst[jb][k2][2 jj + e] = src(x = x0 + jb w + jj, k = kc + 2 k2 + e), zero
  /// at k = kc + kb (an odd K's last pair), for jb < count / w: the pair
  /// layout of the micro-kernel's panels (A: x = m, w = MR; B: x = n, w = NR).
  /// `src` is read src[x][k] when `byRows`, else src[k][x].
  void packPairs(Value dst, Value src, bool byRows, int64_t w, Value x0, Value count, Value kc,
                 Value kb) {
    Value full = arith::DivUIOp::create(rw, loc, kb, idx(2));
    Value pairs = arith::DivUIOp::create(rw, loc, add(kb, idx(1)), idx(2));
    Value blocks = arith::DivUIOp::create(rw, loc, count, idx(w));
    Value z = idx(0);
    auto bf16s = [&](int64_t n) { return VectorType::get({n}, rw.getBF16Type()); };
    Value zero = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(rw.getBF16Type()));
    loop(z, blocks, 1, [&](Value jb) {
      if (byRows) {
        // Along k, contiguous: each pair one 32-bit copy.
        loop(z, idx(w), 1, [&](Value jj) {
          Value x = add(x0, add(mul(jb, w), jj));
          Value slot = mul(jj, 2);
          loop(z, full, 1, [&](Value k2) {
            Value pair =
                vector::LoadOp::create(rw, loc, bf16s(2), src, ValueRange{x, add(kc, mul(k2, 2))});
            vector::StoreOp::create(rw, loc, pair, dst, ValueRange{jb, k2, slot});
          });
          loop(full, pairs, 1, [&](Value k2) {
            Value v = memref::LoadOp::create(rw, loc, src, ValueRange{x, add(kc, mul(k2, 2))});
            Value pair = vector::FromElementsOp::create(rw, loc, bf16s(2), ValueRange{v, zero});
            vector::StoreOp::create(rw, loc, pair, dst, ValueRange{jb, k2, slot});
          });
        });
        return;
      }
      // Along x, contiguous: rows k and k + 1 interleaved, 16 columns at a time.
      int64_t lanes = vibee::kBf16DotLanes;
      auto interleaved = [&](Value k2, bool last) {
        for (int64_t g = 0; g < w / lanes; ++g) {
          Value x = add(x0, add(mul(jb, w), idx(g * lanes)));
          Value k = add(kc, mul(k2, 2));
          Value even = vector::LoadOp::create(rw, loc, bf16s(lanes), src, ValueRange{k, x});
          Value odd = last ? arith::ConstantOp::create(rw, loc, rw.getZeroAttr(bf16s(lanes)))
                                 .getResult()
                           : vector::LoadOp::create(rw, loc, bf16s(lanes), src,
                                                    ValueRange{add(k, idx(1)), x})
                                 .getResult();
          Value both = vector::InterleaveOp::create(rw, loc, even, odd);
          vector::StoreOp::create(rw, loc, both, dst, ValueRange{jb, k2, idx(2 * g * lanes)});
        }
      };
      loop(z, full, 1, [&](Value k2) { interleaved(k2, false); });
      loop(full, pairs, 1, [&](Value k2) { interleaved(k2, true); });
    });
  }

  /// The pair of A's packed row r at k2, as 16 copies of its 32 bits.
  Value broadcastPair(Value ib, Value k2, int64_t r) {
    auto pairType = VectorType::get({2}, rw.getBF16Type());
    Value pair = vector::LoadOp::create(rw, loc, pairType, packedA, ValueRange{ib, k2, idx(2 * r)});
    Value word = vector::BitCastOp::create(rw, loc, VectorType::get({1}, rw.getI32Type()), pair);
    Value scalar = vector::ExtractOp::create(rw, loc, word, ArrayRef<int64_t>{0});
    Value lanes = vector::BroadcastOp::create(
        rw, loc, VectorType::get({vibee::kBf16DotLanes}, rw.getI32Type()), scalar);
    return vector::BitCastOp::create(
        rw, loc, VectorType::get({2 * vibee::kBf16DotLanes}, rw.getBF16Type()), lanes);
  }

  /// One mr x nr register tile of C at (row, col): A's packed rows ib, B's
  /// packed columns jb, every k pair of the block.
  void registerTile(Value row, Value col, Value ib, Value jb, Value pairs) {
    int64_t vectors = t.nr / vibee::kBf16DotLanes;
    auto accType = VectorType::get({vibee::kBf16DotLanes}, rw.getF32Type());
    auto at = [&](int64_t r, int64_t v) {
      return ValueRange{add(row, idx(r)), add(col, idx(v * vibee::kBf16DotLanes))};
    };
    SmallVector<Value> accs;
    for (int64_t r = 0; r < t.mr; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        accs.push_back(vector::LoadOp::create(rw, loc, accType, c, at(r, v)));
    auto forOp = scf::ForOp::create(rw, loc, idx(0), pairs, idx(1), accs);
    {
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPointToStart(forOp.getBody());
      Value k2 = forOp.getInductionVar();
      auto bType = VectorType::get({2 * vibee::kBf16DotLanes}, rw.getBF16Type());
      SmallVector<Value> bv;
      for (int64_t v = 0; v < vectors; ++v)
        bv.push_back(vector::LoadOp::create(
            rw, loc, bType, packedB, ValueRange{jb, k2, idx(2 * v * vibee::kBf16DotLanes)}));
      SmallVector<Value> next;
      for (int64_t r = 0; r < t.mr; ++r) {
        Value av = broadcastPair(ib, k2, r);
        for (int64_t v = 0; v < vectors; ++v) {
          Value acc = forOp.getRegionIterArgs()[r * vectors + v];
          next.push_back(x86vector::DotBF16Op::create(rw, loc, acc.getType(), acc, av, bv[v]));
        }
      }
      scf::YieldOp::create(rw, loc, next);
    }
    for (int64_t r = 0; r < t.mr; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        vector::StoreOp::create(rw, loc, forOp.getResult(r * vectors + v), c, at(r, v));
  }

  void build() {
    Value m = memref::DimOp::create(rw, loc, a, 0);
    Value k = memref::DimOp::create(rw, loc, a, 1);
    Value n = memref::DimOp::create(rw, loc, c, 1);
    auto alloc = [&](int64_t rows, int64_t w) {
      auto type = MemRefType::get({rows / w, t.kc / 2, 2 * w}, rw.getBF16Type());
      return memref::AllocOp::create(rw, loc, type, rw.getI64IntegerAttr(64)).getResult();
    };
    packedB = alloc(t.nc, t.nr);
    packedA = alloc(t.mc, t.mr);
    Value z = idx(0);
    loop(z, n, t.nc, [&](Value jc) {
      Value nc = min(idx(t.nc), minus(n, jc));
      loop(z, k, t.kc, [&](Value kc) {
        Value kb = min(idx(t.kc), minus(k, kc));
        Value pairs = arith::DivUIOp::create(rw, loc, add(kb, idx(1)), idx(2));
        packPairs(packedB, b, bByRows, t.nr, jc, nc, kc, kb);
        loop(z, m, t.mc, [&](Value ic) {
          Value mc = min(idx(t.mc), minus(m, ic));
          packPairs(packedA, a, /*byRows=*/true, t.mr, ic, mc, kc, kb);
          loop(z, nc, t.nr, [&](Value jr) {
            Value jb = arith::DivUIOp::create(rw, loc, jr, idx(t.nr));
            loop(z, mc, t.mr, [&](Value ir) {
              Value ib = arith::DivUIOp::create(rw, loc, ir, idx(t.mr));
              registerTile(add(ic, ir), add(jc, jr), ib, jb, pairs);
            });
          });
        });
      });
    });
    memref::DeallocOp::create(rw, loc, packedA);
    memref::DeallocOp::create(rw, loc, packedB);
  }
};

} // namespace

bool vibee::isBf16DotMatmul(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return false;
  auto par = utils::IteratorType::parallel;
  if (op.getIteratorTypesArray() !=
      SmallVector<utils::IteratorType>{par, par, utils::IteratorType::reduction})
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(3, 0, {m, k}, ctx) || maps[2] != AffineMap::get(3, 0, {m, n}, ctx) ||
      (maps[1] != AffineMap::get(3, 0, {k, n}, ctx) && maps[1] != AffineMap::get(3, 0, {n, k}, ctx)))
    return false;
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1], c = op.getDpsInits()[0];
  if (!isa<MemRefType>(b.getType()) || !elementOf(a).isBF16() || !elementOf(b).isBF16() ||
      !elementOf(c).isF32())
    return false;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto sum = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  BlockArgument argA = body.getArgument(0), argB = body.getArgument(1), out = body.getArgument(2);
  if (!sum || (sum.getLhs() != out && sum.getRhs() != out))
    return false;
  auto product = (sum.getLhs() == out ? sum.getRhs() : sum.getLhs()).getDefiningOp<arith::MulFOp>();
  if (!product)
    return false;
  Value x = product.getLhs(), y = product.getRhs();
  // Nothing else in the body: the extensions, the product and the sum.
  return std::distance(body.begin(), body.end()) == 5 &&
         ((isWidened(x, argA) && isWidened(y, argB)) || (isWidened(x, argB) && isWidened(y, argA)));
}

LogicalResult vibee::buildBf16MicroKernel(RewriterBase &rw, linalg::GenericOp tile,
                                          const MatmulTiles &tiles) {
  if (tiles.nr % kBf16DotLanes || tiles.kc % 2 || tiles.nc % tiles.nr || tiles.mc % tiles.mr)
    return failure();
  MLIRContext *ctx = tile.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  bool byRows = tile.getIndexingMapsArray()[1] == AffineMap::get(3, 0, {n, k}, ctx);
  rw.setInsertionPoint(tile);
  KernelBuilder kernel{rw,
                       tile.getLoc(),
                       tiles,
                       tile.getDpsInputs()[0],
                       tile.getDpsInputs()[1],
                       tile.getDpsInits()[0],
                       byRows,
                       {},
                       {}};
  kernel.build();
  rw.eraseOp(tile);
  return success();
}
