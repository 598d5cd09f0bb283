#include "layers/transformer_decoder_layer.h"

#include <c10/util/Exception.h>

namespace sf::layers {

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(const TransformerLayerOptions& options)
    : options(options) {
  reset();
}

void TransformerDecoderLayerImpl::reset() {
  CheckTransformerLayerOptions(options, "TransformerDecoderLayer");
  self_attn =
      register_module("self_attn", attention::MultiHeadAttention(AttentionOptionsFor(options)));
  self_attn_residual =
      register_module("self_attn_residual", ResidualNorm(ResidualOptionsFor(options)));
  cross_attn =
      register_module("cross_attn", attention::MultiHeadAttention(AttentionOptionsFor(options)));
  cross_attn_residual =
      register_module("cross_attn_residual", ResidualNorm(ResidualOptionsFor(options)));
  ffn = register_module("ffn", PositionwiseFeedForward(FeedForwardOptionsFor(options)));
  ffn_residual = register_module("ffn_residual", ResidualNorm(ResidualOptionsFor(options)));
}

void TransformerDecoderLayerImpl::set_backend(attention::AttentionBackend backend) {
  options.backend(backend);
  self_attn->set_backend(backend);
  cross_attn->set_backend(backend);
}

DecoderLayerOutput TransformerDecoderLayerImpl::Run(
    const at::Tensor& tgt, const at::Tensor& memory, const attention::MaskSpec& tgt_mask,
    const attention::MaskSpec& memory_mask, DecoderLayerCache* cache, const at::Tensor& tgt_bias,
    const at::Tensor& memory_bias, bool need_weights) {
  const int64_t d_model = options.d_model();
  TORCH_CHECK(tgt.dim() == 3 && tgt.size(2) == d_model,
              "TransformerDecoderLayer: expected tgt [batch, len_t, ", d_model, "], got ",
              tgt.sizes());
  const bool memory_cached = cache != nullptr && cache->cross_attention.length() > 0;
  if (memory.defined()) {
    TORCH_CHECK(memory.dim() == 3 && memory.size(0) == tgt.size(0) && memory.size(2) == d_model,
                "TransformerDecoderLayer: expected memory [", tgt.size(0), ", len_s, ", d_model,
                "], got ", memory.sizes());
  } else {
    TORCH_CHECK(memory_cached,
                "TransformerDecoderLayer: memory may be undefined only once a cache holds it");
  }
  DecoderLayerOutput out;
  at::Tensor h = self_attn_residual->forward(tgt, [&](const at::Tensor& x) {
    attention::AttentionOutput a =
        Attend(self_attn, x, x, x, tgt_mask, cache != nullptr ? &cache->self_attention : nullptr,
               tgt_bias, need_weights);
    out.self_attention_weights = a.weights;
    return a.output;
  });
  h = cross_attn_residual->forward(h, [&](const at::Tensor& x) {
    // With a filled cache, undefined key/value attend to the cached memory projections.
    at::Tensor kv = memory_cached ? at::Tensor() : memory;
    attention::AttentionOutput a =
        Attend(cross_attn, x, kv, kv, memory_mask,
               cache != nullptr ? &cache->cross_attention : nullptr, memory_bias, need_weights);
    out.cross_attention_weights = a.weights;
    return a.output;
  });
  out.output = ffn_residual->forward(h, [&](const at::Tensor& x) { return ffn->forward(x); });
  return out;
}

at::Tensor TransformerDecoderLayerImpl::forward(const at::Tensor& tgt, const at::Tensor& memory,
                                                const attention::MaskSpec& tgt_mask,
                                                const attention::MaskSpec& memory_mask,
                                                DecoderLayerCache* cache,
                                                const at::Tensor& tgt_bias,
                                                const at::Tensor& memory_bias) {
  return Run(tgt, memory, tgt_mask, memory_mask, cache, tgt_bias, memory_bias,
             /*need_weights=*/false)
      .output;
}

DecoderLayerOutput TransformerDecoderLayerImpl::forward_with_weights(
    const at::Tensor& tgt, const at::Tensor& memory, const attention::MaskSpec& tgt_mask,
    const attention::MaskSpec& memory_mask, DecoderLayerCache* cache, const at::Tensor& tgt_bias,
    const at::Tensor& memory_bias) {
  return Run(tgt, memory, tgt_mask, memory_mask, cache, tgt_bias, memory_bias,
             /*need_weights=*/true);
}

}  // namespace sf::layers
