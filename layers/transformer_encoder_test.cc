#include "layers/transformer_encoder.h"

#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/transformercoder.h>
#include <torch/optim/adam.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "gtest/gtest.h"
#include "layers/libtorch_reference.h"

namespace sf::layers {
namespace {

using attention::AttentionBackend;
using attention::MaskSpec;

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TransformerLayerOptions SmallLayer() {
  return TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0);
}

TEST(TransformerEncoderTest, MatchesLibTorchWithAndWithoutFinalNorm) {
  at::manual_seed(0);
  at::Tensor src = at::randn({3, 7, 16});
  at::Tensor lengths = at::tensor({7, 5, 2}, at::kLong);
  for (bool final_norm : {false, true}) {
    torch::nn::TransformerEncoderOptions their_options(
        torch::nn::TransformerEncoderLayerOptions(16, 4).dim_feedforward(32).dropout(0.0), 3);
    if (final_norm) {
      their_options.norm(torch::nn::AnyModule(
          torch::nn::LayerNorm(torch::nn::LayerNormOptions(std::vector<int64_t>{16}))));
    }
    torch::nn::TransformerEncoder theirs(their_options);
    TransformerEncoder ours(TransformerEncoderOptions(SmallLayer(), 3).final_norm(final_norm));
    EXPECT_EQ(static_cast<bool>(ours->norm), final_norm);
    RandomizeParameters(*theirs);
    CopyLibTorchParameters(*theirs, *ours, LibTorchModule::kEncoder);
    theirs->eval();
    ours->eval();
    at::Tensor expected =
        theirs->forward(src.transpose(0, 1), {}, LibTorchKeyPaddingMask(lengths, 7))
            .transpose(0, 1);
    for (AttentionBackend backend :
         {AttentionBackend::kReference, AttentionBackend::kLibTorch, AttentionBackend::kFused}) {
      ours->set_backend(backend);
      EXPECT_LT(MaxAbsDiff(ours->forward(src, MaskSpec().WithKeyLengths(lengths)), expected), 1e-5)
          << final_norm << " " << attention::AttentionBackendName(backend);
    }
  }
}

TEST(TransformerEncoderTest, FinalNormDefaultsToPreNormOnly) {
  TransformerEncoder post(TransformerEncoderOptions(SmallLayer(), 2));
  EXPECT_FALSE(post->norm);
  TransformerEncoder pre(
      TransformerEncoderOptions(SmallLayer().norm_placement(NormPlacement::kPreNorm), 2));
  ASSERT_TRUE(pre->norm);
  pre->eval();
  RandomizeParameters(*pre);
  at::Tensor x = at::randn({2, 5, 16});
  at::Tensor expected = pre->norm(pre->layer(1).forward(pre->layer(0).forward(x)));
  EXPECT_LT(MaxAbsDiff(pre->forward(x), expected), 1e-6);
  EXPECT_EQ(pre->named_parameters().size(), 2 * 12u + 2u);  // 12 per layer, plus the norm
}

TEST(TransformerEncoderTest, CollectsPerLayerWeightsAndSetsEveryBackend) {
  TransformerEncoder encoder(TransformerEncoderOptions(SmallLayer(), 3));
  encoder->eval();
  encoder->set_backend(AttentionBackend::kFused);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(encoder->layer(i).self_attn->options.backend(), AttentionBackend::kFused);
  }
  at::Tensor x = at::randn({2, 5, 16});
  MaskSpec mask = MaskSpec().WithKeyLengths(at::tensor({5, 2}, at::kLong));
  EncoderOutput out = encoder->forward_with_weights(x, mask);
  ASSERT_EQ(out.self_attention_weights.size(), 3u);
  for (const at::Tensor& w : out.self_attention_weights) {
    EXPECT_EQ(w.sizes(), (std::vector<int64_t>{2, 4, 5, 5}));
    EXPECT_EQ(w[1].slice(-1, 2).abs().max().item<double>(), 0.0);
  }
  EXPECT_LT(MaxAbsDiff(out.output, encoder->forward(x, mask)), 1e-5);
  EXPECT_THROW(encoder->layer(3), c10::Error);
  EXPECT_THROW(encoder->forward(at::randn({2, 5, 8})), c10::Error);
}

TEST(TransformerEncoderTest, LearnsTheMeanOfTheRealPositions) {
  // Output at every position: the mean over the real positions of its sequence.
  at::manual_seed(0);
  TransformerEncoder encoder(
      TransformerEncoderOptions(SmallLayer().norm_placement(NormPlacement::kPreNorm), 2));
  at::Tensor x = at::randn({32, 6, 16});
  at::Tensor lengths = at::randint(2, 7, {32}, at::kLong);
  at::Tensor valid = (at::arange(6).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(-1);
  at::Tensor target = ((x * valid).sum(1, true) / lengths.view({32, 1, 1})).expand_as(x);
  MaskSpec mask = MaskSpec().WithKeyLengths(lengths);
  torch::optim::Adam adam(encoder->parameters(), torch::optim::AdamOptions(3e-3));
  auto loss = [&] { return ((encoder->forward(x, mask) - target).pow(2) * valid).mean(); };
  double first = loss().item<double>();
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.5 * first);
}

}  // namespace
}  // namespace sf::layers
