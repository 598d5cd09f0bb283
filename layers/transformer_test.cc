#include "layers/transformer.h"

#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/modules/transformer.h>
#include <torch/optim/adam.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "gtest/gtest.h"
#include "layers/libtorch_reference.h"

namespace sf::layers {
namespace {

using attention::AttentionBackend;
using attention::MaskSpec;

constexpr double kInf = std::numeric_limits<double>::infinity();

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TransformerOptions Small() {
  return TransformerOptions()
      .d_model(16)
      .heads(4)
      .num_encoder_layers(2)
      .num_decoder_layers(2)
      .d_ff(32)
      .dropout(0.0);
}

TEST(TransformerTest, MatchesLibTorchWithEveryMaskOnEveryBackend) {
  at::manual_seed(0);
  const int64_t batch = 3, len_s = 7, len_t = 5;
  torch::nn::Transformer theirs(
      torch::nn::TransformerOptions(16, 4, 2, 2).dim_feedforward(32).dropout(0.0));
  // torch::nn::Transformer always ends both stacks with a LayerNorm.
  Transformer ours(Small().final_norm(true));
  RandomizeParameters(*theirs);
  CopyLibTorchParameters(*theirs, *ours, LibTorchModule::kTransformer);
  theirs->eval();
  ours->eval();
  at::Tensor src = at::randn({batch, len_s, 16});
  at::Tensor tgt = at::randn({batch, len_t, 16});
  at::Tensor src_lengths = at::tensor({7, 4, 2}, at::kLong);
  at::Tensor tgt_lengths = at::tensor({5, 5, 3}, at::kLong);
  MaskSpec src_mask = MaskSpec().WithKeyLengths(src_lengths);
  MaskSpec tgt_mask = MaskSpec::Causal().WithKeyLengths(tgt_lengths);
  // Additive masks MaskSpec cannot express; key 0 stays allowed, so no row is empty.
  at::Tensor src_bias =
      at::randn({len_s, len_s})
          .masked_fill((at::rand({len_s, len_s}) < 0.3) & (at::arange(len_s) > 0), -kInf);
  at::Tensor memory_bias =
      at::randn({len_t, len_s})
          .masked_fill((at::rand({len_t, len_s}) < 0.3) & (at::arange(len_s) > 0), -kInf);
  auto run_theirs = [&](const at::Tensor& their_src_mask, const at::Tensor& their_memory_mask) {
    return theirs
        ->forward(src.transpose(0, 1), tgt.transpose(0, 1), their_src_mask,
                  LibTorchAttnMask(MaskSpec::Causal(), len_t, len_t), their_memory_mask,
                  LibTorchKeyPaddingMask(src_lengths, len_s),
                  LibTorchKeyPaddingMask(tgt_lengths, len_t),
                  LibTorchKeyPaddingMask(src_lengths, len_s))
        .transpose(0, 1);
  };
  at::Tensor expected = run_theirs({}, {});
  at::Tensor expected_biased = run_theirs(src_bias, memory_bias);
  for (AttentionBackend backend :
       {AttentionBackend::kReference, AttentionBackend::kLibTorch, AttentionBackend::kFused}) {
    ours->set_backend(backend);
    const std::string name = attention::AttentionBackendName(backend);
    EXPECT_LT(MaxAbsDiff(ours->forward(src, tgt, src_mask, tgt_mask, src_mask), expected), 1e-5)
        << name;
    if (backend == AttentionBackend::kFused) continue;  // takes no additive bias
    EXPECT_LT(
        MaxAbsDiff(ours->forward(src, tgt, src_mask, tgt_mask, src_mask, src_bias, {}, memory_bias),
                   expected_biased),
        1e-5)
        << name;
  }
}

TEST(TransformerTest, DefaultsAreThePaperBaseModel) {
  TransformerOptions base;
  EXPECT_EQ(base.d_model(), 512);
  EXPECT_EQ(base.heads(), 8);
  EXPECT_EQ(base.d_ff(), 2048);
  EXPECT_EQ(base.num_encoder_layers(), 6);
  EXPECT_EQ(base.num_decoder_layers(), 6);
  EXPECT_EQ(base.dropout(), 0.1);
  EXPECT_EQ(base.norm_placement(), NormPlacement::kPostNorm);
  Transformer model(base);
  int64_t count = 0;
  for (const at::Tensor& p : model->parameters()) count += p.numel();
  const int64_t d = 512, f = 2048;
  const int64_t attention = 4 * d * d + 4 * d;
  const int64_t ffn = 2 * d * f + f + d;
  const int64_t norm = 2 * d;
  // 44.1M: the paper's 65M less the shared 37000 x 512 embedding.
  EXPECT_EQ(count, 6 * (attention + ffn + 2 * norm) + 6 * (2 * attention + ffn + 3 * norm));
  EXPECT_FALSE(model->encoder->norm);
  EXPECT_FALSE(model->decoder->norm);
}

TEST(TransformerTest, EncodeThenCachedDecodeMatchesForward) {
  at::manual_seed(1);
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    Transformer model(Small().norm_placement(placement));
    RandomizeParameters(*model);
    model->eval();
    EXPECT_EQ(static_cast<bool>(model->decoder->norm), placement == NormPlacement::kPreNorm);
    at::Tensor src = at::randn({2, 6, 16});
    at::Tensor tgt = at::randn({2, 4, 16});
    MaskSpec src_mask = MaskSpec().WithKeyLengths(at::tensor({6, 3}, at::kLong));
    at::Tensor full = model->forward(src, tgt, src_mask, MaskSpec::Causal(), src_mask);
    at::Tensor memory = model->encode(src, src_mask);
    DecoderCache cache;
    std::vector<at::Tensor> steps;
    for (int64_t t = 0; t < 4; ++t) {
      steps.push_back(
          model->decode(tgt.slice(1, t, t + 1), memory, MaskSpec::Causal(), src_mask, &cache));
    }
    EXPECT_LT(MaxAbsDiff(at::cat(steps, 1), full), 1e-5) << NormPlacementName(placement);
  }
}

TEST(TransformerTest, CollectsEveryAttentionMapAndSetsTheBackendEverywhere) {
  Transformer model(Small());
  model->eval();
  model->set_backend(AttentionBackend::kFused);
  EXPECT_EQ(model->encoder->layer(1).self_attn->options.backend(), AttentionBackend::kFused);
  EXPECT_EQ(model->decoder->layer(1).cross_attn->options.backend(), AttentionBackend::kFused);
  at::Tensor src = at::randn({2, 6, 16});
  at::Tensor tgt = at::randn({2, 3, 16});
  TransformerOutput out = model->forward_with_weights(src, tgt);
  ASSERT_EQ(out.encoder_self_attention_weights.size(), 2u);
  ASSERT_EQ(out.decoder_self_attention_weights.size(), 2u);
  ASSERT_EQ(out.decoder_cross_attention_weights.size(), 2u);
  EXPECT_EQ(out.encoder_self_attention_weights[0].sizes(), (std::vector<int64_t>{2, 4, 6, 6}));
  EXPECT_EQ(out.decoder_self_attention_weights[0].sizes(), (std::vector<int64_t>{2, 4, 3, 3}));
  EXPECT_EQ(out.decoder_cross_attention_weights[1].sizes(), (std::vector<int64_t>{2, 4, 3, 6}));
  EXPECT_LT(MaxAbsDiff(out.output, model->forward(src, tgt)), 1e-5);
  EXPECT_THROW(model->forward(src, at::randn({3, 3, 16})), c10::Error);
}

TEST(TransformerTest, LearnsToReverseASequence) {
  // Target position t (a learned query per position) must output source vector L - 1 - t.
  at::manual_seed(0);
  Transformer model(Small().num_encoder_layers(1).num_decoder_layers(1));
  at::Tensor positions = at::randn({1, 5, 16});
  at::Tensor src = at::randn({32, 5, 16});
  at::Tensor tgt = positions.expand({32, 5, 16});
  at::Tensor target = src.flip(1);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
  auto loss = [&] {
    return (model->forward(src + positions, tgt, {}, MaskSpec::Causal()) - target).pow(2).mean();
  };
  double first = loss().item<double>();
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.7 * first);
}

}  // namespace
}  // namespace sf::layers
