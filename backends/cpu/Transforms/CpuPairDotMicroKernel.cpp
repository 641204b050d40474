//===- CpuPairDotMicroKernel.cpp - matmuls on pair dot products ------------===//
//
// The loops (CpuPairDotMicroKernel.h), all of them built here rather than by
// tiling the generic: the pair layout of the packed panels and the broadcast
// of an A pair are not what linalg vectorization produces.
//     for jc in N step NC:                        (the chunk's columns)
//       for kc in K step KC:
//         Bp[jb][k2][2 jj + e] = B(kc + 2 k2 + e, jc + jb NR + jj), 0 past K
//                                (i8 widened to i16)
//         for ic in M step MC:
//           Ap[ib][k2][2 r + e] = A[ic + ib MR + r][kc + 2 k2 + e], 0 past K
//           for jr in NC step NR, ir in MC step MR:
//             acc[r][v] = C[ic + ir + r][jc + jr + 16 v : 16]
//             for k2:  b[v] = Bp[jr / NR][k2][32 v : 32]
//                      a[r] = broadcast(Ap[ir / MR][k2][2 r : 2] as i32)
//                      acc[r][v] = dot(acc[r][v], a[r], b[v])   (vdpbf16ps, vpdpwssd)
//             C[...] = acc
// A is packed too: its MR rows read in place sit a row apart, and a row of
// 2,048 bf16 is 4 KiB, so all MR pairs of a step would share one L1 set.
// The dot product is one instruction: x86vector.avx512.dot (vdpbf16ps), or
// LLVM's vpdpwssd intrinsic, which x86vector does not wrap.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuPairDotMicroKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;

namespace {

/// Element type of a memref operand.
Type elementOf(Value v) { return cast<MemRefType>(v.getType()).getElementType(); }

/// `v` is wide(x) for the block argument `arg`: f32 of bf16, i32 of i8.
bool isWidened(Value v, BlockArgument arg, vibee::PairDot kind) {
  if (kind == vibee::PairDot::Bf16) {
    auto ext = v.getDefiningOp<arith::ExtFOp>();
    return ext && ext.getIn() == arg && ext.getType().isF32() && arg.getType().isBF16();
  }
  auto ext = v.getDefiningOp<arith::ExtSIOp>();
  return ext && ext.getIn() == arg && ext.getType().isSignlessInteger(32) &&
         arg.getType().isSignlessInteger(8);
}

struct KernelBuilder {
  RewriterBase &rw;
  Location loc;
  const vibee::MatmulTiles &t;
  vibee::PairDot kind;
  Value a, b, c;
  bool bByRows;  // B read as b[n][k] (nn.Linear), else b[k][n]
  Value packedB; // [NC / NR][KC / 2][2 NR] pairs
  Value packedA; // [MC / MR][KC / 2][2 MR] pairs

  /// What the panels hold: bf16, or i16.
  Type pairElement() {
    return kind == vibee::PairDot::Bf16 ? Type(rw.getBF16Type()) : Type(rw.getI16Type());
  }
  VectorType pairVector(int64_t n) { return VectorType::get({n}, pairElement()); }
  /// `v` (a source element or vector) in the panels' type: i8 sign-extended.
  Value toPair(Value v) {
    Type target = pairElement();
    if (auto vt = dyn_cast<VectorType>(v.getType()))
      target = VectorType::get(vt.getShape(), target);
    return v.getType() == target ? v : arith::ExtSIOp::create(rw, loc, target, v).getResult();
  }
  /// acc + a[0] b[0] + a[1] b[1] per 32-bit lane (a, b: 2 x 16 pairs).
  Value dot(Value acc, Value av, Value bv) {
    if (kind == vibee::PairDot::Bf16)
      return x86vector::DotBF16Op::create(rw, loc, acc.getType(), acc, av, bv);
    return LLVM::CallIntrinsicOp::create(rw, loc, acc.getType(),
                                         rw.getStringAttr("llvm.x86.avx512.vpdpwssd.512"),
                                         ValueRange{acc, av, bv})
        .getResult(0);
  }

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
    Type source = cast<MemRefType>(src.getType()).getElementType();
    auto sources = [&](int64_t n) { return VectorType::get({n}, source); };
    Value zero = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(pairElement()));
    loop(z, blocks, 1, [&](Value jb) {
      if (byRows) {
        // Along k, contiguous: each pair one 32-bit copy.
        loop(z, idx(w), 1, [&](Value jj) {
          Value x = add(x0, add(mul(jb, w), jj));
          Value slot = mul(jj, 2);
          loop(z, full, 1, [&](Value k2) {
            Value pair = toPair(
                vector::LoadOp::create(rw, loc, sources(2), src, ValueRange{x, add(kc, mul(k2, 2))}));
            vector::StoreOp::create(rw, loc, pair, dst, ValueRange{jb, k2, slot});
          });
          loop(full, pairs, 1, [&](Value k2) {
            Value v = toPair(memref::LoadOp::create(rw, loc, src, ValueRange{x, add(kc, mul(k2, 2))}));
            Value pair = vector::FromElementsOp::create(rw, loc, pairVector(2), ValueRange{v, zero});
            vector::StoreOp::create(rw, loc, pair, dst, ValueRange{jb, k2, slot});
          });
        });
        return;
      }
      // Along x, contiguous: rows k and k + 1 interleaved, 16 columns at a time.
      int64_t lanes = vibee::kPairDotLanes;
      auto interleaved = [&](Value k2, bool last) {
        for (int64_t g = 0; g < w / lanes; ++g) {
          Value x = add(x0, add(mul(jb, w), idx(g * lanes)));
          Value k = add(kc, mul(k2, 2));
          Value even =
              toPair(vector::LoadOp::create(rw, loc, sources(lanes), src, ValueRange{k, x}));
          Value odd = last ? arith::ConstantOp::create(rw, loc, rw.getZeroAttr(pairVector(lanes)))
                                 .getResult()
                           : toPair(vector::LoadOp::create(rw, loc, sources(lanes), src,
                                                           ValueRange{add(k, idx(1)), x}));
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
    Value pair = vector::LoadOp::create(rw, loc, pairVector(2), packedA, ValueRange{ib, k2, idx(2 * r)});
    Value word = vector::BitCastOp::create(rw, loc, VectorType::get({1}, rw.getI32Type()), pair);
    Value scalar = vector::ExtractOp::create(rw, loc, word, ArrayRef<int64_t>{0});
    Value lanes = vector::BroadcastOp::create(
        rw, loc, VectorType::get({vibee::kPairDotLanes}, rw.getI32Type()), scalar);
    return vector::BitCastOp::create(
        rw, loc, pairVector(2 * vibee::kPairDotLanes), lanes);
  }

  /// One mr x nr register tile of C at (row, col): A's packed rows ib, B's
  /// packed columns jb, every k pair of the block.
  void registerTile(Value row, Value col, Value ib, Value jb, Value pairs) {
    int64_t vectors = t.nr / vibee::kPairDotLanes;
    auto accType = VectorType::get({vibee::kPairDotLanes}, elementOf(c));
    auto at = [&](int64_t r, int64_t v) {
      return ValueRange{add(row, idx(r)), add(col, idx(v * vibee::kPairDotLanes))};
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
      VectorType bType = pairVector(2 * vibee::kPairDotLanes);
      SmallVector<Value> bv;
      for (int64_t v = 0; v < vectors; ++v)
        bv.push_back(vector::LoadOp::create(
            rw, loc, bType, packedB, ValueRange{jb, k2, idx(2 * v * vibee::kPairDotLanes)}));
      SmallVector<Value> next;
      for (int64_t r = 0; r < t.mr; ++r) {
        Value av = broadcastPair(ib, k2, r);
        for (int64_t v = 0; v < vectors; ++v) {
          Value acc = forOp.getRegionIterArgs()[r * vectors + v];
          next.push_back(dot(acc, av, bv[v]));
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
      auto type = MemRefType::get({rows / w, t.kc / 2, 2 * w}, pairElement());
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

std::optional<vibee::PairDot> vibee::pairDotMatmul(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  auto par = utils::IteratorType::parallel;
  if (op.getIteratorTypesArray() !=
      SmallVector<utils::IteratorType>{par, par, utils::IteratorType::reduction})
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(3, 0, {m, k}, ctx) || maps[2] != AffineMap::get(3, 0, {m, n}, ctx) ||
      (maps[1] != AffineMap::get(3, 0, {k, n}, ctx) && maps[1] != AffineMap::get(3, 0, {n, k}, ctx)))
    return std::nullopt;
  if (!isa<MemRefType>(op.getDpsInputs()[1].getType()))
    return std::nullopt;
  Type acc = elementOf(op.getDpsInits()[0]);
  PairDot kind = acc.isF32() ? PairDot::Bf16 : PairDot::Int16;
  if (!acc.isF32() && !acc.isSignlessInteger(32))
    return std::nullopt;
  // out + x * y, x and y the widened A and B, nothing else in the body.
  Block &body = op.getRegion().front();
  if (std::distance(body.begin(), body.end()) != 5)
    return std::nullopt;
  Operation *sum = body.getTerminator()->getOperand(0).getDefiningOp();
  BlockArgument argA = body.getArgument(0), argB = body.getArgument(1), out = body.getArgument(2);
  bool isSum = kind == PairDot::Bf16 ? isa_and_nonnull<arith::AddFOp>(sum)
                                     : isa_and_nonnull<arith::AddIOp>(sum);
  if (!isSum || !llvm::is_contained(sum->getOperands(), out))
    return std::nullopt;
  Operation *product =
      (sum->getOperand(0) == out ? sum->getOperand(1) : sum->getOperand(0)).getDefiningOp();
  bool isProduct = kind == PairDot::Bf16 ? isa_and_nonnull<arith::MulFOp>(product)
                                         : isa_and_nonnull<arith::MulIOp>(product);
  if (!isProduct)
    return std::nullopt;
  Value x = product->getOperand(0), y = product->getOperand(1);
  if ((isWidened(x, argA, kind) && isWidened(y, argB, kind)) ||
      (isWidened(x, argB, kind) && isWidened(y, argA, kind)))
    return kind;
  return std::nullopt;
}

LogicalResult vibee::buildPairDotMicroKernel(RewriterBase &rw, linalg::GenericOp tile,
                                             const MatmulTiles &tiles, PairDot kind) {
  if (tiles.nr % kPairDotLanes || tiles.kc % 2 || tiles.nc % tiles.nr || tiles.mc % tiles.mr)
    return failure();
  MLIRContext *ctx = tile.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  bool byRows = tile.getIndexingMapsArray()[1] == AffineMap::get(3, 0, {n, k}, ctx);
  rw.setInsertionPoint(tile);
  KernelBuilder kernel{rw,
                       tile.getLoc(),
                       tiles,
                       kind,
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
