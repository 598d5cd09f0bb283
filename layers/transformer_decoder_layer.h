// One Transformer decoder layer (Vaswani et al. 2017, sec. 3.1): masked self-attention over the
// target, cross-attention over the encoder's output (the memory), and a position-wise
// feed-forward network, each inside a residual connection with LayerNorm (post-LN or pre-LN).
// Batch-first [batch, len, d_model].
//
//   auto layer = sf::layers::TransformerDecoderLayer(
//       sf::layers::TransformerLayerOptions(/*d_model=*/512, /*heads=*/8));
//   using sf::attention::MaskSpec;
//   at::Tensor y = layer->forward(tgt, memory,
//                                 MaskSpec::Causal().WithKeyLengths(tgt_lengths),
//                                 MaskSpec().WithKeyLengths(src_lengths));
//
// Incremental decoding: keep a DecoderLayerCache per layer and per sequence batch; feed only
// the new target positions each step. The self-attention cache grows; the memory's keys and
// values are projected on the first step and reused after (memory may then be undefined).
//
//   sf::layers::DecoderLayerCache cache;
//   for (...) y_t = layer->forward(x_t, memory, MaskSpec::Causal(), memory_mask, &cache);
//
// Causality under a cache follows masks.h's bottom-right alignment: the new queries sit at the
// end of the cached keys. Arbitrary masks go in as additive biases (-inf = forbidden), which
// the reference and libtorch backends take.
#ifndef SCRATCHFORMER_LAYERS_TRANSFORMER_DECODER_LAYER_H_
#define SCRATCHFORMER_LAYERS_TRANSFORMER_DECODER_LAYER_H_

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "layers/feed_forward.h"
#include "layers/residual.h"
#include "layers/transformer_layer_options.h"

namespace sf::layers {

struct DecoderLayerCache {
  attention::KeyValueCache self_attention;   // the target positions decoded so far
  attention::KeyValueCache cross_attention;  // the memory, projected once
  int64_t length() const { return self_attention.length(); }
  void Reset() {
    self_attention.Reset();
    cross_attention.Reset();
  }
};

struct DecoderLayerOutput {
  at::Tensor output;                   // [batch, len_t, d_model]
  at::Tensor self_attention_weights;   // [batch, heads, len_t, cached + len_t]
  at::Tensor cross_attention_weights;  // [batch, heads, len_t, len_s]
};

class TransformerDecoderLayerImpl : public torch::nn::Cloneable<TransformerDecoderLayerImpl> {
 public:
  explicit TransformerDecoderLayerImpl(const TransformerLayerOptions& options);

  void reset() override;

  // tgt [batch, len_t, d_model], memory [batch, len_s, d_model] -> [batch, len_t, d_model].
  // tgt_mask/tgt_bias act on the self-attention, memory_mask/memory_bias on the
  // cross-attention.
  at::Tensor forward(const at::Tensor& tgt, const at::Tensor& memory,
                     const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
                     const attention::MaskSpec& memory_mask = {},
                     DecoderLayerCache* cache = nullptr, const at::Tensor& tgt_bias = {},
                     const at::Tensor& memory_bias = {});
  DecoderLayerOutput forward_with_weights(
      const at::Tensor& tgt, const at::Tensor& memory,
      const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
      const attention::MaskSpec& memory_mask = {}, DecoderLayerCache* cache = nullptr,
      const at::Tensor& tgt_bias = {}, const at::Tensor& memory_bias = {});

  void set_backend(attention::AttentionBackend backend);

  TransformerLayerOptions options;
  attention::MultiHeadAttention self_attn{nullptr};
  ResidualNorm self_attn_residual{nullptr};
  attention::MultiHeadAttention cross_attn{nullptr};
  ResidualNorm cross_attn_residual{nullptr};
  PositionwiseFeedForward ffn{nullptr};
  ResidualNorm ffn_residual{nullptr};

 private:
  DecoderLayerOutput Run(const at::Tensor& tgt, const at::Tensor& memory,
                         const attention::MaskSpec& tgt_mask,
                         const attention::MaskSpec& memory_mask, DecoderLayerCache* cache,
                         const at::Tensor& tgt_bias, const at::Tensor& memory_bias,
                         bool need_weights);
};

TORCH_MODULE(TransformerDecoderLayer);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TRANSFORMER_DECODER_LAYER_H_
