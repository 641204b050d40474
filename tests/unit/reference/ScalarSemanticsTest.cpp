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
