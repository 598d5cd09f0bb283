// The IMDB sentiment classifier: token embedding + sinusoidal positions + a stack of the
// project's Transformer encoder layers + pooling over the real tokens (their mean, or the
// <cls> token) + a linear head giving two logits (0 negative, 1 positive).
//
//   auto model = ImdbClassifier(ImdbClassifierOptions(/*vocab_size=*/30000)
//                                   .d_model(64).heads(4).layers(1).d_ff(256)
//                                   .backend(attention::AttentionBackend::kFused));
//   tokenization::PackedBatch batch = tokenization::PackBatch(ids);
//   at::Tensor logits = model->forward(batch);                 // [batch, 2]
//   // Visualisation, one sequence: per-layer attention weights [heads, L, L].
//   ClassifierAttention a = model->forward_with_attention(ids[0]);
//
// Inputs are packed without padding (tokenization::PackBatch). With the fused backend every
// layer runs on the packed tokens and attention goes through the fused kernel's varlen entry,
// so no padding is ever computed. The reference and libtorch backends scatter the tokens into
// a padded [batch, max_len, d_model] block for the encoder layers (masking the padding keys)
// and gather them back; embedding, pooling and head are the same code for every backend.
#ifndef SCRATCHFORMER_TASKS_IMDB_CLASSIFIER_H_
#define SCRATCHFORMER_TASKS_IMDB_CLASSIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "absl/status/statusor.h"
#include "attention/multi_head_attention.h"
#include "attention/positional_encoding.h"
#include "layers/token_embedding.h"
#include "layers/transformer_encoder.h"
#include "tokenization/batching.h"
#include "tokenization/vocabulary.h"

namespace sf::tasks::imdb {

enum class Pooling {
  kMean,  // mean of the final hidden states of the real tokens
  kCls,   // the hidden state of the leading <cls> token
};

// "mean" | "cls"; InvalidArgument naming the value otherwise.
absl::StatusOr<Pooling> ParsePooling(const std::string& name);
std::string PoolingName(Pooling pooling);

struct ImdbClassifierOptions {
  explicit ImdbClassifierOptions(int64_t vocab_size) : vocab_size_(vocab_size) {}
  // The whole configuration, to rebuild the model from a checkpoint.
  nlohmann::json ToJson() const;
  // InvalidArgument naming the field when `json` lacks one or holds a bad value.
  static absl::StatusOr<ImdbClassifierOptions> FromJson(const nlohmann::json& json);
  // InvalidArgument naming the first bad value (sizes, d_model % heads, dropout range).
  absl::Status Validate() const;

  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, d_model) = 64;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, layers) = 1;
  TORCH_ARG(int64_t, d_ff) = 256;
  TORCH_ARG(int64_t, max_length) = 512;  // longest sequence (positional table size)
  TORCH_ARG(double, dropout) = 0.1;      // inside the layers and before the head
  TORCH_ARG(double, embedding_dropout) = 0.2;
  TORCH_ARG(Pooling, pooling) = Pooling::kMean;
  TORCH_ARG(attention::AttentionBackend, backend) = attention::AttentionBackend::kFused;
};

struct ClassifierAttention {
  at::Tensor logits;                   // [2]
  std::vector<at::Tensor> attention;   // per layer [heads, L, L]
};

class ImdbClassifierImpl : public torch::nn::Cloneable<ImdbClassifierImpl> {
 public:
  // The options must pass Validate() (TORCH_CHECKed).
  explicit ImdbClassifierImpl(const ImdbClassifierOptions& options);

  void reset() override;

  // Packed sequences (each at most max_length tokens, at least one) -> logits [batch, 2].
  at::Tensor forward(const tokenization::PackedBatch& batch);

  // One sequence through the reference attention with weights kept.
  ClassifierAttention forward_with_attention(const std::vector<tokenization::TokenId>& ids);

  void set_backend(attention::AttentionBackend backend);
  int64_t num_parameters() const;

  ImdbClassifierOptions options;
  layers::TokenEmbedding embedding{nullptr};
  attention::SinusoidalPositionalEncoding positions{nullptr};
  torch::nn::Dropout embedding_dropout{nullptr};
  layers::TransformerEncoder encoder{nullptr};
  torch::nn::Dropout head_dropout{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  // Packed token ids and positions [T] -> embedded [T, d_model].
  at::Tensor Embed(const at::Tensor& tokens, const at::Tensor& position_ids);
  // Every layer on the packed tokens, attention by FusedAttentionVarlen.
  at::Tensor EncodePacked(const at::Tensor& x, const tokenization::PackedBatch& batch);
  // Every layer on a padded block built from the packed tokens.
  at::Tensor EncodePadded(const at::Tensor& x, const tokenization::PackedBatch& batch);
  // [T, d_model] hidden states -> logits [batch, 2].
  at::Tensor PoolAndClassify(const at::Tensor& hidden, const tokenization::PackedBatch& batch);
};

TORCH_MODULE(ImdbClassifier);

}  // namespace sf::tasks::imdb

#endif  // SCRATCHFORMER_TASKS_IMDB_CLASSIFIER_H_
