#include "layers/transformer_decoder_layer.h"

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
const AttentionBackend kBackends[] = {AttentionBackend::kReference, AttentionBackend::kLibTorch,
                                      AttentionBackend::kFused};

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TEST(TransformerDecoderLayerTest, MatchesLibTorchWithMasksAndPaddingOnEveryBackend) {
  at::manual_seed(0);
  const int64_t batch = 3, len_t = 6, len_s = 8;
  torch::nn::TransformerDecoderLayer theirs(
      torch::nn::TransformerDecoderLayerOptions(16, 4).dim_feedforward(32).dropout(0.0));
  TransformerDecoderLayer ours(TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0));
  RandomizeParameters(*theirs);
  CopyLibTorchParameters(*theirs, *ours, LibTorchModule::kDecoderLayer);
  theirs->eval();
  ours->eval();
  at::Tensor tgt = at::randn({batch, len_t, 16});
  at::Tensor memory = at::randn({batch, len_s, 16});
  at::Tensor tgt_lengths = at::tensor({6, 3, 1}, at::kLong);
  at::Tensor src_lengths = at::tensor({8, 5, 2}, at::kLong);
  MaskSpec tgt_mask = MaskSpec::Causal().WithKeyLengths(tgt_lengths);
  MaskSpec memory_mask = MaskSpec().WithKeyLengths(src_lengths);
  auto run_theirs = [&](const at::Tensor& memory_attn_mask) {
    return theirs
        ->forward(tgt.transpose(0, 1), memory.transpose(0, 1),
                  LibTorchAttnMask(MaskSpec::Causal(), len_t, len_t), memory_attn_mask,
                  LibTorchKeyPaddingMask(tgt_lengths, len_t),
                  LibTorchKeyPaddingMask(src_lengths, len_s))
        .transpose(0, 1);
  };
  // A memory mask no MaskSpec describes; key 0 stays allowed so no row is empty.
  at::Tensor memory_bias =
      at::randn({len_t, len_s})
          .masked_fill((at::rand({len_t, len_s}) < 0.3) & (at::arange(len_s) > 0), -kInf);
  at::Tensor expected = run_theirs({});
  at::Tensor expected_biased = run_theirs(memory_bias);
  for (AttentionBackend backend : kBackends) {
    ours->set_backend(backend);
    std::string name = attention::AttentionBackendName(backend);
    EXPECT_LT(MaxAbsDiff(ours->forward(tgt, memory, tgt_mask, memory_mask), expected), 1e-5)
        << name;
    if (backend == AttentionBackend::kFused) continue;  // takes no additive bias
    EXPECT_LT(
        MaxAbsDiff(ours->forward(tgt, memory, tgt_mask, memory_mask, nullptr, {}, memory_bias),
                   expected_biased),
        1e-5)
        << name;
  }
}

TEST(TransformerDecoderLayerTest, IncrementalDecodingMatchesTheFullPass) {
  at::manual_seed(1);
  at::Tensor tgt = at::randn({2, 7, 16});
  at::Tensor memory = at::randn({2, 5, 16});
  MaskSpec memory_mask = MaskSpec().WithKeyLengths(at::tensor({5, 3}, at::kLong));
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    TransformerDecoderLayer layer(
        TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0).norm_placement(placement));
    RandomizeParameters(*layer);
    layer->eval();
    for (AttentionBackend backend : kBackends) {
      layer->set_backend(backend);
      at::Tensor full = layer->forward(tgt, memory, MaskSpec::Causal(), memory_mask);
      DecoderLayerCache cache;
      // A prompt of two positions, then one position at a time; memory only on the first call.
      std::vector<at::Tensor> pieces;
      pieces.push_back(
          layer->forward(tgt.slice(1, 0, 2), memory, MaskSpec::Causal(), memory_mask, &cache));
      for (int64_t t = 2; t < 7; ++t) {
        pieces.push_back(layer->forward(tgt.slice(1, t, t + 1), at::Tensor(), MaskSpec::Causal(),
                                        memory_mask, &cache));
        EXPECT_EQ(cache.length(), t + 1);
      }
      EXPECT_EQ(cache.cross_attention.length(), 5);
      EXPECT_LT(MaxAbsDiff(at::cat(pieces, 1), full), 1e-5)
          << NormPlacementName(placement) << " " << attention::AttentionBackendName(backend);
      cache.Reset();
      EXPECT_EQ(cache.length(), 0);
    }
  }
}

TEST(TransformerDecoderLayerTest, ReturnsSelfAndCrossWeights) {
  TransformerDecoderLayer layer(
      TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0).backend(AttentionBackend::kFused));
  layer->eval();
  at::Tensor tgt = at::randn({2, 4, 16});
  at::Tensor memory = at::randn({2, 6, 16});
  MaskSpec memory_mask = MaskSpec().WithKeyLengths(at::tensor({6, 2}, at::kLong));
  DecoderLayerOutput out =
      layer->forward_with_weights(tgt, memory, MaskSpec::Causal(), memory_mask);
  ASSERT_EQ(out.self_attention_weights.sizes(), (std::vector<int64_t>{2, 4, 4, 4}));
  ASSERT_EQ(out.cross_attention_weights.sizes(), (std::vector<int64_t>{2, 4, 4, 6}));
  EXPECT_EQ(at::triu(out.self_attention_weights, 1).abs().max().item<double>(), 0.0);
  EXPECT_EQ(out.cross_attention_weights[1].slice(-1, 2).abs().max().item<double>(), 0.0);
  EXPECT_TRUE(at::allclose(out.cross_attention_weights.sum(-1), at::ones({2, 4, 4}), 1e-5, 1e-5));
  EXPECT_LT(MaxAbsDiff(out.output, layer->forward(tgt, memory, MaskSpec::Causal(), memory_mask)),
            1e-5);
  EXPECT_EQ(layer->cross_attn->options.backend(), AttentionBackend::kFused);
}

TEST(TransformerDecoderLayerTest, RejectsBadInputs) {
  TransformerDecoderLayer layer(TransformerLayerOptions(8, 2).d_ff(16));
  EXPECT_THROW(layer->forward(at::randn({2, 3, 8}), at::randn({3, 4, 8})), c10::Error);
  EXPECT_THROW(layer->forward(at::randn({2, 3, 8}), at::randn({2, 4, 6})), c10::Error);
  // No memory and nothing cached.
  DecoderLayerCache cache;
  EXPECT_THROW(layer->forward(at::randn({2, 3, 8}), at::Tensor(), MaskSpec::Causal(), {}, &cache),
               c10::Error);
}

TEST(TransformerDecoderLayerTest, GradientsMatchFiniteDifferencesInBothPlacements) {
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    TransformerDecoderLayer layer(
        TransformerLayerOptions(4, 2).d_ff(6).dropout(0.0).norm_placement(placement));
    layer->to(at::kDouble);
    RandomizeParameters(*layer);
    at::Tensor tgt = at::randn({2, 3, 4}, at::kDouble).requires_grad_();
    at::Tensor memory = at::randn({2, 2, 4}, at::kDouble).requires_grad_();
    at::Tensor w = at::randn({2, 3, 4}, at::kDouble);
    MaskSpec memory_mask = MaskSpec().WithKeyLengths(at::tensor({2, 1}, at::kLong));
    std::vector<at::Tensor> leaves = layer->parameters();
    leaves.push_back(tgt);
    leaves.push_back(memory);
    EXPECT_TRUE(GradientsMatchFiniteDifferences(
        [&] { return (layer->forward(tgt, memory, MaskSpec::Causal(), memory_mask) * w).sum(); },
        leaves))
        << NormPlacementName(placement);
  }
}

TEST(TransformerDecoderLayerTest, LearnsToReadTheMemory) {
  // Target position t must output memory[t]: only the cross-attention can do it.
  at::manual_seed(0);
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    TransformerDecoderLayer layer(
        TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0).norm_placement(placement));
    at::Tensor positions = at::randn({1, 5, 16});
    at::Tensor memory = at::randn({32, 5, 16});
    at::Tensor tgt = positions.expand({32, 5, 16});
    torch::optim::Adam adam(layer->parameters(), torch::optim::AdamOptions(3e-3));
    auto loss = [&] { return (layer->forward(tgt, memory + positions) - memory).pow(2).mean(); };
    double first = loss().item<double>();
    for (int step = 0; step < 60; ++step) {
      adam.zero_grad();
      loss().backward();
      adam.step();
    }
    EXPECT_LT(loss().item<double>(), 0.6 * first) << NormPlacementName(placement);
  }
}

}  // namespace
}  // namespace sf::layers
