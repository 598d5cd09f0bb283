// Options shared by the Transformer encoder and decoder layers and their stacks, and the one
// helper through which the layers call attention (so need_weights and the backend behave the
// same in every layer).
//
//   auto options = sf::layers::TransformerLayerOptions(/*d_model=*/512, /*heads=*/8)
//                      .d_ff(2048)
//                      .dropout(0.1)
//                      .norm_placement(sf::layers::NormPlacement::kPreNorm)
//                      .backend(sf::attention::AttentionBackend::kFused);
//   auto layer = sf::layers::TransformerEncoderLayer(options);
#ifndef SCRATCHFORMER_LAYERS_TRANSFORMER_LAYER_OPTIONS_H_
#define SCRATCHFORMER_LAYERS_TRANSFORMER_LAYER_OPTIONS_H_

#include <cstdint>
#include <optional>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "layers/activation.h"
#include "layers/feed_forward.h"
#include "layers/residual.h"

namespace sf::layers {

struct TransformerLayerOptions {
  TransformerLayerOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, d_ff) = 2048;
  // Applied, in training, to the attention weights, the feed-forward hidden layer and every
  // sublayer output before its residual sum (as torch::nn's Transformer layers do).
  TORCH_ARG(double, dropout) = 0.1;
  // Dropout on the attention weights alone; unset: `dropout`. The fused backend has no
  // attention dropout (it throws on a non-zero rate in training): set 0 to train with it.
  TORCH_ARG(std::optional<double>, attention_dropout) = std::nullopt;
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(NormPlacement, norm_placement) = NormPlacement::kPostNorm;
  TORCH_ARG(double, layer_norm_eps) = 1e-5;
  TORCH_ARG(attention::AttentionBackend, backend) = attention::AttentionBackend::kReference;
};

// TORCH_CHECKs the sizes (d_model divisible by heads, positive widths, dropout in [0, 1)),
// naming `owner` and the values.
void CheckTransformerLayerOptions(const TransformerLayerOptions& options, const char* owner);

// The options of a layer's parts.
attention::MultiHeadAttentionOptions AttentionOptionsFor(const TransformerLayerOptions& options);
ResidualNormOptions ResidualOptionsFor(const TransformerLayerOptions& options);
PositionwiseFeedForwardOptions FeedForwardOptionsFor(const TransformerLayerOptions& options);

// Whether a stack puts a LayerNorm after its last layer: `final_norm` when set, else exactly
// when the layers are pre-LN.
bool UsesFinalNorm(const std::optional<bool>& final_norm, const TransformerLayerOptions& layer);

// Calls `attention` with need_weights set for this call only. The fused backend never forms
// weights, so a call that needs them runs on the reference backend (the same function).
attention::AttentionOutput Attend(attention::MultiHeadAttention& attention, const at::Tensor& query,
                                  const at::Tensor& key, const at::Tensor& value,
                                  const attention::MaskSpec& mask, attention::KeyValueCache* cache,
                                  const at::Tensor& attn_bias, bool need_weights);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TRANSFORMER_LAYER_OPTIONS_H_
