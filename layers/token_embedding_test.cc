#include "layers/token_embedding.h"

#include <cmath>
#include <string>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/module.h>
#include <torch/optim/adam.h>

#include "gtest/gtest.h"
#include "layers/label_smoothing.h"

namespace sf::layers {
namespace {

TEST(TokenEmbeddingTest, ScalesBySqrtDModel) {
  TokenEmbedding embed(TokenEmbeddingOptions(10, 16));
  at::Tensor tokens = at::tensor({3, 0, 9, 3}, at::kLong).view({2, 2});
  at::Tensor out = embed->forward(tokens);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 2, 16}));
  EXPECT_TRUE(at::allclose(out[0][0], embed->weight[3] * 4.0));
  EXPECT_TRUE(at::allclose(out[1][0], embed->weight[9] * 4.0));
  TokenEmbedding plain(TokenEmbeddingOptions(10, 16).scale(false));
  EXPECT_TRUE(at::equal(plain->forward(tokens)[0][1], plain->weight[0]));
}

TEST(TokenEmbeddingTest, ScaledVectorsHaveUnitVariance) {
  at::manual_seed(0);
  TokenEmbedding embed(TokenEmbeddingOptions(1000, 64));
  at::Tensor out = embed->forward(at::arange(1000, at::kLong));
  EXPECT_NEAR(out.std().item<double>(), 1.0, 0.02);
}

TEST(TokenEmbeddingTest, PaddingRowIsZeroAndGetsNoGradient) {
  TokenEmbedding embed(TokenEmbeddingOptions(6, 4).padding_idx(0));
  EXPECT_TRUE(at::all(embed->weight[0] == 0).item<bool>());
  embed->forward(at::tensor({0, 1, 0, 2}, at::kLong)).sum().backward();
  EXPECT_TRUE(at::all(embed->weight.grad()[0] == 0).item<bool>());
  EXPECT_TRUE(at::all(embed->weight.grad()[1] == 2).item<bool>());  // sqrt(4) per element
}

TEST(TokenEmbeddingTest, RejectsOutOfRangeTokensNamingThem) {
  TokenEmbedding embed(TokenEmbeddingOptions(6, 4));
  try {
    embed->forward(at::tensor({1, 6}, at::kLong));
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 6]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(embed->forward(at::tensor({1, 2}, at::kInt)), c10::Error);
  EXPECT_THROW(TokenEmbedding(TokenEmbeddingOptions(6, 4).padding_idx(6)), c10::Error);
}

TEST(OutputProjectionTest, UntiedHasItsOwnWeight) {
  OutputProjection head(OutputProjectionOptions(8, 5));
  EXPECT_FALSE(head->tied());
  EXPECT_EQ(head->parameters().size(), 2u);
  at::Tensor h = at::randn({3, 8});
  EXPECT_TRUE(at::allclose(head->forward(h), at::matmul(h, head->weight().t()) + head->bias));
}

struct TiedModel : torch::nn::Module {
  TiedModel()
      : embed(register_module("embed", TokenEmbedding(TokenEmbeddingOptions(7, 8)))),
        head(register_module("head", OutputProjection(OutputProjectionOptions(8, 7), embed))) {}
  TokenEmbedding embed;
  OutputProjection head;
};

TEST(OutputProjectionTest, TiedSharesTheStorageAndIsListedOnce) {
  TiedModel model;
  EXPECT_TRUE(model.head->tied());
  EXPECT_TRUE(model.head->weight().is_same(model.embed->weight));
  EXPECT_EQ(model.head->weight().data_ptr(), model.embed->weight.data_ptr());
  // embed.weight and head.bias: the shared weight once.
  EXPECT_EQ(model.parameters().size(), 2u);
  // Changing the embedding changes the projection.
  {
    at::NoGradGuard no_grad;
    model.embed->weight.mul_(2);
  }
  at::Tensor h = at::randn({2, 8});
  EXPECT_TRUE(at::allclose(model.head->forward(h),
                           at::matmul(h, model.embed->weight.t()) + model.head->bias));
  // Moving the model keeps the tie (Module::to converts parameters in place).
  model.to(at::kDouble);
  EXPECT_EQ(model.head->weight().scalar_type(), at::kDouble);
  EXPECT_TRUE(model.head->weight().is_same(model.embed->weight));
}

TEST(OutputProjectionTest, GradientsFromBothUsesAddUpInTheSharedWeight) {
  TiedModel model;
  at::Tensor tokens = at::tensor({1, 4, 4}, at::kLong);
  at::Tensor h = at::randn({3, 8});
  // Through the projection alone: d/dW sum(h W^T) = column sums of h, for every row.
  model.head->forward(h).sum().backward();
  at::Tensor from_head = model.embed->weight.grad().clone();
  EXPECT_TRUE(at::allclose(from_head, h.sum(0).expand({7, 8})));
  model.embed->weight.mutable_grad().zero_();
  // Through the embedding alone: sqrt(8) per looked-up occurrence.
  model.embed->forward(tokens).sum().backward();
  at::Tensor from_embed = model.embed->weight.grad().clone();
  EXPECT_NEAR(from_embed[4][0].item<double>(), 2 * std::sqrt(8.0), 1e-5);
  EXPECT_EQ(from_embed[0][0].item<double>(), 0.0);
  model.embed->weight.mutable_grad().zero_();
  // Both: the sum.
  (model.head->forward(h).sum() + model.embed->forward(tokens).sum()).backward();
  EXPECT_TRUE(at::allclose(model.embed->weight.grad(), from_head + from_embed));
}

TEST(OutputProjectionTest, RejectsMismatchedTie) {
  TokenEmbedding embed(TokenEmbeddingOptions(7, 8));
  EXPECT_THROW(OutputProjection(OutputProjectionOptions(8, 6), embed), c10::Error);
  EXPECT_THROW(OutputProjection(OutputProjectionOptions(8, 7)).ptr()->forward(at::randn({2, 4})),
               c10::Error);
}

TEST(OutputProjectionTest, TiedBigramModelTrains) {
  // Next token = (token + 1) mod 7, learned through one shared matrix.
  at::manual_seed(0);
  TiedModel model;
  at::Tensor tokens = at::randint(0, 7, {128}, at::kLong);
  at::Tensor next = (tokens + 1).remainder(7);
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(5e-2));
  auto loss = [&] {
    return LabelSmoothedCrossEntropy(model.head->forward(model.embed->forward(tokens)), next,
                                     LabelSmoothingOptions().smoothing(0.0));
  };
  double first = loss().item<double>();
  for (int step = 0; step < 80; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.5 * first);
}

}  // namespace
}  // namespace sf::layers
