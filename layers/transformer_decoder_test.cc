#include "layers/transformer_decoder.h"

#include <functional>
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

const AttentionBackend kBackends[] = {AttentionBackend::kReference, AttentionBackend::kLibTorch,
                                      AttentionBackend::kFused};

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TransformerLayerOptions SmallLayer() {
  return TransformerLayerOptions(16, 4).d_ff(32).dropout(0.0);
}

TEST(TransformerDecoderTest, MatchesLibTorchWithFinalNorm) {
  at::manual_seed(0);
  torch::nn::TransformerDecoder theirs(
      torch::nn::TransformerDecoderOptions(
          torch::nn::TransformerDecoderLayerOptions(16, 4).dim_feedforward(32).dropout(0.0), 2)
          .norm(torch::nn::AnyModule(
              torch::nn::LayerNorm(torch::nn::LayerNormOptions(std::vector<int64_t>{16})))));
  TransformerDecoder ours(TransformerDecoderOptions(SmallLayer(), 2).final_norm(true));
  RandomizeParameters(*theirs);
  CopyLibTorchParameters(*theirs, *ours, LibTorchModule::kDecoder);
  theirs->eval();
  ours->eval();
  at::Tensor tgt = at::randn({3, 6, 16});
  at::Tensor memory = at::randn({3, 5, 16});
  at::Tensor tgt_lengths = at::tensor({6, 4, 1}, at::kLong);
  at::Tensor src_lengths = at::tensor({5, 5, 3}, at::kLong);
  at::Tensor expected =
      theirs
          ->forward(tgt.transpose(0, 1), memory.transpose(0, 1),
                    LibTorchAttnMask(MaskSpec::Causal(), 6, 6), {},
                    LibTorchKeyPaddingMask(tgt_lengths, 6), LibTorchKeyPaddingMask(src_lengths, 5))
          .transpose(0, 1);
  for (AttentionBackend backend : kBackends) {
    ours->set_backend(backend);
    EXPECT_LT(MaxAbsDiff(ours->forward(tgt, memory, MaskSpec::Causal().WithKeyLengths(tgt_lengths),
                                       MaskSpec().WithKeyLengths(src_lengths)),
                         expected),
              1e-5)
        << attention::AttentionBackendName(backend);
  }
}

TEST(TransformerDecoderTest, IncrementalDecodingMatchesTheFullPass) {
  at::manual_seed(1);
  at::Tensor tgt = at::randn({2, 6, 16});
  at::Tensor memory = at::randn({2, 4, 16});
  MaskSpec memory_mask = MaskSpec().WithKeyLengths(at::tensor({4, 2}, at::kLong));
  for (NormPlacement placement : {NormPlacement::kPostNorm, NormPlacement::kPreNorm}) {
    TransformerDecoder decoder(
        TransformerDecoderOptions(SmallLayer().norm_placement(placement), 3));
    RandomizeParameters(*decoder);
    decoder->eval();
    for (AttentionBackend backend : kBackends) {
      decoder->set_backend(backend);
      at::Tensor full = decoder->forward(tgt, memory, MaskSpec::Causal(), memory_mask);
      DecoderCache cache;
      std::vector<at::Tensor> steps;
      for (int64_t t = 0; t < 6; ++t) {
        steps.push_back(decoder->forward(tgt.slice(1, t, t + 1), t == 0 ? memory : at::Tensor(),
                                         MaskSpec::Causal(), memory_mask, &cache));
      }
      EXPECT_EQ(cache.length(), 6);
      EXPECT_EQ(cache.layers.size(), 3u);
      EXPECT_LT(MaxAbsDiff(at::cat(steps, 1), full), 1e-5)
          << NormPlacementName(placement) << " " << attention::AttentionBackendName(backend);
    }
  }
}

// A two-layer decoder in eval mode decodes 3 of 5 target positions into `cache`; the rows
// then continue sequences 2, 0, 0 (a beam step) and decode the last 2 positions from the
// reordered cache. Returns the largest difference from decoding the chosen rows whole.
// `after_reorder` sees the cache between the reorder and the next step.
double BeamStepError(DecoderCache& cache, const std::function<void()>& after_reorder = {}) {
  at::manual_seed(2);
  TransformerDecoder decoder(TransformerDecoderOptions(SmallLayer(), 2));
  RandomizeParameters(*decoder);
  decoder->eval();
  const at::Tensor tgt = at::randn({3, 5, 16});
  const at::Tensor memory = at::randn({3, 4, 16});
  decoder->forward(tgt.slice(1, 0, 3), memory, MaskSpec::Causal(), {}, &cache);
  const at::Tensor origins = at::tensor({2, 0, 0}, at::kLong);
  cache.Reorder(origins);
  if (after_reorder) after_reorder();
  const at::Tensor reordered = tgt.index_select(0, origins);
  const at::Tensor next =
      decoder->forward(reordered.slice(1, 3, 5), at::Tensor(), MaskSpec::Causal(), {}, &cache);
  const at::Tensor full = decoder->forward(reordered, memory.index_select(0, origins));
  return MaxAbsDiff(next, full.slice(1, 3, 5));
}

TEST(TransformerDecoderTest, ReorderedCacheFollowsTheChosenSequences) {
  DecoderCache cache;
  EXPECT_LT(BeamStepError(cache), 1e-5);
  EXPECT_THROW(cache.Reorder(at::tensor({3}, at::kLong)), c10::Error);
  EXPECT_THROW(cache.Reorder(at::tensor({-1}, at::kLong)), c10::Error);
  TransformerDecoder decoder(TransformerDecoderOptions(SmallLayer(), 2));
  DecoderCache other_depth;
  other_depth.layers.resize(5);
  EXPECT_THROW(decoder->forward(at::randn({3, 5, 16}), at::randn({3, 4, 16}), MaskSpec::Causal(),
                                {}, &other_depth),
               c10::Error);
}

// Without autograd (decoding) the self-attention cache still grows in place after a reorder:
// the reordered keys are the head of their buffer, and the next step appends into it.
TEST(TransformerDecoderTest, ReorderedCacheKeepsGrowingInPlace) {
  at::NoGradGuard no_grad;
  DecoderCache cache;
  const void* buffer = nullptr;
  EXPECT_LT(BeamStepError(cache,
                          [&] {
                            for (const DecoderLayerCache& layer : cache.layers) {
                              ASSERT_TRUE(layer.self_attention.key_buffer.defined());
                              EXPECT_EQ(layer.self_attention.keys.data_ptr(),
                                        layer.self_attention.key_buffer.data_ptr());
                              EXPECT_GE(layer.self_attention.key_buffer.size(2), 5);
                            }
                            buffer = cache.layers[0].self_attention.key_buffer.data_ptr();
                          }),
            1e-5);
  for (const DecoderLayerCache& layer : cache.layers) {
    ASSERT_TRUE(layer.self_attention.key_buffer.defined());
    EXPECT_EQ(layer.self_attention.keys.data_ptr(), layer.self_attention.key_buffer.data_ptr());
    EXPECT_EQ(layer.self_attention.values.data_ptr(),
              layer.self_attention.value_buffer.data_ptr());
    EXPECT_EQ(layer.self_attention.length(), 5);
  }
  EXPECT_EQ(cache.layers[0].self_attention.key_buffer.data_ptr(), buffer)
      << "the step after the reorder did not append in place";
  // A tensor taken from the cache keeps its values through a reorder.
  const at::Tensor held = cache.layers[0].self_attention.keys;
  const at::Tensor held_copy = held.clone();
  const at::Tensor again = at::tensor({1, 1, 2}, at::kLong);
  cache.Reorder(again);
  EXPECT_TRUE(held.equal(held_copy));
  EXPECT_TRUE(cache.layers[0].self_attention.keys.equal(held_copy.index_select(0, again)));
}

TEST(TransformerDecoderTest, CollectsSelfAndCrossWeightsPerLayer) {
  TransformerDecoder decoder(TransformerDecoderOptions(SmallLayer(), 2));
  decoder->eval();
  DecoderOutput out = decoder->forward_with_weights(at::randn({2, 3, 16}), at::randn({2, 5, 16}));
  ASSERT_EQ(out.self_attention_weights.size(), 2u);
  ASSERT_EQ(out.cross_attention_weights.size(), 2u);
  EXPECT_EQ(out.self_attention_weights[1].sizes(), (std::vector<int64_t>{2, 4, 3, 3}));
  EXPECT_EQ(out.cross_attention_weights[0].sizes(), (std::vector<int64_t>{2, 4, 3, 5}));
}

TEST(TransformerDecoderTest, LearnsToCopyTheMemory) {
  at::manual_seed(0);
  TransformerDecoder decoder(TransformerDecoderOptions(SmallLayer(), 2));
  at::Tensor positions = at::randn({1, 5, 16});
  at::Tensor memory = at::randn({32, 5, 16});
  at::Tensor tgt = positions.expand({32, 5, 16});
  torch::optim::Adam adam(decoder->parameters(), torch::optim::AdamOptions(3e-3));
  auto loss = [&] { return (decoder->forward(tgt, memory + positions) - memory).pow(2).mean(); };
  double first = loss().item<double>();
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  EXPECT_LT(loss().item<double>(), 0.6 * first);
}

}  // namespace
}  // namespace sf::layers
