#include "training/crc32c.h"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sf::training {
namespace {

// The definition, one bit at a time: the independent reference.
uint32_t BitwiseCrc32c(const unsigned char* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

std::vector<unsigned char> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> out(n);
  for (auto& b : out) b = static_cast<unsigned char>(rng());
  return out;
}

TEST(Crc32cTest, StandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(Crc32c(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
}

TEST(Crc32cTest, KnownVectorsFromRfc3720) {
  std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xFF), inc(32);
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(inc.data(), inc.size()), 0x46DD794Eu);
}

TEST(Crc32cTest, MatchesBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::vector<unsigned char> data = RandomBytes(300, 1);
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t n = 0; offset + n <= data.size(); ++n) {
      ASSERT_EQ(Crc32c(data.data() + offset, n), BitwiseCrc32c(data.data() + offset, n))
          << "offset " << offset << " length " << n;
    }
  }
}

TEST(Crc32cTest, ExtendEqualsCrcOfConcatenation) {
  std::vector<unsigned char> data = RandomBytes(1000, 2);
  for (size_t split : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    uint32_t first = Crc32c(data.data(), split);
    EXPECT_EQ(Crc32cExtend(first, data.data() + split, data.size() - split),
              Crc32c(data.data(), data.size()))
        << "split " << split;
  }
}

TEST(Crc32cTest, MaskRoundTripsAndMatchesTfRecordDefinition) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x80000000u}) {
    uint32_t expected = ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    EXPECT_EQ(MaskCrc32c(crc), expected);
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(crc)), crc);
  }
}

TEST(Crc32cTest, ReportsSpeedRelativeToBitwise) {
  std::vector<unsigned char> data = RandomBytes(1 << 20, 3);
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  uint32_t slow = BitwiseCrc32c(data.data(), data.size());
  auto t1 = Clock::now();
  uint32_t fast = 0;
  for (int i = 0; i < 8; ++i) fast = Crc32c(data.data(), data.size());
  auto t2 = Clock::now();
  EXPECT_EQ(fast, slow);
  double bitwise = std::chrono::duration<double>(t1 - t0).count();
  double table = std::chrono::duration<double>(t2 - t1).count() / 8;
  std::cout << "CRC-32C over 1 MiB: slicing-by-8 is " << bitwise / table
            << "x the bitwise reference\n";
}

}  // namespace
}  // namespace sf::training
