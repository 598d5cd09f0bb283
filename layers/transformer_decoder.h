// A stack of Transformer decoder layers with an optional final LayerNorm, and the per-layer
// key/value cache for incremental (token by token) decoding.
//
//   auto decoder = sf::layers::TransformerDecoder(sf::layers::TransformerDecoderOptions(
//       sf::layers::TransformerLayerOptions(512, 8), /*num_layers=*/6));
//   using sf::attention::MaskSpec;
//   MaskSpec memory_mask = MaskSpec().WithKeyLengths(src_lengths);
//   // Training (teacher forcing):
//   at::Tensor h = decoder->forward(tgt_embedded, memory,
//                                   MaskSpec::Causal().WithKeyLengths(tgt_lengths), memory_mask);
//   // Generation: one new position per call; the cache keeps every layer's keys/values.
//   sf::layers::DecoderCache cache;
//   at::Tensor h_t = decoder->forward(x_t, memory, MaskSpec::Causal(), memory_mask, &cache);
//   cache.Reorder(beam_origins);  // beam search: follow the surviving hypotheses
//
// Parameter names follow torch::nn::TransformerDecoder ("layers.<i>....", "norm.").
#ifndef SCRATCHFORMER_LAYERS_TRANSFORMER_DECODER_H_
#define SCRATCHFORMER_LAYERS_TRANSFORMER_DECODER_H_

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
#include "layers/transformer_decoder_layer.h"
#include "layers/transformer_layer_options.h"

namespace sf::layers {

struct TransformerDecoderOptions {
  TransformerDecoderOptions(const TransformerLayerOptions& layer, int64_t num_layers)
      : layer_(layer), num_layers_(num_layers) {}
  TORCH_ARG(TransformerLayerOptions, layer);
  TORCH_ARG(int64_t, num_layers);
  // A LayerNorm after the last layer. Unset: exactly when the layers are pre-LN.
  TORCH_ARG(std::optional<bool>, final_norm) = std::nullopt;
};

// One DecoderLayerCache per layer; sized by the decoder on first use.
struct DecoderCache {
  std::vector<DecoderLayerCache> layers;

  // Target positions decoded so far.
  int64_t length() const { return layers.empty() ? 0 : layers[0].length(); }
  void Reset() { layers.clear(); }
  // Keeps the sequences `indices` (int64 [new_batch], entries in [0, batch)) in that order, in
  // every layer: after a beam-search step, row i continues hypothesis indices[i].
  void Reorder(const at::Tensor& indices);
};

struct DecoderOutput {
  at::Tensor output;                                // [batch, len_t, d_model]
  std::vector<at::Tensor> self_attention_weights;   // per layer, [batch, heads, len_t, len]
  std::vector<at::Tensor> cross_attention_weights;  // per layer, [batch, heads, len_t, len_s]
};

class TransformerDecoderImpl : public torch::nn::Cloneable<TransformerDecoderImpl> {
 public:
  explicit TransformerDecoderImpl(const TransformerDecoderOptions& options);

  void reset() override;

  // tgt [batch, len_t, d_model], memory [batch, len_s, d_model] (undefined once `cache` holds
  // it) -> [batch, len_t, d_model]. Masks and biases are those of TransformerDecoderLayer.
  at::Tensor forward(const at::Tensor& tgt, const at::Tensor& memory,
                     const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
                     const attention::MaskSpec& memory_mask = {}, DecoderCache* cache = nullptr,
                     const at::Tensor& tgt_bias = {}, const at::Tensor& memory_bias = {});
  DecoderOutput forward_with_weights(
      const at::Tensor& tgt, const at::Tensor& memory,
      const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
      const attention::MaskSpec& memory_mask = {}, DecoderCache* cache = nullptr,
      const at::Tensor& tgt_bias = {}, const at::Tensor& memory_bias = {});

  void set_backend(attention::AttentionBackend backend);
  TransformerDecoderLayerImpl& layer(int64_t i);

  TransformerDecoderOptions options;
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};  // set when a final norm is used

 private:
  DecoderOutput Run(const at::Tensor& tgt, const at::Tensor& memory,
                    const attention::MaskSpec& tgt_mask, const attention::MaskSpec& memory_mask,
                    DecoderCache* cache, const at::Tensor& tgt_bias, const at::Tensor& memory_bias,
                    bool need_weights);
};

TORCH_MODULE(TransformerDecoder);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TRANSFORMER_DECODER_H_
