#include "tokenization/length_bucket_sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/test_data.h"

namespace sf::tokenization {
namespace {

using ::testing::HasSubstr;

// IMDB review lengths in words are close to log-normal: median ~175, mean ~230, long tail.
std::vector<int64_t> ImdbLikeLengths(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> dist(5.15, 0.75);
  std::vector<int64_t> lengths(n);
  for (int64_t& l : lengths) l = std::max<int64_t>(1, std::llround(dist(rng)));
  return lengths;
}

void ExpectEveryIndexOnce(const std::vector<std::vector<int64_t>>& batches, int64_t n) {
  std::vector<int> seen(n, 0);
  for (const auto& batch : batches) {
    for (int64_t i : batch) {
      ASSERT_GE(i, 0);
      ASSERT_LT(i, n);
      ++seen[i];
    }
  }
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "index " << i;
}

TEST(LengthBucketSamplerTest, EveryExampleExactlyOnce) {
  for (int n : {0, 1, 31, 32, 33, 1000, 2501}) {
    absl::StatusOr<LengthBucketSampler> sampler = LengthBucketSampler::Create(
        ImdbLikeLengths(n, 1), LengthBucketSamplerOptions().BatchSize(32).PoolBatches(10));
    ASSERT_TRUE(sampler.ok());
    for (uint64_t epoch = 0; epoch < 3; ++epoch) {
      const auto batches = sampler->Batches(epoch);
      ExpectEveryIndexOnce(batches, n);
      for (const auto& b : batches) {
        EXPECT_GE(b.size(), 1u);
        EXPECT_LE(b.size(), 32u);
      }
    }
  }
}

TEST(LengthBucketSamplerTest, DropLastKeepsOnlyFullBatches) {
  absl::StatusOr<LengthBucketSampler> sampler = LengthBucketSampler::Create(
      ImdbLikeLengths(1000, 2),
      LengthBucketSamplerOptions().BatchSize(32).PoolBatches(10).DropLast(true));
  ASSERT_TRUE(sampler.ok());
  const auto batches = sampler->Batches(0);
  // 1000 = 3 pools of 320 (10 batches each) + 40 (1 batch and 8 dropped).
  EXPECT_EQ(batches.size(), 31u);
  for (const auto& b : batches) EXPECT_EQ(b.size(), 32u);
}

TEST(LengthBucketSamplerTest, ReproducibleWithASeedAndShuffledPerEpoch) {
  const std::vector<int64_t> lengths = ImdbLikeLengths(2000, 3);
  auto make = [&](uint64_t seed) {
    return *LengthBucketSampler::Create(lengths, LengthBucketSamplerOptions().Seed(seed));
  };
  EXPECT_EQ(make(7).Batches(0), make(7).Batches(0));
  EXPECT_NE(make(7).Batches(0), make(8).Batches(0));
  EXPECT_NE(make(7).Batches(0), make(7).Batches(1));
  // Batches are shuffled: their maximal lengths are not in ascending order.
  const auto batches = make(7).Batches(0);
  std::vector<int64_t> longest;
  for (const auto& b : batches) {
    int64_t m = 0;
    for (int64_t i : b) m = std::max(m, lengths[i]);
    longest.push_back(m);
  }
  EXPECT_FALSE(std::is_sorted(longest.begin(), longest.end()));
}

TEST(LengthBucketSamplerTest, ShuffleIsPinnedAcrossPlatforms) {
  // SplitMix64-driven Fisher-Yates: this exact order is part of the reproducibility promise.
  std::vector<int64_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  DeterministicShuffle(&values, 42, 0);
  std::vector<int64_t> again = {0, 1, 2, 3, 4, 5, 6, 7};
  DeterministicShuffle(&again, 42, 0);
  EXPECT_EQ(values, again);
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, std::vector<int64_t>({0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_NE(values, sorted);
}

TEST(LengthBucketSamplerTest, PadsFarLessThanRandomBatching) {
  const std::vector<int64_t> lengths = ImdbLikeLengths(25000, 4);
  absl::StatusOr<LengthBucketSampler> sampler =
      LengthBucketSampler::Create(lengths, LengthBucketSamplerOptions().BatchSize(32).Seed(1));
  ASSERT_TRUE(sampler.ok());
  const double bucketed = PaddingFraction(sampler->Batches(0), lengths);
  const double random = PaddingFraction(RandomBatches(25000, 32, 1, 0), lengths);
  std::printf("IMDB-like log-normal lengths: padding %.3f bucketed vs %.3f random\n", bucketed,
              random);
  EXPECT_GT(random, 0.5);
  EXPECT_LT(bucketed, random / 4);
  // Larger pools sort more examples together and pad less; one pool is a global sort.
  const double global =
      PaddingFraction(LengthBucketSampler::Create(
                          lengths, LengthBucketSamplerOptions().BatchSize(32).PoolBatches(1000))
                          ->Batches(0),
                      lengths);
  EXPECT_LT(global, bucketed);
}

// The same comparison on the real review lengths (whitespace-separated words).
TEST(LengthBucketSamplerTest, PadsFarLessOnRealImdb) {
  std::optional<std::string> dir = sf::runtime::SharedDataDir("aclImdb/train");
  if (!dir) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("aclImdb/train");
  std::vector<int64_t> lengths;
  for (const char* label : {"pos", "neg"}) {
    for (const auto& entry : std::filesystem::directory_iterator(*dir + "/" + label)) {
      std::ifstream in(entry.path());
      int64_t words = 0;
      std::string word;
      while (in >> word) ++words;
      lengths.push_back(words);
    }
  }
  ASSERT_EQ(lengths.size(), 25000u);
  absl::StatusOr<LengthBucketSampler> sampler =
      LengthBucketSampler::Create(lengths, LengthBucketSamplerOptions().BatchSize(32).Seed(1));
  ASSERT_TRUE(sampler.ok());
  const double bucketed = PaddingFraction(sampler->Batches(0), lengths);
  const double random = PaddingFraction(RandomBatches(lengths.size(), 32, 1, 0), lengths);
  std::printf("real IMDB lengths: padding %.3f bucketed vs %.3f random\n", bucketed, random);
  EXPECT_LT(bucketed, random / 4);
}

TEST(PaddingFractionTest, CountsPaddingSlots) {
  const std::vector<int64_t> lengths = {1, 3, 2, 2};
  EXPECT_DOUBLE_EQ(PaddingFraction({{0, 1}, {2, 3}}, lengths), 2.0 / 10.0);
  EXPECT_DOUBLE_EQ(PaddingFraction({{0, 1, 2, 3}}, lengths), 4.0 / 12.0);
  EXPECT_DOUBLE_EQ(PaddingFraction({}, lengths), 0.0);
}

TEST(RandomBatchesTest, CoversEveryIndex) {
  const auto batches = RandomBatches(100, 32, 5, 0);
  EXPECT_EQ(batches.size(), 4u);
  ExpectEveryIndexOnce(batches, 100);
}

TEST(LengthBucketSamplerTest, RejectsBadOptions) {
  EXPECT_THAT(LengthBucketSampler::Create({1, 2}, LengthBucketSamplerOptions().BatchSize(0))
                  .status()
                  .message(),
              HasSubstr("batch_size (0)"));
  EXPECT_THAT(LengthBucketSampler::Create({1, -2}, LengthBucketSamplerOptions()).status().message(),
              HasSubstr("example 1 is negative"));
}

// A pool of batch_size * pool_batches examples that wraps to 0 would never advance.
TEST(LengthBucketSamplerTest, RejectsAPoolSizeThatOverflows) {
  const absl::StatusOr<LengthBucketSampler> sampler = LengthBucketSampler::Create(
      {1, 2, 3},
      LengthBucketSamplerOptions().BatchSize(int64_t{1} << 32).PoolBatches(int64_t{1} << 32));
  ASSERT_FALSE(sampler.ok());
  EXPECT_THAT(sampler.status().message(),
              HasSubstr("batch_size (4294967296) times pool_batches (4294967296), the examples "
                        "of a pool, overflows int64"));
  // A pool that just fits takes every example, here in one batch.
  absl::StatusOr<LengthBucketSampler> huge = LengthBucketSampler::Create(
      {3, 1, 2}, LengthBucketSamplerOptions()
                     .BatchSize(int64_t{1} << 31)
                     .PoolBatches(std::numeric_limits<int64_t>::max() >> 31));
  ASSERT_TRUE(huge.ok()) << huge.status();
  EXPECT_EQ(huge->Batches(0), (std::vector<std::vector<int64_t>>{{1, 2, 0}}));
}

}  // namespace
}  // namespace sf::tokenization
