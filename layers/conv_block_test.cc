#include "layers/conv_block.h"

#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

TEST(ConvBlockTest, NormNamesRoundTrip) {
  for (NormKind kind : {NormKind::kNone, NormKind::kBatch, NormKind::kGroup, NormKind::kInstance}) {
    EXPECT_EQ(ParseNormKind(NormKindName(kind)), kind);
  }
  try {
    ParseNormKind("layer");
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer"), std::string::npos);
  }
}

TEST(ConvBlockTest, SamePaddingAndStridedShapes) {
  ConvBlock same(ConvBlockOptions(1, 8));
  EXPECT_EQ(same->forward(at::randn({2, 1, 27, 31})).sizes(), (std::vector<int64_t>{2, 8, 27, 31}));
  ConvBlock dilated(ConvBlockOptions(1, 8, 5).dilation(2));
  EXPECT_EQ(dilated->forward(at::randn({2, 1, 28, 28})).sizes(),
            (std::vector<int64_t>{2, 8, 28, 28}));
  ConvBlock strided(ConvBlockOptions(1, 8).stride(2));
  EXPECT_EQ(strided->forward(at::randn({2, 1, 27, 31})).sizes(),
            (std::vector<int64_t>{2, 8, 14, 16}));
}

TEST(ConvBlockTest, EachNormNormalisesOverItsAxes) {
  at::Tensor x = at::randn({4, 3, 10, 10}) * 3 + 2;
  {
    ConvBlock block(
        ConvBlockOptions(3, 8).norm(NormKind::kBatch).activation(Activation::kIdentity));
    block->train();
    at::Tensor y = block->forward(x);
    EXPECT_TRUE(at::allclose(y.mean({0, 2, 3}), at::zeros({8}), 0, 1e-4));
    EXPECT_FALSE(block->conv->options.bias());
  }
  {
    ConvBlock block(
        ConvBlockOptions(3, 8).norm(NormKind::kGroup).groups(2).activation(Activation::kIdentity));
    at::Tensor y = block->forward(x).view({4, 2, -1});
    EXPECT_TRUE(at::allclose(y.mean(-1), at::zeros({4, 2}), 0, 1e-4));
  }
  {
    ConvBlock block(
        ConvBlockOptions(3, 8).norm(NormKind::kInstance).activation(Activation::kIdentity));
    at::Tensor y = block->forward(x);
    EXPECT_TRUE(at::allclose(y.mean({2, 3}), at::zeros({4, 8}), 0, 1e-4));
  }
  {
    ConvBlock block(ConvBlockOptions(3, 8).norm(NormKind::kNone).activation(Activation::kReLU));
    EXPECT_TRUE(block->conv->options.bias());
    EXPECT_TRUE(at::all(block->forward(x) >= 0).item<bool>());
  }
}

TEST(ConvBlockTest, GatedBlockGatesTheNormalisedActivation) {
  ConvBlock block(ConvBlockOptions(3, 4)
                      .norm(NormKind::kGroup)
                      .groups(2)
                      .activation(Activation::kLeakyReLU)
                      .gated(true));
  ASSERT_TRUE(block->gated_conv);
  EXPECT_FALSE(block->conv);
  at::Tensor x = at::randn({2, 3, 6, 6});
  GatedConvParts parts = block->gated_conv->forward_parts(x);
  at::Tensor expected = at::leaky_relu(block->group_norm(parts.features), 0.2) * parts.gate;
  EXPECT_TRUE(at::allclose(block->forward(x), expected, 1e-5, 1e-6));
  EXPECT_EQ(block->named_parameters().size(), 4u);  // conv.conv.{weight,bias}, norm.{weight,bias}
}

TEST(ConvBlockTest, RejectsBadConfigurationsNamingValues) {
  try {
    ConvBlock(ConvBlockOptions(3, 10).norm(NormKind::kGroup).groups(4));
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("10 channels cannot be split into 4"), std::string::npos)
        << e.what();
  }
  ConvBlock block(ConvBlockOptions(3, 8));
  EXPECT_THROW(block->forward(at::randn({1, 4, 8, 8})), c10::Error);
}

TEST(ConvBlockTest, GradientsMatchFiniteDifferences) {
  ConvBlock block(ConvBlockOptions(2, 4)
                      .norm(NormKind::kGroup)
                      .groups(2)
                      .activation(Activation::kGELU)
                      .gated(true));
  block->to(at::kDouble);
  at::Tensor x = at::randn({2, 2, 4, 4}, at::kDouble).requires_grad_();
  at::Tensor w = at::randn({2, 4, 4, 4}, at::kDouble);
  std::vector<at::Tensor> leaves = block->parameters();
  leaves.push_back(x);
  EXPECT_TRUE(
      GradientsMatchFiniteDifferences([&] { return (block->forward(x) * w).sum(); }, leaves));
}

TEST(ConvBlockTest, EveryVariantTrainsOnAToyDenoisingTask) {
  at::manual_seed(0);
  at::Tensor clean = at::rand({8, 1, 12, 12});
  at::Tensor noisy = clean + 0.3 * at::randn({8, 1, 12, 12});
  for (NormKind norm : {NormKind::kNone, NormKind::kBatch, NormKind::kGroup, NormKind::kInstance}) {
    for (bool gated : {false, true}) {
      ConvBlock first(ConvBlockOptions(1, 8).norm(norm).groups(4).gated(gated));
      ConvBlock last(
          ConvBlockOptions(8, 1).norm(NormKind::kNone).activation(Activation::kIdentity));
      std::vector<at::Tensor> params = first->parameters();
      for (const at::Tensor& p : last->parameters()) params.push_back(p);
      torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-2));
      auto loss = [&] { return (last->forward(first->forward(noisy)) - clean).pow(2).mean(); };
      double initial = loss().item<double>();
      for (int step = 0; step < 40; ++step) {
        adam.zero_grad();
        loss().backward();
        adam.step();
      }
      EXPECT_LT(loss().item<double>(), 0.5 * initial)
          << NormKindName(norm) << (gated ? " gated" : "");
    }
  }
}

}  // namespace
}  // namespace sf::layers
