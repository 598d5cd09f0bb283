#include "tools/visualize/head_stats.h"

#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace sf::visualize {
namespace {

// Head 0 rows: a point mass on key 0, half/half over keys 0-1, (1/4, 1/4, 1/2).
// Head 1: uniform. Key 0 is special.
at::Tensor TwoHeads() {
  return at::tensor({1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.25, 0.25, 0.5,  // head 0
                     1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3,
                     1.0 / 3},
                    at::kDouble)
      .reshape({2, 3, 3});
}

TEST(ComputeHeadStatsTest, MatchesHandComputedValues) {
  const std::vector<HeadStats> stats = ComputeHeadStats(TwoHeads(), {true, false, false}, 4);
  ASSERT_EQ(stats.size(), 2u);
  // Head 0. Entropies: 0, ln 2, 1.5 ln 2. Distances: 0, 0.5, 0.25*2 + 0.25*1 = 0.75.
  // Special share: 1, 0.5, 0.25.
  EXPECT_EQ(stats[0].layer, 4);
  EXPECT_EQ(stats[0].head, 0);
  EXPECT_EQ(stats[0].rows, 3);
  EXPECT_NEAR(stats[0].entropy, (0.0 + std::log(2.0) + 1.5 * std::log(2.0)) / 3, 1e-12);
  EXPECT_NEAR(stats[0].mean_distance, (0.0 + 0.5 + 0.75) / 3, 1e-12);
  EXPECT_NEAR(stats[0].special_share, (1.0 + 0.5 + 0.25) / 3, 1e-12);
  // Head 1. Entropy ln 3 every row; distances (0+1+2)/3, (1+0+1)/3, (2+1+0)/3.
  EXPECT_EQ(stats[1].head, 1);
  EXPECT_NEAR(stats[1].entropy, std::log(3.0), 1e-12);
  EXPECT_NEAR(stats[1].mean_distance, (1.0 + 2.0 / 3 + 1.0) / 3, 1e-12);
  EXPECT_NEAR(stats[1].special_share, 1.0 / 3, 1e-12);
}

TEST(ComputeHeadStatsTest, FullyMaskedRowsAreLeftOutAndRowsAreNormalised) {
  // Row 0 has no weight (a padding query); row 1 sums to 2 and is normalised to (1/2, 1/2).
  const at::Tensor weights = at::tensor({0.0, 0.0, 1.0, 1.0}, at::kDouble).reshape({1, 2, 2});
  const std::vector<HeadStats> stats = ComputeHeadStats(weights, {}, 0);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].rows, 1);
  EXPECT_NEAR(stats[0].entropy, std::log(2.0), 1e-12);
  EXPECT_NEAR(stats[0].mean_distance, 0.5, 1e-12);
  EXPECT_EQ(stats[0].special_share, 0.0);
}

TEST(ComputeHeadStatsTest, QueriesAlignToTheEndOfLongerKeys) {
  // One query over three keys sits at position 2: weight on key 0 is two tokens away.
  const at::Tensor weights = at::tensor({1.0, 0.0, 0.0}, at::kDouble).reshape({1, 1, 3});
  EXPECT_NEAR(ComputeHeadStats(weights, {}, 0)[0].mean_distance, 2.0, 1e-12);
}

TEST(ComputeHeadStatsTest, WrongFlagCountIsAProgrammerError) {
  EXPECT_THROW(ComputeHeadStats(TwoHeads(), {true}, 0), c10::Error);
}

TEST(HeadStatsFormatsTest, CsvMarkdownAndTableCarryEveryHead) {
  const std::vector<HeadStats> stats = ComputeHeadStats(TwoHeads(), {true, false, false}, 1);
  EXPECT_EQ(HeadStatsCsv(stats),
            "layer,head,entropy,mean_distance,special_share,rows\n"
            "1,0,0.577623,0.416667,0.583333,3\n"
            "1,1,1.098612,0.888889,0.333333,3\n");
  const std::string markdown = HeadStatsMarkdown(stats);
  EXPECT_NE(markdown.find("| 1 | 0 | 0.5776 | 0.4167 | 0.5833 | 3 |"), std::string::npos);
  EXPECT_NE(markdown.find("|---:|"), std::string::npos);
  const std::string table = FormatHeadStatsTable(stats);
  EXPECT_NE(table.find("1.0986"), std::string::npos);
  EXPECT_NE(table.find("special share"), std::string::npos);
}

}  // namespace
}  // namespace sf::visualize
