#include "tokenization/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace sf::tokenization {
namespace {

TEST(ParallelForTest, VisitsEveryIndexOnce) {
  for (int chunks_per_thread : {0, 1, 8, 64}) {
    for (int threads : {0, 1, 2, 7}) {
      for (int64_t n : {0, 1, 5, 1000}) {
        std::vector<std::atomic<int>> hits(n);
        ParallelFor(
            n, threads,
            [&](int64_t begin, int64_t end) {
              ASSERT_LE(0, begin);
              ASSERT_LT(begin, end);
              ASSERT_LE(end, n);
              for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
            },
            chunks_per_thread);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << n << " " << threads << " " << chunks_per_thread;
        }
      }
    }
  }
}

TEST(ParallelForTest, AvailableThreadsIsPositive) { EXPECT_GE(AvailableThreads(), 1); }

}  // namespace
}  // namespace sf::tokenization
