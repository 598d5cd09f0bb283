#include "layers/partial_conv.h"

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

TEST(PartialConv2dTest, FullMaskIsAPlainConvolutionReweightedAtTheBorder) {
  PartialConv2d pconv(torch::nn::Conv2dOptions(2, 3, 3).padding(1));
  at::Tensor x = at::randn({1, 2, 6, 5});
  PartialConvOutput out = pconv->forward(x, at::ones({1, 1, 6, 5}));
  at::Tensor no_bias = F::conv2d(x, pconv->conv->weight, F::Conv2dFuncOptions().padding(1));
  at::Tensor plain = no_bias + pconv->conv->bias.view({1, -1, 1, 1});
  using at::indexing::Slice;
  EXPECT_TRUE(at::allclose(out.output.index({Slice(), Slice(), Slice(1, 5), Slice(1, 4)}),
                           plain.index({Slice(), Slice(), Slice(1, 5), Slice(1, 4)}), 1e-5, 1e-6));
  // A corner window holds 2 x 2 of its 3 x 3 pixels: scale 9 / 4.
  at::Tensor corner = no_bias.index({0, Slice(), 0, 0}) * (9.0 / 4.0) + pconv->conv->bias;
  EXPECT_TRUE(at::allclose(out.output.index({0, Slice(), 0, 0}), corner, 1e-5, 1e-6));
  EXPECT_TRUE(at::all(out.mask == 1).item<bool>());
}

TEST(PartialConv2dTest, HoleContentIsIgnoredAndTheMaskShrinks) {
  PartialConv2d pconv(torch::nn::Conv2dOptions(1, 4, 3).padding(1));
  at::Tensor mask = at::ones({1, 1, 9, 9});
  using at::indexing::Slice;
  mask.index_put_({Slice(), Slice(), Slice(2, 7), Slice(2, 7)}, 0);  // a 5 x 5 hole
  at::Tensor x = at::randn({1, 1, 9, 9});
  at::Tensor scribbled = x + 100 * (1 - mask) * at::randn({1, 1, 9, 9});
  PartialConvOutput a = pconv->forward(x, mask);
  PartialConvOutput b = pconv->forward(scribbled, mask);
  EXPECT_TRUE(at::allclose(a.output, b.output, 1e-5, 1e-5));
  // Only the 3 x 3 centre of the hole sees no valid pixel.
  at::Tensor expected_mask = at::ones({1, 1, 9, 9});
  expected_mask.index_put_({Slice(), Slice(), Slice(3, 6), Slice(3, 6)}, 0);
  EXPECT_TRUE(at::equal(a.mask, expected_mask));
  EXPECT_TRUE(
      at::all(a.output.index({Slice(), Slice(), Slice(3, 6), Slice(3, 6)}) == 0).item<bool>());
  // Each further layer shrinks the hole by a pixel on every side: 3 x 3 -> 1 x 1.
  PartialConv2d next(torch::nn::Conv2dOptions(4, 4, 3).padding(1));
  PartialConvOutput c = next->forward(a.output, a.mask);
  EXPECT_EQ(c.mask.sum().item<double>(), 81 - 1);
}

TEST(PartialConv2dTest, PerChannelMaskAndStride) {
  PartialConv2d pconv(torch::nn::Conv2dOptions(2, 3, 3).stride(2).padding(1).bias(false));
  at::Tensor x = at::randn({2, 2, 7, 8});
  at::Tensor mask = (at::rand({2, 2, 7, 8}) > 0.3).to(at::kFloat);
  PartialConvOutput out = pconv->forward(x, mask);
  ASSERT_EQ(out.output.sizes(), (std::vector<int64_t>{2, 3, 4, 4}));
  ASSERT_EQ(out.mask.sizes(), (std::vector<int64_t>{2, 1, 4, 4}));
  // Entry (b, :, 1, 2): window rows 1..3, cols 3..5.
  using at::indexing::Slice;
  at::Tensor window_x = x.index({Slice(), Slice(), Slice(1, 4), Slice(3, 6)});
  at::Tensor window_m = mask.index({Slice(), Slice(), Slice(1, 4), Slice(3, 6)});
  for (int64_t b = 0; b < 2; ++b) {
    at::Tensor raw =
        (pconv->conv->weight * (window_x[b] * window_m[b]).unsqueeze(0)).sum({1, 2, 3});
    double count = window_m[b].sum().item<double>();
    ASSERT_GT(count, 0);
    EXPECT_TRUE(
        at::allclose(out.output.index({b, Slice(), 1, 2}), raw * (18.0 / count), 1e-5, 1e-6));
  }
}

TEST(PartialConv2dTest, RejectsMismatchedMasks) {
  PartialConv2d pconv(torch::nn::Conv2dOptions(3, 4, 3).padding(1));
  EXPECT_THROW(pconv->forward(at::randn({1, 3, 8, 8}), at::ones({1, 2, 8, 8})), c10::Error);
  EXPECT_THROW(pconv->forward(at::randn({1, 3, 8, 8}), at::ones({1, 1, 8, 7})), c10::Error);
  EXPECT_THROW(PartialConv2d(torch::nn::Conv2dOptions(4, 4, 3).groups(2)), c10::Error);
}

TEST(PartialConv2dTest, GradientsMatchFiniteDifferences) {
  PartialConv2d pconv(torch::nn::Conv2dOptions(2, 2, 3).padding(1));
  pconv->to(at::kDouble);
  at::Tensor x = at::randn({1, 2, 5, 5}, at::kDouble).requires_grad_();
  at::Tensor mask = (at::rand({1, 1, 5, 5}) > 0.4).to(at::kDouble);
  at::Tensor w = at::randn({1, 2, 5, 5}, at::kDouble);
  std::vector<at::Tensor> leaves = pconv->parameters();
  leaves.push_back(x);
  EXPECT_TRUE(GradientsMatchFiniteDifferences(
      [&] { return (pconv->forward(x, mask).output * w).sum(); }, leaves));
}

TEST(PartialConv2dTest, LearnsToFillHolesInSmoothImages) {
  at::manual_seed(0);
  // Smooth images: bilinear ramps, which a 5 x 5 partial convolution can interpolate.
  at::Tensor ys = at::linspace(0, 1, 12).view({1, 1, 12, 1});
  at::Tensor xs = at::linspace(0, 1, 12).view({1, 1, 1, 12});
  at::Tensor a = at::rand({32, 1, 1, 1});
  at::Tensor b = at::rand({32, 1, 1, 1});
  at::Tensor images = a * ys + b * xs;
  at::Tensor mask = (at::rand({32, 1, 12, 12}) > 0.3).to(at::kFloat);
  PartialConv2d pconv(torch::nn::Conv2dOptions(1, 1, 5).padding(2));
  torch::optim::Adam adam(pconv->parameters(), torch::optim::AdamOptions(1e-2));
  auto loss = [&] { return (pconv->forward(images * mask, mask).output - images).pow(2).mean(); };
  double first = loss().item<double>();
  for (int step = 0; step < 100; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.1 * first);
}

}  // namespace
}  // namespace sf::layers
