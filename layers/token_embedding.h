// Token embedding scaled by sqrt(d_model) (Vaswani et al. 2017, sec. 3.4), and the output
// projection to vocabulary logits, optionally tied to the embedding (Press & Wolf 2017): one
// weight tensor [vocab, d_model] both looks tokens up and scores hidden states.
//
//   auto embed = sf::layers::TokenEmbedding(sf::layers::TokenEmbeddingOptions(vocab, 512));
//   auto head = sf::layers::OutputProjection(
//       sf::layers::OutputProjectionOptions(512, vocab).bias(false), /*tied_to=*/embed);
//   at::Tensor h = embed->forward(tokens);    // int64 [B, L] -> [B, L, 512], times sqrt(512)
//   at::Tensor logits = head->forward(h);     // [B, L, vocab], with embed->weight
//
// A tied projection does not register the shared weight as its own parameter, so a model that
// holds both lists it once (optimisers update it once) and gradients from both uses add up in
// embed->weight.grad().
#ifndef SCRATCHFORMER_LAYERS_TOKEN_EMBEDDING_H_
#define SCRATCHFORMER_LAYERS_TOKEN_EMBEDDING_H_

#include <cstdint>
#include <memory>
#include <optional>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace sf::layers {

struct TokenEmbeddingOptions {
  TokenEmbeddingOptions(int64_t vocab_size, int64_t d_model)
      : vocab_size_(vocab_size), d_model_(d_model) {}
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, d_model);
  // Multiply the looked-up vectors by sqrt(d_model) (the paper); off for a plain embedding.
  TORCH_ARG(bool, scale) = true;
  // This token's vector starts at zero and receives no gradient (as torch::nn::Embedding).
  TORCH_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

class TokenEmbeddingImpl : public torch::nn::Cloneable<TokenEmbeddingImpl> {
 public:
  explicit TokenEmbeddingImpl(const TokenEmbeddingOptions& options);

  // Weights ~ N(0, 1/d_model): after the sqrt(d_model) scale the inputs have unit variance,
  // and a tied output projection starts with logits of unit scale.
  void reset() override;
  void reset_parameters();

  // tokens: int64 [...] in [0, vocab_size) -> [..., d_model].
  at::Tensor forward(const at::Tensor& tokens);

  TokenEmbeddingOptions options;
  at::Tensor weight;  // [vocab_size, d_model]
};

TORCH_MODULE(TokenEmbedding);

struct OutputProjectionOptions {
  OutputProjectionOptions(int64_t d_model, int64_t vocab_size)
      : d_model_(d_model), vocab_size_(vocab_size) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(bool, bias) = true;
};

// Not Cloneable: a deep copy cannot know which copy of the embedding it should share.
class OutputProjectionImpl : public torch::nn::Module {
 public:
  // An untied projection with its own weight.
  explicit OutputProjectionImpl(const OutputProjectionOptions& options);
  // Tied: scores with `tied_to->weight`; sizes must agree.
  OutputProjectionImpl(const OutputProjectionOptions& options, TokenEmbedding tied_to);

  // hidden: [..., d_model] -> logits [..., vocab_size].
  at::Tensor forward(const at::Tensor& hidden);

  // The [vocab_size, d_model] weight in use: the embedding's when tied.
  const at::Tensor& weight() const;
  bool tied() const { return tied_to_ != nullptr; }

  OutputProjectionOptions options;
  at::Tensor bias;  // [vocab_size], or undefined without bias

 private:
  void Init();

  at::Tensor own_weight_;
  std::shared_ptr<TokenEmbeddingImpl> tied_to_;
};

TORCH_MODULE(OutputProjection);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TOKEN_EMBEDDING_H_
