#include "attention/masks.h"

#include <string>
#include <vector>

#include <ATen/ops/equal.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sf::attention {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A bool tensor from rows of '1' (allowed) and '.' (masked), for readable expectations.
at::Tensor Pattern(const std::vector<std::string>& rows) {
  std::vector<bool> values;
  for (const std::string& row : rows) {
    EXPECT_EQ(row.size(), rows[0].size());
    for (char c : row) values.push_back(c == '1');
  }
  at::Tensor out = at::zeros({static_cast<int64_t>(rows.size()),
                              static_cast<int64_t>(rows[0].size())}, at::kBool);
  bool* data = out.data_ptr<bool>();
  for (size_t i = 0; i < values.size(); ++i) data[i] = values[i];
  return out;
}

std::string Render(const at::Tensor& mask) {
  std::string out;
  const at::Tensor m = mask.contiguous();
  for (int64_t i = 0; i < m.size(0); ++i) {
    for (int64_t j = 0; j < m.size(1); ++j) out += m[i][j].item<bool>() ? '1' : '.';
    out += '\n';
  }
  return out;
}

#define EXPECT_MASK_EQ(actual, expected)                              \
  EXPECT_TRUE(at::equal((actual), (expected)))                        \
      << "actual:\n" << Render(actual) << "expected:\n" << Render(expected)

// The per-entry rule and the dense builder are two implementations of one definition.
void ExpectAllowsMatchesMaterialize(const MaskSpec& spec, int64_t len_q, int64_t len_k) {
  const at::Tensor dense = spec.Materialize(len_q, len_k);
  for (int64_t b = 0; b < dense.size(0); ++b) {
    const int64_t key_length =
        spec.key_lengths() ? (*spec.key_lengths())[b].item<int64_t>() : len_k;
    for (int64_t i = 0; i < len_q; ++i) {
      for (int64_t j = 0; j < len_k; ++j) {
        EXPECT_EQ(dense[b][0][i][j].item<bool>(), spec.Allows(key_length, i, j, len_q, len_k))
            << "b=" << b << " i=" << i << " j=" << j << " len_q=" << len_q
            << " len_k=" << len_k;
      }
    }
  }
}

TEST(CausalMaskTest, SquareIsLowerTriangular) {
  EXPECT_MASK_EQ(CausalMask(4, 4), Pattern({"1...",
                                            "11..",
                                            "111.",
                                            "1111"}));
}

TEST(CausalMaskTest, FewerQueriesAlignBottomRight) {
  EXPECT_MASK_EQ(CausalMask(2, 5), Pattern({"1111.",
                                            "11111"}));
}

TEST(CausalMaskTest, MoreQueriesThanKeysLeaveEarlyRowsEmpty) {
  EXPECT_MASK_EQ(CausalMask(4, 2), Pattern({"..",
                                            "..",
                                            "1.",
                                            "11"}));
}

TEST(SlidingWindowMaskTest, SymmetricWindowIsBanded) {
  EXPECT_MASK_EQ(SlidingWindowMask(5, 1, 1), Pattern({"11...",
                                                      "111..",
                                                      ".111.",
                                                      "..111",
                                                      "...11"}));
}

TEST(SlidingWindowMaskTest, AsymmetricWindow) {
  EXPECT_MASK_EQ(SlidingWindowMask(5, 2, 0), Pattern({"1....",
                                                      "11...",
                                                      "111..",
                                                      ".111.",
                                                      "..111"}));
  EXPECT_MASK_EQ(SlidingWindowMask(4, 0, 1), Pattern({"11..",
                                                      ".11.",
                                                      "..11",
                                                      "...1"}));
}

TEST(SlidingWindowMaskTest, NegativeWidthThrowsNamingTheValue) {
  try {
    SlidingWindowMask(4, -3, 0);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("left"), HasSubstr("-3")));
  }
  try {
    MaskSpec::Causal().WithSlidingWindow(2, -7);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("right"), HasSubstr("-7")));
  }
}

TEST(KeyPaddingMaskTest, MarksKeysBeforeEachLength) {
  const at::Tensor lengths = at::tensor(std::vector<int64_t>{3, 0, 5});
  EXPECT_MASK_EQ(KeyPaddingMask(lengths, 5), Pattern({"111..",
                                                      ".....",
                                                      "11111"}));
}

TEST(KeyPaddingMaskTest, RejectsBadLengths) {
  EXPECT_THROW(KeyPaddingMask(at::tensor(std::vector<int64_t>{2, -1}), 4), c10::Error);
  try {
    KeyPaddingMask(at::tensor(std::vector<int64_t>{2, 9}), 4);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("9"), HasSubstr("len_k=4")));
  }
  EXPECT_THROW(KeyPaddingMask(at::tensor(std::vector<float>{2.0f}), 4), c10::Error);
}

TEST(GlobalTokenMaskTest, GlobalRowsAndColumns) {
  EXPECT_MASK_EQ(GlobalTokenMask(5, {3, 0}), Pattern({"11111",
                                                      "1..1.",
                                                      "1..1.",
                                                      "11111",
                                                      "1..1."}));
}

TEST(MaskSpecTest, DefaultIsUnrestricted) {
  const MaskSpec spec;
  EXPECT_TRUE(spec.is_unrestricted());
  EXPECT_FALSE(spec.causal());
  EXPECT_FALSE(spec.has_window());
  const at::Tensor dense = spec.Materialize(3, 4);
  EXPECT_EQ(dense.sizes(), (std::vector<int64_t>{1, 1, 3, 4}));
  EXPECT_TRUE(dense.all().item<bool>());
}

TEST(MaskSpecTest, BuildersDoNotModifyTheOriginal) {
  const MaskSpec causal = MaskSpec::Causal();
  const MaskSpec windowed = causal.WithSlidingWindow(3, 0);
  EXPECT_FALSE(causal.has_window());
  EXPECT_TRUE(windowed.causal());
  EXPECT_EQ(windowed.window_left(), 3);
  EXPECT_EQ(windowed.window_right(), 0);
  EXPECT_FALSE(windowed.is_unrestricted());
}

TEST(MaskSpecTest, MistralWindowIsCausalBand) {
  const MaskSpec spec = MaskSpec::Causal().WithSlidingWindow(/*left=*/1, MaskSpec::kUnbounded);
  EXPECT_MASK_EQ(spec.Materialize(4, 4)[0][0], Pattern({"1...",
                                                        "11..",
                                                        ".11.",
                                                        "..11"}));
}

TEST(MaskSpecTest, KeyLengthsGiveOneMaskPerSequence) {
  const MaskSpec spec = MaskSpec::Causal().WithKeyLengths(at::tensor(std::vector<int64_t>{2, 4}));
  const at::Tensor dense = spec.Materialize(4, 4);
  EXPECT_EQ(dense.sizes(), (std::vector<int64_t>{2, 1, 4, 4}));
  EXPECT_MASK_EQ(dense[0][0], Pattern({"1...",
                                       "11..",
                                       "11..",
                                       "11.."}));
  EXPECT_MASK_EQ(dense[1][0], Pattern({"1...",
                                       "11..",
                                       "111.",
                                       "1111"}));
}

TEST(MaskSpecTest, GlobalTokensOverrideWindowButNotPadding) {
  const MaskSpec spec = MaskSpec()
                            .WithSlidingWindow(0, 0)
                            .WithGlobalTokens({4, 1, 1})
                            .WithKeyLengths(at::tensor(std::vector<int64_t>{4}));
  EXPECT_EQ(spec.global_tokens(), (std::vector<int64_t>{1, 4}));
  EXPECT_TRUE(spec.is_global(4));
  EXPECT_FALSE(spec.is_global(2));
  EXPECT_MASK_EQ(spec.Materialize(5, 5)[0][0], Pattern({"11...",
                                                        "1111.",
                                                        ".11..",
                                                        ".1.1.",
                                                        "1111."}));
}

TEST(MaskSpecTest, GlobalQueriesUseAbsolutePositionUnderBottomRightAlignment) {
  // Two queries at absolute positions 3 and 4; position 3 is global, so its row is full.
  const MaskSpec spec = MaskSpec::Causal().WithSlidingWindow(0, 0).WithGlobalTokens({3});
  EXPECT_MASK_EQ(spec.Materialize(2, 5)[0][0], Pattern({"11111",
                                                        "...11"}));
}

TEST(MaskSpecTest, AllowsAgreesWithMaterialize) {
  const at::Tensor lengths = at::tensor(std::vector<int64_t>{0, 3, 7});
  const std::vector<MaskSpec> specs = {
      MaskSpec(),
      MaskSpec::Causal(),
      MaskSpec().WithSlidingWindow(2, 1),
      MaskSpec::Causal().WithSlidingWindow(2, MaskSpec::kUnbounded),
      MaskSpec().WithSlidingWindow(MaskSpec::kUnbounded, 0).WithGlobalTokens({0, 5}),
      MaskSpec::Causal().WithSlidingWindow(1, 0).WithGlobalTokens({2}).WithKeyLengths(lengths),
      MaskSpec().WithKeyLengths(lengths),
  };
  for (const MaskSpec& spec : specs) {
    ExpectAllowsMatchesMaterialize(spec, 7, 7);
    ExpectAllowsMatchesMaterialize(spec, 3, 7);
    ExpectAllowsMatchesMaterialize(spec, 1, 7);
    ExpectAllowsMatchesMaterialize(spec, 7, 7);
  }
  ExpectAllowsMatchesMaterialize(MaskSpec::Causal().WithGlobalTokens({1}), 6, 4);
}

TEST(MaskSpecTest, RejectsBadArguments) {
  EXPECT_THROW(MaskSpec().WithGlobalTokens({2, -1}), c10::Error);
  EXPECT_THROW(MaskSpec().WithKeyLengths(at::tensor(std::vector<int64_t>{1, -2})), c10::Error);
  EXPECT_THROW(MaskSpec().WithKeyLengths(at::zeros({2, 2}, at::kLong)), c10::Error);
  try {
    MaskSpec().WithKeyLengths(at::tensor(std::vector<int64_t>{6})).Materialize(2, 5);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("6"), HasSubstr("len_k=5")));
  }
  EXPECT_THROW(MaskSpec::Causal().Materialize(-1, 3), c10::Error);
}

}  // namespace
}  // namespace sf::attention
