//===- CpuPackedDotMicroKernel.cpp - matmuls on packed dot products -------===//
//
// The loops (CpuPackedDotMicroKernel.h), all of them built here rather than by
// tiling the generic: the group layout of the packed panels and the broadcast
// of A's groups are not what linalg vectorization produces. G = 2 (bf16) or 4
// (int8) consecutive k:
//     for jc in N step NC:                        (the chunk's columns)
//       for kc in K step KC:
//         Bp[jb][q][G jj + e] = B(kc + G q + e, jc + jb NR + jj), 0 past K
//         int8: off[jb][jj] = 128 x sum over the block of B(k, jc + jb NR + jj)
//         for ic in M step MC:
//           Ap[ib][q][G r + e] = A[ic + ib MR + r][kc + G q + e], 0 past K
//                                (int8: + 128, an unsigned byte)
//           for jr in NC step NR, ir in MC step MR:
//             acc[r][v] = C[ic + ir + r][jc + jr + 16 v : 16]   (int8: - off)
//             for q:  b[v] = Bp[jr / NR][q][16 G v : 16 G]
//                     a[r] = broadcast(Ap[ir / MR][q][G r : G] as i32)
//                     acc[r][v] = dot(acc[r][v], a[r], b[v])   (vdpbf16ps, vpdpbusd)
//             C[...] = acc
// An operand whose groups lie along its rows (A; nn.Linear's B, w[n][k]) is
// packed as a transpose of 32-bit words: runs of 16 groups of 8 rows in
// registers by shuffles (transposeWords), the rest a word at a time.
// A is packed too: its MR rows read in place sit a row apart, and a row of
// 2,048 bf16 is 4 KiB, so all MR groups of a step would share one L1 set.
// Except where N is one register tile (the transposed product of few rows,
// SkinnyTransposedProduct.h): each group of A is then used once, so the
// register tiles read A's rows in place (a K block of whole groups; else the
// pack).
// The dot product is one instruction: x86vector.avx512.dot (vdpbf16ps), or
// LLVM's vpdpbusd intrinsic, which x86vector does not wrap. vpdpbusd
// multiplies unsigned by signed bytes: (a + 128) b summed, minus 128 b summed,
// is a b summed, exactly in wrapping i32 arithmetic.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/CpuPackedDotMicroKernel.h"
#include "backends/cpu/Transforms/ComputedOperand.h"

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
bool isWidened(Value v, BlockArgument arg, vibee::PackedDot kind) {
  if (kind == vibee::PackedDot::Bf16Pairs) {
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
  vibee::PackedDot kind;
  Value a, b, c;
  bool bByRows;  // B read as b[n][k] (nn.Linear), else b[k][n]
  bool zeroInit; // C is zero before: the first K block does not load it
  bool onePanel; // N is one register tile: A may be read in place (below)
  Value packedB; // [NC / NR][KC / G][G NR]
  Value packedA; // [MC / MR][KC / G][G MR]
  Value offsets; // int8: [NC / NR][NR] i32, 128 x B's column sums over the K block

  /// G, the k values one 32-bit lane multiplies and adds: 2 bf16, 4 int8.
  int64_t g() { return vibee::packedDotGroup(kind); }
  bool bytes() { return kind == vibee::PackedDot::Int8Quads; }
  Type element() { return bytes() ? Type(rw.getI8Type()) : Type(rw.getBF16Type()); }
  VectorType elements(int64_t n) { return VectorType::get({n}, element()); }
  /// A's values as the instruction reads them: vpdpbusd's first operand is
  /// unsigned, so int8 A is stored as a + 128 (its sign bit flipped) and
  /// 128 x sum(B) is taken off the accumulators (`offsets`).
  Value unsignedA(Value v) {
    if (!bytes())
      return v;
    Attribute flip = rw.getIntegerAttr(rw.getI8Type(), -128);
    if (auto vt = dyn_cast<VectorType>(v.getType()))
      flip = DenseElementsAttr::get(vt, flip);
    return arith::XOrIOp::create(rw, loc, v,
                                 arith::ConstantOp::create(rw, loc, cast<TypedAttr>(flip)));
  }
  /// acc + sum over the group of a * b, per 32-bit lane.
  Value dot(Value acc, Value av, Value bv) {
    if (!bytes())
      return x86vector::DotBF16Op::create(rw, loc, acc.getType(), acc, av, bv);
    return LLVM::CallIntrinsicOp::create(rw, loc, acc.getType(),
                                         rw.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, av, bv})
        .getResult(0);
  }
  /// 16 copies of a 32-bit group, as the dot product's operand type.
  Value broadcastWord(Value group) {
    Value word = vector::BitCastOp::create(rw, loc, VectorType::get({1}, rw.getI32Type()), group);
    Value scalar = vector::ExtractOp::create(rw, loc, word, ArrayRef<int64_t>{0});
    Value lanes = vector::BroadcastOp::create(
        rw, loc, VectorType::get({vibee::kPackedDotLanes}, rw.getI32Type()), scalar);
    return vector::BitCastOp::create(rw, loc, elements(g() * vibee::kPackedDotLanes), lanes);
  }

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(rw, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(rw, loc, x, y); }
  Value mul(Value x, int64_t f) { return arith::MulIOp::create(rw, loc, x, idx(f)); }
  Value minus(Value x, Value y) { return arith::SubIOp::create(rw, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(rw, loc, x, y); }
  Value div(Value x, int64_t f) { return arith::DivUIOp::create(rw, loc, x, idx(f)); }

  /// for iv in [lo, hi) step `step`: body(iv), the builder inside the loop.
  template <typename Body> void loop(Value lo, Value hi, int64_t step, Body body) {
    auto forOp = scf::ForOp::create(rw, loc, lo, hi, idx(step));
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
  }

  /// `src`'s row x (byRows) or column x at k, zero where k reaches kEnd (read
  /// at the last k instead, then replaced).
  Value elementOrZero(Value src, bool byRows, Value x, Value k, Value kEnd) {
    Value inside = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::ult, k, kEnd);
    Value kRead = min(k, minus(kEnd, idx(1)));
    Value v = memref::LoadOp::create(rw, loc, src,
                                     byRows ? ValueRange{x, kRead} : ValueRange{kRead, x});
    Value zero = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(v.getType()));
    return arith::SelectOp::create(rw, loc, inside, v, zero);
  }

  /// Rows a register transpose of 32-bit groups takes at once.
  static constexpr int64_t kWordRows = 8;

  /// dst[jb][q0 + q][G (r0 + r) + e] = src[x + r][kc + G (q0 + q) + e] for the
  /// 8 rows r and 16 groups q: the 8 x 16 matrix of 32-bit groups transposed by
  /// three rounds of two-source shuffles (pairs of rows, then fours, then
  /// eights; x86's unpack/permute instructions), instead of 128 scalar copies.
  void transposeWords(Value dst, Value src, Value jb, Value x, int64_t r0, Value kc, Value q0,
                      bool isA) {
    int64_t G = g(), lanes = vibee::kPackedDotLanes;
    auto words = VectorType::get({lanes}, rw.getI32Type());
    // What each lane of a value holds: (row, group), both within the block.
    using Lanes = SmallVector<std::pair<int64_t, int64_t>>;
    struct Held {
      Value v;
      Lanes at;
    };
    // blocks[b][p]: part p (in order of groups) of rows [b span, (b + 1) span).
    SmallVector<SmallVector<Held>> blocks;
    for (int64_t r = 0; r < kWordRows; ++r) {
      Value v = vector::LoadOp::create(rw, loc, elements(G * lanes), src,
                                       ValueRange{add(x, idx(r)), add(kc, mul(q0, G))});
      Lanes at;
      for (int64_t q = 0; q < lanes; ++q)
        at.push_back({r, q});
      blocks.push_back({Held{vector::BitCastOp::create(rw, loc, words, v), at}});
    }
    // The shuffle of x and y whose lanes hold `wanted`.
    auto combine = [&](const Held &x, const Held &y, const Lanes &wanted) {
      SmallVector<int64_t> mask;
      for (auto cell : wanted) {
        const auto *inX = llvm::find(x.at, cell);
        mask.push_back(inX != x.at.end() ? inX - x.at.begin()
                                         : lanes + (llvm::find(y.at, cell) - y.at.begin()));
      }
      return Held{vector::ShuffleOp::create(rw, loc, x.v, y.v, mask), wanted};
    };
    auto groupsOf = [](const Held &h) {
      SmallVector<int64_t> groups;
      for (auto [r, q] : h.at)
        if (!llvm::is_contained(groups, q))
          groups.push_back(q);
      return groups;
    };
    // Rounds of span 2 and 4: two blocks of rows become one, each part of
    // their groups two parts of half as many.
    for (int64_t span = 2; span < kWordRows; span *= 2) {
      SmallVector<SmallVector<Held>> next;
      for (size_t b = 0; b + 1 < blocks.size(); b += 2) {
        int64_t row0 = blocks[b].front().at.front().first;
        SmallVector<Held> parts;
        for (auto [upper, lower] : llvm::zip(blocks[b], blocks[b + 1])) {
          SmallVector<int64_t> groups = groupsOf(upper);
          int64_t perPart = lanes / span;
          for (size_t first = 0; first < groups.size(); first += perPart) {
            Lanes wanted;
            for (int64_t l = 0; l < lanes; ++l)
              wanted.push_back({row0 + l % span, groups[first + l / span]});
            parts.push_back(combine(upper, lower, wanted));
          }
        }
        next.push_back(std::move(parts));
      }
      blocks = std::move(next);
    }
    // The last round: one group's 8 rows, stored as its slot of the panel.
    for (auto [upper, lower] : llvm::zip(blocks[0], blocks[1]))
      for (int64_t q : groupsOf(upper)) {
        Lanes wanted;
        for (int64_t r = 0; r < kWordRows; ++r)
          wanted.push_back({r, q});
        Value values = vector::BitCastOp::create(rw, loc, elements(G * kWordRows),
                                                 combine(upper, lower, wanted).v);
        vector::StoreOp::create(rw, loc, isA ? unsignedA(values) : values, dst,
                                ValueRange{jb, add(q0, idx(q)), idx(G * r0)});
      }
  }

  /// dst[jb][q][G jj + e] = src(x = x0 + jb w + jj, k = kc + G q + e), zero
  /// from k = kc + kb on (the last group of a K that G does not divide), for
  /// jb < count / w: the layout of the micro-kernel's panels (A: x = m,
  /// w = MR; B: x = n, w = NR). `src` is read src[x][k] when `byRows`, else
  /// src[k][x]; `isA`: A's values (int8: stored unsigned).
  void packGroups(Value dst, Value src, bool byRows, bool isA, int64_t w, Value x0, Value count,
                  Value kc, Value kb) {
    int64_t G = g(), lanes = vibee::kPackedDotLanes;
    Value kEnd = add(kc, kb);
    Value full = div(kb, G), groups = div(add(kb, idx(G - 1)), G);
    Value blocks = div(count, w);
    Value z = idx(0);
    auto finish = [&](Value v) { return isA ? unsignedA(v) : v; };
    loop(z, blocks, 1, [&](Value jb) {
      if (byRows) {
        // Along k, contiguous: runs of 16 groups of 8 rows transposed in
        // registers, the rest of the groups each one 32-bit copy.
        Value runEnd = z;
        if (w % kWordRows == 0) {
          runEnd = mul(div(full, lanes), lanes);
          for (int64_t r0 = 0; r0 < w; r0 += kWordRows)
            loop(z, runEnd, lanes, [&](Value q0) {
              transposeWords(dst, src, jb, add(x0, add(mul(jb, w), idx(r0))), r0, kc, q0, isA);
            });
        }
        loop(z, idx(w), 1, [&](Value jj) {
          Value x = add(x0, add(mul(jb, w), jj));
          Value slot = mul(jj, G);
          loop(runEnd, full, 1, [&](Value q) {
            Value group = vector::LoadOp::create(rw, loc, elements(G), src,
                                                 ValueRange{x, add(kc, mul(q, G))});
            vector::StoreOp::create(rw, loc, finish(group), dst, ValueRange{jb, q, slot});
          });
          loop(full, groups, 1, [&](Value q) {
            SmallVector<Value> values;
            for (int64_t e = 0; e < G; ++e)
              values.push_back(elementOrZero(src, true, x, add(kc, add(mul(q, G), idx(e))), kEnd));
            Value group = vector::FromElementsOp::create(rw, loc, elements(G), values);
            vector::StoreOp::create(rw, loc, finish(group), dst, ValueRange{jb, q, slot});
          });
        });
        return;
      }
      // Along x, contiguous: G rows of k interleaved, 16 columns at a time
      // (quads: rows 0 and 2, 1 and 3, then the two pairs).
      auto interleaved = [&](Value q, bool last) {
        for (int64_t v = 0; v < w / lanes; ++v) {
          Value x = add(x0, add(mul(jb, w), idx(v * lanes)));
          SmallVector<Value> rows;
          for (int64_t e = 0; e < G; ++e) {
            Value k = add(kc, add(mul(q, G), idx(e)));
            if (!last) {
              rows.push_back(vector::LoadOp::create(rw, loc, elements(lanes), src, ValueRange{k, x}));
              continue;
            }
            Value inside = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::ult, k, kEnd);
            Value row = vector::LoadOp::create(rw, loc, elements(lanes), src,
                                               ValueRange{min(k, minus(kEnd, idx(1))), x});
            Value zero = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(elements(lanes)));
            rows.push_back(arith::SelectOp::create(rw, loc, inside, row, zero));
          }
          Value both = G == 2 ? vector::InterleaveOp::create(rw, loc, rows[0], rows[1]).getResult()
                              : vector::InterleaveOp::create(
                                    rw, loc, vector::InterleaveOp::create(rw, loc, rows[0], rows[2]),
                                    vector::InterleaveOp::create(rw, loc, rows[1], rows[3]))
                                    .getResult();
          vector::StoreOp::create(rw, loc, finish(both), dst, ValueRange{jb, q, idx(G * v * lanes)});
        }
      };
      loop(z, full, 1, [&](Value q) { interleaved(q, false); });
      loop(full, groups, 1, [&](Value q) { interleaved(q, true); });
    });
  }

  /// int8: offsets[jb][n] = 128 x the sum over the block of B's packed column
  /// n, by the instruction itself (all-128 unsigned bytes times B's groups).
  void sumColumns(Value nc, Value groups) {
    auto accType = VectorType::get({vibee::kPackedDotLanes}, rw.getI32Type());
    Value all128 = arith::ConstantOp::create(
        rw, loc,
        DenseElementsAttr::get(elements(g() * vibee::kPackedDotLanes),
                               rw.getIntegerAttr(rw.getI8Type(), -128)));
    Value zeros = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(accType));
    loop(idx(0), div(nc, t.nr), 1, [&](Value jb) {
      for (int64_t v = 0; v < t.nr / vibee::kPackedDotLanes; ++v) {
        auto forOp = scf::ForOp::create(rw, loc, idx(0), groups, idx(1), ValueRange{zeros});
        {
          OpBuilder::InsertionGuard guard(rw);
          rw.setInsertionPointToStart(forOp.getBody());
          Value bv = vector::LoadOp::create(
              rw, loc, elements(g() * vibee::kPackedDotLanes), packedB,
              ValueRange{jb, forOp.getInductionVar(), idx(g() * v * vibee::kPackedDotLanes)});
          scf::YieldOp::create(rw, loc, dot(forOp.getRegionIterArgs()[0], all128, bv));
        }
        vector::StoreOp::create(rw, loc, forOp.getResult(0), offsets,
                                ValueRange{jb, idx(v * vibee::kPackedDotLanes)});
      }
    });
  }

  /// One mr x nr register tile of C at (row, col): A's packed rows ib (A's
  /// rows themselves from column `kcInPlace` when it is set), B's packed
  /// columns jb, every k group of the block.
  /// `first`: the K block is the first (accumulators from zero under zeroInit).
  void registerTile(Value row, Value col, Value ib, Value jb, Value groups, Value first,
                    Value kcInPlace) {
    int64_t vectors = t.nr / vibee::kPackedDotLanes, G = g();
    auto accType = VectorType::get({vibee::kPackedDotLanes}, elementOf(c));
    auto at = [&](int64_t r, int64_t v) {
      return ValueRange{add(row, idx(r)), add(col, idx(v * vibee::kPackedDotLanes))};
    };
    SmallVector<Value> offset;
    if (bytes())
      for (int64_t v = 0; v < vectors; ++v)
        offset.push_back(vector::LoadOp::create(rw, loc, accType, offsets,
                                                ValueRange{jb, idx(v * vibee::kPackedDotLanes)}));
    auto loadC = [&] {
      SmallVector<Value> loaded;
      for (int64_t r = 0; r < t.mr; ++r)
        for (int64_t v = 0; v < vectors; ++v)
          loaded.push_back(vector::LoadOp::create(rw, loc, accType, c, at(r, v)));
      return loaded;
    };
    SmallVector<Value> accs;
    if (zeroInit) {
      SmallVector<Type> types(t.mr * vectors, accType);
      auto ifFirst = scf::IfOp::create(rw, loc, types, first, /*withElse=*/true);
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPointToStart(ifFirst.thenBlock());
      Value zeros = arith::ConstantOp::create(rw, loc, rw.getZeroAttr(accType));
      scf::YieldOp::create(rw, loc, SmallVector<Value>(types.size(), zeros));
      rw.setInsertionPointToStart(ifFirst.elseBlock());
      scf::YieldOp::create(rw, loc, loadC());
      accs.assign(ifFirst.getResults().begin(), ifFirst.getResults().end());
    } else {
      accs = loadC();
    }
    if (bytes())
      for (size_t i = 0; i < accs.size(); ++i)
        accs[i] = arith::SubIOp::create(rw, loc, accs[i], offset[i % vectors]);
    auto forOp = scf::ForOp::create(rw, loc, idx(0), groups, idx(1), accs);
    {
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPointToStart(forOp.getBody());
      Value q = forOp.getInductionVar();
      SmallVector<Value> bv;
      for (int64_t v = 0; v < vectors; ++v)
        bv.push_back(vector::LoadOp::create(rw, loc, elements(G * vibee::kPackedDotLanes), packedB,
                                            ValueRange{jb, q, idx(G * v * vibee::kPackedDotLanes)}));
      SmallVector<Value> next;
      for (int64_t r = 0; r < t.mr; ++r) {
        Value group = kcInPlace ? unsignedA(vector::LoadOp::create(
                                      rw, loc, elements(G), a,
                                      ValueRange{add(row, idx(r)), add(kcInPlace, mul(q, G))}))
                                : vector::LoadOp::create(rw, loc, elements(G), packedA,
                                                         ValueRange{ib, q, idx(G * r)});
        Value av = broadcastWord(group);
        for (int64_t v = 0; v < vectors; ++v)
          next.push_back(dot(forOp.getRegionIterArgs()[r * vectors + v], av, bv[v]));
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
    int64_t G = g();
    auto alloc = [&](ArrayRef<int64_t> shape, Type type) {
      return memref::AllocOp::create(rw, loc, MemRefType::get(shape, type),
                                     rw.getI64IntegerAttr(64))
          .getResult();
    };
    packedB = alloc({t.nc / t.nr, t.kc / G, G * t.nr}, element());
    packedA = alloc({t.mc / t.mr, t.kc / G, G * t.mr}, element());
    if (bytes())
      offsets = alloc({t.nc / t.nr, t.nr}, rw.getI32Type());
    Value z = idx(0);
    loop(z, n, t.nc, [&](Value jc) {
      Value nc = min(idx(t.nc), minus(n, jc));
      loop(z, k, t.kc, [&](Value kc) {
        Value kb = min(idx(t.kc), minus(k, kc));
        Value groups = div(add(kb, idx(G - 1)), G);
        Value first =
            zeroInit ? arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq, kc, z) : Value();
        packGroups(packedB, b, bByRows, /*isA=*/false, t.nr, jc, nc, kc, kb);
        if (bytes())
          sumColumns(nc, groups);
        loop(z, m, t.mc, [&](Value ic) {
          Value mc = min(idx(t.mc), minus(m, ic));
          auto tiles = [&](Value kcInPlace) {
            loop(z, nc, t.nr, [&](Value jr) {
              Value jb = div(jr, t.nr);
              loop(z, mc, t.mr, [&](Value ir) {
                registerTile(add(ic, ir), add(jc, jr), div(ir, t.mr), jb, groups, first, kcInPlace);
              });
            });
          };
          auto packedTiles = [&] {
            packGroups(packedA, a, /*byRows=*/true, /*isA=*/true, t.mr, ic, mc, kc, kb);
            tiles(Value());
          };
          if (!onePanel)
            return packedTiles();
          // One panel: each A group is used by one register tile only, so
          // packing A is a copy of all of it for nothing; read in place where
          // the block is whole groups (no group reaches past the row).
          Value whole = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq,
                                              arith::RemUIOp::create(rw, loc, kb, idx(G)), z);
          auto ifWhole = scf::IfOp::create(rw, loc, whole, /*withElse=*/true);
          OpBuilder::InsertionGuard guard(rw);
          rw.setInsertionPoint(ifWhole.thenBlock()->getTerminator());
          tiles(kc);
          rw.setInsertionPoint(ifWhole.elseBlock()->getTerminator());
          packedTiles();
        });
      });
    });
    for (Value buffer : {packedA, packedB, offsets})
      if (buffer)
        memref::DeallocOp::create(rw, loc, buffer);
  }
};

} // namespace

std::optional<vibee::PackedDot> vibee::packedDotMatmul(linalg::GenericOp op) {
  if (!isMatmulNest(op) || op.getNumDpsInputs() != 2)
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  AffineMap bMap = op.getIndexingMapsArray()[1];
  if (bMap != AffineMap::get(3, 0, {k, n}, ctx) && bMap != AffineMap::get(3, 0, {n, k}, ctx))
    return std::nullopt;
  if (!isa<MemRefType>(op.getDpsInputs()[1].getType()))
    return std::nullopt;
  Type acc = elementOf(op.getDpsInits()[0]);
  PackedDot kind = acc.isF32() ? PackedDot::Bf16Pairs : PackedDot::Int8Quads;
  if (!acc.isF32() && !acc.isSignlessInteger(32))
    return std::nullopt;
  // out + x * y, x and y the widened A and B, nothing else in the body.
  Block &body = op.getRegion().front();
  if (std::distance(body.begin(), body.end()) != 5)
    return std::nullopt;
  Operation *sum = body.getTerminator()->getOperand(0).getDefiningOp();
  BlockArgument argA = body.getArgument(0), argB = body.getArgument(1), out = body.getArgument(2);
  bool isSum = kind == PackedDot::Bf16Pairs ? isa_and_nonnull<arith::AddFOp>(sum)
                                     : isa_and_nonnull<arith::AddIOp>(sum);
  if (!isSum || !llvm::is_contained(sum->getOperands(), out))
    return std::nullopt;
  Operation *product =
      (sum->getOperand(0) == out ? sum->getOperand(1) : sum->getOperand(0)).getDefiningOp();
  bool isProduct = kind == PackedDot::Bf16Pairs ? isa_and_nonnull<arith::MulFOp>(product)
                                         : isa_and_nonnull<arith::MulIOp>(product);
  if (!isProduct)
    return std::nullopt;
  Value x = product->getOperand(0), y = product->getOperand(1);
  if ((isWidened(x, argA, kind) && isWidened(y, argB, kind)) ||
      (isWidened(x, argB, kind) && isWidened(y, argA, kind)))
    return kind;
  return std::nullopt;
}

LogicalResult vibee::buildPackedDotMicroKernel(RewriterBase &rw, linalg::GenericOp tile,
                                               const MatmulTiles &tiles, PackedDot kind,
                                               bool zeroInit, bool onePanel) {
  if (tiles.nr % kPackedDotLanes || tiles.kc % packedDotGroup(kind) || tiles.nc % tiles.nr ||
      tiles.mc % tiles.mr)
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
                       zeroInit,
                       onePanel,
                       {},
                       {},
                       {}};
  kernel.build();
  rw.eraseOp(tile);
  return success();
}
