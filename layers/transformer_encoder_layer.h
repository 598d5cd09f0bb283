// One Transformer encoder layer (Vaswani et al. 2017, sec. 3.1): self-attention and a
// position-wise feed-forward network, each inside a residual connection with LayerNorm,
// post-LN (the paper) or pre-LN (GPT-2) by option. Batch-first [batch, len, d_model].
//
//   auto layer = sf::layers::TransformerEncoderLayer(
//       sf::layers::TransformerLayerOptions(/*d_model=*/512, /*heads=*/8).d_ff(2048));
//   // Padding: sequence b has src_lengths[b] real tokens (int64 [batch]).
//   auto mask = sf::attention::MaskSpec().WithKeyLengths(src_lengths);
//   at::Tensor y = layer->forward(x, mask);
//   // For visualisation: per-head self-attention weights [batch, heads, len, len].
//   sf::layers::EncoderLayerOutput out = layer->forward_with_weights(x, mask);
//
// Masks follow attention/masks.h (true = allowed). An arbitrary mask that MaskSpec cannot say
// goes in as `attn_bias`, an additive float tensor broadcast to [batch, heads, len, len] with
// -inf where attention is forbidden (the reference and libtorch backends take it).
#ifndef SCRATCHFORMER_LAYERS_TRANSFORMER_ENCODER_LAYER_H_
#define SCRATCHFORMER_LAYERS_TRANSFORMER_ENCODER_LAYER_H_

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "layers/feed_forward.h"
#include "layers/residual.h"
#include "layers/transformer_layer_options.h"

namespace sf::layers {

struct EncoderLayerOutput {
  at::Tensor output;                  // [batch, len, d_model]
  at::Tensor self_attention_weights;  // [batch, heads, len, len]
};

class TransformerEncoderLayerImpl : public torch::nn::Cloneable<TransformerEncoderLayerImpl> {
 public:
  explicit TransformerEncoderLayerImpl(const TransformerLayerOptions& options);

  void reset() override;

  // src [batch, len, d_model] -> [batch, len, d_model].
  at::Tensor forward(const at::Tensor& src, const attention::MaskSpec& mask = {},
                     const at::Tensor& attn_bias = {});
  EncoderLayerOutput forward_with_weights(const at::Tensor& src,
                                          const attention::MaskSpec& mask = {},
                                          const at::Tensor& attn_bias = {});

  void set_backend(attention::AttentionBackend backend);

  TransformerLayerOptions options;
  attention::MultiHeadAttention self_attn{nullptr};
  ResidualNorm self_attn_residual{nullptr};
  PositionwiseFeedForward ffn{nullptr};
  ResidualNorm ffn_residual{nullptr};

 private:
  EncoderLayerOutput Run(const at::Tensor& src, const attention::MaskSpec& mask,
                         const at::Tensor& attn_bias, bool need_weights);
};

TORCH_MODULE(TransformerEncoderLayer);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TRANSFORMER_ENCODER_LAYER_H_
