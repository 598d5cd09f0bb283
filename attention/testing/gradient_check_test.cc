#include "attention/testing/gradient_check.h"

#include <string>
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

TEST(CheckGradientsTest, LeavesTheInputsAsTheyWere) {
  at::manual_seed(3);
  const at::Tensor a = at::randn({5}, at::kDouble).requires_grad_();
  const at::Tensor before = a.detach().clone();
  EXPECT_TRUE(
      CheckGradients([](const std::vector<at::Tensor>& x) { return x[0].tanh(); }, {a}).ok);
  EXPECT_TRUE(a.detach().equal(before));
  EXPECT_FALSE(a.grad().defined());
}

TEST(GradientsMatchFiniteDifferencesTest, ChecksAClosureOverItsLeaves) {
  at::manual_seed(4);
  const at::Tensor w = at::randn({3, 4}, at::kDouble).requires_grad_();
  const at::Tensor x = at::randn({4}, at::kDouble).requires_grad_();
  const at::Tensor before = w.detach().clone();
  EXPECT_TRUE(GradientsMatchFiniteDifferences([&] { return w.matmul(x).sigmoid().sum(); },
                                              {w, x}));
  EXPECT_TRUE(w.detach().equal(before)) << "the perturbed leaf was not restored";
  const ::testing::AssertionResult wrong =
      GradientsMatchFiniteDifferences([&] { return w.matmul(x.detach().mul(x)).sum(); }, {w, x});
  EXPECT_FALSE(wrong);
  EXPECT_NE(std::string(wrong.message()).find("leaf 1 [4]"), std::string::npos)
      << wrong.message();
}

TEST(GradientsMatchFiniteDifferencesTest, NamesALeafItCannotPerturb) {
  const at::Tensor f32 = at::randn({3}).requires_grad_();
  ::testing::AssertionResult r = GradientsMatchFiniteDifferences([&] { return f32.sum(); }, {f32});
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("leaf 0"), std::string::npos) << r.message();
  const at::Tensor strided = at::randn({4, 4}, at::kDouble).t().requires_grad_();
  r = GradientsMatchFiniteDifferences([&] { return strided.sum(); }, {strided});
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("not contiguous"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace sf::testing
