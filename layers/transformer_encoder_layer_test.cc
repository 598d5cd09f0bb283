#include "layers/transformer_encoder_layer.h"

#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/modules/transformerlayer.h>
#include <torch/optim/adam.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "gtest/gtest.h"
#include "attention/testing/gradient_check.h"
#include "layers/libtorch_reference.h"

namespace sf::layers {
namespace {

using ::sf::testing::GradientsMatchFiniteDifferences;

using attention::AttentionBackend;
using attention::MaskSpec;

constexpr double kInf = std::numeric_limits<double>::infinity();

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

struct Pair {
  TransformerEncoderLayer ours{nullptr};
  torch::nn::TransformerEncoderLayer theirs{nullptr};
};

Pair MakePair(Activation activation) {
  Pair pair;
  pair.theirs = torch::nn::TransformerEncoderLayer(
      torch::nn::TransformerEncoderLayerOptions(16, 4).dim_feedforward(32).dropout(0.0).activation(
          activation == Activation::kGELU ? torch::nn::activation_t(torch::kGELU)
                                          : torch::nn::activation_t(torch::kReLU)));
  pair.ours = TransformerEncoderLayer(
      TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0).activation(activation));
  RandomizeParameters(*pair.theirs);
  CopyLibTorchParameters(*pair.theirs, *pair.ours, LibTorchModule::kEncoderLayer);
  pair.theirs->eval();
  pair.ours->eval();
  return pair;
}

// LibTorch's layer on batch-first input.
at::Tensor RunTheirs(Pair& pair, const at::Tensor& src, const at::Tensor& attn_mask,
                     const at::Tensor& key_padding_mask) {
  return pair.theirs->forward(src.transpose(0, 1), attn_mask, key_padding_mask).transpose(0, 1);
}

TEST(TransformerEncoderLayerTest, MatchesLibTorchWithMasksAndPaddingOnEveryBackend) {
  at::manual_seed(0);
  const int64_t batch = 3, len = 7;
  at::Tensor src = at::randn({batch, len, 16});
  at::Tensor lengths = at::tensor({7, 4, 1}, at::kLong);
  // An arbitrary additive source mask no MaskSpec describes: random finite values, -inf off
  // the diagonal in places (the diagonal stays finite, so no row is empty).
  at::Tensor bias =
      at::randn({len, len})
          .masked_fill((at::rand({len, len}) < 0.3) & at::eye(len, at::kBool).logical_not(), -kInf);
  for (Activation activation : {Activation::kReLU, Activation::kGELU}) {
    Pair pair = MakePair(activation);
    for (AttentionBackend backend :
         {AttentionBackend::kReference, AttentionBackend::kLibTorch, AttentionBackend::kFused}) {
      pair.ours->set_backend(backend);
      std::string where =
          ActivationName(activation) + " " + attention::AttentionBackendName(backend);
      EXPECT_LT(MaxAbsDiff(pair.ours->forward(src), RunTheirs(pair, src, {}, {})), 1e-5) << where;
      MaskSpec padded = MaskSpec().WithKeyLengths(lengths);
      EXPECT_LT(MaxAbsDiff(pair.ours->forward(src, padded),
                           RunTheirs(pair, src, {}, LibTorchKeyPaddingMask(lengths, len))),
                1e-5)
          << where;
      // (Masks that leave a row without keys are avoided: LibTorch gives NaN there, the
      // project zeros.)
      MaskSpec causal = MaskSpec::Causal();
      EXPECT_LT(MaxAbsDiff(pair.ours->forward(src, causal.WithKeyLengths(lengths)),
                           RunTheirs(pair, src, LibTorchAttnMask(causal, len, len),
                                     LibTorchKeyPaddingMask(lengths, len))),
                1e-5)
          << where;
      MaskSpec window = MaskSpec().WithSlidingWindow(2, 1);
      EXPECT_LT(MaxAbsDiff(pair.ours->forward(src, window),
                           RunTheirs(pair, src, LibTorchAttnMask(window, len, len), {})),
                1e-5)
          << where;
      if (backend == AttentionBackend::kFused) continue;  // takes no additive bias
      EXPECT_LT(MaxAbsDiff(pair.ours->forward(src, padded, bias),
                           RunTheirs(pair, src, bias, LibTorchKeyPaddingMask(lengths, len))),
                1e-5)
          << where;
    }
  }
}

TEST(TransformerEncoderLayerTest, PreNormIsTheGpt2Arrangement) {
  TransformerEncoderLayer layer(
      TransformerLayerOptions(8, 2).d_ff(16).dropout(0.0).norm_placement(NormPlacement::kPreNorm));
  RandomizeParameters(*layer);
  layer->eval();
  at::Tensor x = at::randn({2, 5, 8});
  MaskSpec causal = MaskSpec::Causal();
  at::Tensor n1 = layer->self_attn_residual->norm(x);
  at::Tensor h = x + layer->self_attn->forward(n1, n1, n1, causal).output;
  at::Tensor expected = h + layer->ffn->forward(layer->ffn_residual->norm(h));
  EXPECT_LT(MaxAbsDiff(layer->forward(x, causal), expected), 1e-5);
}

TEST(TransformerEncoderLayerTest, ReturnsPerHeadWeightsOnAnyBackend) {
  TransformerEncoderLayer layer(
      TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0).backend(AttentionBackend::kFused));
  layer->eval();
  at::Tensor x = at::randn({2, 6, 16});
  at::Tensor lengths = at::tensor({6, 3}, at::kLong);
  MaskSpec mask = MaskSpec().WithKeyLengths(lengths);
  EncoderLayerOutput out = layer->forward_with_weights(x, mask);
  ASSERT_EQ(out.self_attention_weights.sizes(), (std::vector<int64_t>{2, 4, 6, 6}));
  EXPECT_TRUE(at::allclose(out.self_attention_weights.sum(-1), at::ones({2, 4, 6}), 1e-5, 1e-5));
  EXPECT_EQ(out.self_attention_weights[1].slice(-1, 3).abs().max().item<double>(), 0.0);
  EXPECT_LT(MaxAbsDiff(out.output, layer->forward(x, mask)), 1e-5);
  // The weights are those of the attention the layer ran.
  layer->self_attn->options.need_weights(true).backend(AttentionBackend::kReference);
  at::Tensor direct = layer->self_attn->forward(x, x, x, mask).weights;
  EXPECT_LT(MaxAbsDiff(out.self_attention_weights, direct), 1e-6);
}

TEST(TransformerEncoderLayerTest, WeightsCallLeavesTheBackendAlone) {
  TransformerEncoderLayer layer(
      TransformerLayerOptions(8, 2).d_ff(16).backend(AttentionBackend::kFused));
  layer->eval();
  layer->forward_with_weights(at::randn({1, 3, 8}));
  EXPECT_EQ(layer->self_attn->options.backend(), AttentionBackend::kFused);
  EXPECT_FALSE(layer->self_attn->options.need_weights());
  layer->set_backend(AttentionBackend::kLibTorch);
  EXPECT_EQ(layer->self_attn->options.backend(), AttentionBackend::kLibTorch);
  EXPECT_EQ(layer->options.backend(), AttentionBackend::kLibTorch);
}

TEST(TransformerEncoderLayerTest, AttentionDropoutIsSeparateForTheFusedBackend) {
  at::Tensor x = at::randn({2, 4, 8});
  TransformerEncoderLayer defaulted(TransformerLayerOptions(8, 2).d_ff(16).dropout(0.2));
  EXPECT_EQ(defaulted->self_attn->options.dropout(), 0.2);
  EXPECT_EQ(defaulted->ffn->options.dropout(), 0.2);
  // The fused kernel has no attention dropout: training needs attention_dropout(0).
  defaulted->set_backend(AttentionBackend::kFused);
  defaulted->train();
  EXPECT_THROW(defaulted->forward(x), c10::Error);
  TransformerEncoderLayer fused(
      TransformerLayerOptions(8, 2).d_ff(16).dropout(0.2).attention_dropout(0.0).backend(
          AttentionBackend::kFused));
  EXPECT_EQ(fused->self_attn->options.dropout(), 0.0);
  EXPECT_EQ(fused->self_attn_residual->options.dropout(), 0.2);
  fused->train();
  at::Tensor y = fused->forward(x);
  y.sum().backward();
  EXPECT_TRUE(fused->self_attn->in_proj_weight.grad().defined());
  EXPECT_THROW(TransformerEncoderLayer(TransformerLayerOptions(8, 2).attention_dropout(1.0)),
               c10::Error);
}

TEST(TransformerEncoderLayerTest, RejectsBadShapesAndOptions) {
  EXPECT_THROW(TransformerEncoderLayer(TransformerLayerOptions(10, 4)), c10::Error);
  EXPECT_THROW(TransformerEncoderLayer(TransformerLayerOptions(8, 2).dropout(1.0)), c10::Error);
  TransformerEncoderLayer layer(TransformerLayerOptions(8, 2).d_ff(16));
  EXPECT_THROW(layer->forward(at::randn({2, 3, 6})), c10::Error);
  EXPECT_THROW(layer->forward(at::randn({3, 8})), c10::Error);
}

TEST(TransformerEncoderLayerTest, GradientsMatchFiniteDifferencesInBothPlacements) {
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    TransformerEncoderLayer layer(
        TransformerLayerOptions(4, 2).d_ff(6).dropout(0.0).norm_placement(placement).activation(
            Activation::kGELU));
    layer->to(at::kDouble);
    RandomizeParameters(*layer);
    at::Tensor x = at::randn({2, 3, 4}, at::kDouble).requires_grad_();
    at::Tensor w = at::randn({2, 3, 4}, at::kDouble);
    MaskSpec mask = MaskSpec::Causal().WithKeyLengths(at::tensor({3, 2}, at::kLong));
    std::vector<at::Tensor> leaves = layer->parameters();
    leaves.push_back(x);
    EXPECT_TRUE(GradientsMatchFiniteDifferences([&] { return (layer->forward(x, mask) * w).sum(); },
                                                leaves))
        << NormPlacementName(placement);
  }
}

TEST(TransformerEncoderLayerTest, LearnsToAverageTheSequence) {
  // Every position must output the mean of the (real) inputs: a task for attention.
  at::manual_seed(0);
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    TransformerEncoderLayer layer(
        TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0).norm_placement(placement));
    at::Tensor x = at::randn({32, 6, 16});
    at::Tensor y = x.mean(1, true).expand_as(x);
    torch::optim::Adam adam(layer->parameters(), torch::optim::AdamOptions(3e-3));
    auto loss = [&] { return (layer->forward(x) - y).pow(2).mean(); };
    double first = loss().item<double>();
    for (int step = 0; step < 60; ++step) {
      adam.zero_grad();
      loss().backward();
      adam.step();
    }
    EXPECT_LT(loss().item<double>(), 0.5 * first) << NormPlacementName(placement);
  }
}

}  // namespace
}  // namespace sf::layers
