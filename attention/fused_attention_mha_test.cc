// MultiHeadAttention on the fused backend equals the reference backend: outputs and gradients,
// self- and cross-attention, every mask kind, incremental decoding with a cache.
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "attention/internal/fused_attention_test_util.h"
#include "attention/masks.h"
#include "attention/multi_head_attention.h"

namespace sf::attention {
namespace {

using testing::RelativeMaxDiff;

constexpr double kTolerance = 1e-4;

MultiHeadAttention MakeLayer(int64_t d_model, int64_t heads, double dropout = 0.0) {
  MultiHeadAttention layer(
      MultiHeadAttentionOptions(d_model, heads).dropout(dropout).backend(AttentionBackend::kFused));
  at::NoGradGuard no_grad;
  layer->in_proj_bias.uniform_(-0.2, 0.2);
  layer->out_proj->bias.uniform_(-0.2, 0.2);
  return layer;
}

// Output and the gradients of every parameter and input under `backend`.
std::vector<at::Tensor> ForwardBackward(MultiHeadAttention& layer, AttentionBackend backend,
                                        const at::Tensor& query, const at::Tensor& key,
                                        const MaskSpec& mask) {
  layer->set_backend(backend);
  layer->zero_grad();
  const at::Tensor q = query.detach().clone().requires_grad_(true);
  const at::Tensor k = key.detach().clone().requires_grad_(true);
  const bool self_attention = query.is_same(key);
  const at::Tensor out = self_attention ? layer->forward(q, q, q, mask).output
                                        : layer->forward(q, k, k, mask).output;
  out.mul(at::cos(at::arange(out.numel(), at::kFloat).view(out.sizes()))).sum().backward();
  std::vector<at::Tensor> result = {out.detach(), q.grad()};
  if (!self_attention) result.push_back(k.grad());
  for (const at::Tensor& p : layer->parameters()) result.push_back(p.grad().clone());
  return result;
}

TEST(FusedMultiHeadAttention, EqualsReferenceBackend) {
  at::manual_seed(31);
  at::set_num_threads(2);
  MultiHeadAttention layer = MakeLayer(64, 4);
  const at::Tensor x = at::randn({3, 70, 64});
  const at::Tensor memory = at::randn({3, 110, 64});
  const at::Tensor lengths = at::tensor({70, 33, 1}, at::kLong);
  const at::Tensor memory_lengths = at::tensor({110, 64, 5}, at::kLong);
  struct Case {
    std::string name;
    bool self_attention;
    MaskSpec mask;
  };
  const std::vector<Case> cases = {
      {"self_none", true, MaskSpec()},
      {"self_causal_padding", true, MaskSpec::Causal().WithKeyLengths(lengths)},
      {"self_longformer", true, MaskSpec().WithSlidingWindow(8, 8).WithGlobalTokens({0, 40})},
      {"cross_padding", false, MaskSpec().WithKeyLengths(memory_lengths)},
      {"cross_causal_window", false, MaskSpec::Causal().WithSlidingWindow(30, 0)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const at::Tensor& key = c.self_attention ? x : memory;
    const std::vector<at::Tensor> fused =
        ForwardBackward(layer, AttentionBackend::kFused, x, key, c.mask);
    const std::vector<at::Tensor> reference =
        ForwardBackward(layer, AttentionBackend::kReference, x, key, c.mask);
    ASSERT_EQ(fused.size(), reference.size());
    for (size_t i = 0; i < fused.size(); ++i) {
      EXPECT_LE(RelativeMaxDiff(fused[i], reference[i]), kTolerance) << "tensor " << i;
    }
  }
}

TEST(FusedMultiHeadAttention, IncrementalDecodingWithCacheEqualsFullCausal) {
  at::manual_seed(32);
  MultiHeadAttention layer = MakeLayer(32, 2);
  layer->eval();
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({2, 12, 32});
  const at::Tensor full = layer->forward(x, x, x, MaskSpec::Causal()).output;
  KeyValueCache cache;
  std::vector<at::Tensor> steps;
  // A prompt of 5 tokens, then one token at a time: the bottom-right causal alignment.
  steps.push_back(layer->forward(x.narrow(1, 0, 5), x.narrow(1, 0, 5), x.narrow(1, 0, 5),
                                 MaskSpec::Causal(), &cache)
                      .output);
  for (int64_t t = 5; t < 12; ++t) {
    const at::Tensor step = x.narrow(1, t, 1);
    steps.push_back(layer->forward(step, step, step, MaskSpec::Causal(), &cache).output);
  }
  EXPECT_LE(RelativeMaxDiff(at::cat(steps, 1), full), kTolerance);
}

TEST(FusedMultiHeadAttention, RejectsWhatTheKernelDoesNotDo) {
  MultiHeadAttention layer = MakeLayer(16, 2, /*dropout=*/0.1);
  const at::Tensor x = at::randn({1, 6, 16});
  layer->train();
  EXPECT_THROW(
      {
        try {
          layer->forward(x, x, x);
        } catch (const c10::Error& e) {
          EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos) << e.what();
          throw;
        }
      },
      c10::Error);
  // Dropout only acts in training: in eval mode the fused backend runs.
  layer->eval();
  EXPECT_NO_THROW(layer->forward(x, x, x));
  EXPECT_THROW(layer->forward(x, x, x, MaskSpec(), nullptr, at::zeros({1, 1, 6, 6})),
               c10::Error);
  MultiHeadAttention with_weights(
      MultiHeadAttentionOptions(16, 2).need_weights(true).backend(AttentionBackend::kFused));
  EXPECT_THROW(with_weights->forward(x, x, x), c10::Error);
}

}  // namespace
}  // namespace sf::attention
