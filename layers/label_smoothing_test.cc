#include "layers/label_smoothing.h"

#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

namespace F = torch::nn::functional;

TEST(LabelSmoothedCrossEntropyTest, MatchesLibTorchWithPadding) {
  at::manual_seed(0);
  at::Tensor logits = at::randn({3, 5, 11});
  at::Tensor targets = at::randint(0, 11, {3, 5}, at::kLong);
  targets.index_put_({0, 4}, 0);
  targets.index_put_({2, 3}, 0);
  targets.index_put_({2, 4}, 0);
  for (double smoothing : {0.0, 0.1, 0.3}) {
    at::Tensor ours = LabelSmoothedCrossEntropy(
        logits, targets, LabelSmoothingOptions().smoothing(smoothing).ignore_index(0));
    at::Tensor theirs =
        F::cross_entropy(logits.reshape({-1, 11}), targets.reshape({-1}),
                         F::CrossEntropyFuncOptions().ignore_index(0).label_smoothing(smoothing));
    EXPECT_NEAR(ours.item<double>(), theirs.item<double>(), 1e-6) << smoothing;
    at::Tensor ours_sum = LabelSmoothedCrossEntropy(
        logits, targets,
        LabelSmoothingOptions().smoothing(smoothing).ignore_index(0).reduction(
            LossReduction::kSum));
    at::Tensor theirs_sum = F::cross_entropy(
        logits.reshape({-1, 11}), targets.reshape({-1}),
        F::CrossEntropyFuncOptions().ignore_index(0).label_smoothing(smoothing).reduction(
            torch::kSum));
    EXPECT_NEAR(ours_sum.item<double>(), theirs_sum.item<double>(), 1e-5) << smoothing;
  }
}

TEST(LabelSmoothedCrossEntropyTest, PerPositionLossIsZeroAtPadding) {
  at::Tensor logits = at::randn({2, 4, 7});
  at::Tensor targets = at::tensor({1, 2, -100, -100, 3, 4, 5, -100}, at::kLong).view({2, 4});
  at::Tensor per = LabelSmoothedCrossEntropy(
      logits, targets, LabelSmoothingOptions().reduction(LossReduction::kNone));
  ASSERT_EQ(per.sizes(), targets.sizes());
  EXPECT_TRUE(at::all(per.masked_select(targets == -100) == 0).item<bool>());
  EXPECT_TRUE(at::all(per.masked_select(targets != -100) > 0).item<bool>());
  // Mean over the five real positions only.
  at::Tensor mean = LabelSmoothedCrossEntropy(logits, targets);
  EXPECT_NEAR(mean.item<double>(), per.sum().item<double>() / 5, 1e-6);
}

TEST(LabelSmoothedCrossEntropyTest, AllPaddingGivesZeroNotNaN) {
  at::Tensor logits = at::randn({4, 5}).requires_grad_();
  at::Tensor targets = at::full({4}, -100, at::kLong);
  at::Tensor loss = LabelSmoothedCrossEntropy(logits, targets);
  EXPECT_EQ(loss.item<double>(), 0.0);
  loss.backward();
  EXPECT_TRUE(at::all(logits.grad() == 0).item<bool>());
}

TEST(LabelSmoothedCrossEntropyTest, SmoothingOfOneIsTheUniformTarget) {
  at::Tensor logits = at::randn({6, 9});
  at::Tensor targets = at::randint(0, 9, {6}, at::kLong);
  at::Tensor loss =
      LabelSmoothedCrossEntropy(logits, targets, LabelSmoothingOptions().smoothing(1.0));
  EXPECT_NEAR(loss.item<double>(), (-at::log_softmax(logits, -1)).mean().item<double>(), 1e-6);
}

TEST(LabelSmoothedCrossEntropyTest, GradientsMatchFiniteDifferences) {
  at::Tensor logits = at::randn({2, 3, 5}, at::kDouble).requires_grad_();
  at::Tensor targets = at::tensor({0, 4, 2, -1, 1, 3}, at::kLong).view({2, 3});
  EXPECT_TRUE(GradientsMatchFiniteDifferences(
      [&] {
        return LabelSmoothedCrossEntropy(logits, targets,
                                         LabelSmoothingOptions().smoothing(0.2).ignore_index(-1));
      },
      {logits}));
}

TEST(LabelSmoothedCrossEntropyTest, RejectsBadInputsNamingThem) {
  at::Tensor logits = at::randn({4, 5});
  try {
    LabelSmoothedCrossEntropy(logits, at::tensor({0, 1, 5, 2}, at::kLong));
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[0, 5]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LabelSmoothedCrossEntropy(logits, at::zeros({3}, at::kLong)), c10::Error);
  EXPECT_THROW(LabelSmoothedCrossEntropy(logits, at::zeros({4}, at::kInt)), c10::Error);
  EXPECT_THROW(LabelSmoothedCrossEntropy(logits, at::zeros({4}, at::kLong),
                                         LabelSmoothingOptions().smoothing(1.5)),
               c10::Error);
}

TEST(LabelSmoothedCrossEntropyTest, TrainsAClassifier) {
  at::manual_seed(0);
  torch::nn::Linear model(6, 4);
  at::Tensor x = at::randn({256, 6});
  at::Tensor targets = at::argmax(at::matmul(x, at::randn({6, 4})), -1);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(5e-2));
  auto loss = [&] { return LabelSmoothedCrossEntropy(model(x), targets); };
  double first = loss().item<double>();
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.6 * first);
  EXPECT_GT(at::argmax(model(x), -1).eq(targets).to(at::kFloat).mean().item<double>(), 0.9);
}

}  // namespace
}  // namespace sf::layers
