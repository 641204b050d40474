//===- GpuScanKernels.cpp - vibee-gpu-scan-kernels: a row per warp --------===//
//
// The scans that vibee-lower-scans keeps for the GPU (warp-rows: sum, prod, max
// or min of 32-bit values along the last dimension) reach this pass bufferized,
// and each becomes kernels in which a warp scans a row, or a chunk of one.
// A step covers kStepVectors vectors of 16 bytes per lane, each vector
// consecutive elements: the warp's loads of one vector are one contiguous 512-byte
// span, all of a step's loads issue before its arithmetic, and each vector is
// scanned as a lane's elements in order, then across the lanes by shuffles
// (Hillis-Steele, log2(32) steps), then combined with the running value carried
// from the previous vectors (lane 31's total). Rows that are not a multiple of the
// vector, unaligned or strided memrefs, and the last partial step use scalar
// loads, the positions past the end reading the identity.
//
// Short rows would leave most of a warp idle: when one step of at most 16 lanes
// covers a row, segments of the fewest lanes that do (a power of two) each scan a
// row, 32 / lanes rows per warp (a lane combines only shuffled values from its
// own segment).
//
// Few long rows would leave most of the GPU idle (a warp per row): they are cut
// into chunks, decided at run time, and scanned in three launches, a warp per
// chunk in each: the chunks' totals, the carry into each chunk (an exclusive
// warp scan of the totals, from the init), then each chunk from its carry.
// Reassociating the combine is what `kind` allows (docs/language.md, "Scans");
// float sums then round as a tree within each vector and across chunks.
//
//===----------------------------------------------------------------------===//
#include "backends/gpu/Transforms/Passes.h"

#include "backends/gpu/Transforms/GpuKernelBuilder.h"

#include "ir/VibeeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace vibee {
#define GEN_PASS_DEF_GPUSCANKERNELSPASS
#include "backends/gpu/Transforms/Passes.h.inc"
} // namespace vibee

using namespace mlir;
using namespace vibee;

namespace {

constexpr int64_t kWarp = 32;
/// 16-byte vectors per lane and step: enough loads in flight per warp to cover
/// the memory latency.
constexpr int64_t kStepVectors = 4;
/// Blocks per multiprocessor in the grid-stride launches (2,048 threads at 256).
constexpr int64_t kBlocksPerSm = 8;
/// Rows cut into chunks when there are fewer than this many (a warp each would
/// leave the GPU idle), into about kChunkWarps chunks in all.
constexpr int64_t kRowsThatFillTheGpu = 1024;
constexpr int64_t kChunkWarps = 8192;

/// The lanes that scan one row together: a whole warp, or for short rows a
/// segment of `size` lanes (a power of two), 32 / size rows per warp. The
/// shuffles stay warp-wide (gpu.shuffle's width is a count of active lanes from
/// lane 0, not CUDA's segment width): a lane combines only what comes from its
/// own segment, and reads its segment's total from the segment's last lane.
struct LaneSegment {
  Value size;  ///< index
  Value lane;  ///< this lane's place in its segment
  Value last;  ///< i32: the warp lane that holds the segment's last value
  Value rowOk; ///< i1: the segment has a row (the last warp's may not)

  static LaneSegment wholeWarp(OpBuilder &b, Location loc, Value lane) {
    return {constantIndex(b, loc, kWarp), lane, arith::ConstantIntOp::create(b, loc, kWarp - 1, 32),
            arith::ConstantIntOp::create(b, loc, 1, 1)};
  }
};

/// One segment's scan of a range of a row: the operands, its lanes and the widths.
struct WarpScan {
  ScanOp op;
  Location loc;
  Value input, dest; ///< memrefs whose last dimension is scanned
  LaneSegment segment;
  Value vectorOk; ///< i1: whole aligned vectors (the vector path)
  int64_t width;  ///< elements per 16-byte vector of the accumulator type
  bool exclusive;

  Value stepElements(OpBuilder &b) {
    return arith::MulIOp::create(b, loc, segment.size, constantIndex(b, loc, kStepVectors * width));
  }
  Type element() const { return cast<MemRefType>(dest.getType()).getElementType(); }

  Value combine(OpBuilder &b, Value earlier, Value later) {
    return op.buildCombine(b, earlier, later);
  }

  /// Where vector `u` of this lane starts in the step at `base`.
  Value vectorStart(OpBuilder &b, Value base, int64_t u) {
    Value lanes = arith::AddIOp::create(b, loc, segment.lane,
                                        arith::MulIOp::create(b, loc, segment.size,
                                                              constantIndex(b, loc, u)));
    Value offset = arith::MulIOp::create(b, loc, lanes, constantIndex(b, loc, width));
    return arith::AddIOp::create(b, loc, base, offset);
  }

  /// i1: position `at` is in the range and the segment has a row.
  Value inside(OpBuilder &b, Value at, Value end) {
    Value before = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, at, end);
    return arith::AndIOp::create(b, loc, before, segment.rowOk);
  }

  Value shuffle(OpBuilder &b, Value v, Value offset, gpu::ShuffleMode mode) {
    Value all = arith::ConstantIntOp::create(b, loc, kWarp, 32);
    return gpu::ShuffleOp::create(b, loc, v, offset, all, mode).getShuffleResult();
  }

  static SmallVector<Value> indices(ArrayRef<Value> row, Value position) {
    SmallVector<Value> at(row);
    at.push_back(position);
    return at;
  }

  SmallVector<Value> loadStep(OpBuilder &b, ArrayRef<Value> row, Value base, Value end,
                              Value vectorPath);
  void storeStep(OpBuilder &b, ArrayRef<Value> row, Value base, Value end, Value vectorPath,
                 ArrayRef<Value> values);
  Value scanVector(OpBuilder &b, MutableArrayRef<Value> values, Value carry);
  /// Positions [begin, end) of `row` from `carry`; returns the running value.
  Value buildSteps(OpBuilder &b, ArrayRef<Value> row, Value begin, Value end, Value carry);
  /// The combine of positions [begin, end) of `row`, in every lane.
  Value buildTotal(OpBuilder &b, ArrayRef<Value> row, Value begin, Value end);
};

// The step's kStepVectors x width elements of this lane: vector loads on the
// vector path, otherwise one guarded scalar load each (the identity from `end` on).
SmallVector<Value> WarpScan::loadStep(OpBuilder &b, ArrayRef<Value> row, Value base, Value end,
                                      Value vectorPath) {
  auto vectorLoads = [&](OpBuilder &vb) {
    SmallVector<Value> values;
    for (int64_t u = 0; u < kStepVectors; ++u)
      llvm::append_range(values, buildLoadLanes(vb, loc, input,
                                                indices(row, vectorStart(vb, base, u)), width,
                                                /*vector=*/true));
    return values;
  };
  auto scalarLoads = [&](OpBuilder &sb) {
    SmallVector<Value> values;
    for (int64_t u = 0; u < kStepVectors; ++u) {
      Value start = vectorStart(sb, base, u);
      for (int64_t e = 0; e < width; ++e) {
        Value at = arith::AddIOp::create(sb, loc, start, constantIndex(sb, loc, e));
        values.push_back(buildIfElse(
            sb, loc, inside(sb, at, end),
            [&](OpBuilder &ib) {
              return SmallVector<Value>{memref::LoadOp::create(ib, loc, input, indices(row, at))};
            },
            [&](OpBuilder &ib) { return SmallVector<Value>{op.buildIdentity(ib, loc)}; })[0]);
      }
    }
    return values;
  };
  return buildIfElse(b, loc, vectorPath, vectorLoads, scalarLoads);
}

// The inverse of loadStep: the positions from `end` on store nothing.
void WarpScan::storeStep(OpBuilder &b, ArrayRef<Value> row, Value base, Value end,
                         Value vectorPath, ArrayRef<Value> values) {
  auto vectorStores = [&](OpBuilder &vb) {
    for (int64_t u = 0; u < kStepVectors; ++u)
      buildStoreLanes(vb, loc, dest, indices(row, vectorStart(vb, base, u)),
                      values.slice(u * width, width), /*vector=*/true);
    return SmallVector<Value>{};
  };
  auto scalarStores = [&](OpBuilder &sb) {
    for (int64_t u = 0; u < kStepVectors; ++u) {
      Value start = vectorStart(sb, base, u);
      for (int64_t e = 0; e < width; ++e) {
        Value at = arith::AddIOp::create(sb, loc, start, constantIndex(sb, loc, e));
        scf::IfOp::create(sb, loc, inside(sb, at, end), [&](OpBuilder &ib, Location) {
          memref::StoreOp::create(ib, loc, values[u * width + e], dest, indices(row, at));
          scf::YieldOp::create(ib, loc);
        });
      }
    }
    return SmallVector<Value>{};
  };
  buildIfElse(b, loc, vectorPath, vectorStores, scalarStores);
}

// One vector of every lane of the segment (size x width consecutive elements) from
// `carry`: each value is replaced by its output (converted to the destination's
// elements); returns the running value after the vector.
Value WarpScan::scanVector(OpBuilder &b, MutableArrayRef<Value> values, Value carry) {
  SmallVector<Value> prefix(values.begin(), values.end());
  for (int64_t e = 1; e < width; ++e)
    prefix[e] = combine(b, prefix[e - 1], prefix[e]);
  // Inclusive scan of the lanes' totals: lane l combines lane l - offset's when
  // that lane is in its segment.
  auto i32 = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32).getResult(); };
  Value total = prefix.back();
  for (int32_t offset = 1; offset < kWarp; offset *= 2) {
    Value other = shuffle(b, total, i32(offset), gpu::ShuffleMode::UP);
    Value has = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, segment.lane,
                                      constantIndex(b, loc, offset));
    total = arith::SelectOp::create(b, loc, has, combine(b, other, total), total);
  }
  // What precedes this lane's elements: the carry and the lanes before it.
  Value before = shuffle(b, total, i32(1), gpu::ShuffleMode::UP);
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, segment.lane,
                                      constantIndex(b, loc, 0));
  Value start = arith::SelectOp::create(b, loc, first, carry, combine(b, carry, before));
  Type out = element();
  for (int64_t e = 0; e < width; ++e) {
    Value v = exclusive ? (e == 0 ? start : combine(b, start, prefix[e - 1]))
                        : combine(b, start, prefix[e]);
    if (v.getType() != out)
      v = arith::TruncFOp::create(b, loc, out, v);
    values[e] = v;
  }
  return combine(b, carry, shuffle(b, total, segment.last, gpu::ShuffleMode::IDX));
}

Value WarpScan::buildSteps(OpBuilder &b, ArrayRef<Value> row, Value begin, Value end,
                           Value carry) {
  Value step = stepElements(b);
  return buildForLoop(
             b, loc, begin, end, step, carry,
             [&](OpBuilder &fb, Value base, ValueRange carried) {
               Value stepEnd = arith::AddIOp::create(fb, loc, base, step);
               Value full = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::ule, stepEnd, end);
               Value vectorPath = arith::AndIOp::create(
                   fb, loc, arith::AndIOp::create(fb, loc, full, vectorOk), segment.rowOk);
               SmallVector<Value> values = loadStep(fb, row, base, end, vectorPath);
               Value running = carried[0];
               for (int64_t u = 0; u < kStepVectors; ++u)
                 running = scanVector(
                     fb, MutableArrayRef<Value>(values).slice(u * width, width), running);
               storeStep(fb, row, base, end, vectorPath, values);
               return SmallVector<Value>{running};
             })
      .front();
}

Value WarpScan::buildTotal(OpBuilder &b, ArrayRef<Value> row, Value begin, Value end) {
  Value step = stepElements(b);
  Value lanePart = buildForLoop(
                       b, loc, begin, end, step, op.buildIdentity(b, loc),
                       [&](OpBuilder &fb, Value base, ValueRange carried) {
                         Value stepEnd = arith::AddIOp::create(fb, loc, base, step);
                         Value full = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::ule,
                                                            stepEnd, end);
                         Value vectorPath = arith::AndIOp::create(fb, loc, full, vectorOk);
                         Value running = carried[0];
                         for (Value v : loadStep(fb, row, base, end, vectorPath))
                           running = combine(fb, running, v);
                         return SmallVector<Value>{running};
                       })
                       .front();
  for (int32_t offset = kWarp / 2; offset >= 1; offset /= 2) {
    Value other = gpu::ShuffleOp::create(b, loc, lanePart, offset, kWarp, gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    lanePart = combine(b, lanePart, other);
  }
  return lanePart;
}

bool hasIdentityLayout(Value memref) {
  return cast<MemRefType>(memref.getType()).getLayout().isIdentity();
}

// i1: the vector path holds for rows of `length` elements of `memrefs`: identity
// layouts (each row starts at a multiple of the length), whole vectors per row,
// aligned base pointers.
Value buildVectorOk(OpBuilder &b, Location loc, ArrayRef<Value> memrefs, Value length,
                    int64_t width) {
  if (!llvm::all_of(memrefs, hasIdentityLayout))
    return arith::ConstantIntOp::create(b, loc, 0, 1);
  return arith::AndIOp::create(b, loc, buildIsMultipleOf(b, loc, length, width),
                               buildAllAligned(b, loc, memrefs));
}

/// Builds the scan kernels of one op on the host side.
struct ScanKernels {
  ScanOp op;
  Location loc;
  GpuKernelOptions options;
  SmallVector<Value> rowSizes; ///< the dimensions before the scanned one
  Value rows, length;
  int64_t width;

  /// A launch in which warp w of the grid takes items w, w + warps, ... <
  /// `items`; `body` builds one item from its index and this lane.
  void buildWarpLaunch(OpBuilder &b, Value items,
                       function_ref<void(OpBuilder &, Value item, Value lane)> body) {
    int64_t threads = options.blockSize, warps = threads / kWarp;
    Value need = arith::CeilDivUIOp::create(b, loc, items, constantIndex(b, loc, warps));
    GpuKernelOptions grid = options;
    grid.blocksPerSm = kBlocksPerSm;
    Value blocks = buildCappedGrid(b, loc, op, need, grid);
    buildLaunch(b, loc, blocks, constantIndex(b, loc, 1), threads, {},
                [&](OpBuilder &k, gpu::LaunchOp launch) {
                  Value tid = launch.getThreadIds().x;
                  Value warpSize = constantIndex(k, loc, kWarp);
                  Value lane = arith::RemUIOp::create(k, loc, tid, warpSize);
                  Value warp = arith::DivUIOp::create(k, loc, tid, warpSize);
                  Value perBlock = constantIndex(k, loc, warps);
                  Value first = arith::AddIOp::create(
                      k, loc, arith::MulIOp::create(k, loc, launch.getBlockIds().x, perBlock),
                      warp);
                  Value stride = arith::MulIOp::create(k, loc, launch.getGridSize().x, perBlock);
                  // Warp-uniform: every lane of a warp takes the same items.
                  buildForLoop(k, loc, first, items, stride, {},
                               [&](OpBuilder &ib, Value item, ValueRange) {
                                 body(ib, item, lane);
                                 return SmallVector<Value>{};
                               });
                });
  }

  WarpScan scanOf(Value input, Value dest, LaneSegment segment, Value vectorOk, bool exclusive) {
    return WarpScan{op, loc, input, dest, segment, vectorOk, width, exclusive};
  }

  /// The running value before a row: its init element, or the identity.
  Value rowStart(OpBuilder &b, ArrayRef<Value> row) {
    if (Value init = op.getInit())
      return memref::LoadOp::create(b, loc, init,
                                    WarpScan::indices(row, constantIndex(b, loc, 0)));
    return op.buildIdentity(b, loc);
  }

  void buildRows(OpBuilder &b, Value vectorOk);
  void buildSegmentedRows(OpBuilder &b, Value vectorOk, Value needed);
  void buildChunks(OpBuilder &b, Value chunkLength, Value chunks);
  void build(OpBuilder &b);
};

// A warp per row.
void ScanKernels::buildRows(OpBuilder &b, Value vectorOk) {
  Value input = op.getInputs()[0], dest = op.getDest();
  buildWarpLaunch(b, rows, [&](OpBuilder &k, Value item, Value lane) {
    SmallVector<Value> row = buildDelinearize(k, loc, item, rowSizes);
    WarpScan scan =
        scanOf(input, dest, LaneSegment::wholeWarp(k, loc, lane), vectorOk, op.getExclusive());
    scan.buildSteps(k, row, constantIndex(k, loc, 0), length, rowStart(k, row));
  });
}

// Rows that one step of at most 16 lanes covers: segments of the fewest lanes (a
// power of two) that do, 32 / lanes rows per warp. The segment size is known at
// run time only (about twice the registers of the whole-warp kernel, which keeps
// the longer rows).
void ScanKernels::buildSegmentedRows(OpBuilder &b, Value vectorOk, Value needed) {
  Value input = op.getInputs()[0], dest = op.getDest();
  Value lanes = constantIndex(b, loc, kWarp / 2), shift = constantIndex(b, loc, 4);
  for (int64_t log = 3; log >= 0; --log) {
    Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, needed,
                                       constantIndex(b, loc, int64_t(1) << log));
    lanes = arith::SelectOp::create(b, loc, fits, constantIndex(b, loc, int64_t(1) << log), lanes);
    shift = arith::SelectOp::create(b, loc, fits, constantIndex(b, loc, log), shift);
  }
  Value rowsPerWarp = arith::ShRUIOp::create(b, loc, constantIndex(b, loc, kWarp), shift);
  Value items = arith::CeilDivUIOp::create(b, loc, rows, rowsPerWarp);
  buildWarpLaunch(b, items, [&](OpBuilder &k, Value item, Value lane) {
    Value one = constantIndex(k, loc, 1);
    Value inSegment = arith::AndIOp::create(k, loc, lane, arith::SubIOp::create(k, loc, lanes, one));
    Value flatRow = arith::AddIOp::create(k, loc, arith::MulIOp::create(k, loc, item, rowsPerWarp),
                                          arith::ShRUIOp::create(k, loc, lane, shift));
    Value rowOk = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, flatRow, rows);
    // A segment without a row reads and writes nothing; its indices stay in range.
    Value safeRow = arith::SelectOp::create(k, loc, rowOk, flatRow, constantIndex(k, loc, 0));
    // The segment's last lane: lane - inSegment + lanes - 1.
    Value last = arith::AddIOp::create(k, loc, arith::SubIOp::create(k, loc, lane, inSegment),
                                       arith::SubIOp::create(k, loc, lanes, one));
    LaneSegment segment{lanes, inSegment,
                        arith::IndexCastOp::create(k, loc, k.getI32Type(), last), rowOk};
    SmallVector<Value> row = buildDelinearize(k, loc, safeRow, rowSizes);
    WarpScan scan = scanOf(input, dest, segment, vectorOk, op.getExclusive());
    scan.buildSteps(k, row, constantIndex(k, loc, 0), length, rowStart(k, row));
  });
}

// A warp per chunk of `chunkLength` elements (a multiple of a step), three launches.
void ScanKernels::buildChunks(OpBuilder &b, Value chunkLength, Value chunks) {
  Value input = op.getInputs()[0], dest = op.getDest();
  Type acc = op.getAccumulatorType();
  // Rows of `chunks` totals and carries, one after the other (1-D: the host
  // passes plain pointers, without the casts a [1, chunks] shape would need).
  auto partsType = MemRefType::get({ShapedType::kDynamic}, acc);
  auto alignment = b.getI64IntegerAttr(kVectorBytes);
  Value items = arith::MulIOp::create(b, loc, rows, chunks);
  Value totals = memref::AllocOp::create(b, loc, partsType, ValueRange{items}, alignment);
  Value carries = memref::AllocOp::create(b, loc, partsType, ValueRange{items}, alignment);
  Value vectorOk = buildVectorOk(b, loc, {input, dest}, length, width);
  // The item's row (coordinates; the index of its first total) and range.
  auto locate = [&](OpBuilder &k, Value item) {
    Value flatRow = arith::DivUIOp::create(k, loc, item, chunks);
    Value chunk = arith::RemUIOp::create(k, loc, item, chunks);
    Value begin = arith::MulIOp::create(k, loc, chunk, chunkLength);
    Value end = arith::MinUIOp::create(
        k, loc, arith::AddIOp::create(k, loc, begin, chunkLength), length);
    return std::make_tuple(flatRow, chunk, begin, end);
  };
  buildWarpLaunch(b, items, [&](OpBuilder &k, Value item, Value lane) {
    auto [flatRow, chunk, begin, end] = locate(k, item);
    SmallVector<Value> row = buildDelinearize(k, loc, flatRow, rowSizes);
    Value total = scanOf(input, dest, LaneSegment::wholeWarp(k, loc, lane), vectorOk, false)
                      .buildTotal(k, row, begin, end);
    Value first =
        arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq, lane, constantIndex(k, loc, 0));
    scf::IfOp::create(k, loc, first, [&](OpBuilder &ib, Location) {
      memref::StoreOp::create(ib, loc, total, totals, item);
      scf::YieldOp::create(ib, loc);
    });
  });
  Value partsOk = buildVectorOk(b, loc, {totals, carries}, chunks, width);
  buildWarpLaunch(b, rows, [&](OpBuilder &k, Value flatRow, Value lane) {
    SmallVector<Value> row = buildDelinearize(k, loc, flatRow, rowSizes);
    WarpScan scan =
        scanOf(totals, carries, LaneSegment::wholeWarp(k, loc, lane), partsOk, /*exclusive=*/true);
    Value begin = arith::MulIOp::create(k, loc, flatRow, chunks);
    Value end = arith::AddIOp::create(k, loc, begin, chunks);
    scan.buildSteps(k, /*row=*/{}, begin, end, rowStart(k, row));
  });
  buildWarpLaunch(b, items, [&](OpBuilder &k, Value item, Value lane) {
    auto [flatRow, chunk, begin, end] = locate(k, item);
    SmallVector<Value> row = buildDelinearize(k, loc, flatRow, rowSizes);
    Value carry = memref::LoadOp::create(k, loc, carries, item);
    scanOf(input, dest, LaneSegment::wholeWarp(k, loc, lane), vectorOk, op.getExclusive())
        .buildSteps(k, row, begin, end, carry);
  });
  memref::DeallocOp::create(b, loc, totals);
  memref::DeallocOp::create(b, loc, carries);
}

void ScanKernels::build(OpBuilder &b) {
  Value dest = op.getDest();
  int64_t rank = op.getDestType().getRank();
  for (int64_t d = 0; d + 1 < rank; ++d)
    rowSizes.push_back(memref::DimOp::create(b, loc, dest, d));
  rows = buildProduct(b, loc, rowSizes);
  length = memref::DimOp::create(b, loc, dest, rank - 1);
  width = kVectorBytes / elementBytes(op.getAccumulatorType());
  // Chunks of whole steps, about kChunkWarps of them in all; a row that one step
  // covers is never cut.
  Value step = constantIndex(b, loc, kWarp * kStepVectors * width);
  Value wanted = arith::CeilDivUIOp::create(b, loc, constantIndex(b, loc, kChunkWarps),
                                            arith::MaxUIOp::create(b, loc, rows,
                                                                   constantIndex(b, loc, 1)));
  Value perChunk = arith::CeilDivUIOp::create(b, loc, length, wanted);
  Value chunkLength = arith::MulIOp::create(
      b, loc, arith::CeilDivUIOp::create(b, loc, arith::MaxUIOp::create(b, loc, perChunk, step), step),
      step);
  Value chunks = arith::CeilDivUIOp::create(b, loc, length, chunkLength);
  Value few = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, rows,
                                    constantIndex(b, loc, kRowsThatFillTheGpu));
  Value several =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, chunks, constantIndex(b, loc, 1));
  Value split = arith::AndIOp::create(b, loc, few, several);
  scf::IfOp::create(
      b, loc, split,
      [&](OpBuilder &tb, Location) {
        buildChunks(tb, chunkLength, chunks);
        scf::YieldOp::create(tb, loc);
      },
      [&](OpBuilder &eb, Location) {
        Value vectorOk = buildVectorOk(eb, loc, {op.getInputs()[0], op.getDest()}, length, width);
        Value needed = arith::CeilDivUIOp::create(eb, loc, length,
                                                  constantIndex(eb, loc, kStepVectors * width));
        Value segmented = arith::CmpIOp::create(eb, loc, arith::CmpIPredicate::ule, needed,
                                                constantIndex(eb, loc, kWarp / 2));
        scf::IfOp::create(
            eb, loc, segmented,
            [&](OpBuilder &sb, Location) {
              buildSegmentedRows(sb, vectorOk, needed);
              scf::YieldOp::create(sb, loc);
            },
            [&](OpBuilder &wb, Location) {
              buildRows(wb, vectorOk);
              scf::YieldOp::create(wb, loc);
            });
        scf::YieldOp::create(eb, loc);
      });
}

struct GpuScanKernelsPass : vibee::impl::GpuScanKernelsPassBase<GpuScanKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ScanOp> ops;
    getOperation()->walk([&](ScanOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (ScanOp op : ops) {
      if (!isa<MemRefType>(op.getDestType())) {
        op.emitOpError("reached the GPU's scan kernels before bufferization");
        return signalPassFailure();
      }
      GpuKernelOptions options;
      options.blockSize = blockSize;
      rewriter.setInsertionPoint(op);
      ScanKernels{op, op.getLoc(), options}.build(rewriter);
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
