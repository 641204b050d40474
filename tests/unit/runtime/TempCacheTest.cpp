// The CPU runtime's cache of kernel temporaries (backends/cpu/CpuRuntime.c): a
// freed large block serves the next allocation it fits (within a factor 2 and the
// alignment asked); what it does not fit comes from the C library.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

extern "C" {
void *vibee_cpu_temp_alloc(int64_t align, int64_t size);
void vibee_cpu_temp_free(void *p);
}

namespace {

TEST(TempCache, LargeBlockServesTheNextCallOfItsSize) {
  const int64_t size = 3 << 20;
  void *p = vibee_cpu_temp_alloc(64, size);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, size);
  vibee_cpu_temp_free(p);
  void *q = vibee_cpu_temp_alloc(64, size - 4096);
  EXPECT_EQ(q, p);
  // Held now: a second block of the size is a new one.
  void *r = vibee_cpu_temp_alloc(64, size);
  EXPECT_NE(r, q);
  vibee_cpu_temp_free(q);
  vibee_cpu_temp_free(r);
}

TEST(TempCache, BlockTwiceTooLargeOrMisalignedIsNotReused) {
  void *big = vibee_cpu_temp_alloc(64, 8 << 20);
  ASSERT_NE(big, nullptr);
  vibee_cpu_temp_free(big);
  void *small = vibee_cpu_temp_alloc(64, 1 << 20); // 8 MiB is more than twice 1 MiB
  EXPECT_NE(small, big);
  vibee_cpu_temp_free(small);
  for (int64_t align : {64, 4096, 1 << 16}) {
    void *p = vibee_cpu_temp_alloc(align, 5 << 20);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((uintptr_t)p % (uintptr_t)align, 0u) << align;
    vibee_cpu_temp_free(p);
  }
  vibee_cpu_temp_free(nullptr);
}

} // namespace
