// The f32 -> bf16 truncation the JIT gives LLVM's code as __truncsfbf2 on hosts
// without bf16 instructions (backends/cpu/CpuRuntime.c): round to nearest even,
// overflow to infinity, NaN kept a (quiet) NaN, the bf16 in the low 16 bits of
// the returned float register. Expected codes worked out by hand from the bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

extern "C" float vibee_cpu_truncsfbf2(float);

namespace {

uint16_t truncate(uint32_t bits) {
  float x, r;
  std::memcpy(&x, &bits, sizeof x);
  r = vibee_cpu_truncsfbf2(x);
  uint32_t out;
  std::memcpy(&out, &r, sizeof out);
  return static_cast<uint16_t>(out & 0xffffu);
}

TEST(Bf16Truncation, RoundsToNearestEven) {
  EXPECT_EQ(truncate(0x3f800000u), 0x3f80u); // 1.0, exact
  EXPECT_EQ(truncate(0x3f808000u), 0x3f80u); // tie, even below
  EXPECT_EQ(truncate(0x3f818000u), 0x3f82u); // tie, odd below: up
  EXPECT_EQ(truncate(0x3f808001u), 0x3f81u); // above the tie
  EXPECT_EQ(truncate(0x3f807fffu), 0x3f80u); // below the tie
  EXPECT_EQ(truncate(0xbf818000u), 0xbf82u); // negative tie
  EXPECT_EQ(truncate(0x00000001u), 0x0000u); // smallest subnormal
  EXPECT_EQ(truncate(0x80000000u), 0x8000u); // -0
}

TEST(Bf16Truncation, OverflowAndSpecials) {
  EXPECT_EQ(truncate(0x7f7fffffu), 0x7f80u); // f32 max rounds to infinity
  EXPECT_EQ(truncate(0x7f800000u), 0x7f80u); // infinity
  EXPECT_EQ(truncate(0xff800000u), 0xff80u); // -infinity
  EXPECT_EQ(truncate(0x7fc00000u), 0x7fc0u); // quiet NaN
  EXPECT_EQ(truncate(0x7f800001u), 0x7fc0u); // signalling NaN, payload below bf16: stays NaN
  EXPECT_EQ(truncate(0xffffffffu), 0xffffu); // NaN with every payload bit
}

} // namespace
