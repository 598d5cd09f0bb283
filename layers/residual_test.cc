#include "layers/residual.h"

#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

at::Tensor LayerNormOf(const at::Tensor& x, double eps) {
  at::Tensor mean = x.mean(-1, true);
  at::Tensor var = (x - mean).pow(2).mean(-1, true);
  return (x - mean) / at::sqrt(var + eps);
}

TEST(ResidualNormTest, PlacementNamesRoundTrip) {
  EXPECT_EQ(ParseNormPlacement("post"), NormPlacement::kPostNorm);
  EXPECT_EQ(ParseNormPlacement(NormPlacementName(NormPlacement::kPreNorm)),
            NormPlacement::kPreNorm);
  try {
    ParseNormPlacement("sandwich");
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("sandwich"), std::string::npos);
  }
}

TEST(ResidualNormTest, PostNormNormalisesTheSum) {
  ResidualNorm residual(ResidualNormOptions(8));
  at::Tensor x = at::randn({3, 4, 8});
  auto twice = [](const at::Tensor& h) { return 2 * h + 1; };
  at::Tensor expected = LayerNormOf(x + (2 * x + 1), 1e-5);
  EXPECT_TRUE(at::allclose(residual->forward(x, twice), expected, 1e-5, 1e-5));
}

TEST(ResidualNormTest, PreNormKeepsTheResidualStream) {
  ResidualNorm residual(ResidualNormOptions(8).placement(NormPlacement::kPreNorm).eps(1e-6));
  at::Tensor x = at::randn({3, 4, 8});
  auto twice = [](const at::Tensor& h) { return 2 * h + 1; };
  at::Tensor expected = x + 2 * LayerNormOf(x, 1e-6) + 1;
  EXPECT_TRUE(at::allclose(residual->forward(x, twice), expected, 1e-5, 1e-5));
}

TEST(ResidualNormTest, DropoutActsOnTheSublayerOutputInTraining) {
  ResidualNorm residual(ResidualNormOptions(16).placement(NormPlacement::kPreNorm).dropout(0.5));
  at::Tensor x = at::randn({4, 16});
  auto zero = [](const at::Tensor& h) { return at::zeros_like(h); };
  auto ones = [](const at::Tensor& h) { return at::ones_like(h); };
  residual->train();
  // A zero sublayer output stays zero under dropout: the stream passes through unchanged.
  EXPECT_TRUE(at::equal(residual->forward(x, zero), x));
  at::Tensor dropped = residual->forward(x, ones) - x;
  at::Tensor kept = at::abs(dropped - 2) < 1e-5;
  EXPECT_TRUE(at::all(kept | (at::abs(dropped) < 1e-5)).item<bool>());
  EXPECT_GT(kept.sum().item<int64_t>(), 0);
  EXPECT_LT(kept.sum().item<int64_t>(), dropped.numel());
  residual->eval();
  EXPECT_TRUE(at::allclose(residual->forward(x, ones), x + 1));
}

TEST(ResidualNormTest, GradientsMatchFiniteDifferencesInBothPlacements) {
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    ResidualNorm residual(ResidualNormOptions(5).placement(placement));
    torch::nn::Linear inner(5, 5);
    residual->to(at::kDouble);
    inner->to(at::kDouble);
    // Non-trivial LayerNorm affine parameters, so their gradients are exercised too.
    {
      at::NoGradGuard no_grad;
      residual->norm->weight.uniform_(0.5, 1.5);
      residual->norm->bias.uniform_(-0.5, 0.5);
    }
    at::Tensor x = at::randn({2, 3, 5}, at::kDouble).requires_grad_();
    at::Tensor w = at::randn({2, 3, 5}, at::kDouble);
    std::vector<at::Tensor> leaves = residual->parameters();
    for (const at::Tensor& p : inner->parameters()) leaves.push_back(p);
    leaves.push_back(x);
    auto f = [&] {
      return (residual->forward(x, [&](const at::Tensor& h) { return at::tanh(inner(h)); }) * w)
          .sum();
    };
    EXPECT_TRUE(GradientsMatchFiniteDifferences(f, leaves)) << NormPlacementName(placement);
  }
}

TEST(ResidualNormTest, RejectsAWrongWidth) {
  ResidualNorm residual(ResidualNormOptions(8));
  EXPECT_THROW(residual->forward(at::randn({2, 6}), [](const at::Tensor& h) { return h; }),
               c10::Error);
}

TEST(ResidualNormTest, TrainsAResidualBlockInBothPlacements) {
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    at::manual_seed(1);
    ResidualNorm residual(ResidualNormOptions(8).placement(placement));
    torch::nn::Linear inner(8, 8);
    at::Tensor x = at::randn({64, 8});
    at::Tensor y = at::tanh(at::roll(x, 1, -1));
    std::vector<at::Tensor> params = residual->parameters();
    for (const at::Tensor& p : inner->parameters()) params.push_back(p);
    torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
    auto loss = [&] {
      return (residual->forward(x, [&](const at::Tensor& h) { return inner(h); }) - y)
          .pow(2)
          .mean();
    };
    double first = loss().item<double>();
    for (int step = 0; step < 60; ++step) {
      opt.zero_grad();
      at::Tensor l = loss();
      l.backward();
      opt.step();
    }
    EXPECT_LT(loss().item<double>(), 0.5 * first) << NormPlacementName(placement);
  }
}

}  // namespace
}  // namespace sf::layers
