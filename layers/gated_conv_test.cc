#include "layers/gated_conv.h"

#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/functional/conv.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

namespace F = torch::nn::functional;

TEST(GatedConv2dTest, IsActivatedFeaturesTimesSigmoidGate) {
  GatedConv2d gated(torch::nn::Conv2dOptions(3, 5, 3).padding(1), Activation::kELU);
  at::Tensor x = at::randn({2, 3, 9, 7});
  const at::Tensor& w = gated->conv->weight;
  const at::Tensor& b = gated->conv->bias;
  at::Tensor features =
      F::conv2d(x, w.slice(0, 0, 5), F::Conv2dFuncOptions().bias(b.slice(0, 0, 5)).padding(1));
  at::Tensor gate =
      F::conv2d(x, w.slice(0, 5, 10), F::Conv2dFuncOptions().bias(b.slice(0, 5, 10)).padding(1));
  at::Tensor y = gated->forward(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 5, 9, 7}));
  EXPECT_TRUE(at::allclose(y, at::elu(features) * at::sigmoid(gate), 1e-5, 1e-6));
  GatedConvParts parts = gated->forward_parts(x);
  EXPECT_TRUE(at::allclose(parts.features, features, 1e-5, 1e-6));
  EXPECT_TRUE(at::all((parts.gate > 0) & (parts.gate < 1)).item<bool>());
}

TEST(GatedConv2dTest, StridedShapes) {
  GatedConv2d gated(torch::nn::Conv2dOptions(1, 4, 3).stride(2).padding(1));
  EXPECT_EQ(gated->forward(at::randn({1, 1, 27, 31})).sizes(),
            (std::vector<int64_t>{1, 4, 14, 16}));
  EXPECT_THROW(gated->forward(at::randn({1, 2, 8, 8})), c10::Error);
}

TEST(GatedConv2dTest, GradientsMatchFiniteDifferences) {
  GatedConv2d gated(torch::nn::Conv2dOptions(2, 2, 3).padding(1), Activation::kSiLU);
  gated->to(at::kDouble);
  at::Tensor x = at::randn({1, 2, 4, 4}, at::kDouble).requires_grad_();
  at::Tensor w = at::randn({1, 2, 4, 4}, at::kDouble);
  std::vector<at::Tensor> leaves = gated->parameters();
  leaves.push_back(x);
  EXPECT_TRUE(
      GradientsMatchFiniteDifferences([&] { return (gated->forward(x) * w).sum(); }, leaves));
}

TEST(GatedConv2dTest, LearnsToGateOutAMaskedRegion) {
  // Channel 1 carries a validity mask; the target is channel 0 where valid and 0 elsewhere,
  // which a gate can express and a plain convolution of these inputs cannot.
  at::manual_seed(0);
  GatedConv2d gated(torch::nn::Conv2dOptions(2, 1, 1), Activation::kIdentity);
  at::Tensor image = at::randn({16, 1, 8, 8});
  at::Tensor mask = (at::rand({16, 1, 8, 8}) > 0.5).to(at::kFloat);
  at::Tensor x = at::cat({image, mask}, 1);
  at::Tensor y = image * mask;
  torch::optim::Adam adam(gated->parameters(), torch::optim::AdamOptions(5e-2));
  auto loss = [&] { return (gated->forward(x) - y).pow(2).mean(); };
  double first = loss().item<double>();
  for (int step = 0; step < 150; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.1 * first);
}

}  // namespace
}  // namespace sf::layers
