#include "attention/linear.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "attention/testing/gradient_check.h"

namespace sf::attention {
namespace {

TEST(LinearTest, MatchesAtLinearForOneRowAndForMany) {
  at::manual_seed(0);
  const at::Tensor weight = at::randn({7, 5});
  const at::Tensor bias = at::randn({7});
  for (const std::vector<int64_t>& shape :
       std::vector<std::vector<int64_t>>{{5}, {1, 5}, {1, 1, 5}, {3, 5}, {2, 4, 5}}) {
    const at::Tensor x = at::randn(shape);
    const at::Tensor with_bias = Linear(x, weight, bias);
    EXPECT_EQ(with_bias.sizes(), at::linear(x, weight, bias).sizes());
    EXPECT_TRUE(at::allclose(with_bias, at::linear(x, weight, bias), 1e-5, 1e-6));
    EXPECT_TRUE(at::allclose(Linear(x, weight, at::Tensor()), at::linear(x, weight), 1e-5, 1e-6));
  }
}

TEST(LinearTest, OneRowHandlesNonContiguousWeightsAndInputs) {
  at::manual_seed(1);
  const at::Tensor big = at::randn({10, 6});
  const at::Tensor weight = big.slice(0, 2, 9);  // rows of a larger matrix
  const at::Tensor transposed = at::randn({5, 7}).t();
  const at::Tensor x = at::randn({1, 12}).slice(1, 0, 12, 2);  // stride 2
  EXPECT_TRUE(at::allclose(Linear(x, weight, at::Tensor()), at::linear(x, weight), 1e-5, 1e-6));
  const at::Tensor x5 = at::randn({1, 5});
  EXPECT_TRUE(at::allclose(Linear(x5, transposed, at::Tensor()), at::linear(x5, transposed),
                           1e-5, 1e-6));
}

TEST(LinearTest, OneRowGradientsPassTheDoublePrecisionCheck) {
  at::manual_seed(2);
  const at::Tensor x = at::randn({1, 4}, at::kDouble).requires_grad_();
  const at::Tensor weight = at::randn({3, 4}, at::kDouble).requires_grad_();
  const at::Tensor bias = at::randn({3}, at::kDouble).requires_grad_();
  const sf::testing::GradientCheckResult r = sf::testing::CheckGradients(
      [](const std::vector<at::Tensor>& in) { return Linear(in[0], in[1], in[2]); },
      {x, weight, bias});
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
}  // namespace sf::attention
