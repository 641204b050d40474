//===- CpuPackContractions.cpp - every linalg.contract onto the f32 kernel -===//
//
// vibee-cpu-pack-contractions, on bufferized linalg before
// vibee-cpu-tile-matmul. A linalg.contract of any layout (docs/architecture.md,
// "Contractions") becomes the one form the register micro-kernel takes,
// C[m, n] += A[m, k] * B[k, n] in f32, by packing: with the contract's loops
// cut into batch, M, N and K roles (a loop in A, B and C; in A and C; in B and
// C; in A and B),
//     A' [batch][M][K] = f32(A[...])   (all M loops as one, all K loops as one)
//     B' [batch][K][N] = f32(B[...])
//     for b in batch:  C'[b] += A'[b] * B'[b]      (vibee-cpu-tile-matmul)
//     C[...] += C'[...]
// An operand already in that layout, in f32 and contiguous, is not copied (a
// collapse_shape view of it), so the plain f32 matmul and the batched one run
// in place as before; transposed or narrow operands (nn.Linear's w[n, k], bf16,
// i8) pay one copy, O(MK + KN) against the O(MNK) product.
//
// Skinny M (the M loops' extents multiply to <= 16, decided at run time:
// decoding): a packed copy of the weights would triple the traffic of a
// bandwidth-bound product, so a contraction whose operands both read a
// contracted loop innermost (x[m, k] * w[n, k]) runs those calls on the
// contract's generic loops, N outside M, dot products along contiguous k that
// vibee-cpu-vectorize vectorizes (scf.if: generic, else packed).
//
// Quantized weights (issue 13): when B is narrow (i8, bf16, f16) or the output
// of a dequantizing prologue (`f32(w[n, k]) * scale[n, k / G]`, a parallel
// generic whose only reader is the contract), no f32 copy of B is made. The
// matmul generic reads the narrow buffers and computes B in its body
// (ComputedOperand.h); vibee-cpu-tile-matmul evaluates that body while it packs
// each panel, and the prologue and its [N, K] f32 buffer are erased. The skinny
// loops read the narrow buffers the same way, where B's reads are plain (a
// `k / G` read takes the packed path whatever M). Where this does not apply
// (batch loops, several N or K loops, a read that does not tile, a write
// between the prologue and the contract) B is copied as before, with a remark.
//
// What this pass cannot pack (an accumulator other than f32, no M or no N
// loop) becomes the generic the contract defines, with a remark.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Transforms/ComputedOperand.h"
#include "backends/cpu/Transforms/ContractionPacking.h"
#include "backends/cpu/Transforms/Passes.h"
#include "backends/cpu/Transforms/ScheduleHints.h"
#include "backends/cpu/Transforms/SkinnyRowsOfB.h"
#include "backends/cpu/Transforms/SkinnyTransposedProduct.h"
#include "backends/cpu/Transforms/ThreadRuntime.h"
#include "backends/cpu/Transforms/ZeroInit.h"
#include "transforms/RowGroupAnalysis.h"

#include "ir/VibeeDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace vibee {
#define GEN_PASS_DEF_CPUPACKCONTRACTIONSPASS
#include "backends/cpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee::packing;

namespace {

/// B's map over (m, n, k): read as [N][K] when bRows (packBByRows), else [K][N].
AffineMap bPackedMap(MLIRContext *ctx, bool bRows) {
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  return bRows ? AffineMap::get(3, 0, {n, k}, ctx) : AffineMap::get(3, 0, {k, n}, ctx);
}

/// Whether B' is packed as [batch][N][K]: the packed dot-product kernels read B
/// by rows too (nn.Linear's w[n, k]), so a B whose innermost axis is contracted
/// (per-head keys k[j, h, d]) is copied a whole row at a time, not transposed
/// element by element.
bool packBByRows(const Roles &roles, AffineMap bMap, bool packedDot) {
  auto inner = dyn_cast<AffineDimExpr>(bMap.getResults().back());
  return packedDot && inner && llvm::is_contained(roles.k, inner.getPosition());
}

/// C[m, n] += A[m, k] * B[k, n] (B[n, k] when bRows), the generic
/// vibee-cpu-tile-matmul takes (bf16 A and B widened in its body: the packed
/// dot-product kernel's form).
void buildMatmul(RewriterBase &rw, Location loc, Value a, Value b, Value c, bool bRows = false) {
  SmallVector<AffineMap> maps = vibee::plainMatmulMaps(rw.getContext());
  maps[1] = bPackedMap(rw.getContext(), bRows);
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, utils::IteratorType::parallel, utils::IteratorType::reduction};
  linalg::GenericOp::create(rw, loc, ValueRange{a, b}, ValueRange{c}, maps, iterators,
                            [](OpBuilder &bb, Location l, ValueRange args) {
                              Value p = arith::MulFOp::create(bb, l, Packer::toF32(bb, l, args[0]),
                                                              Packer::toF32(bb, l, args[1]));
                              Value sum = arith::AddFOp::create(bb, l, p, args[2]);
                              linalg::YieldOp::create(bb, l, sum);
                            });
}

/// The [rows][cols] slice `i` of a [batch][rows][cols] buffer.
Value slice(RewriterBase &rw, Location loc, Value buffer, Value i) {
  SmallVector<OpFoldResult> offsets = {i, rw.getIndexAttr(0), rw.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {rw.getIndexAttr(1),
                                     memref::DimOp::create(rw, loc, buffer, 1).getResult(),
                                     memref::DimOp::create(rw, loc, buffer, 2).getResult()};
  SmallVector<OpFoldResult> strides(3, rw.getIndexAttr(1));
  auto type = memref::SubViewOp::inferRankReducedResultType(
      {ShapedType::kDynamic, ShapedType::kDynamic}, cast<MemRefType>(buffer.getType()), offsets,
      sizes, strides);
  return memref::SubViewOp::create(rw, loc, cast<MemRefType>(type), buffer, offsets, sizes,
                                   strides);
}

/// for i in [0, batch): body(i), the slices of a batched contraction. With
/// threads (unless a schedule hint keeps them off every batch loop), ranges of
/// slices run on the runtime's threads when the slices split evenly over them
/// (ThreadAdmission::Balanced), each slice's matmul then serial; otherwise the
/// slices run in order and each matmul splits its own N panels, so that a few
/// large slices still use every thread.
void emitBatchLoop(RewriterBase &rw, Location loc, linalg::ContractOp op, Packer &p,
                   const Roles &roles, bool threads, function_ref<void(Value i)> body) {
  auto loop = scf::ForOp::create(rw, loc, p.c(0), p.product(roles.batch), p.c(1));
  rw.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
  rw.setInsertionPointAfter(loop);
  vibee::ScheduleHints hints = vibee::ScheduleHints::of(op);
  bool batchThreads = llvm::any_of(roles.batch, [&](unsigned d) {
    return hints.allowsParallel(vibee::loopSymbol(op, d));
  });
  if (!threads || !batchThreads)
    return;
  SmallVector<unsigned> loops(roles.batch);
  llvm::append_range(loops, roles.m);
  llvm::append_range(loops, roles.n);
  llvm::append_range(loops, roles.k);
  rw.setInsertionPoint(loop);
  Value work = p.product(loops);
  vibee::emitLoopOverThreads(rw, loop, work, hints.maxThreads(), vibee::ThreadAdmission::Balanced);
}

/// C[...] += C'[...]: the packed accumulator `full` (one axis per loop) added
/// to `c`, which reads it through `read`; C[...] = C'[...] when `assign` (C was
/// zero).
void addBack(RewriterBase &rw, Location loc, Value full, AffineMap read, Value c, bool assign) {
  unsigned rank = read.getNumDims();
  AffineMap identity = rw.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
  linalg::GenericOp::create(rw, loc, ValueRange{full}, ValueRange{c},
                            ArrayRef<AffineMap>{identity, read}, parallel,
                            [&](OpBuilder &bb, Location l, ValueRange args) {
                              if (assign) {
                                linalg::YieldOp::create(bb, l, args[0]);
                                return;
                              }
                              Value sum = isa<FloatType>(args[0].getType())
                                              ? arith::AddFOp::create(bb, l, args[1], args[0])
                                                    .getResult()
                                              : arith::AddIOp::create(bb, l, args[1], args[0])
                                                    .getResult();
                              linalg::YieldOp::create(bb, l, sum);
                            });
}

/// Why `op` cannot be packed, or the empty string.
std::string unpackable(linalg::ContractOp op, const std::optional<Roles> &roles) {
  if (!op.hasPureBufferSemantics())
    return "not bufferized";
  if (!cast<MemRefType>(op.getOutputs()[0].getType()).getElementType().isF32())
    return "the accumulator is not f32";
  if (!roles)
    return "a loop is a broadcast";
  if (roles->m.empty() || roles->n.empty())
    return "no M or no N loop (a matrix-vector or dot product)";
  for (Value input : op.getInputs()) {
    Type t = cast<MemRefType>(input.getType()).getElementType();
    if (!isa<FloatType>(t) && !t.isSignlessInteger())
      return "an operand's element type cannot be packed";
  }
  return "";
}

/// The micro-kernel a packed contraction is meant for (vibee-cpu-tile-matmul).
enum class Kernel {
  F32,          // A' f32, B computed or packed in f32
  Bf16Pairs,    // A' bf16, B bf16 read in place: vdpbf16ps
  Int8Quads,    // A' i8, B i8 read in place, C i32: vpdpbusd
};

Type elementType(Value v) { return cast<MemRefType>(v.getType()).getElementType(); }

/// A and a B read in place (no prologue), both bf16: with a vdpbf16ps target
/// A' stays bf16 and vibee-cpu-tile-matmul multiplies pairs of bf16.
bool bf16Pair(linalg::ContractOp op, const Dequant *dq) {
  return dq && !dq->prologue && dq->sources.size() == 1 &&
         elementType(dq->sources[0]).isBF16() && elementType(op.getInputs()[0]).isBF16();
}

/// i8 operands into an i32 accumulator: with a VNNI target, quads of byte
/// products on vpdpbusd (exact, and the wrapping of an i32 sum does not depend
/// on its order), whatever the loops: batch loops (per-head int8 scores) and
/// several M, N or K loops are packed as for f32.
bool int8Quads(linalg::ContractOp op) {
  auto narrowInt = [](Type t) { return t.isSignlessInteger(8); };
  return narrowInt(elementType(op.getInputs()[0])) && narrowInt(elementType(op.getInputs()[1])) &&
         elementType(op.getOutputs()[0]).isSignlessInteger(32) &&
         op.getCast() == linalg::TypeFn::cast_signed;
}

/// One M, N and K loop and C[m, n]: B is read where it lies.
bool int8InPlaceB(linalg::ContractOp op, const Roles &roles) {
  AffineMap cMap = op.getIndexingMapsArray()[2];
  return roles.batch.empty() && roles.m.size() == 1 && roles.n.size() == 1 &&
         roles.k.size() == 1 &&
         cMap.getResult(0) == getAffineDimExpr(roles.m[0], op.getContext()) &&
         cMap.getResult(1) == getAffineDimExpr(roles.n[0], op.getContext());
}

/// c[m, n] += i32(a[m, k]) * i32(b[...]), `bMap` over (m, n, k): the generic
/// vibee-cpu-tile-matmul puts on the packed dot-product kernel.
void buildInt8Matmul(RewriterBase &rw, Location loc, Value a, Value b, AffineMap bMap, Value c) {
  MLIRContext *ctx = rw.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx), bMap,
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, utils::IteratorType::parallel, utils::IteratorType::reduction};
  linalg::GenericOp::create(
      rw, loc, ValueRange{a, b}, ValueRange{c}, maps, iterators,
      [](OpBuilder &bb, Location l, ValueRange args) {
        Value x = arith::ExtSIOp::create(bb, l, bb.getI32Type(), args[0]);
        Value y = arith::ExtSIOp::create(bb, l, bb.getI32Type(), args[1]);
        Value sum = arith::AddIOp::create(bb, l, arith::MulIOp::create(bb, l, x, y), args[2]);
        linalg::YieldOp::create(bb, l, sum);
      });
}

/// A Packer for `op` with every loop's extent from the first operand that reads
/// it (A, B, C; B skipped when `skipB`: a dequantized B is not a buffer of its
/// own).
Packer makePacker(RewriterBase &rw, Location loc, linalg::ContractOp op, bool skipB) {
  Packer p{rw, loc, op, op.getIndexingMapsArray(), {}};
  SmallVector<Value> operands = {op.getInputs()[0], op.getInputs()[1], op.getOutputs()[0]};
  p.extents.resize(op.getNumLoops());
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    for (unsigned i = 0; i < 3 && !p.extents[d]; ++i)
      if (std::optional<unsigned> pos = position(p.maps[i], d); pos && !(skipB && i == 1))
        p.extents[d] = memref::DimOp::create(rw, loc, operands[i], *pos);
  return p;
}

/// C[m, n] += i32(A'[m, k]) * i32(B'[k, n]) with A' [batch][M][K] in i8 (A
/// itself when it is that already), B read where it lies when int8InPlaceB,
/// else packed in i8 as B' [batch][K][N] ([batch][N][K] when packBByRows), and
/// C' [batch][M][N] (C itself, or a zeroed copy added back).
void packInt8(RewriterBase &rw, linalg::ContractOp op, const Roles &roles, bool threads) {
  Location loc = op.getLoc();
  linalg::FillOp init = vibee::zeroFillBefore(op, op.getOutputs()[0]);
  rw.setInsertionPoint(op);
  Packer p = makePacker(rw, loc, op, /*skipB=*/false);
  SmallVector<Value> operands = {op.getInputs()[0], op.getInputs()[1], op.getOutputs()[0]};
  SmallVector<Value> allocs;
  Type i8 = rw.getI8Type(), i32 = rw.getI32Type();
  Value a = p.pack(operands[0], p.maps[0], roles.batch, roles.m, roles.k, true, allocs, i8);
  if (int8InPlaceB(op, roles)) {
    if (init)
      vibee::emitZeroFill(rw, loc, operands[2]);
    buildInt8Matmul(rw, loc, a, operands[1], toMNK(p.maps[1], roles), operands[2]);
  } else {
    mlir::emitRemark(loc) << "contraction's B operand copied in int8 before packing: batch "
                             "loops, several M, N or K loops, or a result other than c[m, n]";
    bool bRows = packBByRows(roles, p.maps[1], /*packedDot=*/true);
    Value b = p.pack(operands[1], p.maps[1], roles.batch, bRows ? roles.n : roles.k,
                     bRows ? roles.k : roles.n, true, allocs, i8);
    size_t before = allocs.size();
    Value cFlat = p.pack(operands[2], p.maps[2], roles.batch, roles.m, roles.n, false, allocs, i32);
    bool cCopied = allocs.size() > before;
    AffineMap cRead = p.packedToOriginal;
    Value cFull = p.fullView;
    AffineMap bPacked = bPackedMap(rw.getContext(), bRows);
    auto matmul = [&](Value a, Value b, Value c) {
      if (cCopied || init)
        vibee::emitZeroFill(rw, loc, c);
      buildInt8Matmul(rw, loc, a, b, bPacked, c);
    };
    if (roles.batch.empty()) {
      matmul(a, b, cFlat);
    } else {
      emitBatchLoop(rw, loc, op, p, roles, threads, [&](Value i) {
        matmul(slice(rw, loc, a, i), slice(rw, loc, b, i), slice(rw, loc, cFlat, i));
      });
    }
    if (cCopied)
      addBack(rw, loc, cFull, cRead, operands[2], /*assign=*/init != nullptr);
  }
  for (Value alloc : allocs)
    memref::DeallocOp::create(rw, loc, alloc);
  rw.eraseOp(op);
  if (init)
    rw.eraseOp(init);
}

void packContraction(RewriterBase &rw, linalg::ContractOp op, const Roles &roles,
                     const Dequant *dq, Kernel kernel, bool threads) {
  if (kernel == Kernel::Int8Quads)
    return packInt8(rw, op, roles, threads);
  Location loc = op.getLoc();
  linalg::FillOp init = vibee::zeroFillBefore(op, op.getOutputs()[0]);
  rw.setInsertionPoint(op);
  Packer p = makePacker(rw, loc, op, /*skipB=*/dq != nullptr);
  SmallVector<Value> operands = {op.getInputs()[0], op.getInputs()[1], op.getOutputs()[0]};

  SmallVector<Value> allocs;
  Value a = p.pack(operands[0], p.maps[0], roles.batch, roles.m, roles.k, true, allocs,
                   kernel == Kernel::Bf16Pairs ? rw.getBF16Type() : Type());
  bool bRows = !dq && packBByRows(roles, p.maps[1], kernel == Kernel::Bf16Pairs);
  Value b = dq ? Value()
               : p.pack(operands[1], p.maps[1], roles.batch, bRows ? roles.n : roles.k,
                        bRows ? roles.k : roles.n, true, allocs,
                        kernel == Kernel::Bf16Pairs ? rw.getBF16Type() : Type());
  size_t before = allocs.size();
  Value cFlat = p.pack(operands[2], p.maps[2], roles.batch, roles.m, roles.n, false, allocs);
  bool cCopied = allocs.size() > before;
  AffineMap cRead = p.packedToOriginal;
  Value cFull = p.fullView;
  // Each matmul generic's C is zeroed right before it, where
  // vibee-cpu-tile-matmul absorbs the fill (ZeroInit.h).
  auto zeroFirst = [&](Value c) {
    if (cCopied || init)
      vibee::emitZeroFill(rw, loc, c);
    return c;
  };

  if (dq) { // no batch loops
    MLIRContext *ctx = rw.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx)};
    for (AffineMap map : dq->maps)
      maps.push_back(toMNK(map, roles));
    maps.push_back(AffineMap::get(3, 0, {m, n}, ctx));
    SmallVector<unsigned> mnkOf(op.getNumLoops(), 0); // (the prologue reads no M loop)
    mnkOf[roles.n[0]] = 1;
    mnkOf[roles.k[0]] = 2;
    buildComputedGeneric(rw, loc, *dq, a, zeroFirst(cFlat), maps,
                         {utils::IteratorType::parallel, utils::IteratorType::parallel,
                          utils::IteratorType::reduction},
                         mnkOf);
  } else if (roles.batch.empty()) {
    buildMatmul(rw, loc, a, b, zeroFirst(cFlat), bRows);
  } else {
    emitBatchLoop(rw, loc, op, p, roles, threads, [&](Value i) {
      Value aSlice = slice(rw, loc, a, i), bSlice = slice(rw, loc, b, i);
      Value cSlice = slice(rw, loc, cFlat, i);
      buildMatmul(rw, loc, aSlice, bSlice, zeroFirst(cSlice), bRows);
    });
  }
  if (cCopied)
    addBack(rw, loc, cFull, cRead, operands[2], /*assign=*/init != nullptr);
  for (Value alloc : allocs)
    memref::DeallocOp::create(rw, loc, alloc);
  rw.eraseOp(op);
  if (init)
    rw.eraseOp(init);
  if (dq)
    erasePrologue(rw, *dq);
}

/// Both operands read a contracted loop as their innermost dim (x[m, k] and
/// w[n, k]): with few rows the generic loops are dot products along
/// contiguous memory, and the weights are read once, not copied first.
bool dotProductLayout(linalg::ContractOp op, const Roles &roles, const Dequant *dq) {
  for (unsigned i = 0; i < 2 && !(dq && i == 1); ++i) {
    AffineMap map = op.getIndexingMapsArray()[i];
    auto inner = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!inner || !llvm::is_contained(roles.k, inner.getPosition()))
      return false;
  }
  // The sources of a computed B that read k read it innermost (a per-channel
  // scale s[n] is invariant along the dot product) and plainly: a `k / G` read
  // (int4 nibbles, group scales) does not vectorize along k, so the dot
  // products would unpack each weight once per row in scalar code, where the
  // packed path unpacks it once per panel (docs/performance.md, "Session 18").
  if (dq)
    for (auto [source, map] : llvm::zip(dq->sources, dq->maps))
      if (isa<MemRefType>(source.getType()) && map.getNumResults() &&
          llvm::any_of(roles.k, [&](unsigned d) { return map.isFunctionOfDim(d); }) &&
          (!map.getResults().back().isFunctionOfDim(roles.k[0]) ||
           !map.isProjectedPermutation()))
        return false;
  return true;
}

/// if (condition) { the contract's generic, N loops outside M } else { `op` },
/// `init` (the zero fill of C, if any) in both branches. With `threads`, the
/// generic is marked for vibee-cpu-parallelize, which splits its N loop.
void buildDotProductBranch(RewriterBase &rw, linalg::ContractOp op, const Roles &roles,
                           const Dequant *dq, linalg::FillOp init, Value condition, bool threads) {
  Location loc = op.getLoc();
  auto ifOp = scf::IfOp::create(rw, loc, condition, /*withElse=*/true);
  rw.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  FailureOr<linalg::GenericOp> generic = failure();
  if (dq) {
    SmallVector<AffineMap> maps = {op.getIndexingMapsArray()[0]};
    llvm::append_range(maps, dq->maps);
    maps.push_back(op.getIndexingMapsArray()[2]);
    SmallVector<unsigned> same = llvm::to_vector(llvm::seq<unsigned>(0, op.getNumLoops()));
    generic = buildComputedGeneric(rw, loc, *dq, op.getInputs()[0], op.getOutputs()[0], maps,
                                   op.getIteratorTypesArray(), same);
  } else {
    auto clone = cast<linalg::ContractOp>(rw.clone(*op));
    rw.setInsertionPoint(clone);
    generic = linalg::generalizeNamedOp(rw, clone);
  }
  // N loops outside the M loops: each weight row is loaded once and stays in L1
  // while the few rows of x (in L2) are dotted with it, instead of the weights
  // streaming from memory once per row of x.
  SmallVector<unsigned> order(roles.batch);
  llvm::append_range(order, roles.n);
  llvm::append_range(order, roles.m);
  llvm::append_range(order, roles.k);
  if (succeeded(generic)) {
    FailureOr<linalg::GenericOp> ordered = linalg::interchangeGenericOp(rw, *generic, order);
    // Only the weights' N loop is split, each thread reading its own rows of
    // them (decoding's GEMV is bandwidth-bound, a dequantizing one compute-bound).
    if (threads && succeeded(ordered) && roles.batch.empty())
      (*ordered)->setAttr(vibee::attr::kThreadsInBranch, rw.getUnitAttr());
  }
  rw.moveOpBefore(op, ifOp.elseBlock()->getTerminator());
  // The fill goes with each branch, so that the packed one can move it.
  if (init) {
    rw.setInsertionPointToStart(ifOp.thenBlock());
    rw.clone(*init);
    rw.moveOpBefore(init, op);
  }
}

/// if (condition) { the product with b's rows in order (SkinnyRowsOfB.h) } else
/// { `op` }, `init` (the zero fill of C, if any) in both branches.
void buildRowsOfBBranch(RewriterBase &rw, linalg::ContractOp op, const Roles &roles,
                        linalg::FillOp init, Value condition, bool threads) {
  auto ifOp = scf::IfOp::create(rw, op.getLoc(), condition, /*withElse=*/true);
  rw.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  if (init)
    rw.clone(*init);
  vibee::buildRowsOfBProduct(rw, op, roles, threads);
  rw.moveOpBefore(op, ifOp.elseBlock()->getTerminator());
  if (init)
    rw.moveOpBefore(init, op);
}

/// if (M <= dot rows, both operands along k) { the contract's generic }
/// else if (M <= 2, x[m, k] * b[k, n]) { b's rows in order, k outermost }
/// else if (M <= 128, x[m, k] * w[n, k]; 3 <= M <= 32, f32 x[m, k] * b[k, n])
///   { transposed product by 32-row blocks }
/// else { packed }
void packOrSkinny(RewriterBase &rw, linalg::ContractOp op, const Roles &roles, const Dequant *dq,
                  Kernel kernel, bool threads) {
  // Where the dot products stop beating the packed micro-kernel, which reads
  // the weights once more for the M % MR edge rows (docs/performance.md,
  // "Session 21").
  constexpr int64_t kSkinnyRows = 11;
  // Below it, the transposed product (16 rows computed whatever M) loses to
  // the dot products (w[n, k]) and to the packed path's edge rows (b[k, n]),
  // which read the weights once per row (docs/performance.md, "Session 34",
  // "Session 35").
  constexpr int64_t kFewestTransposedRows = 3;
  bool dots = dotProductLayout(op, roles, dq);
  // B read as it is (f32 w[n, k] comes as a computed B of itself, packed by panels).
  bool plainB =
      !dq || (!dq->prologue && dq->sources.size() == 1 && dq->sources[0] == op.getInputs()[1]);
  bool transposed = plainB && vibee::canTransposeSkinny(op, roles, kernel == Kernel::Bf16Pairs);
  bool rowsOfB = !dots && plainB && vibee::canStreamRowsOfB(op, roles);
  if (!dots && !transposed && !rowsOfB)
    return packContraction(rw, op, roles, dq, kernel, threads);
  Location loc = op.getLoc();
  linalg::FillOp init = vibee::zeroFillBefore(op, op.getOutputs()[0]);
  rw.setInsertionPoint(init ? init.getOperation() : op.getOperation());
  AffineMap mapA = op.getIndexingMapsArray()[0];
  Value rows = arith::ConstantIndexOp::create(rw, loc, 1);
  for (unsigned d : roles.m)
    rows = arith::MulIOp::create(
        rw, loc, rows, memref::DimOp::create(rw, loc, op.getInputs()[0], *position(mapA, d)));
  auto atMost = [&](int64_t limit) -> Value {
    return arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sle, rows,
                                 arith::ConstantIndexOp::create(rw, loc, limit));
  };
  if (dots)
    buildDotProductBranch(rw, op, roles, dq, init,
                          atMost(transposed ? kFewestTransposedRows - 1 : kSkinnyRows), threads);
  // b[k, n] with 1 or 2 rows: below the transposed product, and on the
  // packed path such rows are edge rows that copy b into panels first.
  if (rowsOfB)
    buildRowsOfBBranch(rw, op, roles, init, atMost(kFewestTransposedRows - 1), threads);
  // else if (M <= 128) { for each block of 32 rows: transposed, 16 or 32 } else { packed }
  // b[k, n], read through a transposed view: from 3 to 32 rows, where the
  // packed path's edge rows (fewer than its register tile's) read b once per
  // row and one block beats it (docs/performance.md, "Session 35").
  if (transposed) {
    rw.setInsertionPoint(init ? init.getOperation() : op.getOperation());
    Value fewRows = atMost(dots ? vibee::kTransposedRowsMax : vibee::kTransposedColumns[1]);
    if (!dots)
      fewRows = arith::AndIOp::create(
          rw, loc, fewRows,
          arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sge, rows,
                                arith::ConstantIndexOp::create(rw, loc, kFewestTransposedRows)));
    auto ifRows = scf::IfOp::create(rw, loc, fewRows, /*withElse=*/true);
    rw.setInsertionPoint(ifRows.thenBlock()->getTerminator());
    if (init)
      rw.clone(*init);
    vibee::buildTransposedProductByRowBlocks(rw, op, roles);
    if (init)
      rw.moveOpBefore(init, ifRows.elseBlock()->getTerminator());
    rw.moveOpBefore(op, ifRows.elseBlock()->getTerminator());
  }
  packContraction(rw, op, roles, dq, kernel, threads);
}

struct CpuPackContractionsPass : vibee::impl::CpuPackContractionsPassBase<CpuPackContractionsPass> {
  using CpuPackContractionsPassBase::CpuPackContractionsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::ContractOp> contractions;
    getOperation()->walk([&](linalg::ContractOp op) { contractions.push_back(op); });
    IRRewriter rw(&getContext());
    for (linalg::ContractOp op : contractions) {
      std::optional<Roles> roles = classify(op);
      if (vnni && op.hasPureBufferSemantics() && roles && !roles->m.empty() &&
          !roles->n.empty() && int8Quads(op)) {
        packOrSkinny(rw, op, *roles, nullptr, Kernel::Int8Quads, threads);
        continue;
      }
      std::string why = unpackable(op, roles);
      if (why.empty()) {
        std::string copied;
        std::optional<Dequant> dq = dequantizedB(op, *roles, copied);
        const Dequant *computedB = dq ? &*dq : nullptr;
        // bf16 A and B: B read in place (computedB), or copied in bf16 where
        // it cannot be (batch loops, several N or K loops).
        bool bf16Operands = elementType(op.getInputs()[0]).isBF16() &&
                            elementType(op.getInputs()[1]).isBF16();
        Kernel kernel = bf16Dot && bf16Operands && (!computedB || bf16Pair(op, computedB))
                            ? Kernel::Bf16Pairs
                            : Kernel::F32;
        if (!copied.empty())
          mlir::emitRemark(op.getLoc())
              << "contraction's B operand "
              << (kernel == Kernel::Bf16Pairs ? "copied in bf16" : "converted to an f32 copy")
              << " before packing: " << copied;
        packOrSkinny(rw, op, *roles, computedB, kernel, threads);
        continue;
      }
      // At the op's location, not op->emitRemark(): that attaches the op as
      // printed, and printing a nested op numbers its whole function (a
      // remark per statement made large kernels quadratic).
      mlir::emitRemark(op.getLoc()) << "contraction on generic loops: " << why;
      rw.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rw, op))) {
        op->emitOpError("could not be generalized");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
