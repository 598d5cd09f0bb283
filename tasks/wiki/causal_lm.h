// A decoder-only (GPT-style) Transformer language model: token embedding tied to the output
// layer (Press & Wolf 2017), sinusoidal positions, pre-LayerNorm blocks of causal multi-head
// self-attention and a GELU feed-forward network, a final LayerNorm. The tied embedding/output
// pair is either a full softmax (layers::TokenEmbedding + layers::OutputProjection) or, for
// large word vocabularies, a tied adaptive softmax (options.cutoffs, see adaptive_softmax.h).
//
//   sf::tasks::wiki::CausalLm model(
//       sf::tasks::wiki::CausalLmOptions(/*vocab_size=*/33278).d_model(256).layers(3));
//   at::Tensor hidden = model->forward(tokens).hidden;    // int64 [B, L] -> [B, L, d_model]
//   at::Tensor loss = sf::tasks::wiki::NextTokenLoss(model, hidden, targets);
//   at::Tensor scores = model->logits(hidden);            // [B, L, vocab], for sampling
//
//   // Incremental decoding: each call feeds only the new tokens; the cache keeps every
//   // layer's keys and values, so one more token costs O(cached length), not a re-run.
//   sf::tasks::wiki::CausalLmCache cache;
//   model->forward(prompt, &cache);
//   model->forward(next_token, &cache);
//
//   // For visualisation: per layer, the [B, heads, L, L] attention weights.
//   std::vector<at::Tensor> maps = model->forward(tokens, nullptr, /*need_weights=*/true).weights;
//
// The options round-trip through JSON (ToJson/CausalLmOptionsFromJson) so a checkpoint's stored
// configuration rebuilds the same model.
#ifndef SCRATCHFORMER_TASKS_WIKI_CAUSAL_LM_H_
#define SCRATCHFORMER_TASKS_WIKI_CAUSAL_LM_H_

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "absl/status/statusor.h"
#include "attention/multi_head_attention.h"
#include "attention/positional_encoding.h"
#include "layers/feed_forward.h"
#include "layers/residual.h"
#include "layers/token_embedding.h"
#include "tasks/wiki/adaptive_softmax.h"

namespace sf::tasks::wiki {

struct CausalLmOptions {
  explicit CausalLmOptions(int64_t vocab_size) : vocab_size_(vocab_size) {}
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, d_model) = 256;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, layers) = 3;
  TORCH_ARG(int64_t, d_ff) = 1024;
  // The longest sequence the model attends over (the positional table's length).
  TORCH_ARG(int64_t, context) = 128;
  // On the embeddings, the feed-forward hidden layer and every sublayer output. Attention
  // weights get no dropout: the fused backend has none.
  TORCH_ARG(double, dropout) = 0.2;
  TORCH_ARG(attention::AttentionBackend, backend) = attention::AttentionBackend::kFused;
  // Empty: full softmax. Otherwise the adaptive softmax's cluster boundaries (ids sorted by
  // decreasing frequency, as the project's vocabularies are).
  TORCH_ARG(std::vector<int64_t>, cutoffs);
};

nlohmann::json ToJson(const CausalLmOptions& options);
// InvalidArgument naming the missing or bad key.
absl::StatusOr<CausalLmOptions> CausalLmOptionsFromJson(const nlohmann::json& json);

// One key/value cache per block.
struct CausalLmCache {
  std::vector<attention::KeyValueCache> layers;
  int64_t length() const { return layers.empty() ? 0 : layers.front().length(); }
  void Reset() { layers.clear(); }
};

struct CausalLmOutput {
  at::Tensor hidden;                // [B, L, d_model], after the final LayerNorm
  std::vector<at::Tensor> weights;  // per block [B, heads, L, cached + L] when asked for
};

// x + Attention(LN(x)), then x + FFN(LN(x)).
class CausalBlockImpl : public torch::nn::Module {
 public:
  explicit CausalBlockImpl(const CausalLmOptions& options);

  // x [B, L, d_model]; `weights` receives [B, heads, L, cached + L] when need_weights.
  at::Tensor forward(const at::Tensor& x, attention::KeyValueCache* cache, bool need_weights,
                     at::Tensor* weights);

  attention::MultiHeadAttention self_attn{nullptr};
  layers::ResidualNorm attn_residual{nullptr};
  layers::PositionwiseFeedForward ffn{nullptr};
  layers::ResidualNorm ffn_residual{nullptr};
};
TORCH_MODULE(CausalBlock);

class CausalLmImpl : public torch::nn::Module {
 public:
  explicit CausalLmImpl(const CausalLmOptions& options);

  // tokens int64 [B, L]. With `cache`, the tokens continue the cached sequence (their
  // positions start at cache->length()); cached length + L must not exceed the context.
  CausalLmOutput forward(const at::Tensor& tokens, CausalLmCache* cache = nullptr,
                         bool need_weights = false);

  // hidden [..., d_model] -> [..., vocab] scores whose softmax is the model's next-token
  // distribution (logits, or log-probabilities with the adaptive softmax).
  at::Tensor logits(const at::Tensor& hidden);
  // hidden [..., d_model], targets int64 [...] -> log p(target) [...].
  at::Tensor target_log_probs(const at::Tensor& hidden, const at::Tensor& targets);

  void set_backend(attention::AttentionBackend backend);

  CausalLmOptions options;
  layers::TokenEmbedding embedding{nullptr};      // full softmax
  TiedAdaptiveSoftmax adaptive{nullptr};          // adaptive softmax
  attention::SinusoidalPositionalEncoding positions{nullptr};
  torch::nn::Dropout embedding_dropout{nullptr};
  std::vector<CausalBlock> blocks;
  torch::nn::LayerNorm final_norm{nullptr};
  layers::OutputProjection head{nullptr};        // full softmax, tied to `embedding`
};
TORCH_MODULE(CausalLm);

// Mean next-token cross-entropy (nats) of `hidden` [B, L, d_model] against `targets` [B, L].
at::Tensor NextTokenLoss(CausalLm& model, const at::Tensor& hidden, const at::Tensor& targets);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_CAUSAL_LM_H_
