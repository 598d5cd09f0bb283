#include "benchmarks/peak_memory.h"

#include <cmath>
#include <cstddef>
#include <cstdlib>

#include <gtest/gtest.h>

namespace sf::benchmarks {
namespace {

// Allocates `mib` MiB, touches every page so that it becomes resident, and frees it.
void TouchAndFree(size_t mib) {
  const size_t bytes = mib << 20;
  volatile char* buffer = static_cast<volatile char*>(std::malloc(bytes));
  ASSERT_NE(buffer, nullptr);
  for (size_t i = 0; i < bytes; i += 4096) buffer[i] = 1;
  std::free(const_cast<char*>(buffer));
}

TEST(PeakMemoryTest, ReadingsArePositive) {
  EXPECT_GT(PeakRssMib(), 0.0);
  const double current = CurrentRssMib();
  ASSERT_FALSE(std::isnan(current));
  EXPECT_GT(current, 0.0);
  EXPECT_GE(PeakRssMib(), current - 1.0);
}

TEST(PeakMemoryTest, ResetForgetsMemoryFreedBeforeIt) {
  TouchAndFree(256);
  const double before = PeakRssMib();
  ASSERT_GE(before, 256.0);
  const absl::Status reset = ResetPeakRss();
  if (!reset.ok()) GTEST_SKIP() << reset;
  const double after = PeakRssMib();
  EXPECT_LT(after, before - 200.0) << "peak before the reset " << before << " MiB";
  // The mark grows again from there.
  TouchAndFree(64);
  EXPECT_GE(PeakRssMib(), after + 60.0);
}

}  // namespace
}  // namespace sf::benchmarks
