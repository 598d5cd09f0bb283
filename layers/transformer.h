// The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et al. 2017) on
// embedded inputs, as torch::nn::Transformer: an encoder stack over the source and a decoder
// stack over the target that attends to the encoder's output. Embeddings, positions and the
// output projection are the caller's (see token_embedding.h, attention/positional_encoding.h).
// Batch-first [batch, len, d_model], on the project's multi-head attention.
//
//   auto model = sf::layers::Transformer(sf::layers::TransformerOptions()   // the base model
//                                            .d_model(512).heads(8).d_ff(2048).dropout(0.1));
//   using sf::attention::MaskSpec;
//   MaskSpec src_mask = MaskSpec().WithKeyLengths(src_lengths);
//   at::Tensor h = model->forward(src, tgt, src_mask,
//                                 MaskSpec::Causal().WithKeyLengths(tgt_lengths),
//                                 /*memory_mask=*/src_mask);   // [batch, len_t, 512]
//   model->set_backend(sf::attention::AttentionBackend::kFused);
//
//   // Generation: encode once, then decode step by step with a cache.
//   at::Tensor memory = model->encode(src, src_mask);
//   sf::layers::DecoderCache cache;
//   at::Tensor h_t = model->decode(x_t, memory, MaskSpec::Causal(), src_mask, &cache);
//
// The final LayerNorms of both stacks are there by default only with pre-LN layers;
// torch::nn::Transformer always has them (final_norm(true) reproduces it).
#ifndef SCRATCHFORMER_LAYERS_TRANSFORMER_H_
#define SCRATCHFORMER_LAYERS_TRANSFORMER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "attention/masks.h"
#include "attention/multi_head_attention.h"
#include "layers/activation.h"
#include "layers/residual.h"
#include "layers/transformer_decoder.h"
#include "layers/transformer_encoder.h"
#include "layers/transformer_layer_options.h"

namespace sf::layers {

// Defaults: the paper's base model.
struct TransformerOptions {
  // The options every layer of both stacks is built with.
  TransformerLayerOptions layer_options() const;

  TORCH_ARG(int64_t, d_model) = 512;
  TORCH_ARG(int64_t, heads) = 8;
  TORCH_ARG(int64_t, num_encoder_layers) = 6;
  TORCH_ARG(int64_t, num_decoder_layers) = 6;
  TORCH_ARG(int64_t, d_ff) = 2048;
  TORCH_ARG(double, dropout) = 0.1;
  // Unset: `dropout` (see TransformerLayerOptions; 0 to train on the fused backend).
  TORCH_ARG(std::optional<double>, attention_dropout) = std::nullopt;
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(NormPlacement, norm_placement) = NormPlacement::kPostNorm;
  TORCH_ARG(double, layer_norm_eps) = 1e-5;
  TORCH_ARG(attention::AttentionBackend, backend) = attention::AttentionBackend::kReference;
  // A LayerNorm after each stack. Unset: exactly when the layers are pre-LN.
  TORCH_ARG(std::optional<bool>, final_norm) = std::nullopt;
};

struct TransformerOutput {
  at::Tensor output;                                        // [batch, len_t, d_model]
  std::vector<at::Tensor> encoder_self_attention_weights;   // per layer [B, H, len_s, len_s]
  std::vector<at::Tensor> decoder_self_attention_weights;   // per layer [B, H, len_t, len_t]
  std::vector<at::Tensor> decoder_cross_attention_weights;  // per layer [B, H, len_t, len_s]
};

class TransformerImpl : public torch::nn::Cloneable<TransformerImpl> {
 public:
  explicit TransformerImpl(const TransformerOptions& options = {});

  void reset() override;

  // src [batch, len_s, d_model], tgt [batch, len_t, d_model] -> [batch, len_t, d_model].
  // src_mask/src_bias: encoder self-attention; tgt_mask/tgt_bias: decoder self-attention;
  // memory_mask/memory_bias: decoder cross-attention (pass the source padding here too).
  at::Tensor forward(const at::Tensor& src, const at::Tensor& tgt,
                     const attention::MaskSpec& src_mask = {},
                     const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
                     const attention::MaskSpec& memory_mask = {}, const at::Tensor& src_bias = {},
                     const at::Tensor& tgt_bias = {}, const at::Tensor& memory_bias = {});
  TransformerOutput forward_with_weights(
      const at::Tensor& src, const at::Tensor& tgt, const attention::MaskSpec& src_mask = {},
      const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
      const attention::MaskSpec& memory_mask = {}, const at::Tensor& src_bias = {},
      const at::Tensor& tgt_bias = {}, const at::Tensor& memory_bias = {});

  // The two halves, for generation.
  at::Tensor encode(const at::Tensor& src, const attention::MaskSpec& src_mask = {},
                    const at::Tensor& src_bias = {});
  at::Tensor decode(const at::Tensor& tgt, const at::Tensor& memory,
                    const attention::MaskSpec& tgt_mask = attention::MaskSpec::Causal(),
                    const attention::MaskSpec& memory_mask = {}, DecoderCache* cache = nullptr,
                    const at::Tensor& tgt_bias = {}, const at::Tensor& memory_bias = {});

  void set_backend(attention::AttentionBackend backend);

  TransformerOptions options;
  TransformerEncoder encoder{nullptr};
  TransformerDecoder decoder{nullptr};
};

TORCH_MODULE(Transformer);

}  // namespace sf::layers

#endif  // SCRATCHFORMER_LAYERS_TRANSFORMER_H_
