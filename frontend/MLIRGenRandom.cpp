//===- MLIRGenRandom.cpp - uniform / normal as Philox 4x32-10 in arith ops -===//
//
// The same rounds as frontend/Philox.h (the reference interpreter's), built from
// 32- and 64-bit integer ops that every target lowers without a library call
// (LLVM, NVVM, EmitC): a 32 x 32 -> 64-bit product as an i64 multiply of
// zero-extended words, its halves by shift and truncation. Uniform values carry
// 24 random bits, exact in f32, so the CPU, the GPU, the C++ output and the
// reference agree bit for bit; normal adds f32 log, sqrt and cos.
//
//===----------------------------------------------------------------------===//
#include "frontend/MLIRGenScalar.h"
#include "frontend/Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <array>

using namespace mlir;

namespace vibee::mlirgen {

namespace {

struct PhiloxBuilder {
  OpBuilder &b;
  Location loc;
  Type i32 = b.getI32Type(), i64 = b.getI64Type();

  Value c32(uint32_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr((int32_t)v));
  }
  Value c64(int64_t v) { return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v)); }
  Value low(Value x) { return arith::TruncIOp::create(b, loc, i32, x); }
  Value high(Value x) { return low(arith::ShRUIOp::create(b, loc, x, c64(32))); }
  Value wide(Value x) { return arith::ExtUIOp::create(b, loc, i64, x); }
  Value xorOf(Value x, Value y) { return arith::XOrIOp::create(b, loc, x, y); }

  std::array<Value, 4> rounds(std::array<Value, 4> c, std::array<Value, 2> k) {
    for (int round = 0; round < philox::kRounds; ++round) {
      Value p0 = arith::MulIOp::create(b, loc, wide(c32(philox::kMul0)), wide(c[0]));
      Value p1 = arith::MulIOp::create(b, loc, wide(c32(philox::kMul1)), wide(c[2]));
      c = {xorOf(xorOf(high(p1), c[1]), k[0]), low(p1), xorOf(xorOf(high(p0), c[3]), k[1]),
           low(p0)};
      k = {arith::AddIOp::create(b, loc, k[0], c32(philox::kWeyl0)),
           arith::AddIOp::create(b, loc, k[1], c32(philox::kWeyl1))};
    }
    return c;
  }

  /// (word >> 8 [+ 1]) * 2^-24 in f32, exact.
  Value unit(Value word, bool openAtZero) {
    Value bits = arith::ShRUIOp::create(b, loc, word, c32(8));
    if (openAtZero)
      bits = arith::AddIOp::create(b, loc, bits, c32(1));
    Value f = arith::UIToFPOp::create(b, loc, b.getF32Type(), bits);
    return arith::MulFOp::create(b, loc, f,
                                 arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0x1p-24f)));
  }
};

} // namespace

Value emitRandom(OpBuilder &b, ast::Builtin fn, ArrayRef<Value> v, Location loc) {
  PhiloxBuilder p{b, loc};
  // Seed and counters as i64 (sema settles them there); the word layout of
  // philox::counterOf and philox::keyOf.
  std::array<Value, 2> key = {p.low(v[0]), p.high(v[0])};
  ArrayRef<Value> counters = v.drop_front();
  std::array<Value, 4> c = {p.c32(0), p.c32(0), p.c32(0), p.c32(0)};
  for (size_t i = 0; i < counters.size(); ++i) {
    if (counters.size() <= 2) {
      c[2 * i] = p.low(counters[i]);
      c[2 * i + 1] = p.high(counters[i]);
    } else {
      c[i] = p.low(counters[i]);
    }
  }
  std::array<Value, 4> words = p.rounds(c, key);
  if (fn == ast::Builtin::Uniform)
    return p.unit(words[0], false);
  // Box-Muller: sqrt(-2 log u1) cos(2 pi u2), u1 in (0, 1].
  Value u1 = p.unit(words[0], true), u2 = p.unit(words[1], false);
  auto f32 = [&](double x) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)x));
  };
  Value radius = math::SqrtOp::create(
      b, loc, arith::MulFOp::create(b, loc, f32(-2.0), math::LogOp::create(b, loc, u1)));
  Value angle = arith::MulFOp::create(b, loc, f32(2.0 * 3.14159265358979323846), u2);
  return arith::MulFOp::create(b, loc, radius, math::CosOp::create(b, loc, angle));
}

} // namespace vibee::mlirgen
