#include "layers/feed_forward.h"

#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

TEST(PositionwiseFeedForwardTest, MatchesTheFormulaForEachActivation) {
  for (Activation act : {Activation::kReLU, Activation::kGELU}) {
    PositionwiseFeedForward ffn(PositionwiseFeedForwardOptions(8, 32).activation(act));
    at::Tensor x = at::randn({2, 5, 8});
    at::Tensor hidden = at::matmul(x, ffn->linear1->weight.t()) + ffn->linear1->bias;
    hidden = act == Activation::kReLU ? at::relu(hidden) : at::gelu(hidden);
    at::Tensor expected = at::matmul(hidden, ffn->linear2->weight.t()) + ffn->linear2->bias;
    EXPECT_TRUE(at::allclose(ffn->forward(x), expected, 1e-5, 1e-6)) << ActivationName(act);
  }
}

TEST(PositionwiseFeedForwardTest, DropoutActsInTrainingOnly) {
  PositionwiseFeedForward ffn(PositionwiseFeedForwardOptions(16, 64).dropout(0.5));
  at::Tensor x = at::randn({4, 16});
  ffn->eval();
  EXPECT_TRUE(at::equal(ffn->forward(x), ffn->forward(x)));
  ffn->train();
  EXPECT_FALSE(at::allclose(ffn->forward(x), ffn->forward(x)));
}

TEST(PositionwiseFeedForwardTest, GradientsMatchFiniteDifferences) {
  PositionwiseFeedForward ffn(PositionwiseFeedForwardOptions(4, 6).activation(Activation::kGELU));
  ffn->to(at::kDouble);
  at::Tensor x = at::randn({2, 3, 4}, at::kDouble).requires_grad_();
  at::Tensor w = at::randn({2, 3, 4}, at::kDouble);
  std::vector<at::Tensor> leaves = ffn->parameters();
  leaves.push_back(x);
  EXPECT_TRUE(GradientsMatchFiniteDifferences([&] { return (ffn->forward(x) * w).sum(); }, leaves));
}

TEST(PositionwiseFeedForwardTest, RejectsAWrongWidthNamingIt) {
  PositionwiseFeedForward ffn(PositionwiseFeedForwardOptions(8, 16));
  EXPECT_THROW(ffn->forward(at::randn({3, 7})), c10::Error);
  EXPECT_THROW(PositionwiseFeedForward(PositionwiseFeedForwardOptions(8, 16).dropout(1.0)),
               c10::Error);
}

TEST(PositionwiseFeedForwardTest, TrainsOnAToyRegression) {
  at::manual_seed(0);
  PositionwiseFeedForward teacher(PositionwiseFeedForwardOptions(8, 16));
  PositionwiseFeedForward student(PositionwiseFeedForwardOptions(8, 32));
  at::Tensor x = at::randn({64, 8});
  at::Tensor y = teacher->forward(x).detach();
  torch::optim::Adam opt(student->parameters(), torch::optim::AdamOptions(1e-2));
  auto loss = [&] { return (student->forward(x) - y).pow(2).mean(); };
  double first = loss().item<double>();
  for (int step = 0; step < 50; ++step) {
    opt.zero_grad();
    at::Tensor l = loss();
    l.backward();
    opt.step();
  }
  EXPECT_LT(loss().item<double>(), 0.2 * first);
}

}  // namespace
}  // namespace sf::layers
