// The reference interpreter's scalar rules of language v2 (docs/language.md): shifts
// defined for every count, rounding of halfway cases away from zero. The kernels of
// tests/e2e/bits.vibee and builtins.vibee compare every target with these rules.
#include "frontend/Builtins.h"
#include "frontend/ReferenceScalar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using vibee::ast::Builtin;
using vibee::ast::DType;
using vibee::ast::roundAs;
using vibee::ref::scalar::shift;

TEST(ScalarSemantics, ShiftsInRangeWrapInTheDtype) {
  EXPECT_EQ(shift(true, 100, 1, DType::I8), -56);
  EXPECT_EQ(shift(true, -128, 7, DType::I8), 0);
  EXPECT_EQ(shift(true, 1, 31, DType::I32), INT32_MIN);
  EXPECT_EQ(shift(true, 1, 63, DType::I64), INT64_MIN);
  EXPECT_EQ(shift(false, -128, 7, DType::I8), -1);
  EXPECT_EQ(shift(false, INT64_MIN, 63, DType::I64), -1);
  EXPECT_EQ(shift(false, 12, 2, DType::I32), 3);
}

TEST(ScalarSemantics, ShiftsOutOfRangeAreZeroOrSignFill) {
  for (DType t : {DType::I8, DType::I32, DType::I64}) {
    const int64_t width = vibee::ast::dtypeBytes(t) * 8;
    for (int64_t count : {width, width + 1, int64_t{-1}, int64_t{-width}}) {
      EXPECT_EQ(shift(true, 5, count, t), 0) << count;
      EXPECT_EQ(shift(false, 5, count, t), 0) << count;
      EXPECT_EQ(shift(false, -5, count, t), -1) << count;
    }
  }
  // An i8 count of 0x100 never reaches shift: the count is an i8 value (-128..127).
  EXPECT_EQ(shift(true, 3, 127, DType::I8), 0);
}

TEST(ScalarSemantics, RoundHalvesAwayFromZero) {
  EXPECT_EQ(roundAs(Builtin::Round, 2.5), 3.0);
  EXPECT_EQ(roundAs(Builtin::Round, -2.5), -3.0);
  EXPECT_EQ(roundAs(Builtin::Round, 0.5), 1.0);
  EXPECT_EQ(roundAs(Builtin::Round, 1.5), 2.0);
  EXPECT_EQ(roundAs(Builtin::Trunc, -1.7), -1.0);
  EXPECT_EQ(roundAs(Builtin::Floor, -1.2), -2.0);
  EXPECT_EQ(roundAs(Builtin::Ceil, -1.2), -1.0);
  EXPECT_TRUE(std::isnan(roundAs(Builtin::Round, NAN)));
  EXPECT_TRUE(std::signbit(roundAs(Builtin::Trunc, -0.3)));
}

// Unsigned dtypes (docs/language.md, "Unsigned integers"): u64 is held as its bit
// pattern, so values above INT64_MAX read negative in `i` and every unsigned rule
// must read them through asUnsigned.
TEST(ScalarSemantics, UnsignedShiftsAreLogical) {
  using vibee::ref::scalar::asUnsigned;
  EXPECT_EQ(shift(false, 0xFFFF, 4, DType::U16), 0x0FFF);
  EXPECT_EQ(asUnsigned(shift(false, INT64_MIN, 63, DType::U64)), 1u);
  EXPECT_EQ(shift(false, -1, 64, DType::U64), 0); // out of range: 0, not the sign fill
  EXPECT_EQ(shift(true, 0x80, 1, DType::U8), 0);  // wraps to the low 8 bits
  EXPECT_EQ(shift(true, 1, 8, DType::U8), 0);
}

TEST(ScalarSemantics, UnsignedDivisionAndOrder) {
  using vibee::ref::scalar::asUnsigned;
  using vibee::ref::scalar::divRem;
  using vibee::ref::scalar::intLess;
  const int64_t top = static_cast<int64_t>(~uint64_t{0} - 2047); // 2^64 - 2048
  EXPECT_EQ(asUnsigned(divRem(true, top, 2, DType::U64)), (~uint64_t{0} - 2047) / 2);
  EXPECT_EQ(divRem(false, top, 1024, DType::U64), 0);
  EXPECT_EQ(divRem(true, top, 0, DType::U64), 0);    // x / 0 = 0
  EXPECT_EQ(divRem(false, top, 0, DType::U64), top); // x % 0 = x
  EXPECT_EQ(divRem(true, 7, -1, DType::I32), -7);    // signed rules unchanged
  EXPECT_TRUE(intLess(1, top, DType::U64));
  EXPECT_FALSE(intLess(1, top, DType::I64));
}

TEST(ScalarSemantics, ConversionsToUnsignedSaturateOrKeepLowBits) {
  using vibee::ref::scalar::asUnsigned;
  using vibee::ref::scalar::convert;
  using vibee::ref::scalar::fromDouble;
  using vibee::ref::scalar::toDouble;
  using vibee::ref::scalar::Val;
  EXPECT_EQ(fromDouble(300.0, DType::U8).i, 255);
  EXPECT_EQ(fromDouble(-3.5, DType::U16).i, 0);
  EXPECT_EQ(fromDouble(NAN, DType::U32).i, 0);
  EXPECT_EQ(asUnsigned(fromDouble(1e20, DType::U64).i), ~uint64_t{0});
  EXPECT_EQ(asUnsigned(fromDouble(0x1p63, DType::U64).i), uint64_t{1} << 63);
  EXPECT_EQ(toDouble(fromDouble(0x1p64 - 2048, DType::U64), DType::U64), 0x1p64 - 2048);
  Val minusOne;
  minusOne.i = -1;
  EXPECT_EQ(convert(minusOne, DType::I8, DType::U32).i, 4294967295); // low bits
  EXPECT_EQ(asUnsigned(convert(minusOne, DType::I8, DType::U64).i), ~uint64_t{0});
  EXPECT_EQ(convert(minusOne, DType::U64, DType::F64).f, 0x1p64); // 2^64 - 1 rounds up
  Val big;
  big.i = 300;
  EXPECT_EQ(convert(big, DType::U32, DType::I8).i, 44);
}
