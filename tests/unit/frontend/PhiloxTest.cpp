// Philox 4x32-10 (frontend/Philox.h) against the known-answer vectors of its
// paper's reference implementation (Random123, kat_vectors: philox4x32_10), and
// the word layout of seeds and counters that docs/language.md states.
#include "frontend/Philox.h"

#include <gtest/gtest.h>

using namespace vibee::philox;

TEST(Philox, KnownAnswers) {
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}),
            (Counter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (Counter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (Counter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, WordLayout) {
  // One or two counters: 64 bits each, low word first; three or four: low 32 bits.
  EXPECT_EQ(counterOf({0x100000002}), (Counter{2, 1, 0, 0}));
  EXPECT_EQ(counterOf({-1, 3}), (Counter{0xffffffff, 0xffffffff, 3, 0}));
  EXPECT_EQ(counterOf({0x100000005, 6, 7}), (Counter{5, 6, 7, 0}));
  EXPECT_EQ(keyOf(0x0000000700000009), (Key{9, 7}));
}

TEST(Philox, UnitIntervalAndNormal) {
  EXPECT_EQ(unitInterval(0), 0.0);
  EXPECT_EQ(unitInterval(0xffffffff), 1.0 - 0x1p-24); // never 1
  EXPECT_EQ(unitInterval(0x80000000), 0.5);
  // u1 = 1 (radius 0) and u1 = 2^-24 (the largest radius, sqrt(2 * 24 ln 2)).
  EXPECT_EQ(boxMuller({0xffffffff, 0, 0, 0}), 0.0);
  EXPECT_NEAR(boxMuller({0, 0, 0, 0}), std::sqrt(48 * std::log(2.0)), 1e-12);
}
