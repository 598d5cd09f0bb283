#include "layers/token_embedding.h"

#include <cmath>

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>
#include <torch/nn/init.h>

namespace sf::layers {

TokenEmbeddingImpl::TokenEmbeddingImpl(const TokenEmbeddingOptions& options) : options(options) {
  reset();
}

void TokenEmbeddingImpl::reset() {
  TORCH_CHECK(options.vocab_size() > 0 && options.d_model() > 0,
              "TokenEmbedding: vocab_size and d_model must be positive, got vocab_size=",
              options.vocab_size(), " d_model=", options.d_model());
  if (options.padding_idx()) {
    int64_t pad = *options.padding_idx();
    TORCH_CHECK(pad >= 0 && pad < options.vocab_size(), "TokenEmbedding: padding_idx ", pad,
                " outside [0, ", options.vocab_size(), ")");
  }
  weight = register_parameter("weight", at::empty({options.vocab_size(), options.d_model()}));
  reset_parameters();
}

void TokenEmbeddingImpl::reset_parameters() {
  torch::nn::init::normal_(weight, 0.0, 1.0 / std::sqrt(static_cast<double>(options.d_model())));
  if (options.padding_idx()) {
    at::NoGradGuard no_grad;
    weight[*options.padding_idx()].zero_();
  }
}

at::Tensor TokenEmbeddingImpl::forward(const at::Tensor& tokens) {
  TORCH_CHECK(tokens.scalar_type() == at::kLong, "TokenEmbedding: tokens must be int64, got ",
              tokens.scalar_type());
  if (tokens.numel() > 0) {
    int64_t low = tokens.min().item<int64_t>();
    int64_t high = tokens.max().item<int64_t>();
    TORCH_CHECK(low >= 0 && high < options.vocab_size(),
                "TokenEmbedding: token ids must be in [0, ", options.vocab_size(),
                "), got values in [", low, ", ", high, "]");
  }
  at::Tensor vectors = at::embedding(weight, tokens, options.padding_idx().value_or(-1));
  if (!options.scale()) return vectors;
  return vectors * std::sqrt(static_cast<double>(options.d_model()));
}

OutputProjectionImpl::OutputProjectionImpl(const OutputProjectionOptions& options)
    : options(options) {
  Init();
  own_weight_ = register_parameter("weight", at::empty({options.vocab_size(), options.d_model()}));
  // As torch::nn::Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  double bound = 1.0 / std::sqrt(static_cast<double>(options.d_model()));
  torch::nn::init::uniform_(own_weight_, -bound, bound);
}

OutputProjectionImpl::OutputProjectionImpl(const OutputProjectionOptions& options,
                                           TokenEmbedding tied_to)
    : options(options), tied_to_(tied_to.ptr()) {
  TORCH_CHECK(tied_to_ != nullptr, "OutputProjection: tied_to is an empty TokenEmbedding");
  TORCH_CHECK(tied_to_->options.vocab_size() == options.vocab_size() &&
                  tied_to_->options.d_model() == options.d_model(),
              "OutputProjection: cannot tie a [", options.vocab_size(), ", ", options.d_model(),
              "] projection to an embedding of [", tied_to_->options.vocab_size(), ", ",
              tied_to_->options.d_model(), "]");
  Init();
}

void OutputProjectionImpl::Init() {
  TORCH_CHECK(options.vocab_size() > 0 && options.d_model() > 0,
              "OutputProjection: vocab_size and d_model must be positive, got vocab_size=",
              options.vocab_size(), " d_model=", options.d_model());
  if (options.bias()) {
    bias = register_parameter("bias", at::zeros({options.vocab_size()}));
  }
}

const at::Tensor& OutputProjectionImpl::weight() const {
  return tied_to_ != nullptr ? tied_to_->weight : own_weight_;
}

at::Tensor OutputProjectionImpl::forward(const at::Tensor& hidden) {
  TORCH_CHECK(hidden.dim() >= 1 && hidden.size(-1) == options.d_model(),
              "OutputProjection: expected input [..., ", options.d_model(), "], got ",
              hidden.sizes());
  return at::linear(hidden, weight(), bias);
}

}  // namespace sf::layers
