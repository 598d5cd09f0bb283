#include "attention/positional_encoding.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ops/allclose.h>
#include <ATen/ops/cdist.h>
#include <ATen/ops/eye.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/full.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sf::attention {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of the c10::Error fn throws; empty when it throws none.
std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return a.to(at::kDouble).sub(b.to(at::kDouble)).abs().max().item<double>();
}

TEST(SinusoidalTableTest, MatchesTheFormula) {
  for (int64_t d_model : {6, 7}) {
    const at::Tensor table = SinusoidalTable(/*len=*/5, d_model, /*offset=*/3);
    ASSERT_EQ(table.sizes(), (std::vector<int64_t>{5, d_model}));
    for (int64_t row = 0; row < 5; ++row) {
      const double p = static_cast<double>(row + 3);
      for (int64_t c = 0; c < d_model; ++c) {
        const int64_t even = c - c % 2;
        const double angle = p / std::pow(10000.0, static_cast<double>(even) / d_model);
        const double want = c % 2 == 0 ? std::sin(angle) : std::cos(angle);
        EXPECT_NEAR(table[row][c].item<double>(), want, 1e-12)
            << "d_model=" << d_model << " position " << p << " column " << c;
      }
    }
  }
}

TEST(SinusoidalTableTest, PositionZeroAlternatesZeroAndOne) {
  const at::Tensor row = SinusoidalTable(1, 4)[0];
  EXPECT_TRUE(at::equal(row, at::tensor(std::vector<double>{0.0, 1.0, 0.0, 1.0})));
}

TEST(SinusoidalTable2dTest, RowHalfFollowsTheRowAndColumnHalfTheColumn) {
  const int64_t rows = 3, cols = 5, d_model = 8;
  const at::Tensor table = SinusoidalTable2d(rows, cols, d_model);
  ASSERT_EQ(table.sizes(), (std::vector<int64_t>{rows * cols, d_model}));
  EXPECT_EQ(table.scalar_type(), at::kDouble);
  const at::Tensor by_row = SinusoidalTable(rows, d_model / 2);
  const at::Tensor by_col = SinusoidalTable(cols, d_model / 2);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const at::Tensor cell = table[r * cols + c];
      EXPECT_EQ(MaxAbsDiff(cell.slice(0, 0, d_model / 2), by_row[r]), 0.0) << r << "," << c;
      EXPECT_EQ(MaxAbsDiff(cell.slice(0, d_model / 2, d_model), by_col[c]), 0.0)
          << r << "," << c;
    }
  }
  // Every cell of the grid gets its own code.
  EXPECT_GT(at::cdist(table, table).add(at::eye(rows * cols, at::kDouble)).min().item<double>(),
            0.1);
}

TEST(SinusoidalTable2dTest, BadArgumentsNameTheValues) {
  EXPECT_THAT(ErrorOf([] { SinusoidalTable2d(2, 2, 7); }),
              HasSubstr("d_model must be even, got 7"));
  EXPECT_THAT(ErrorOf([] { SinusoidalTable2d(-1, 2, 8); }), HasSubstr("rows=-1"));
  EXPECT_THAT(ErrorOf([] { SinusoidalTable2d(2, 2, 0); }), HasSubstr("d_model"));
}

TEST(SinusoidalPositionalEncodingTest, AddsTableRowsAtOffset) {
  SinusoidalPositionalEncoding pe(SinusoidalPositionalEncodingOptions(8).max_len(32));
  EXPECT_TRUE(pe->parameters().empty());
  ASSERT_EQ(pe->buffers().size(), 1u);
  const at::Tensor x = at::randn({2, 5, 8});
  EXPECT_LE(MaxAbsDiff(pe->forward(x), x.add(SinusoidalTable(5, 8).to(at::kFloat))), 1e-6);
  EXPECT_LE(MaxAbsDiff(pe->forward(x, 10), x.add(SinusoidalTable(5, 8, 10).to(at::kFloat))),
            1e-6);
  // Decoding step by step gives the rows the whole sequence gets.
  const at::Tensor full = pe->forward(x);
  for (int64_t t = 0; t < 5; ++t) {
    EXPECT_TRUE(at::equal(pe->forward(x.narrow(1, t, 1), t), full.narrow(1, t, 1)));
  }
}

TEST(SinusoidalPositionalEncodingTest, BadArgumentsNameTheValues) {
  SinusoidalPositionalEncoding pe(SinusoidalPositionalEncodingOptions(8).max_len(16));
  try {
    pe->forward(at::zeros({1, 5, 8}), 12);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("max_len=16"), HasSubstr("[12, 17)")));
  }
  try {
    pe->forward(at::zeros({1, 5, 6}));
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("6"), HasSubstr("d_model=8")));
  }
  EXPECT_THROW(pe->forward(at::zeros({1, 5, 8}), -1), c10::Error);
  EXPECT_THROW(SinusoidalPositionalEncoding(SinusoidalPositionalEncodingOptions(0)), c10::Error);
}

TEST(LearnedPositionalEmbeddingTest, AddsTrainedRowsAndOnlyThoseGetGradients) {
  at::manual_seed(0);
  LearnedPositionalEmbedding pe(LearnedPositionalEmbeddingOptions(/*max_len=*/10, /*d_model=*/4));
  ASSERT_EQ(pe->parameters().size(), 1u);
  EXPECT_EQ(pe->weight.sizes(), (std::vector<int64_t>{10, 4}));
  EXPECT_NEAR(pe->weight.std().item<float>(), 0.02, 0.01);
  const at::Tensor x = at::randn({3, 4, 4});
  const at::Tensor y = pe->forward(x, /*offset=*/2);
  EXPECT_TRUE(at::allclose(y, x.add(pe->weight.slice(0, 2, 6))));
  y.sum().backward();
  const at::Tensor grad = pe->weight.grad();
  EXPECT_EQ(grad.slice(0, 0, 2).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(grad.slice(0, 6, 10).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(grad.slice(0, 2, 6), at::full({4, 4}, 3.0f)));
}

TEST(LearnedPositionalEmbeddingTest, PositionsBeyondMaxLenThrowNamingTheValues) {
  LearnedPositionalEmbedding pe(LearnedPositionalEmbeddingOptions(8, 4));
  try {
    pe->forward(at::zeros({2, 9, 4}));
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("max_len=8"), HasSubstr("length 9")));
  }
}

TEST(RotaryEmbeddingTest, TwoDimensionsRotateByThePosition) {
  // head_dim 2: one pair with frequency base^0 = 1, so position p rotates by p radians.
  RotaryEmbedding rope(RotaryEmbeddingOptions(2).max_len(8));
  EXPECT_EQ(rope->cos.scalar_type(), at::kDouble);
  EXPECT_TRUE(rope->parameters().empty());
  const at::Tensor x = at::tensor(std::vector<double>{1.0, 0.0}).repeat({4, 1});  // [4, 2]
  const at::Tensor y = rope->forward(x, /*offset=*/1);
  for (int64_t t = 0; t < 4; ++t) {
    const double angle = static_cast<double>(t + 1);
    EXPECT_NEAR(y[t][0].item<double>(), std::cos(angle), 1e-12);
    EXPECT_NEAR(y[t][1].item<double>(), std::sin(angle), 1e-12);
  }
}

TEST(RotaryEmbeddingTest, PositionZeroIsIdentityAndNormsArePreserved) {
  at::manual_seed(1);
  RotaryEmbedding rope(RotaryEmbeddingOptions(16).max_len(256));
  const at::Tensor x = at::randn({2, 3, 40, 16}, at::kDouble);
  const at::Tensor y = rope->forward(x, /*offset=*/200);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_LE(MaxAbsDiff(y.norm(2, -1), x.norm(2, -1)), 1e-12);
  EXPECT_GT(MaxAbsDiff(y, x), 0.1);
  EXPECT_LE(MaxAbsDiff(rope->forward(x.narrow(2, 0, 1)), x.narrow(2, 0, 1)), 0.0);
}

TEST(RotaryEmbeddingTest, DotProductDependsOnlyOnRelativePosition) {
  at::manual_seed(2);
  RotaryEmbedding rope(RotaryEmbeddingOptions(8).max_len(512));
  const at::Tensor q = at::randn({1, 1, 1, 8}, at::kDouble);
  const at::Tensor k = at::randn({1, 1, 1, 8}, at::kDouble);
  const auto score = [&](int64_t m, int64_t n) {
    return rope->forward(q, m).mul(rope->forward(k, n)).sum().item<double>();
  };
  for (int64_t distance : {0, 1, 5, 37}) {
    const double reference = score(distance, 0);
    for (int64_t n : {1, 13, 100, 400}) {
      EXPECT_NEAR(score(n + distance, n), reference, 1e-10)
          << "distance " << distance << " at key position " << n;
    }
  }
  // And the score does change with the distance, so the check above is not vacuous.
  EXPECT_GT(std::abs(score(5, 0) - score(1, 0)), 1e-3);
}

TEST(RotaryEmbeddingTest, OffsetMatchesTheSameRowsOfTheFullSequence) {
  at::manual_seed(3);
  RotaryEmbedding rope(RotaryEmbeddingOptions(6).max_len(32));
  const at::Tensor x = at::randn({2, 2, 9, 6});
  const at::Tensor full = rope->forward(x);
  EXPECT_LE(MaxAbsDiff(rope->forward(x.narrow(2, 4, 5), 4), full.narrow(2, 4, 5)), 0.0);
}

TEST(RotaryEmbeddingTest, BadArgumentsNameTheValues) {
  try {
    RotaryEmbedding(RotaryEmbeddingOptions(7));
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("even"), HasSubstr("7")));
  }
  RotaryEmbedding rope(RotaryEmbeddingOptions(4).max_len(10));
  try {
    rope->forward(at::zeros({1, 1, 3, 4}), 8);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("max_len=10"), HasSubstr("[8, 11)")));
  }
  EXPECT_THROW(rope->forward(at::zeros({1, 1, 3, 6})), c10::Error);
}

}  // namespace
}  // namespace sf::attention
