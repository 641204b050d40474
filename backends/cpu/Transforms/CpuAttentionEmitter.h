//===- CpuAttentionEmitter.h - the loop builder of vibee-cpu-attention ----===//
//
// What the two ways of computing one attention work item share: the op's
// operands and loop sizes inside the chunk function, small IR builders, and the
// register tile (mr scalars x kTileVectors vectors of FMAs over a reduction).
// CpuAttentionQueryBlocks.cpp emits the items of 16 query rows or more with the
// scores transposed (vectors over query rows); CpuAttentionRows.cpp the
// shorter ones (decoding, a short last block) a row at a time (vectors over
// keys). CpuAttention.cpp is the pass.
//
//===----------------------------------------------------------------------===//
#ifndef VIBEE_BACKENDS_CPU_TRANSFORMS_CPUATTENTIONEMITTER_H
#define VIBEE_BACKENDS_CPU_TRANSFORMS_CPUATTENTIONEMITTER_H

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace vibee::cpu_attention {

constexpr int64_t kQueryBlock = 64;    // rows sharing each K/V block load
constexpr int64_t kKeyBlock = 64;      // keys per block
constexpr int64_t kTileVectors = 4;    // vectors per register-tile row
constexpr int64_t kQueryPathRows = 16; // fewer rows in an item: the row path

using Role = AttentionOp::LoopRole;

/// The f32 blocks of one thread (allocated once per chunk call). Q is stored
/// transposed and scaled, qt[d][r]; `rows` holds m (row 0), l (row 1) and the
/// rescale alpha (row 2) of each query row.
struct Blocks {
  mlir::Value qt;     // [D][kQueryBlock]
  mlir::Value kb;     // [kKeyBlock][D]   K rows
  mlir::Value qrows;  // [kQueryBlock][D] Q by rows, scaled (row path)
  mlir::Value vb;     // [kKeyBlock][E]
  mlir::Value scores; // [kKeyBlock][kQueryBlock] (query path: S^T, then P^T;
                      //  row path: S and P by row)
  mlir::Value acct;   // [E][kQueryBlock] the accumulator, transposed (query path)
  mlir::Value acc;    // [kQueryBlock][E] the accumulator (row path)
  mlir::Value rows;   // [3][kQueryBlock]
};

struct Emitter {
  mlir::OpBuilder &b;
  mlir::Location loc;
  AttentionOp op;
  llvm::SmallVector<Role> roles;
  // Set by the pass after construction (default initializers: no
  // missing-field warning for `Emitter{b, loc, op, roles}`).
  mlir::Value q = {}, k = {}, v = {}, bias = {}, out = {}, scale = {};
  llvm::SmallVector<mlir::Value> size = {}; // per loop
  int iq = -1;                         // the blocked query loop (-1: none, a decode)
  unsigned jl = 0, dl = 0, el = 0;
  int64_t lanes = 4, mr = 2; // f32 lanes of a register; scalars of a register tile

  mlir::Value c(int64_t x) { return mlir::arith::ConstantIndexOp::create(b, loc, x); }
  mlir::Value f(double x) {
    return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)x));
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return mlir::arith::AddIOp::create(b, loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return mlir::arith::SubIOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return mlir::arith::MulIOp::create(b, loc, x, y);
  }
  mlir::Value min(mlir::Value x, mlir::Value y) {
    return mlir::arith::MinSIOp::create(b, loc, x, y);
  }
  mlir::Value negInf();

  // for (iv = lb; iv < ub; iv += step) body(iv)
  void loop(mlir::Value lb, mlir::Value ub, llvm::function_ref<void(mlir::Value)> body,
            mlir::Value step = {});
  // A loop carrying values: body(iv, carried) returns the next ones.
  llvm::SmallVector<mlir::Value>
  reduce(mlir::Value lb, mlir::Value ub, mlir::ValueRange init,
         llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value, mlir::ValueRange)> body,
         mlir::Value step = {});

  llvm::SmallVector<mlir::Value> indices(mlir::AffineMap map, llvm::ArrayRef<mlir::Value> env);
  // An operand's element through its map, as f32.
  mlir::Value load(mlir::Value memref, mlir::AffineMap map, llvm::ArrayRef<mlir::Value> env);
  mlir::Value at(mlir::Value block, mlir::Value r, mlir::Value col) {
    return mlir::memref::LoadOp::create(b, loc, block, mlir::ValueRange{r, col});
  }
  void put(mlir::Value x, mlir::Value block, mlir::Value r, mlir::Value col) {
    mlir::memref::StoreOp::create(b, loc, x, block, mlir::ValueRange{r, col});
  }
  mlir::VectorType vectorType() { return mlir::VectorType::get({lanes}, b.getF32Type()); }
  mlir::Value splat(mlir::Value x) {
    return mlir::vector::BroadcastOp::create(b, loc, vectorType(), x);
  }
  mlir::Value vload(mlir::Value block, mlir::Value r, mlir::Value col) {
    return mlir::vector::LoadOp::create(b, loc, vectorType(), block, mlir::ValueRange{r, col});
  }
  void vstore(mlir::Value x, mlir::Value block, mlir::Value r, mlir::Value col) {
    mlir::vector::StoreOp::create(b, loc, x, block, mlir::ValueRange{r, col});
  }
  /// A register tile: `scalars` x kTileVectors accumulators `init`, and for
  /// each iv in [0, ub) acc[i][j] += broadcast(scalar(iv, i)) * vectorAt(iv, j)
  /// (the kTileVectors vectors loaded once for all scalars); returns them.
  llvm::SmallVector<mlir::Value>
  tileLoop(mlir::Value ub, int64_t scalars, llvm::ArrayRef<mlir::Value> init,
           llvm::function_ref<mlir::Value(mlir::Value, int64_t)> vectorAt,
           llvm::function_ref<mlir::Value(mlir::Value, int64_t)> scalar);

  /// Work item w's batch and query indices into env; returns its first query
  /// row i0 (0 without a blocked query loop) and sets rowsOut to its rows.
  mlir::Value itemIndices(mlir::Value w, mlir::Value nqb, llvm::SmallVector<mlir::Value> &env,
                          mlir::Value &rowsOut);
  /// The key block's K and V rows in f32: kb[c][d], vb[c][e].
  void copyKeyValueRows(llvm::SmallVector<mlir::Value> &env, mlir::Value j0, mlir::Value bk,
                        const Blocks &blocks);
  /// body(j0, bk) for each block of the keys the item visits: all, or
  /// (causal) up to its last row's diagonal.
  void forEachKeyBlock(mlir::Value i0, mlir::Value bq,
                       llvm::function_ref<void(mlir::Value, mlir::Value)> body);
  /// The items of either path: env, i0 and bq from itemIndices.
  void emitQueryBlockItem(llvm::SmallVector<mlir::Value> &env, mlir::Value i0, mlir::Value bq,
                          const Blocks &blocks);
  void emitRowItem(llvm::SmallVector<mlir::Value> &env, mlir::Value i0, mlir::Value bq,
                   const Blocks &blocks);
  /// o[r, e] = value(r, e) / l[r] in o's type, for the item's rows.
  void storeOutput(llvm::SmallVector<mlir::Value> &env, mlir::Value i0, mlir::Value bq,
                   const Blocks &blocks,
                   llvm::function_ref<mlir::Value(mlir::Value, mlir::Value)> value);
};

} // namespace vibee::cpu_attention

#endif // VIBEE_BACKENDS_CPU_TRANSFORMS_CPUATTENTIONEMITTER_H
