#include "tools/visualize/mask_patterns.h"

#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace sf::visualize {
namespace {

bool Allowed(const MaskPattern& p, int64_t i, int64_t j) {
  return p.allowed[i][j].item<bool>();
}

const MaskPattern& Named(const std::vector<MaskPattern>& patterns, const std::string& name) {
  for (const MaskPattern& p : patterns) {
    if (p.name == name) return p;
  }
  ADD_FAILURE() << "no pattern named " << name;
  return patterns.front();
}

TEST(BuildMaskPatternsTest, EachPatternFollowsItsRule) {
  absl::StatusOr<std::vector<MaskPattern>> patterns =
      BuildMaskPatterns({.length = 8, .window = 1, .global_tokens = {0}, .valid_length = 6});
  ASSERT_TRUE(patterns.ok()) << patterns.status();
  ASSERT_EQ(patterns->size(), 9u);
  for (const MaskPattern& p : *patterns) {
    EXPECT_EQ(p.allowed.sizes(), (at::IntArrayRef{8, 8})) << p.name;
    EXPECT_EQ(p.allowed.scalar_type(), at::kBool) << p.name;
  }
  const auto& none = Named(*patterns, "no mask");
  const auto& causal = Named(*patterns, "causal");
  const auto& window = Named(*patterns, "sliding window \u00b11");
  const auto& causal_window = Named(*patterns, "causal + window 1");
  const auto& global = Named(*patterns, "global tokens {0}");
  const auto& padding = Named(*patterns, "padding (6 valid)");
  const auto& longformer = Named(*patterns, "window \u00b11 + global {0}");
  const auto& causal_padding = Named(*patterns, "causal + padding (6 valid)");
  const auto& all = Named(*patterns, "window \u00b11 + global + padding");
  for (int64_t i = 0; i < 8; ++i) {
    for (int64_t j = 0; j < 8; ++j) {
      const bool near = j >= i - 1 && j <= i + 1;
      const bool is_global = i == 0 || j == 0;
      EXPECT_TRUE(Allowed(none, i, j));
      EXPECT_EQ(Allowed(causal, i, j), j <= i) << i << "," << j;
      EXPECT_EQ(Allowed(window, i, j), near) << i << "," << j;
      EXPECT_EQ(Allowed(causal_window, i, j), j <= i && j >= i - 1) << i << "," << j;
      EXPECT_EQ(Allowed(global, i, j), is_global) << i << "," << j;
      EXPECT_EQ(Allowed(padding, i, j), j < 6) << i << "," << j;
      EXPECT_EQ(Allowed(longformer, i, j), near || is_global) << i << "," << j;
      EXPECT_EQ(Allowed(causal_padding, i, j), j <= i && j < 6) << i << "," << j;
      EXPECT_EQ(Allowed(all, i, j), (near || is_global) && j < 6) << i << "," << j;
    }
  }
}

TEST(BuildMaskPatternsTest, BadOptionsNameTheValue) {
  const auto message = [](const MaskPatternOptions& options) {
    return std::string(BuildMaskPatterns(options).status().message());
  };
  EXPECT_NE(message({.length = 0}).find("got 0"), std::string::npos);
  EXPECT_NE(message({.length = 100000}).find("got 100000"), std::string::npos);
  EXPECT_NE(message({.length = 8, .window = -2, .valid_length = 8}).find("got -2"),
            std::string::npos);
  EXPECT_NE(message({.length = 8, .global_tokens = {9}, .valid_length = 8}).find("global token 9"),
            std::string::npos);
  EXPECT_NE(message({.length = 8, .valid_length = 10}).find("got 10"), std::string::npos);
}

}  // namespace
}  // namespace sf::visualize
