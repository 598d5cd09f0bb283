// A stack of Transformer encoder layers with an optional final LayerNorm (needed by pre-LN
// layers, whose residual stream is never normalised otherwise).
//
//   auto encoder = sf::layers::TransformerEncoder(sf::layers::TransformerEncoderOptions(
//       sf::layers::TransformerLayerOptions(512, 8).d_ff(2048), /*num_layers=*/6));
//   at::Tensor memory = encoder->forward(src_embedded,
//                                        sf::attention::MaskSpec().WithKeyLengths(src_lengths));
//   encoder->set_backend(sf::attention::AttentionBackend::kFused);   // every layer
//   // Per-layer, per-head self-attention weights for visualisation:
//   sf::layers::EncoderOutput out = encoder->forward_with_weights(src_embedded, mask);
//   out.self_attention_weights[layer];  // [batch, heads, len, len]
//
// Parameter names follow torch::nn::TransformerEncoder ("layers.<i>....", "norm.").
#ifndef SCRATCHFORMER_LAYERS_TRANSFORMER_ENCODER_H_
#define SCRATCHFORMER_LAYERS_TRANSFORMER_ENCODER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "layers/transformer_encoder_layer.h"
#include "layers/transformer_layer_options.h"

namespace sf::layers {

struct TransformerEncoderOptions {
  TransformerEncoderOptions(const TransformerLayerOptions& layer, int64_t num_layers)
      : layer_(layer), num_layers_(num_layers) {}
  TORCH_ARG(TransformerLayerOptions, layer);
  TORCH_ARG(int64_t, num_layers);
  // A LayerNorm after the last layer. Unset: exactly when the layers are pre-LN.
  TORCH_ARG(std::optional<bool>, final_norm) = std::nullopt;
};

struct EncoderOutput {
  at::Tensor output;                               // [batch, len, d_model]
  std::vector<at::Tensor> self_attention_weights;  // per layer, [batch, heads, len, len]
};

class TransformerEncoderImpl : public torch::nn::Cloneable<TransformerEncoderImpl> {
 public:
  explicit TransformerEncoderImpl(const TransformerEncoderOptions& options);

  void reset() override;

  // src [batch, len, d_model]; the same mask and bias for every layer.
  at::Tensor forward(const at::Tensor& src, const attention::MaskSpec& mask = {},
                     const at::Tensor& attn_bias = {});
  EncoderOutput forward_with_weights(const at::Tensor& src, const attention::MaskSpec& mask = {},
                                     const at::Tensor& attn_bias = {});

  void set_backend(attention::AttentionBackend backend);
  TransformerEncoderLayerImpl& layer(int64_t i);

  TransformerEncoderOptions options;
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};  // set when a final norm is used

 private:
  EncoderOutput Run(const at::Tensor& src, const attention::MaskSpec& mask,
                    const at::Tensor& attn_bias, bool need_weights);
};

TORCH_MODULE(TransformerEncoder);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TRANSFORMER_ENCODER_H_
