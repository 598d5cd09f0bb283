#include "benchmarks/attention_cases.h"

#include <set>

#include "gtest/gtest.h"

namespace sf::benchmarks {
namespace {

TEST(AttentionCasesTest, NamesAreUniqueAndEncodeEveryParameter) {
  for (Preset preset : {Preset::kQuick, Preset::kFull}) {
    std::set<std::string> names;
    for (const AttentionCase& c : AttentionGrid(preset)) {
      EXPECT_TRUE(names.insert(c.Name()).second) << c.Name();
      EXPECT_EQ(c.d_model % c.heads, 0) << c.Name();
      if (c.pass == "forward_backward") {
        EXPECT_TRUE(SupportsBackward(c.implementation)) << c.Name();
      }
    }
  }
  const AttentionCase c{"fused", "forward", "causal", 2, 4, 128, 512};
  EXPECT_EQ(c.Name(), "attention/fused/forward/causal/B2/H4/D128/L512");
}

TEST(AttentionCasesTest, BaselineRunsFirstWithinEachLength) {
  const std::vector<AttentionCase> grid = AttentionGrid(Preset::kQuick);
  ASSERT_FALSE(grid.empty());
  EXPECT_EQ(grid[0].implementation, kBaselineImplementation);
  for (size_t i = 1; i < grid.size(); ++i) {
    if (grid[i].length != grid[i - 1].length || grid[i].mask != grid[i - 1].mask) {
      EXPECT_EQ(grid[i].implementation, kBaselineImplementation) << grid[i].Name();
    }
  }
}

TEST(AttentionCasesTest, UsefulFlopsCountAllowedPairs) {
  AttentionCase c{"fused", "forward", "none", 1, 1, 2, 4};
  // Projections 8 * 1 * 4 * 2^2 = 128; scores and values 4 * 2 * 16 pairs = 128.
  EXPECT_DOUBLE_EQ(UsefulFlops(c), 256);
  c.mask = "causal";  // 10 pairs
  EXPECT_DOUBLE_EQ(UsefulFlops(c), 128 + 80);
  c.pass = "forward_backward";
  EXPECT_DOUBLE_EQ(UsefulFlops(c), 3 * (128 + 80));
  // A window wider than the sequence allows everything.
  AttentionCase w{"fused", "forward", "window", 1, 1, 2, kWindowHalfWidth};
  AttentionCase full = w;
  full.mask = "none";
  EXPECT_DOUBLE_EQ(UsefulFlops(w), UsefulFlops(full));
  // A long sequence: each query sees at most 2 * half + 1 keys.
  w.length = 4096;
  const double pairs = (UsefulFlops(w) - 8.0 * 4096 * 4) / (4 * 2);
  EXPECT_LT(pairs, 4096.0 * (2 * kWindowHalfWidth + 1));
  EXPECT_GT(pairs, 4096.0 * (2 * kWindowHalfWidth + 1) - 2 * kWindowHalfWidth * kWindowHalfWidth);
}

TEST(AttentionCasesTest, PaddingShortensLaterSequences) {
  const AttentionCase c{"fused", "forward", "padding", 4, 1, 8, 64};
  EXPECT_EQ(KeyLength(c, 0), 64);
  EXPECT_EQ(KeyLength(c, 3), 64 - 3 * 64 / 8);
  AttentionCase none = c;
  none.mask = "none";
  EXPECT_EQ(KeyLength(none, 3), 64);
}

TEST(AttentionCasesTest, DenseFootprintIsZeroForTheFusedKernel) {
  AttentionCase c{"torch_mha", "forward", "none", 1, 8, 256, 1024};
  EXPECT_DOUBLE_EQ(DenseScoresMib(c), 4 * 4.0 * 8 * 1024 * 1024 / (1024 * 1024));
  c.implementation = "fused";
  EXPECT_EQ(DenseScoresMib(c), 0);
}

TEST(AttentionCasesTest, ParsePresetNamesTheBadValue) {
  EXPECT_EQ(*ParsePreset("quick"), Preset::kQuick);
  EXPECT_EQ(*ParsePreset("full"), Preset::kFull);
  absl::StatusOr<Preset> bad = ParsePreset("fast");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fast"), std::string::npos);
}

}  // namespace
}  // namespace sf::benchmarks
