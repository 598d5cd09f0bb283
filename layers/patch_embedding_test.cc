#include "layers/patch_embedding.h"

#include <tuple>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/functional/fold.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

namespace F = torch::nn::functional;

TEST(PatchifyTest, MatchesUnfoldAndFold) {
  at::Tensor images = at::randn({2, 3, 28, 28});
  at::Tensor patches = Patchify(images, 4);
  ASSERT_EQ(patches.sizes(), (std::vector<int64_t>{2, 49, 48}));
  at::Tensor unfolded = F::unfold(images, F::UnfoldFuncOptions({4, 4}).stride(4)).transpose(1, 2);
  EXPECT_TRUE(at::equal(patches, unfolded));
  at::Tensor folded =
      F::fold(patches.transpose(1, 2), F::FoldFuncOptions({28, 28}, {4, 4}).stride(4));
  EXPECT_TRUE(at::equal(Unpatchify(patches, 4, 28, 28), folded));
}

TEST(PatchifyTest, RoundTripIsExactForAnySize) {
  for (auto [height, width, p] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {28, 28, 4}, {28, 28, 7}, {27, 31, 4}, {5, 3, 8}, {6, 6, 1}}) {
    at::Tensor images = at::randn({2, 3, height, width});
    at::Tensor patches = Patchify(images, p);
    EXPECT_EQ(patches.size(1), ((height + p - 1) / p) * ((width + p - 1) / p));
    EXPECT_TRUE(at::equal(Unpatchify(patches, p, height, width), images))
        << height << "x" << width << " p=" << p;
  }
}

TEST(PatchifyTest, RejectsInconsistentShapes) {
  EXPECT_THROW(Patchify(at::randn({3, 8, 8}), 4), c10::Error);
  EXPECT_THROW(Patchify(at::randn({1, 3, 8, 8}), 0), c10::Error);
  EXPECT_THROW(Unpatchify(at::randn({1, 4, 48}), 4, 12, 12), c10::Error);  // needs 9 patches
  EXPECT_THROW(Unpatchify(at::randn({1, 9, 47}), 4, 12, 12), c10::Error);
}

TEST(PatchEmbeddingTest, IdentityWeightsMakeEmbeddingThenUnembeddingTheIdentity) {
  const int64_t c = 2, p = 4, d = c * p * p;
  PatchEmbedding embed(PatchEmbeddingOptions(c, d, p));
  PatchUnembedding unembed(PatchUnembeddingOptions(d, c, p));
  {
    at::NoGradGuard no_grad;
    embed->proj->weight.copy_(at::eye(d).view({d, c, p, p}));
    embed->proj->bias.zero_();
    unembed->proj->weight.copy_(at::eye(d));
    unembed->proj->bias.zero_();
  }
  for (auto [height, width] : std::vector<std::pair<int64_t, int64_t>>{{28, 28}, {27, 31}}) {
    at::Tensor images = at::randn({3, c, height, width});
    at::Tensor tokens = embed->forward(images);
    EXPECT_TRUE(at::allclose(tokens, Patchify(images, p), 0, 1e-6));
    EXPECT_TRUE(at::allclose(unembed->forward(tokens, height, width), images, 0, 1e-6))
        << height << "x" << width;
  }
}

TEST(PatchEmbeddingTest, InverseWeightsMakeTheRoundTripTheIdentity) {
  at::manual_seed(0);
  const int64_t c = 1, p = 4, d = c * p * p;
  PatchEmbedding embed(PatchEmbeddingOptions(c, d, p));
  PatchUnembedding unembed(PatchUnembeddingOptions(d, c, p));
  {
    at::NoGradGuard no_grad;
    // A well-conditioned random map and its exact inverse (bias included).
    at::Tensor w = at::eye(d, at::kDouble) + 0.1 * at::randn({d, d}, at::kDouble);
    at::Tensor b = at::randn({d}, at::kDouble);
    at::Tensor inverse = at::inverse(w);
    embed->proj->weight.copy_(w.view({d, c, p, p}));
    embed->proj->bias.copy_(b);
    unembed->proj->weight.copy_(inverse);
    unembed->proj->bias.copy_(-at::matmul(inverse, b));
  }
  at::Tensor images = at::rand({4, c, 28, 28});
  at::Tensor tokens = embed->forward(images);
  ASSERT_EQ(tokens.sizes(), (std::vector<int64_t>{4, 49, 16}));
  EXPECT_TRUE(at::allclose(unembed->forward(tokens, 28, 28), images, 0, 1e-5));
}

TEST(PatchEmbeddingTest, ConvolutionEqualsLinearOnPatches) {
  PatchEmbedding embed(PatchEmbeddingOptions(3, 8, 4));
  at::Tensor images = at::randn({2, 3, 10, 13});
  at::Tensor linear =
      at::matmul(Patchify(images, 4), embed->proj->weight.view({8, -1}).t()) + embed->proj->bias;
  EXPECT_TRUE(at::allclose(embed->forward(images), linear, 1e-5, 1e-5));
  EXPECT_THROW(embed->forward(at::randn({2, 1, 8, 8})), c10::Error);
}

TEST(PatchEmbeddingTest, GradientsMatchFiniteDifferences) {
  PatchEmbedding embed(PatchEmbeddingOptions(1, 3, 2));
  PatchUnembedding unembed(PatchUnembeddingOptions(3, 1, 2));
  embed->to(at::kDouble);
  unembed->to(at::kDouble);
  at::Tensor images = at::randn({1, 1, 3, 5}, at::kDouble).requires_grad_();
  at::Tensor w = at::randn({1, 1, 3, 5}, at::kDouble);
  std::vector<at::Tensor> leaves = embed->parameters();
  for (const at::Tensor& p : unembed->parameters()) leaves.push_back(p);
  leaves.push_back(images);
  EXPECT_TRUE(GradientsMatchFiniteDifferences(
      [&] { return (at::tanh(unembed->forward(embed->forward(images), 3, 5)) * w).sum(); },
      leaves));
}

TEST(PatchEmbeddingTest, AutoencoderTrains) {
  // 16-pixel patches through an 8-wide bottleneck: learns the dominant patch structure.
  at::manual_seed(0);
  at::Tensor ys = at::linspace(0, 1, 28).view({1, 1, 28, 1});
  at::Tensor xs = at::linspace(0, 1, 28).view({1, 1, 1, 28});
  at::Tensor images = at::sin(6 * at::rand({16, 1, 1, 1}) * ys + 4 * xs);
  PatchEmbedding embed(PatchEmbeddingOptions(1, 8, 4));
  PatchUnembedding unembed(PatchUnembeddingOptions(8, 1, 4));
  std::vector<at::Tensor> params = embed->parameters();
  for (const at::Tensor& p : unembed->parameters()) params.push_back(p);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-2));
  auto loss = [&] {
    return (unembed->forward(embed->forward(images), 28, 28) - images).pow(2).mean();
  };
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
