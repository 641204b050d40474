// The CPU runtime's parallel loop (backends/cpu/CpuRuntime.c), which every
// threaded op of a compiled kernel calls: the ranges it runs cover [0, extent)
// once, in the split asked (per thread, or fixed chunks), and small work, a
// thread cap of 1, an uneven balanced split and a call from inside a running
// loop each run the whole range as one serial call.
#include "backends/cpu/CpuPipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

extern "C" void vibee_cpu_parallel_for(void (*body)(int64_t, int64_t, void *), void *context,
                                       int64_t work, int64_t extent, int64_t chunk,
                                       int64_t max_threads, int64_t balanced);

namespace {

struct Calls {
  std::mutex lock;
  std::vector<std::pair<int64_t, int64_t>> ranges;
};

void record(int64_t lo, int64_t hi, void *context) {
  auto *calls = static_cast<Calls *>(context);
  std::lock_guard<std::mutex> guard(calls->lock);
  calls->ranges.emplace_back(lo, hi);
}

/// The recorded ranges, sorted; fails unless they tile [0, extent) exactly.
std::vector<std::pair<int64_t, int64_t>> tiling(Calls &calls, int64_t extent) {
  auto ranges = calls.ranges;
  std::sort(ranges.begin(), ranges.end());
  int64_t next = 0;
  for (auto [lo, hi] : ranges) {
    EXPECT_EQ(lo, next);
    EXPECT_LT(lo, hi);
    next = hi;
  }
  EXPECT_EQ(next, extent);
  return ranges;
}

constexpr int64_t kLargeWork = int64_t(1) << 24;

/// Loads libomp (as the JIT does) and asks the runtime for two threads; true when
/// the threaded path is there to test (libomp found).
bool twoThreads() {
  setenv("VIBEE_NUM_THREADS", "2", /*overwrite=*/1);
  return vibee::loadOpenMPRuntime();
}

TEST(ParallelFor, ThreadRangesCoverTheExtentOnce) {
  bool threads = twoThreads();
  for (int64_t extent : {1, 2, 3, 7, 1000, 100003}) {
    Calls calls;
    vibee_cpu_parallel_for(record, &calls, kLargeWork, extent, /*chunk=*/0, 0, 0);
    auto ranges = tiling(calls, extent);
    // One range per granted thread (an empty one is not called).
    EXPECT_EQ(ranges.size(), size_t(threads && extent > 1 ? 2 : 1)) << "extent " << extent;
  }
}

TEST(ParallelFor, EachThreadTakesOneRangeOfWholeChunks) {
  bool threads = twoThreads();
  Calls calls;
  vibee_cpu_parallel_for(record, &calls, kLargeWork, 1000, /*chunk=*/64, 0, 0);
  auto ranges = tiling(calls, 1000);
  EXPECT_EQ(ranges.size() > 1, threads);
  if (threads) { // 16 chunks, 8 per thread, one call each (its setup runs once)
    ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[0], std::make_pair(int64_t(0), int64_t(8 * 64)));
    EXPECT_EQ(ranges[1], std::make_pair(int64_t(8 * 64), int64_t(1000)));
  }
}

TEST(ParallelFor, SerialCasesRunTheWholeRangeOnce) {
  twoThreads();
  auto once = [](int64_t work, int64_t max, int64_t balanced, int64_t extent) {
    Calls calls;
    vibee_cpu_parallel_for(record, &calls, work, extent, 0, max, balanced);
    ASSERT_EQ(calls.ranges.size(), 1u);
    EXPECT_EQ(calls.ranges[0], std::make_pair(int64_t(0), extent));
  };
  once(/*work=*/100, 0, 0, 1000); // too little work for threads
  once(kLargeWork, /*max=*/1, 0, 1000);
  // Three items over (at most) two threads: shares 2 and 1 are not within 25 %.
  once(kLargeWork, /*max=*/2, /*balanced=*/1, 3);
}

void nested(int64_t lo, int64_t hi, void *context) {
  auto *inner = static_cast<Calls *>(context);
  Calls mine;
  vibee_cpu_parallel_for(record, &mine, kLargeWork, 100, 0, 0, 0);
  std::lock_guard<std::mutex> guard(inner->lock);
  // Inside a running loop the threads are taken: the inner loop is one call.
  inner->ranges.emplace_back(int64_t(mine.ranges.size()), mine.ranges[0].second);
  (void)lo;
  (void)hi;
}

TEST(ParallelFor, InnerLoopRunsSeriallyInsideAnOuterOne) {
  bool threads = twoThreads();
  Calls outer;
  vibee_cpu_parallel_for(nested, &outer, kLargeWork, 4, 0, 0, 0);
  ASSERT_EQ(outer.ranges.size(), size_t(threads ? 2 : 1));
  if (threads) // the outer loop holds the threads
    for (auto [count, end] : outer.ranges)
      EXPECT_EQ(std::make_pair(count, end), std::make_pair(int64_t(1), int64_t(100)));
}

} // namespace
