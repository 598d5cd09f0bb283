#include "attention/testing/gradient_check.h"

#include <vector>

#include <ATen/ops/randn.h>
#include <gtest/gtest.h>

namespace sf::testing {
namespace {

TEST(CheckGradientsTest, PassesForCorrectGradients) {
  at::manual_seed(0);
  const at::Tensor a = at::randn({2, 3}, at::kDouble).requires_grad_();
  const at::Tensor b = at::randn({3, 2}, at::kDouble).requires_grad_();
  const GradientCheckResult result = CheckGradients(
      [](const std::vector<at::Tensor>& x) { return x[0].matmul(x[1]).sin(); }, {a, b});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.entries_checked, 4 * 6 + 4 * 6);
  EXPECT_LT(result.max_abs_error, 1e-8);
}

TEST(CheckGradientsTest, SkipsInputsWithoutRequiresGrad) {
  at::manual_seed(1);
  const at::Tensor a = at::randn({4}, at::kDouble).requires_grad_();
  const at::Tensor constant = at::randn({4}, at::kDouble);
  const GradientCheckResult result = CheckGradients(
      [](const std::vector<at::Tensor>& x) { return x[0].mul(x[1]).exp(); }, {a, constant});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.entries_checked, 4 * 4);
}

TEST(CheckGradientsTest, DetectsWrongGradients) {
  at::manual_seed(2);
  const at::Tensor a = at::randn({3}, at::kDouble).requires_grad_();
  // d(x * x)/dx = 2x, but autograd sees only one factor: it reports x.
  const GradientCheckResult result = CheckGradients(
      [](const std::vector<at::Tensor>& x) { return x[0].mul(x[0].detach()); }, {a});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("input 0"), std::string::npos) << result.message;
}

TEST(CheckGradientsTest, RejectsFloat32Inputs) {
  const at::Tensor a = at::randn({3}).requires_grad_();
  EXPECT_THROW(CheckGradients([](const std::vector<at::Tensor>& x) { return x[0].mul(2); }, {a}),
               c10::Error);
}

}  // namespace
}  // namespace sf::testing
