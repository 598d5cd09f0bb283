#include "layers/transformer.h"

#include <c10/util/Exception.h>

namespace sf::layers {

TransformerLayerOptions TransformerOptions::layer_options() const {
  return TransformerLayerOptions(d_model(), heads())
      .d_ff(d_ff())
      .dropout(dropout())
      .attention_dropout(attention_dropout())
      .activation(activation())
      .norm_placement(norm_placement())
      .layer_norm_eps(layer_norm_eps())
      .backend(backend());
}

TransformerImpl::TransformerImpl(const TransformerOptions& options) : options(options) { reset(); }

void TransformerImpl::reset() {
  TransformerLayerOptions layer = options.layer_options();
  encoder = register_module(
      "encoder", TransformerEncoder(TransformerEncoderOptions(layer, options.num_encoder_layers())
                                        .final_norm(options.final_norm())));
  decoder = register_module(
      "decoder", TransformerDecoder(TransformerDecoderOptions(layer, options.num_decoder_layers())
                                        .final_norm(options.final_norm())));
}

void TransformerImpl::set_backend(attention::AttentionBackend backend) {
  options.backend(backend);
  encoder->set_backend(backend);
  decoder->set_backend(backend);
}

at::Tensor TransformerImpl::encode(const at::Tensor& src, const attention::MaskSpec& src_mask,
                                   const at::Tensor& src_bias) {
  return encoder->forward(src, src_mask, src_bias);
}

at::Tensor TransformerImpl::decode(const at::Tensor& tgt, const at::Tensor& memory,
                                   const attention::MaskSpec& tgt_mask,
                                   const attention::MaskSpec& memory_mask, DecoderCache* cache,
                                   const at::Tensor& tgt_bias, const at::Tensor& memory_bias) {
  return decoder->forward(tgt, memory, tgt_mask, memory_mask, cache, tgt_bias, memory_bias);
}

at::Tensor TransformerImpl::forward(const at::Tensor& src, const at::Tensor& tgt,
                                    const attention::MaskSpec& src_mask,
                                    const attention::MaskSpec& tgt_mask,
                                    const attention::MaskSpec& memory_mask,
                                    const at::Tensor& src_bias, const at::Tensor& tgt_bias,
                                    const at::Tensor& memory_bias) {
  TORCH_CHECK(src.dim() == 3 && tgt.dim() == 3 && src.size(0) == tgt.size(0),
              "Transformer: src [batch, len_s, d_model] and tgt [batch, len_t, d_model] must "
              "share the batch, got ",
              src.sizes(), " and ", tgt.sizes());
  at::Tensor memory = encode(src, src_mask, src_bias);
  return decode(tgt, memory, tgt_mask, memory_mask, nullptr, tgt_bias, memory_bias);
}

TransformerOutput TransformerImpl::forward_with_weights(
    const at::Tensor& src, const at::Tensor& tgt, const attention::MaskSpec& src_mask,
    const attention::MaskSpec& tgt_mask, const attention::MaskSpec& memory_mask,
    const at::Tensor& src_bias, const at::Tensor& tgt_bias, const at::Tensor& memory_bias) {
  TORCH_CHECK(src.dim() == 3 && tgt.dim() == 3 && src.size(0) == tgt.size(0),
              "Transformer: src [batch, len_s, d_model] and tgt [batch, len_t, d_model] must "
              "share the batch, got ",
              src.sizes(), " and ", tgt.sizes());
  EncoderOutput encoded = encoder->forward_with_weights(src, src_mask, src_bias);
  DecoderOutput decoded = decoder->forward_with_weights(tgt, encoded.output, tgt_mask, memory_mask,
                                                        nullptr, tgt_bias, memory_bias);
  TransformerOutput out;
  out.output = decoded.output;
  out.encoder_self_attention_weights = std::move(encoded.self_attention_weights);
  out.decoder_self_attention_weights = std::move(decoded.self_attention_weights);
  out.decoder_cross_attention_weights = std::move(decoded.cross_attention_weights);
  return out;
}

}  // namespace sf::layers
